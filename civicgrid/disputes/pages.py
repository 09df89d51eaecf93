"""The dispute kind's parts of the command-centre pages (`cases.forms.KindPages`): the action
forms, the writer the case page calls, the dispute panel (type, risk, parties masked with a logged
reveal, mediation, sessions, agreement downloads, judicial confirmation, referral, visits, and the
forms of the steps that are not workflow actions) and the inbox filters (dispute type, risk).

Registered from `DisputesConfig.ready()` through `register_dispute_pages()`.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import User
from civicgrid.cases.forms import KindPages, register_kind_pages
from civicgrid.cases.models import Case
from civicgrid.cases.parties import may_remove_parties, party_rows
from civicgrid.cases.services import can_act
from civicgrid.core.personal_data import can_reveal, mask_name

from . import forms, risk
from .choices import DisputeType, PartyRole
from .hooks import amount_text, application_deadline
from .models import DisputeDetails
from .services import do_dispute_action
from .workflow import SESSION_STATES, VISIT_STATES

VIEW = "cases.view_case"


def _name(user) -> str:
    if user is None:
        return ""
    return mask_name(user.display_name or user.username)


LEADER_ROLES = ("leader", "city_dispatcher", "county_dispatcher", "township_officer")


def leader_choices(case: Case):
    """Users who may lead the dispute (包案): holders of a leader or centre role granted over an area
    covering the dispute's place (one query: the grant's path is a prefix of the case's)."""
    segments = [s for s in case.path.split("/") if s]
    prefixes = ["/".join(segments[: i + 1]) + "/" for i in range(len(segments))]
    return (
        User.objects.filter(
            is_active=True, assignments__role__code__in=LEADER_ROLES, assignments__scope_path__in=prefixes
        )
        .select_related("unit")
        .distinct()
        .order_by("display_name", "username")
    )


def dispute_panel_context(case: Case, user) -> dict:
    details = (
        DisputeDetails.objects.select_related("organisation", "leader", "source_case")
        .filter(case=case)
        .first()
    )
    if details is None:
        return {}
    scheme = risk.active_scheme()
    risk_label, _rank = risk.level_info(scheme, details.risk_level)
    roles = dict(PartyRole.choices)
    parties = [{**row, "role_label": roles.get(row["role"], row["role"])} for row in party_rows(case, user)]
    mediators = list(details.mediators.all())
    is_mediator = any(m.pk == user.pk for m in mediators)
    source_visible = details.source_case is not None and can_act(user, VIEW, details.source_case)
    may_grade = case.closed_at is None and can_act(user, "disputes.grade_dispute_risk", case)
    version = {"expected_version": case.version}
    labels = {lv["code"]: lv["label"] for lv in risk.levels_of(scheme)}
    history = [
        {
            "time": entry.time,
            "from": labels.get(entry.data.get("from"), entry.data.get("from") or "—"),
            "to": labels.get(entry.data.get("to"), entry.data.get("to")),
            "reasons": "；".join(entry.data.get("reasons") or ()),
            "manual": entry.data.get("manual", False),
            "actor": _name(entry.actor),
        }
        for entry in case.timeline.filter(action="risk_changed")
        .select_related("actor")
        .order_by("-time", "-pk")[:10]
    ]
    context = {
        "risk_history": history,
        "details": details,
        "type_label": details.get_dispute_type_display(),
        "source_label": details.get_source_display(),
        "source_case": details.source_case if source_visible else None,
        "amount": amount_text(details.amount),
        "risk_code": details.risk_level,
        "risk_label": risk_label,
        "risk_css": risk.CSS.get(details.risk_level, "plain"),
        "risk_reasons": details.risk_reasons,
        "is_red": risk.is_red(details),
        "leader": _name(details.leader),
        "mediators": [_name(m) for m in mediators],
        "parties": parties,
        "may_reveal": can_reveal(user, case.path),
        "may_remove_parties": may_remove_parties(case, user),
        "revealed": None,
        "sessions": list(details.case.sessions.select_related("recorded_by")),
        "visits": list(case.follow_up_visits.select_related("visitor")),
        "may_download": details.agreed_at is not None and can_reveal(user, case.path),
        "application_deadline": application_deadline(details.agreed_at) if details.agreed_at else None,
        "session_form": None,
        "visit_form": None,
        "grade_form": None,
        "party_form": None,
    }
    if case.status in SESSION_STATES and is_mediator and can_act(user, "disputes.mediate_dispute", case):
        context["session_form"] = forms.SessionForm(initial=version, prefix="session")
    if case.status in VISIT_STATES and can_act(user, "disputes.follow_up_dispute", case):
        context["visit_form"] = forms.VisitForm(initial=version, prefix="visit")
    if may_grade:
        context["grade_form"] = forms.GradeForm(
            initial={**version, "level": details.risk_level, "leader": details.leader_id},
            levels=risk.levels_of(scheme),
            leaders=leader_choices(case),
            prefix="grade",
        )
    if case.status in ("registered", "accepted", "mediating") and can_act(
        user, "disputes.report_dispute", case
    ):
        context["party_form"] = forms.AddPartyForm(initial=version, prefix="party")
    return context


def perform_dispute_action(
    case, action: str, *, actor, expected_version: int, note: str = "", **data
) -> Case:
    return do_dispute_action(case, action, actor=actor, expected_version=expected_version, note=note, **data)


# --- inbox filters ----------------------------------------------------------------------------------


def type_filter():
    return django_filters.ChoiceFilter(
        label=gettext_lazy("纠纷类型"), choices=DisputeType.choices, field_name="dispute__dispute_type"
    )


def _risk_choices():
    try:
        return [(lv["code"], lv["label"]) for lv in risk.levels_of(risk.active_scheme())]
    except Exception:
        return [(lv["code"], lv["label"]) for lv in risk.THREE_COLOURS]


def risk_filter():
    return django_filters.ChoiceFilter(
        label=gettext_lazy("风险等级"), choices=_risk_choices, field_name="dispute__risk_level"
    )


def register_dispute_pages() -> KindPages:
    return register_kind_pages(
        KindPages(
            "dispute",
            action_forms=forms.ACTION_FORMS,
            perform=perform_dispute_action,
            panel_template="disputes/_case_panel.html",
            panel_context=dispute_panel_context,
            inbox_filters={"dispute_type": type_filter, "risk": risk_filter},
        )
    )
