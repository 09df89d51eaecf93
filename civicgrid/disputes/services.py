"""The dispute kind's services: the kind the kernel runs (`DISPUTE_KIND`, registered in
`DisputesConfig.ready`) and the writers pages, the API and the one-stop desk call.

* `do_register_dispute(...)`: registration (登记) with parties, one transaction through the kernel's
  `do_open_case`; the risk grade is computed at once.
* `do_convert_event_to_dispute(event, ...)`: an event becomes a dispute, keeping the link.
* `do_dispute_action(case, action, ...)`: every workflow step (accept, start, agree, fail, judicial
  confirmation steps, refer, close, withdraw) through the kernel's `do_apply_action`; API input
  (ids, ISO dates) is turned into objects here. The hooks are in `hooks.py`.
* Steps outside the workflow (sessions, follow-up visits, risk grading, parties) are in `steps.py`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.cases import services as kernel
from civicgrid.cases import timeline as case_timeline
from civicgrid.cases.kinds import CaseKind
from civicgrid.cases.models import Case
from civicgrid.cases.parties import clean_parties
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.scope import path_in_scope

from . import hooks
from .choices import DisputeSource, DisputeType, PartyRole
from .error_codes import DisputeErrorCode
from .models import DisputeDetails
from .workflow import ACCEPTANCE, COURT_ACCEPTANCE, COURT_DECISION, MEDIATION, WORKFLOW

KIND = "dispute"
REPORT = "disputes.report_dispute"
VIEW = "cases.view_case"
MAX_AMOUNT = Decimal("999999999999.99")
MAX_PEOPLE = 100_000

DISPUTE_KIND = CaseKind(
    KIND,
    WORKFLOW,
    label=gettext_lazy("矛盾纠纷"),
    number_prefix_fn=hooks.dispute_number_prefix,
    open_starts=(ACCEPTANCE,),
    limit_fn=hooks.dispute_limit,
    handlers=hooks.HANDLERS,
    on_open=hooks.on_open,
    clock_labels={
        ACCEPTANCE: gettext_lazy("受理时限"),
        MEDIATION: gettext_lazy("调解时限"),
        COURT_ACCEPTANCE: gettext_lazy("法院受理审查期"),
        COURT_DECISION: gettext_lazy("司法确认审查期"),
    },
    record_labels={
        "risk_changed": gettext_lazy("风险等级变更"),
        "session_held": gettext_lazy("调解"),
        "follow_up_visit": gettext_lazy("履行回访"),
        "leader_assigned": gettext_lazy("明确包案领导"),
        "converted_to_dispute": gettext_lazy("转为矛盾纠纷"),
    },
    # Mediators ask for the mediation clock's extension (township officers hold it too).
    extension_permission="disputes.mediate_dispute",
)


# --- checking input -------------------------------------------------------------------------------


def clean_amount(value) -> Decimal | None:
    """涉及金额: empty → None; a number ≥ 0 with at most two decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, float)):
        raise ServiceError(DisputeErrorCode.INVALID_AMOUNT, _("涉及金额应为数字"), field="amount")
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ServiceError(DisputeErrorCode.INVALID_AMOUNT, _("涉及金额应为数字"), field="amount") from None
    if not amount.is_finite():
        raise ServiceError(DisputeErrorCode.INVALID_AMOUNT, _("涉及金额应为数字"), field="amount")
    if amount < 0:
        raise ServiceError(DisputeErrorCode.INVALID_AMOUNT, _("涉及金额不能为负数"), field="amount")
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError(
            DisputeErrorCode.INVALID_AMOUNT, _("涉及金额最多两位小数，且不超过一万亿元"), field="amount"
        )
    return amount.quantize(Decimal("0.01"))


def clean_people_count(value) -> int:
    """涉及人数: a whole number from 1."""
    if isinstance(value, bool):
        value = None
    try:
        count = int(str(value).strip()) if value is not None else None
    except ValueError:
        count = None
    if count is None or count < 1 or count > MAX_PEOPLE:
        raise ServiceError(
            DisputeErrorCode.INVALID_PEOPLE_COUNT, _("涉及人数应为不小于 1 的整数"), field="people_count"
        )
    return count


def clean_dispute_parties(raws) -> list[dict]:
    """Parties checked by the kernel (GB 11643 / GB 32100), roles of a dispute."""
    cleaned = clean_parties(raws or ())
    for i, party in enumerate(cleaned):
        if party["role"] not in PartyRole.values:
            raise ServiceError(
                DisputeErrorCode.INVALID_PARTY_ROLE,
                _("当事人身份应为申请人、被申请人或第三人"),
                field=f"parties[{i}].role",
            )
    return cleaned


def _choice(value, choices, code: str, field: str, message) -> str:
    if value not in choices.values:
        raise ServiceError(code, message, field=field)
    return value


# --- registration ---------------------------------------------------------------------------------


def do_register_dispute(
    *,
    actor,
    title: str,
    description: str,
    area,
    grid=None,
    lon=None,
    lat=None,
    dispute_type: str,
    amount=None,
    people_count=1,
    source: str,
    parties: list[dict] | None = None,
    source_case=None,
    opened_at=None,
) -> Case:
    """登记 a dispute. Everything is checked before anything is written; one transaction writes the
    case, its details, its parties, the risk grade and the acceptance clock. The actor needs
    `disputes.report_dispute` (and the kernel's `cases.report_case`) over the place."""
    dispute_type = _choice(
        dispute_type, DisputeType, DisputeErrorCode.INVALID_TYPE, "dispute_type", _("请选择纠纷类型")
    )
    source = _choice(source, DisputeSource, DisputeErrorCode.INVALID_SOURCE, "source", _("请选择纠纷来源"))
    amount = clean_amount(amount)
    people_count = clean_people_count(people_count)
    description = (description or "").strip() if isinstance(description, str) else ""
    if not description:
        raise ServiceError(DisputeErrorCode.INVALID_TEXT, _("请填写纠纷简要情况"), field="description")
    if len(description) > 10000:
        raise ServiceError(
            DisputeErrorCode.INVALID_TEXT, _("不能超过 %(limit)s 字") % {"limit": 10000}, field="description"
        )
    cleaned = clean_dispute_parties(parties)
    if source == DisputeSource.EVENT and source_case is None:
        raise ServiceError(
            DisputeErrorCode.INVALID_SOURCE_CASE, _("事件转入的纠纷请从事件页面转换"), field="source_case"
        )
    if source_case is not None:
        source_case = hooks.visible_case(actor, source_case, field="source_case")
    if area is not None and actor is not None:
        path = grid.path if grid is not None else area.path
        if not path_in_scope(actor, REPORT, path):
            raise NotPermitted(DisputeErrorCode.INVALID_SOURCE, _("无权在该区域登记矛盾纠纷"), field="area")
    details = {
        "dispute_type": dispute_type,
        "amount": amount,
        "people_count": people_count,
        "is_group": people_count >= 5,
        "source": source,
        "source_case": source_case,
    }
    return kernel.do_open_case(
        KIND,
        actor=actor,
        title=title,
        description=description,
        area=area,
        grid=grid,
        lon=lon,
        lat=lat,
        opened_at=opened_at,
        details=details,
        parties=cleaned,
    )


def do_convert_event_to_dispute(
    event_case,
    *,
    actor,
    expected_version: int,
    dispute_type: str,
    parties: list[dict] | None = None,
    note: str = "",
    amount=None,
    people_count=1,
    reporter_role: str = "",
) -> Case:
    """事件转为矛盾纠纷. The dispute copies the event's title, description and place, links to it
    (source "事件转入") and may take the event's reporter as a party (`reporter_role`: applicant,
    respondent or third). The event keeps its own workflow (it may still need handling on the
    street; closing it is the dispatcher's decision) and gets a timeline entry pointing to the
    dispute; its version moves. One transaction: a refusal writes nothing."""
    from civicgrid.events.models import EventDetails

    note = (note or "").strip()
    parties = list(parties or ())
    with transaction.atomic():
        event = kernel.lock_case(event_case)
        if not kernel.can_act(actor, VIEW, event):
            raise kernel.not_found()
        if event.kind != "event":
            raise ServiceError(DisputeErrorCode.NOT_AN_EVENT, _("只有事件可以转为矛盾纠纷"), field="case")
        if expected_version != event.version:
            raise ServiceError(
                "conflict",
                _("事件 %(number)s 已被他人修改，请刷新后重试") % {"number": event.number},
                field="version",
                params={"current": event.version, "expected": expected_version},
            )
        if not path_in_scope(actor, REPORT, event.path):
            raise kernel.not_found()
        if DisputeDetails.objects.filter(source_case=event).exists():
            existing = DisputeDetails.objects.filter(source_case=event).select_related("case").first()
            raise ServiceError(
                DisputeErrorCode.ALREADY_CONVERTED,
                _("该事件已转为矛盾纠纷 %(number)s") % {"number": existing.case.number},
                field="case",
            )
        if reporter_role:
            if reporter_role not in PartyRole.values:
                raise ServiceError(
                    DisputeErrorCode.INVALID_PARTY_ROLE, _("请选择反映人的当事人身份"), field="reporter_role"
                )
            details = EventDetails.objects.filter(case=event).first()
            if details is None or not details.reporter_name:
                raise ServiceError(
                    DisputeErrorCode.INVALID_PARTY_ROLE, _("该事件没有登记反映人姓名"), field="reporter_role"
                )
            parties.insert(
                0, {"role": reporter_role, "name": details.reporter_name, "phone": details.reporter_phone}
            )
        dispute = do_register_dispute(
            actor=actor,
            title=event.title,
            description=event.description or event.title,
            area=event.area,
            grid=event.grid,
            lon=event.lon,
            lat=event.lat,
            dispute_type=dispute_type,
            amount=amount,
            people_count=people_count,
            source=DisputeSource.EVENT,
            parties=parties,
            source_case=event,
        )
        before, now = snapshot(event), timezone.now()
        event.version += 1
        event.save(update_fields=["version"])
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=event, before=before, after=snapshot(event)
        )
        case_timeline.record(
            event,
            actor,
            now,
            "converted_to_dispute",
            note=note,
            data={"dispute": dispute.number, "dispute_id": dispute.pk},
        )
    return dispute


# --- workflow steps -------------------------------------------------------------------------------


def do_dispute_action(case, action: str, *, actor, expected_version: int, note: str = "", **data) -> Case:
    """Any workflow action on a dispute, through the kernel (which locks, checks reach, version,
    the transition and its permission, then runs the hooks). `data` carries the action's inputs:
    accept (organisation, mediators), agree (agreement_text, applicant_confirmed,
    respondent_confirmed), apply_confirmation (court_name, applied_on), court_* (decided_on),
    refer (referral_channel, referral_to, referred_on, referral_receipt); and the kernel's urge,
    supervise {level}, escalate, request_extension {clock, amount, reason}, decide_extension
    {clock, approve}."""
    pk = getattr(case, "pk", case)
    found = Case.objects.filter(pk=pk, kind=KIND).first() if isinstance(pk, int) else None
    if found is None or not kernel.can_act(actor, VIEW, found):
        raise kernel.not_found()
    if action in KERNEL_ACTIONS:
        return _kernel_action(
            found, action, actor=actor, expected_version=expected_version, note=note, **data
        )
    return kernel.do_apply_action(
        found, action, actor=actor, expected_version=expected_version, note=note, **data
    )


# The kernel's own actions, offered for disputes too (through the API; the case page has its own).
KERNEL_ACTIONS = ("urge", "supervise", "escalate", "request_extension", "decide_extension")


def _amount(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ServiceError("invalid_amount", _("延期数应为整数"), field="amount") from None


def _kernel_action(case, action: str, *, actor, expected_version: int, note: str, **data) -> Case:
    common = {"actor": actor, "expected_version": expected_version}
    if action == "urge":
        return kernel.do_urge(case, note=note, **common)
    if action == "supervise":
        return kernel.do_supervise(case, data.get("level") or "", note=note, **common)
    if action == "escalate":
        return kernel.do_escalate(case, note=note, **common)
    clock = data.get("clock") or "mediation"
    if action == "request_extension":
        return kernel.do_request_extension(
            case, clock, _amount(data.get("amount")), reason=data.get("reason") or note, **common
        )
    return kernel.do_decide_extension(case, clock, approve=bool(data.get("approve")), note=note, **common)
