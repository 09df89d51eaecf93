"""Command-centre pages on the case kernel: the inbox (the kernel's queues, filters, pagination)
and the case page (status, deadline colour, map, assignments, clocks, timeline and the actions the
reader may take, each a POST form carrying the version the reader saw).

Every read goes through `restrict` (`get_scoped_or_404`, `cases.queries`): a missing case and one
out of reach are the same 404. Every write goes through a service; the view only parses the form
and turns a refusal into a message on the page (nothing is written on a refusal).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from civicgrid.areas.geojson import grid_feature
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.personal_data import mask_name
from civicgrid.core.scope import get_scoped_or_404, scope_paths

from . import parties, queries, services, summon
from .choices import LEVEL_ORDER, HandlingLevel, Supervision, TimelineKind
from .error_codes import CaseErrorCode
from .filtersets import inbox_filterset_class
from .forms import (
    ActionForm,
    DecideExtensionForm,
    EscalateForm,
    ReportInForm,
    RequestExtensionForm,
    SummonForm,
    SuperviseForm,
    UrgeForm,
    action_form_class,
    kind_pages,
)
from .kinds import registered_kinds
from .models import Case, CaseParty

VIEW = "cases.view_case"
PAGE_SIZE = queries.PAGE_SIZE
ALL_QUEUE = "all"

QUEUE_LABELS = {
    "to_register": gettext_lazy("待立案"),
    "to_dispatch": gettext_lazy("待派遣"),
    "my_unit": gettext_lazy("本单位待办"),
    "due_soon": gettext_lazy("即将到期"),
    "overdue": gettext_lazy("已超期"),
    "supervised": gettext_lazy("督办中"),
    ALL_QUEUE: gettext_lazy("全部"),
}
# Clock names the kernel and the shipped kinds use; another kind's clock shows its own name.
CLOCK_LABELS = {
    "response": gettext_lazy("响应时限"),
    "handling": gettext_lazy("办理时限"),
    "objection": gettext_lazy("异议期"),
}
DEADLINE_LABELS = {
    "red": gettext_lazy("已超期"),
    "yellow": gettext_lazy("即将到期"),
    "green": gettext_lazy("时限内"),
}


# --- shared helpers ------------------------------------------------------------------------------


def deadline_colour(case: Case, now) -> str:
    """Red past the earliest running clock's deadline, yellow past its warning time, green before;
    "" for a closed case or one without a running clock (Case.due_at/warn_at mirror the clocks)."""
    if case.closed_at is not None or case.due_at is None:
        return ""
    if now >= case.due_at:
        return "red"
    if case.warn_at is not None and now >= case.warn_at:
        return "yellow"
    return "green"


def due_text(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A deadline as people read it: a period ends at 24:00 of its last day (民法典 Art. 203), so
    local midnight is shown as "24:00" of the day before rather than "00:00" of the next."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        day = local - dt.timedelta(days=1)
        return day.strftime(fmt.replace("%H:%M", "24:00"))
    return local.strftime(fmt)


def status_of(case: Case) -> tuple[str, str]:
    """(label, css modifier) of the case's status: the kind's label; "new", "open" or "closed"."""
    kind = registered_kinds().get(case.kind)
    if kind is None:
        return case.status, "open"
    workflow = kind.workflow
    if workflow.is_closed(case.status):
        modifier = "closed"
    elif case.status == workflow.initial:
        modifier = "new"
    else:
        modifier = "open"
    return workflow.label_of(case.status), modifier


def person(user) -> str:
    """A staff member as every page shows them: masked name (the plain one is an audited reveal in
    the accounts API) and unit."""
    if user is None:
        return _("系统")
    name = mask_name(user.display_name or user.username)
    unit = getattr(user, "unit", None)
    return f"{name}（{unit.name}）" if unit is not None else name


# --- inbox ---------------------------------------------------------------------------------------


@dataclass
class Tab:
    name: str
    label: str
    count: int | None
    active: bool


@login_required
@require_GET
def inbox(request):
    """/cases/: a queue's cases (tabs with counts), narrowed by the filters, 20 a page."""
    user = request.user
    if not scope_paths(user, VIEW):
        raise PermissionDenied  # holds the view permission nowhere: the answer reveals nothing
    now = timezone.now()
    counts = queries.inbox_counts(user, now)
    name = request.GET.get("queue", "")
    if name not in QUEUE_LABELS:
        # The first queue with work in it; a quiet inbox shows everything the user can see.
        name = next((q for q in queries.QUEUES if getattr(counts, q)), ALL_QUEUE)
    qs = queries.all_cases(user) if name == ALL_QUEUE else queries.queue(user, name, now)
    related = {r for pages in _kind_pages_all() for r in pages.list_related}
    if related:
        qs = qs.select_related(*sorted(related))
    filterset = inbox_filterset_class()(request.GET or None, queryset=qs, request=request)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else qs
    if filterset.is_bound and not filterset.is_valid():
        rows = qs.none()
    filtering = any(value for key, value in request.GET.items() if key not in ("queue", "page"))
    if name != ALL_QUEUE and not filtering:
        # An unfiltered queue holds exactly its tab's count (same conditions, same `now`).
        paginator = queries.CountedPaginator(rows, PAGE_SIZE, count=getattr(counts, name))
    else:
        # Counted up to a cap ("2000+"): "all" may hold millions of cases; the filters narrow it.
        subset = queries.all_cases_in_paths(user) if name == ALL_QUEUE and not filtering else None
        paginator = queries.CappedPaginator(rows, PAGE_SIZE, subset=subset)
    page = paginator.get_page(request.GET.get("page"))
    items = []
    for case in page:
        label, modifier = status_of(case)
        colour = deadline_colour(case, now)
        items.append(
            {
                "case": case,
                "status_label": label,
                "status_class": modifier,
                "deadline": colour,
                "deadline_label": DEADLINE_LABELS.get(colour, ""),
                "due_text": due_text(case.due_at, "%m-%d %H:%M"),
            }
        )
    keep = request.GET.copy()
    keep.pop("page", None)
    keep.pop("queue", None)
    tabs = [Tab(q, str(QUEUE_LABELS[q]), getattr(counts, q), q == name) for q in queries.QUEUES] + [
        Tab(ALL_QUEUE, str(QUEUE_LABELS[ALL_QUEUE]), None, name == ALL_QUEUE)
    ]
    context = {
        "tabs": tabs,
        "queue": name,
        "queue_label": QUEUE_LABELS[name],
        "filterset": filterset,
        "filtered": any(v for k, v in keep.items()),
        "page": page,
        "items": items,
        "filter_query": keep.urlencode(),
    }
    return render(request, "cases/inbox.html", context)


def _kind_pages_all():
    return [kind_pages(code) for code in registered_kinds()]


# --- the case page ---------------------------------------------------------------------------------


def _load(request, number: str) -> Case:
    cases = Case.objects.select_related("area", "grid", "lead_unit", "created_by__unit")
    return get_scoped_or_404(cases, request.user, VIEW, number=number)


def _urge(case, *, actor, expected_version, note, **data):
    return services.do_urge(case, actor=actor, expected_version=expected_version, note=note)


def _supervise(case, *, actor, expected_version, note, level, **data):
    return services.do_supervise(case, level, actor=actor, expected_version=expected_version, note=note)


def _escalate(case, *, actor, expected_version, note, **data):
    return services.do_escalate(case, actor=actor, expected_version=expected_version, note=note)


def _request_extension(case, *, actor, expected_version, note, clock, amount, **data):
    return services.do_request_extension(
        case, clock, amount, actor=actor, expected_version=expected_version, reason=note
    )


def _decide_extension(case, *, actor, expected_version, note, clock, approve, **data):
    return services.do_decide_extension(
        case, clock, approve=approve, actor=actor, expected_version=expected_version, note=note
    )


def _summon(case, *, actor, expected_version, note, units, allowed, **data):
    return summon.do_summon(
        case, units, actor=actor, expected_version=expected_version, allowed=allowed, note=note
    )


def _report_in(case, *, actor, expected_version, note, **data):
    return summon.do_report_in(case, actor=actor, expected_version=expected_version, note=note)


# The kernel's own actions, open to every kind: (form, permission, label, writer).
KERNEL_ACTIONS = {
    "urge": (UrgeForm, "cases.urge_case", gettext_lazy("催办"), _urge),
    "supervise": (SuperviseForm, "cases.supervise_case", gettext_lazy("督办"), _supervise),
    "escalate": (EscalateForm, "cases.escalate_case", gettext_lazy("上报上级"), _escalate),
    "request_extension": (
        RequestExtensionForm,
        "cases.handle_case",
        gettext_lazy("申请延期"),
        _request_extension,
    ),
    "decide_extension": (
        DecideExtensionForm,
        "cases.approve_extension",
        gettext_lazy("审批延期"),
        _decide_extension,
    ),
    "summon": (SummonForm, summon.SUMMON, gettext_lazy("吹哨报到"), _summon),
    "report_in": (ReportInForm, summon.REPORT_IN, gettext_lazy("报到"), _report_in),
}


def _summon_candidates(case: Case) -> list:
    hook = kind_pages(case.kind).summon_units
    return list(hook(case)) if hook is not None else []


def _extension_clocks(case: Case, action: str) -> list:
    """The clocks an extension action applies to: open ones that may still be extended and have no
    pending request (to request), the ones with a pending request (to decide)."""
    open_clocks = [d for d in case.deadlines.all() if d.is_open]
    if action == "request_extension":
        return [
            d for d in open_clocks if d.pending_extension is None and d.extension_granted < d.max_extension
        ]
    return [d for d in open_clocks if d.pending_extension is not None]


def _prepare_kernel_form(form: ActionForm, case: Case, action: str, *, posted: bool = False) -> None:
    if action == "supervise":
        current = None if posted else case.supervision
        form.fields["level"].choices = [c for c in Supervision.choices if c[0] != current]
    elif action in ("request_extension", "decide_extension"):
        kind = registered_kinds().get(case.kind)
        labels = {d.name: clock_label(kind, d.name) for d in case.deadlines.all()}
        form.set_clocks(_extension_clocks(case, action), labels)
    elif action == "summon":
        form.set_candidates(_summon_candidates(case))


def _kernel_actions(case: Case, user) -> list[str]:
    """The kernel's actions `user` may take on `case`: the permission first (in memory, one
    assignment read at most), then what each action needs of the case (those may query)."""
    if case.closed_at is not None:
        return []
    may = services.ActionChecker(user, case)
    needs = {
        "escalate": lambda: case.handling_level != LEVEL_ORDER[-1],  # the city has no one above
        "request_extension": lambda: bool(_extension_clocks(case, "request_extension")),
        "decide_extension": lambda: bool(_extension_clocks(case, "decide_extension")),
        "summon": lambda: bool(_summon_candidates(case)),
        "report_in": lambda: summon.pending_report_in(case, user),
    }
    kind = registered_kinds().get(case.kind)
    permissions = {"request_extension": kind.extension_permission} if kind is not None else {}
    return [
        action
        for action, (_form, permission, _label, _writer) in KERNEL_ACTIONS.items()
        if may(permissions.get(action, permission)) and needs.get(action, lambda: True)()
    ]


def _transition(case: Case, action: str):
    kind = registered_kinds().get(case.kind)
    if kind is None:
        return None
    return next((t for t in kind.workflow.transitions_from(case.status) if t.action == action), None)


def _new_form(form_class, case: Case, action: str, note_required=False) -> ActionForm:
    return form_class(initial={"expected_version": case.version}, prefix=action, note_required=note_required)


def _actions(case: Case, user, failed: dict | None) -> list[dict]:
    """The buttons: the workflow transitions the user may take now, then the kernel's actions."""
    items = []
    kind = registered_kinds().get(case.kind)
    transitions = services.available_actions(case, user) if kind is not None else []
    for t in transitions:
        form_class = action_form_class(case.kind, t.action)
        items.append(
            {
                "action": t.action,
                "label": str(t.label),
                "note_required": t.note_required,
                "kernel": False,
                "form": _new_form(form_class, case, t.action, t.note_required),
            }
        )
    for action in _kernel_actions(case, user):
        form_class, _permission, label, _writer = KERNEL_ACTIONS[action]
        form = _new_form(form_class, case, action)
        _prepare_kernel_form(form, case, action)
        items.append(
            {"action": action, "label": str(label), "note_required": False, "kernel": True, "form": form}
        )
    if failed and failed.get("form") is not None:
        for item in items:
            if item["action"] == failed["action"]:
                item["form"], item["open"] = failed["form"], True
    return items


# The kernel's own timeline steps with a name of their own (the rest read as their entry kind).
RECORD_LABELS = {
    "party_added": gettext_lazy("登记当事人"),
    "party_removed": gettext_lazy("删除当事人"),
    "desk_visit": gettext_lazy("一站式受理分流"),
    "desk_rerouted": gettext_lazy("一站式受理再次分流"),
}


def clock_label(kind, name: str) -> str:
    """A clock's name on the page: the kind's label, the kernel's, or the code itself."""
    labels = getattr(kind, "clock_labels", None) or {}
    return str(labels.get(name) or CLOCK_LABELS.get(name, name))


def _timeline_rows(case: Case, kind) -> list[dict]:
    workflow = kind.workflow if kind is not None else None
    kinds = dict(TimelineKind.choices)
    records = {**RECORD_LABELS, **(getattr(kind, "record_labels", None) or {})}
    levels, supervision = dict(HandlingLevel.choices), dict(Supervision.choices)
    rows = []
    for entry in case.timeline.select_related("actor__unit"):
        what = kinds.get(entry.kind, entry.kind)
        if entry.kind == TimelineKind.TRANSITION and workflow is not None:
            what = workflow.action_label(entry.action)
        elif entry.action in ("summon", "report_in"):
            what = str(KERNEL_ACTIONS[entry.action][2])
        elif entry.action in records:
            what = str(records[entry.action])
        from_label = workflow.label_of(entry.from_status) if workflow and entry.from_status else ""
        to_label = workflow.label_of(entry.to_status) if workflow and entry.to_status else ""
        if entry.kind == TimelineKind.SUPERVISED:
            from_label = supervision.get(entry.data.get("from"), "")
            to_label = supervision.get(entry.data.get("to"), "")
        elif entry.kind == TimelineKind.ESCALATED:
            from_label = levels.get(entry.data.get("from"), "")
            to_label = levels.get(entry.data.get("to"), "")
        rows.append(
            {
                "entry": entry,
                "what": what,
                "actor": person(entry.actor),
                "from": from_label,
                "to": to_label,
            }
        )
    return rows


def _map_data(case: Case) -> dict:
    return {
        "grid": grid_feature(case.grid) if case.grid is not None else None,
        "point": [case.lon, case.lat] if case.lon is not None and case.lat is not None else None,
    }


def case_context(request, case: Case, failed: dict | None = None) -> dict:
    user = request.user
    kind = registered_kinds().get(case.kind)
    label, modifier = status_of(case)
    colour = deadline_colour(case, timezone.now())
    pages = kind_pages(case.kind)
    panel = pages.panel_context(case, user) if pages.panel_context and pages.panel_template else None
    return {
        "case": case,
        "kind_label": kind.label if kind is not None else case.kind,
        "status_label": label,
        "status_class": modifier,
        "deadline": colour,
        "deadline_label": DEADLINE_LABELS.get(colour, ""),
        "due_text": due_text(case.due_at),
        "created_by": person(case.created_by) if case.created_by_id else _("系统"),
        "assignments": list(case.assignments.select_related("unit")),
        "deadlines": [
            {"row": d, "label": clock_label(kind, d.name), "due_text": due_text(d.due_at)}
            for d in case.deadlines.all()
        ],
        "timeline": _timeline_rows(case, kind),
        "actions": _actions(case, user, failed),
        "failed": failed,
        "map_data": _map_data(case),
        "panel_template": pages.panel_template if panel is not None else "",
        "panel": panel,
    }


@login_required
@require_GET
def case_detail(request, number: str):
    """/cases/<number>/: the case page."""
    case = _load(request, number)
    return render(request, "cases/case_detail.html", case_context(request, case))


@login_required
@require_POST
def case_action(request, number: str, action: str):
    """POST /cases/<number>/actions/<action>/: take one action; back to the case page on success,
    the page with the error (and nothing changed) otherwise: 409 for a stale version, 403 for an
    action the reader may not take, 400 for anything else the service refuses."""
    case = _load(request, number)
    kernel = KERNEL_ACTIONS.get(action)
    transition = None if kernel else _transition(case, action)
    form_class = kernel[0] if kernel else action_form_class(case.kind, action)
    note_required = bool(transition and transition.note_required)
    form = form_class(request.POST, prefix=action, note_required=note_required)
    if kernel:
        _prepare_kernel_form(form, case, action, posted=True)
    label = str(kernel[2]) if kernel else (str(transition.label) if transition else action)
    if not form.is_valid():
        if "expected_version" in form.errors:
            return _refused(request, case, action, _("表单缺少案件版本，请刷新页面后重试"), 400)
        message = _("请检查“%(action)s”的填写内容") % {"action": label}
        return _refused(request, case, action, message, 400, form)
    data = form.action_data()
    arguments = {
        "actor": request.user,
        "expected_version": form.cleaned_data["expected_version"],
        "note": form.cleaned_data["note"],
    }
    try:
        if kernel:
            kernel[3](case.pk, **arguments, **data)
        else:
            perform = kind_pages(case.kind).perform or services.do_apply_action
            perform(case.pk, action, **arguments, **data)
    except NotPermitted:
        return _refused(request, case, action, _("您无权对该案件执行“%(action)s”") % {"action": label}, 403)
    except ServiceError as error:
        if error.code == CaseErrorCode.CONFLICT:
            return _refused(request, case, action, str(error.message), 409, conflict=True)
        if error.field and error.field in form.fields:
            form.add_error(error.field, str(error.message))
        return _refused(request, case, action, str(error.message), 400, form)
    messages.success(request, _("已完成“%(action)s”") % {"action": label})
    return HttpResponseRedirect(reverse("cases:detail", kwargs={"number": case.number}), status=303)


def _refused(request, case: Case, action: str, message: str, status: int, form=None, conflict=False):
    # Re-read: the page shows the case as it is now (on a conflict, someone else's change).
    case = _load(request, case.number)
    failed = {"action": action, "message": message, "form": form, "conflict": conflict}
    return render(request, "cases/case_detail.html", case_context(request, case, failed), status=status)


@login_required
@require_POST
def remove_party(request, number: str, pk: int):
    """POST /cases/<number>/parties/<pk>/remove/: remove a party registered in error, with the
    reason (`parties.do_remove_party`). A case or party out of reach is 404; a refusal (no reason,
    a stale version) is shown on the case page with nothing changed."""
    case = _load(request, number)
    party = CaseParty.objects.filter(case=case, pk=pk).first()
    if party is None:
        raise Http404
    try:
        version = int(request.POST.get("expected_version", ""))
    except ValueError:
        return _refused(request, case, "remove_party", _("表单缺少案件版本，请刷新页面后重试"), 400)
    try:
        parties.do_remove_party(
            party, actor=request.user, expected_version=version, note=request.POST.get("note", "")
        )
    except NotPermitted:
        return _refused(request, case, "remove_party", _("您无权删除该案件的当事人"), 403)
    except ServiceError as error:
        conflict = error.code == CaseErrorCode.CONFLICT
        return _refused(
            request, case, "remove_party", str(error.message), 409 if conflict else 400, conflict=conflict
        )
    messages.success(request, _("已删除当事人"))
    return HttpResponseRedirect(reverse("cases:detail", kwargs={"number": case.number}), status=303)
