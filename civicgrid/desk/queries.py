"""Reads of the desk: the visits of the centre's area with their routed case's live status and
deadline, and the leaders' dashboard panel (red-grade disputes, petitions near or past their
statutory deadlines). Every read is scoped: visits through `desk.view_visit`, cases through the
kernel's `Case.objects.restrict(user, "cases.view_case")` (confidential cases included only for
those who may see them)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case as DbCase
from django.db.models import Count, F, Q, Sum, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.cases.models import Case
from civicgrid.cases.views import DEADLINE_LABELS, deadline_colour, due_text, person, status_of
from civicgrid.disputes import queries as disputes_queries

from .choices import VisitStatus
from .models import Visit
from .services import VIEW

VIEW_CASE = "cases.view_case"
PANEL_LIMIT = 10
STATUS_FILTERS = ("pending", "routed", "answered", "all")


def visits(user, status: str = "pending", search: str = ""):
    """The visits the user's desk sees, newest first; `status` one of STATUS_FILTERS; `search` a
    visit or case number (exact) or words of the matter."""
    qs = Visit.objects.restrict(user, VIEW).select_related("area", "grid", "case__lead_unit", "received_by")
    if status in VisitStatus.values:
        qs = qs.filter(status=status)
    search = (search or "").strip()[:100]
    if search:
        qs = qs.filter(Q(number=search) | Q(case__number=search) | Q(title__contains=search))
    return qs.order_by("-received_at", "-id")


def counts(user) -> dict[str, int]:
    base = Visit.objects.restrict(user, VIEW)
    found = {row["status"]: row["n"] for row in _grouped(base)}
    return {**{s: found.get(s, 0) for s in VisitStatus.values}, "all": sum(found.values())}


def _grouped(qs):
    return qs.order_by().values("status").annotate(n=Count("id"))


@dataclass
class CaseState:
    """What the desk shows of a visit's case: nothing of a case the reader may not view (a
    confidential 检举控告), else its status and deadline colour."""

    case: Case | None
    visible: bool
    status_label: str = ""
    status_class: str = ""
    deadline: str = ""
    deadline_label: str = ""
    due_text: str = ""


def case_states(user, cases: list[Case], now=None) -> dict[int, CaseState]:
    """Each case's state for `user`, keyed by case id (one query for visibility)."""
    now = now or timezone.now()
    ids = [c.pk for c in cases if c is not None]
    viewable = set(Case.objects.restrict(user, VIEW_CASE).filter(pk__in=ids).values_list("pk", flat=True))
    states = {}
    for case in cases:
        if case is None:
            continue
        if case.pk not in viewable:
            states[case.pk] = CaseState(None, False)
            continue
        label, modifier = status_of(case)
        colour = deadline_colour(case, now)
        states[case.pk] = CaseState(
            case,
            True,
            label,
            modifier,
            colour,
            str(DEADLINE_LABELS.get(colour, "")),
            due_text(case.due_at, "%m-%d %H:%M"),
        )
    return states


def sealed(visit: Visit, states: dict[int, CaseState]) -> bool:
    """A visit routed to a case the reader may not see (检举控告): its matter is not shown either."""
    state = states.get(visit.case_id) if visit.case_id else None
    return bool(state is not None and not state.visible and visit.case.confidential)


# --- the leaders' dashboard panel -----------------------------------------------------------------


def red_disputes(user):
    """Open red-grade disputes the user may view (包案 leader named): the disputes app's query."""
    return disputes_queries.red_disputes(user)


def petitions_due(user, now=None):
    """Open petitions past their yellow warning time (near or past a statutory deadline), the
    earliest deadline first."""
    now = now or timezone.now()
    return (
        Case.objects.restrict(user, VIEW_CASE)
        .filter(kind="petition", closed_at__isnull=True, warn_at__lte=now)
        .select_related("area")
        .order_by("due_at", "id")
    )


def dashboard_panel(user, now=None, area=None) -> dict:
    """The panel's rows (at most PANEL_LIMIT of each kind) and totals, within `area` when given.

    One query: both lists OR-ed, each row numbered and counted within its kind by window functions
    (the dashboard's query budget is fixed)."""
    now = now or timezone.now()
    both = red_disputes(user) | petitions_due(user, now)
    if area is not None:
        both = both.filter(path__startswith=area.path)
    by_kind = {"partition_by": [F("kind")]}
    ranked = both.annotate(
        panel_rank=Window(RowNumber(), order_by=[F("due_at").asc(nulls_last=True), F("id").asc()], **by_kind),
        panel_total=Window(Count("id"), **by_kind),
        panel_overdue=Window(Sum(DbCase(When(due_at__lte=now, then=1), default=0)), **by_kind),
    ).filter(panel_rank__lte=PANEL_LIMIT)
    rows = list(ranked.select_related("area", "dispute__leader__unit").order_by("kind", "panel_rank"))
    red = [c for c in rows if c.kind == "dispute"]
    due = [c for c in rows if c.kind == "petition"]
    due_rows = []
    for case in due:
        colour = deadline_colour(case, now)
        due_rows.append(
            {
                "case": case,
                "deadline": colour,
                "deadline_label": str(DEADLINE_LABELS.get(colour, "")),
                "due_text": due_text(case.due_at, "%m-%d %H:%M"),
            }
        )
    return {
        "red_disputes": [{"case": c, "leader": _leader(c)} for c in red],
        "red_total": red[0].panel_total if red else 0,
        "petitions_due": due_rows,
        "due_total": due[0].panel_total if due else 0,
        "overdue_total": due[0].panel_overdue if due else 0,
    }


def _leader(case: Case) -> str:
    details = getattr(case, "dispute", None)
    leader = getattr(details, "leader", None) if details is not None else None
    return person(leader) if leader is not None else _("未指定")
