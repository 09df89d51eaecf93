"""The hooks the kernel runs for the dispute workflow (registered in `services.DISPUTE_KIND`).

They run inside `cases.services.do_apply_action`'s transaction with the case locked: they set
fields on the dispute's details (saved and audited here), write their own rows and refuse with a
ServiceError naming the field (everything rolls back).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.calendars.store import get_calendar
from civicgrid.cases import services as kernel
from civicgrid.cases.kinds import ActionContext
from civicgrid.cases.models import Case
from civicgrid.cases.parties import add_parties
from civicgrid.core.deadlines import LOCAL_TZ, Clock, Limit
from civicgrid.core.deadlines import Unit as TimeUnit
from civicgrid.core.errors import ServiceError
from civicgrid.core.prepared import insert_row

from . import risk
from .choices import CourtResult, PartyRole, ReferralChannel
from .error_codes import DisputeErrorCode
from .models import DisputeDetails, FollowUpVisit, MediationOrganisation
from .workflow import ACCEPTANCE, COURT_ACCEPTANCE, COURT_DECISION, MEDIATION, WORKFLOW

# Limits. 人民调解: 《人民调解工作若干规定》(司法部 2002) Art. 34 — a committee settles a dispute "一般在
# 一个月内"; acceptance is prompt in practice (3 days here). Both are settings so a city can follow its
# own rules: CIVICGRID_DISPUTE_ACCEPTANCE_DAYS, CIVICGRID_DISPUTE_MEDIATION_DAYS,
# CIVICGRID_DISPUTE_MEDIATION_MAX_EXTENSION (calendar days).
# 司法确认 (最高法《关于人民调解协议司法确认程序的若干规定》2011): the parties apply together within 30 days
# of the agreement taking effect (Art. 2); the court decides whether to accept within 3 days (Art. 3)
# and decides within 15 days of accepting, extendable by 10 (Art. 6). 民事诉讼法 Art. 205 (2023) keeps 30
# days. Calendar days, counted per 民法典 Arts. 200–204 (core.deadlines).
CONFIRMATION_APPLICATION_DAYS = 30
COURT_ACCEPTANCE_LIMIT = Limit(3, TimeUnit.CALENDAR_DAYS)
COURT_DECISION_LIMIT = Limit(15, TimeUnit.CALENDAR_DAYS, 10)


def _setting(name: str, default: int) -> int:
    try:
        return max(int(getattr(settings, name, default)), 1 if not name.endswith("EXTENSION") else 0)
    except (TypeError, ValueError):
        return default


def dispute_limit(case: Case, clock: str) -> Limit | None:
    if clock == ACCEPTANCE:
        return Limit(_setting("CIVICGRID_DISPUTE_ACCEPTANCE_DAYS", 3), TimeUnit.CALENDAR_DAYS)
    if clock == MEDIATION:
        return Limit(
            _setting("CIVICGRID_DISPUTE_MEDIATION_DAYS", 30),
            TimeUnit.CALENDAR_DAYS,
            _setting("CIVICGRID_DISPUTE_MEDIATION_MAX_EXTENSION", 30),
        )
    if clock == COURT_ACCEPTANCE:
        return COURT_ACCEPTANCE_LIMIT
    if clock == COURT_DECISION:
        return COURT_DECISION_LIMIT
    return None


def dispute_number_prefix(case: Case) -> str:
    """TJ-2026-338001-000123: 调 + year (Asia/Shanghai) + county code; unique beside events' numbers."""
    return f"TJ-{case.opened_at.astimezone(LOCAL_TZ).year}-{case.area.code[:6]}-"


def application_deadline(agreed_at: dt.datetime) -> dt.date:
    """The last day on which the parties may apply for judicial confirmation: 30 days from the
    agreement, counted per 民法典 (the day of the agreement not counted; a last day that is a rest day
    moves to the next workday)."""
    clock = Clock.open(agreed_at, Limit(CONFIRMATION_APPLICATION_DAYS, TimeUnit.CALENDAR_DAYS))
    return clock.due(get_calendar()).due_date


# --- helpers --------------------------------------------------------------------------------------


def details_of(case: Case, *, lock: bool = False) -> DisputeDetails:
    qs = DisputeDetails.objects.select_for_update() if lock else DisputeDetails.objects
    try:
        return qs.get(case=case)
    except DisputeDetails.DoesNotExist:
        raise ServiceError(DisputeErrorCode.NOT_A_DISPUTE, _("该案件不是矛盾纠纷"), field="case") from None


def save_details(details: DisputeDetails, before: dict, actor) -> None:
    after = snapshot(details)
    changed = [k for k in after if after.get(k) != before.get(k)]
    m2m = {f.name for f in DisputeDetails._meta.many_to_many}
    columns = [k.removesuffix("_id") for k in changed if k not in m2m]
    if changed:
        if columns:
            details.save(update_fields=columns)
        record_change(actor=actor, action=ChangeAction.UPDATE, instance=details, before=before, after=after)


def require_mediator(case: Case, details: DisputeDetails, actor) -> None:
    """Mediation steps are taken by the dispute's own mediators (the area grant alone is not enough:
    a mediator of another committee in the township must not record this dispute's sessions)."""
    if actor is None:
        return
    if not details.mediators.filter(pk=actor.pk).exists():
        raise ServiceError(
            DisputeErrorCode.NOT_A_MEDIATOR, _("只有本纠纷指派的调解员可以执行此操作"), field="mediators"
        )


def _text(data: dict, key: str, *, limit: int, required: bool, message: str) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ServiceError(DisputeErrorCode.INVALID_TEXT, _("应为文字"), field=key)
    value = value.strip()
    if required and not value:
        raise ServiceError(DisputeErrorCode.INVALID_TEXT, message, field=key)
    if len(value) > limit:
        raise ServiceError(
            DisputeErrorCode.INVALID_TEXT, _("不能超过 %(limit)s 字") % {"limit": limit}, field=key
        )
    return value


def clean_date(value, field: str, *, required: bool = True, default: dt.date | None = None) -> dt.date | None:
    if value in (None, ""):
        if required and default is None:
            raise ServiceError(DisputeErrorCode.INVALID_DATE, _("请填写日期"), field=field)
        return default
    if isinstance(value, dt.datetime):
        return value.astimezone(LOCAL_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ServiceError(DisputeErrorCode.INVALID_DATE, _("日期格式应为 YYYY-MM-DD"), field=field) from None


def today() -> dt.date:
    return timezone.now().astimezone(LOCAL_TZ).date()


def _not_future(day: dt.date, field: str) -> dt.date:
    if day > today():
        raise ServiceError(DisputeErrorCode.INVALID_DATE, _("日期不能晚于今天"), field=field)
    return day


def _truthy(value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("1", "true", "on", "yes"))


# --- hooks ----------------------------------------------------------------------------------------


def on_open(ctx: ActionContext) -> None:
    details = DisputeDetails(case=ctx.case, **ctx.data["details"])
    insert_row(details)
    record_change(
        actor=ctx.actor, action=ChangeAction.CREATE, instance=details, before=None, after=snapshot(details)
    )
    add_parties(ctx.case, ctx.data.get("parties") or (), actor=ctx.actor, now=ctx.now)
    before = snapshot(details)
    risk.regrade(ctx.case, details, actor=ctx.actor, now=ctx.now)
    save_details(details, before, ctx.actor)
    ctx.timeline_data.update(
        {"dispute_type": details.dispute_type, "source": details.source, "risk_level": details.risk_level}
    )
    if details.source_case_id:
        ctx.timeline_data["source_case"] = details.source_case.number


def _organisation(value) -> MediationOrganisation | None:
    if value in (None, ""):
        return None
    if isinstance(value, MediationOrganisation):
        return value
    try:
        return MediationOrganisation.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


def on_accept(ctx: ActionContext, details: DisputeDetails) -> None:
    organisation = _organisation(ctx.data.get("organisation"))
    if organisation is None or not organisation.is_active:
        raise ServiceError(DisputeErrorCode.ORGANISATION_REQUIRED, _("请选择调解组织"), field="organisation")
    if not ctx.case.path.startswith(organisation.area.path):
        raise ServiceError(
            DisputeErrorCode.ORGANISATION_REQUIRED,
            _("调解组织“%(name)s”不负责纠纷所在地") % {"name": organisation.name},
            field="organisation",
        )
    wanted = []
    for value in ctx.data.get("mediators") or ():
        try:
            wanted.append(int(getattr(value, "pk", value)))
        except (TypeError, ValueError):
            raise ServiceError(
                DisputeErrorCode.MEDIATOR_REQUIRED, _("调解员不正确"), field="mediators"
            ) from None
    members = list(organisation.mediators.filter(pk__in=wanted, is_active=True))
    if not wanted:
        raise ServiceError(DisputeErrorCode.MEDIATOR_REQUIRED, _("请至少指派一名调解员"), field="mediators")
    if len(members) != len(set(wanted)):
        raise ServiceError(
            DisputeErrorCode.MEDIATOR_REQUIRED, _("调解员须为所选调解组织的成员"), field="mediators"
        )
    details.organisation = organisation
    details.mediators.set(members)
    ctx.timeline_data.update({"organisation": organisation.name, "mediators": [m.pk for m in members]})


def on_start(ctx: ActionContext, details: DisputeDetails) -> None:
    require_mediator(ctx.case, details, ctx.actor)
    roles = set(ctx.case.parties.values_list("role", flat=True))
    if PartyRole.APPLICANT not in roles or PartyRole.RESPONDENT not in roles:
        raise ServiceError(
            DisputeErrorCode.PARTIES_REQUIRED,
            _("开始调解前须登记至少一名申请人和一名被申请人"),
            field="parties",
        )


def on_agree(ctx: ActionContext, details: DisputeDetails) -> None:
    require_mediator(ctx.case, details, ctx.actor)
    text = _text(
        {"agreement_text": ctx.data.get("agreement_text") or ctx.note},
        "agreement_text",
        limit=20000,
        required=True,
        message=_("请填写协议内容"),
    )
    for key, label in (("applicant_confirmed", _("申请人")), ("respondent_confirmed", _("被申请人"))):
        if not _truthy(ctx.data.get(key)):
            raise ServiceError(
                DisputeErrorCode.CONFIRMATION_REQUIRED,
                _("%(side)s尚未确认协议内容，不能形成调解协议") % {"side": label},
                field=key,
            )
    details.agreement_text = text
    details.applicant_confirmed = details.respondent_confirmed = True
    details.agreed_at = ctx.now
    details.agreement_number = f"（{ctx.now.astimezone(LOCAL_TZ).year}）调字第 {ctx.case.number} 号"


def on_fail(ctx: ActionContext, details: DisputeDetails) -> None:
    require_mediator(ctx.case, details, ctx.actor)
    details.failure_reason = ctx.note
    details.failed_at = ctx.now


def on_apply_confirmation(ctx: ActionContext, details: DisputeDetails) -> None:
    require_mediator(ctx.case, details, ctx.actor)
    court = _text(ctx.data, "court_name", limit=100, required=True, message=_("请填写受理法院"))
    applied = _not_future(clean_date(ctx.data.get("applied_on"), "applied_on", default=today()), "applied_on")
    agreed_day = details.agreed_at.astimezone(LOCAL_TZ).date()
    last = application_deadline(details.agreed_at)
    if applied < agreed_day:
        raise ServiceError(
            DisputeErrorCode.INVALID_DATE, _("申请日期不能早于达成协议的日期"), field="applied_on"
        )
    if applied > last:
        raise ServiceError(
            DisputeErrorCode.APPLICATION_TOO_LATE,
            _("司法确认须自调解协议生效之日起 30 日内申请（最后一日为 %(last)s），已逾期")
            % {"last": last.isoformat()},
            field="applied_on",
        )
    details.court_name, details.confirmation_applied_on = court, applied
    details.court_result, details.court_accepted_on, details.court_decided_on = "", None, None
    ctx.timeline_data.update(
        {"court": court, "applied_on": applied.isoformat(), "last_day": last.isoformat()}
    )


def on_court_accept(ctx: ActionContext, details: DisputeDetails) -> None:
    require_mediator(ctx.case, details, ctx.actor)
    day = _not_future(clean_date(ctx.data.get("decided_on"), "decided_on", default=today()), "decided_on")
    details.court_accepted_on = day
    ctx.timeline_data["court_accepted_on"] = day.isoformat()


def _court_decision(ctx: ActionContext, details: DisputeDetails, result: str) -> None:
    require_mediator(ctx.case, details, ctx.actor)
    day = _not_future(clean_date(ctx.data.get("decided_on"), "decided_on", default=today()), "decided_on")
    details.court_result, details.court_decided_on = result, day
    ctx.timeline_data.update({"court_result": result, "decided_on": day.isoformat()})
    if result == CourtResult.REJECTED:
        details.failure_reason, details.failed_at = ctx.note, ctx.now


def on_refer(ctx: ActionContext, details: DisputeDetails) -> None:
    require_mediator(ctx.case, details, ctx.actor)
    channel = ctx.data.get("referral_channel")
    if channel not in ReferralChannel.values:
        raise ServiceError(DisputeErrorCode.REFERRAL_REQUIRED, _("请选择分流去向"), field="referral_channel")
    to = _text(ctx.data, "referral_to", limit=100, required=True, message=_("请填写接收单位"))
    receipt = _text(
        ctx.data,
        "referral_receipt",
        limit=200,
        required=True,
        message=_("请填写接收回执（签收人或回执编号）"),
    )
    day = _not_future(clean_date(ctx.data.get("referred_on"), "referred_on", default=today()), "referred_on")
    details.referral_channel, details.referral_to, details.referral_receipt = channel, to, receipt
    details.referred_on = day
    ctx.timeline_data.update({"channel": channel, "to": to, "referred_on": day.isoformat()})


def on_close(ctx: ActionContext, details: DisputeDetails) -> None:
    if ctx.previous_status == "fulfilling" and not FollowUpVisit.objects.filter(case=ctx.case).exists():
        raise ServiceError(DisputeErrorCode.VISIT_REQUIRED, _("结案前须至少进行一次履行回访"), field="visits")


SPECIFIC = {
    "accept": on_accept,
    "start": on_start,
    "agree": on_agree,
    "fail": on_fail,
    "apply_confirmation": on_apply_confirmation,
    "court_accept": on_court_accept,
    "court_decline": lambda ctx, d: _court_decision(ctx, d, CourtResult.DECLINED),
    "court_confirm": lambda ctx, d: _court_decision(ctx, d, CourtResult.CONFIRMED),
    "court_reject": lambda ctx, d: _court_decision(ctx, d, CourtResult.REJECTED),
    "fulfil": lambda ctx, d: require_mediator(ctx.case, d, ctx.actor),
    "refer": on_refer,
    "close": on_close,
}
# Steps allowed on a red dispute that has no leader in charge yet (ending it is never blocked).
WITHOUT_LEADER = ("not_accept", "withdraw")


def _handler(action: str):
    specific = SPECIFIC.get(action)

    def handle(ctx: ActionContext) -> None:
        details = details_of(ctx.case, lock=True)
        before = snapshot(details)
        if (
            risk.is_red(details)
            and details.leader_id is None
            and ctx.actor is not None
            and action not in WITHOUT_LEADER
        ):
            raise ServiceError(
                DisputeErrorCode.LEADER_REQUIRED,
                _("红色风险纠纷须先明确包案领导"),
                field="leader",
            )
        if specific is not None:
            specific(ctx, details)
        if not WORKFLOW.is_closed(ctx.case.status):  # an ended dispute keeps its last grade
            risk.regrade(ctx.case, details, actor=ctx.actor, now=ctx.now)
        save_details(details, before, ctx.actor)

    return handle


HANDLERS = {action: _handler(action) for action in WORKFLOW.actions}


def amount_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def visible_case(actor, value, *, field: str) -> Case:
    """A case the actor may view, given as a Case or id; otherwise the field's error."""
    pk = getattr(value, "pk", value)
    case = Case.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if case is None or not kernel.can_act(actor, "cases.view_case", case):
        raise ServiceError(DisputeErrorCode.INVALID_SOURCE_CASE, _("来源案件不存在或无权访问"), field=field)
    return case
