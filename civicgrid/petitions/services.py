"""The petition kind's services: registration (`do_register_petition`, also called by the one-stop
desk), the workflow hooks the kernel runs (`PETITION_KIND`, registered in `PetitionsConfig.ready`)
and `do_petition_action`, the writer pages and the API call for every workflow step.

Everything goes through the kernel (docs/case-kernel.md): `do_open_case` numbers the case, starts
the transfer clock at the time the petition was received and runs `on_open` (details, parties)
inside its transaction; `do_apply_action` locks, checks reach, version, transition and permission,
runs the hooks below and the clocks the table names, and writes timeline and audit.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Unit
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.calendars.store import get_calendar
from civicgrid.cases import clocks
from civicgrid.cases import services as kernel
from civicgrid.cases.choices import LEVEL_ORDER, AssignmentRole, HandlingLevel
from civicgrid.cases.error_codes import CaseErrorCode
from civicgrid.cases.kinds import ActionContext, CaseKind
from civicgrid.cases.models import CONFIDENTIAL_PERMISSION, Assignment, Case
from civicgrid.cases.parties import add_parties, clean_parties, lock_people
from civicgrid.core.deadlines import LOCAL_TZ, Clock, Due
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.scope import path_in_scope

from .choices import Channel, Opinion, PartyRole, PetitionClass, ReviewOutcome, TransferMode
from .error_codes import PetitionErrorCode
from .models import PetitionDetails
from .repeats import check_acceptable, same_matter
from .workflow import CLOCK_LABELS, LIMITS, OBJECTION_WINDOW, REQUEST_WINDOW, WORKFLOW, PetitionStatus

REGISTER = "petitions.register_petition"
KERNEL_ACTIONS = ("urge", "supervise", "escalate", "request_extension", "decide_extension")
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
CODE_LENGTH = 8
MAX_PEOPLE = 100_000


# --- helpers --------------------------------------------------------------------------------------


def details_of(case: Case, *, lock: bool = False) -> PetitionDetails:
    qs = PetitionDetails.objects.all()
    if lock:
        qs = qs.select_for_update()
    try:
        return qs.get(case_id=case.pk)
    except PetitionDetails.DoesNotExist:
        raise ServiceError(PetitionErrorCode.NOT_A_PETITION, _("该案件不是信访事项"), field="case") from None


def _save_details(details: PetitionDetails, before: dict, actor) -> None:
    after = snapshot(details)
    changed = [k for k in after if after.get(k) != before.get(k)]
    if changed:
        details.save(update_fields=[k.removesuffix("_id") if k.endswith("_id") else k for k in changed])
        record_change(actor=actor, action=ChangeAction.UPDATE, instance=details, before=before, after=after)


def _choice(value, choices, field: str, missing: str) -> str:
    value = (value or "").strip() if isinstance(value, str) else value
    if not value:
        raise ServiceError(PetitionErrorCode.REQUIRED, missing, field=field)
    if value not in choices.values:
        raise ServiceError(
            PetitionErrorCode.INVALID_CHOICE,
            _("“%(value)s”不是有效的选项，应为 %(choices)s 之一")
            % {"value": value, "choices": "、".join(str(label) for label in choices.labels)},
            field=field,
        )
    return value


def _people(value) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PEOPLE:
        raise ServiceError(
            PetitionErrorCode.INVALID,
            _("信访人数应为 1 至 %(max)s 之间的整数") % {"max": MAX_PEOPLE},
            field="people_count",
        )
    return value


def _past_time(value, field: str, now: dt.datetime, *, label) -> dt.datetime:
    if value is None or value == "":
        return now
    if isinstance(value, str):
        try:  # "2026-03-02T10:00+08:00", or a day "2026-03-02" (read as 09:00 that day)
            parsed = parse_datetime(value.strip()) or parse_date(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise ServiceError(
                PetitionErrorCode.INVALID, _("%(label)s格式不正确") % {"label": label}, field=field
            )
        value = parsed
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
        value = dt.datetime.combine(day, dt.time(9, 0), tzinfo=LOCAL_TZ)
        if day == now.astimezone(LOCAL_TZ).date():
            value = min(value, now)  # today, before nine
    if not isinstance(value, dt.datetime):
        raise ServiceError(
            PetitionErrorCode.INVALID, _("%(label)s格式不正确") % {"label": label}, field=field
        )
    if timezone.is_naive(value):
        value = value.replace(tzinfo=LOCAL_TZ)
    if value > now + dt.timedelta(minutes=5):
        raise ServiceError(
            PetitionErrorCode.INVALID, _("%(label)s不能晚于现在") % {"label": label}, field=field
        )
    return min(value, now)


def _unit(value, field: str) -> Unit:
    if isinstance(value, Unit):
        unit = value
    else:
        try:
            unit = Unit.objects.get(pk=int(value))
        except (TypeError, ValueError, Unit.DoesNotExist):
            raise ServiceError(PetitionErrorCode.REQUIRED, _("请选择承办机关"), field=field) from None
    if not unit.is_active:
        raise ServiceError(
            CaseErrorCode.INACTIVE_UNIT, _("单位“%(unit)s”已停用") % {"unit": unit.name}, field=field
        )
    return unit


def _accused_unit(party: dict, index: int) -> int | None:
    """The id of the unit an accused party is linked to (`data.unit`), checked; None if none."""
    unit = (party.get("data") or {}).get("unit")
    if party["role"] != PartyRole.ACCUSED or unit in (None, ""):
        return None
    try:
        return Unit.objects.only("pk").get(pk=int(unit)).pk
    except (TypeError, ValueError, Unit.DoesNotExist):
        raise ServiceError(
            PetitionErrorCode.INVALID, _("被反映人所在单位不存在"), field=f"parties[{index}].data.unit"
        ) from None


def _check_parties(raws) -> list[dict]:
    if raws is None or not isinstance(raws, list | tuple):
        raise ServiceError(PetitionErrorCode.REQUIRED, _("请填写信访人"), field="parties")
    cleaned = clean_parties(raws)
    for i, party in enumerate(cleaned):
        if party["role"] not in PartyRole.values:
            raise ServiceError(
                PetitionErrorCode.INVALID_CHOICE,
                _("身份应为“信访人”或“被反映人”"),
                field=f"parties[{i}].role",
            )
    if not any(p["role"] == PartyRole.PETITIONER for p in cleaned):
        raise ServiceError(PetitionErrorCode.REQUIRED, _("请至少填写一名信访人"), field="parties")
    for i, party in enumerate(cleaned):
        unit = _accused_unit(party, i)
        if unit is not None:
            party["data"] = {**party["data"], "unit": unit}
    return cleaned


def new_query_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _registering_level(actor, area, level) -> tuple[str, str]:
    """(handling level, the registering office's subtree path). Default: the actor's own area when
    it contains the petition's place (a county office registering a village matter registers it at
    county level), else the petition's area."""
    office = getattr(actor, "area", None) if actor is not None else None
    if office is None or not area.path.startswith(office.path):
        office = area
    if level in (None, ""):
        level = office.level if office.level in HandlingLevel.values else HandlingLevel.VILLAGE
    if level not in HandlingLevel.values:
        raise ServiceError(PetitionErrorCode.INVALID_CHOICE, _("登记层级不正确"), field="level")
    return level, office.path


# --- registration ---------------------------------------------------------------------------------


def do_register_petition(
    *,
    actor,
    title,
    description,
    area,
    grid=None,
    channel,
    petition_class,
    parties: list[dict],
    people_count=1,
    received_at=None,
    related_case=None,
    level: str | None = None,
) -> Case:
    """登记 a petition: check everything, refuse the matters the statute refuses (Art.19 in progress
    below, Art.36 after 复核) naming the earlier case, count repeats, open the case (a 检举控告 is
    confidential) with its details and parties, and start the 15-day transfer clock at the time it
    was received. Returns the case; `case.query_code` carries the petitioner's query code (shown
    once; only its hash is kept)."""
    now = timezone.now()
    channel = _choice(channel, Channel, "channel", _("请选择信访形式"))
    petition_class = _choice(petition_class, PetitionClass, "petition_class", _("请选择信访类别"))
    people_count = _people(people_count)
    cleaned = _check_parties(parties)
    received = _past_time(received_at, "received_at", now, label=_("收到时间"))
    if area is None:
        raise ServiceError(PetitionErrorCode.REQUIRED, _("请选择信访事项发生地"), field="area")
    path = grid.path if grid is not None else area.path
    if actor is not None and not path_in_scope(actor, REGISTER, path):
        raise NotPermitted(CaseErrorCode.NOT_FOUND, _("无权在该区域登记信访事项"), field="area")
    handling_level, office_path = _registering_level(actor, area, level)
    if related_case not in (None, ""):
        pk = related_case.pk if isinstance(related_case, Case) else related_case
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise ServiceError(
                PetitionErrorCode.INVALID, _("关联的信访事项不存在"), field="related_case"
            ) from None
        related_case = (
            Case.objects.restrict(actor, "cases.view_case").filter(kind="petition", pk=pk).first()
            if actor is not None
            else Case.objects.filter(kind="petition", pk=pk).first()
        )
        if related_case is None:
            raise ServiceError(PetitionErrorCode.INVALID, _("关联的信访事项不存在"), field="related_case")
    else:
        related_case = None
    petitioners = sum(1 for p in cleaned if p["role"] == PartyRole.PETITIONER)
    code = new_query_code()
    with transaction.atomic():
        lock_people(cleaned)  # another office registering the same person's matter waits here
        matter = same_matter(
            parties=cleaned, title=title or "", description=description or "", related_case=related_case
        )
        check_acceptable(matter, actor=actor, level=handling_level, office_path=office_path, now=now)
        first = matter.first
        if first is not None and getattr(first, "petition", None) is not None and first.petition.repeat_of_id:
            first = first.petition.repeat_of
        details = {
            "channel": channel,
            "petition_class": petition_class,
            "people_count": max(people_count, petitioners),
            "received_at": received,
            "registering_unit": getattr(actor, "unit", None) if actor is not None else None,
            "related_case": related_case,
            "repeat_of": first,
            "repeat_count": len(matter.cases),
            "code_hash": make_password(code),
        }
        case = kernel.do_open_case(
            "petition",
            actor=actor,
            title=title,
            description=(description or "").strip(),
            area=area,
            grid=grid,
            handling_level=handling_level,
            opened_at=received,
            confidential=petition_class == PetitionClass.ACCUSATION,
            details=details,
            parties=cleaned,
        )
    case.query_code = code
    return case


# --- hooks the kernel runs ------------------------------------------------------------------------


def petition_limit(case: Case, clock: str):
    return LIMITS.get(clock)


def on_open(ctx: ActionContext) -> None:
    details = PetitionDetails(case=ctx.case, **ctx.data["details"])
    details.save(force_insert=True)
    record_change(
        actor=ctx.actor, action=ChangeAction.CREATE, instance=details, before=None, after=snapshot(details)
    )
    add_parties(ctx.case, ctx.data.get("parties") or [], actor=ctx.actor, now=ctx.now)
    ctx.timeline_data.update(
        {
            "channel": details.channel,
            "petition_class": details.petition_class,
            "people_count": details.people_count,
            "collective": details.collective,
            "repeat_count": details.repeat_count,
        }
    )


def _lead(ctx: ActionContext) -> Assignment | None:
    """The acting unit's live lead assignment; for the system (actor None) the live lead one."""
    if ctx.actor is None:
        return Assignment.objects.filter(
            case=ctx.case, role=AssignmentRole.LEAD, status__in=("pending", "accepted")
        ).first()
    assignment = kernel.unit_assignment(ctx.case, getattr(ctx.actor, "unit_id", None))
    if assignment.role != AssignmentRole.LEAD:
        raise ServiceError(CaseErrorCode.NO_ASSIGNMENT, _("只有承办机关可以执行此操作"), field="unit")
    return assignment


def on_transfer(ctx: ActionContext) -> None:
    unit = _unit(ctx.data.get("unit"), "unit")
    mode = _choice(ctx.data.get("mode") or TransferMode.TRANSFER, TransferMode, "mode", _("请选择转交方式"))
    case = ctx.case
    if case.confidential:
        accused = {(p.data or {}).get("unit") for p in case.parties.filter(role=PartyRole.ACCUSED)} - {None}
        if unit.pk in accused:
            raise ServiceError(
                PetitionErrorCode.ACCUSED_UNIT,
                _("检举控告材料不得转送被检举控告人所在单位（《信访工作条例》第三十条）"),
                field="unit",
            )
        if not _sees_confidential(unit, case):
            raise ServiceError(
                PetitionErrorCode.NOT_DISCIPLINE_UNIT,
                _("检举控告类信访事项只能转交有权查看的纪检监察机关办理"),
                field="unit",
            )
    kernel.assign_units(case, unit, (), actor=ctx.actor, now=ctx.now, note=ctx.note)
    details = details_of(case, lock=True)
    before = snapshot(details)
    details.organ, details.transfer_mode, details.transferred_at = unit, mode, ctx.now
    details.accepted, details.acceptance_at, details.acceptance_reason = None, None, ""
    _save_details(details, before, ctx.actor)
    ctx.timeline_data.update({"unit": unit.pk, "unit_name": unit.name, "mode": mode})


def _sees_confidential(unit: Unit, case: Case) -> bool:
    """Whether some active member of `unit` may see the confidential `case`."""
    members = unit.members.filter(is_active=True)
    return any(path_in_scope(user, CONFIDENTIAL_PERMISSION, case.path) for user in members)


def on_accept(ctx: ActionContext) -> None:
    if ctx.actor is not None:
        kernel.accept_assignment(ctx.case, ctx.actor.unit_id, now=ctx.now)
        _check_lead_unit(ctx)
    details = details_of(ctx.case, lock=True)
    before = snapshot(details)
    details.accepted, details.acceptance_at = True, ctx.now
    _save_details(details, before, ctx.actor)


def _check_lead_unit(ctx: ActionContext) -> None:
    if ctx.case.lead_unit_id is not None and ctx.actor.unit_id != ctx.case.lead_unit_id:
        raise ServiceError(CaseErrorCode.NO_ASSIGNMENT, _("只有承办机关可以执行此操作"), field="unit")


def _decline(ctx: ActionContext) -> None:
    if ctx.action == "decline":
        _lead(ctx)
    kernel.finish_assignments(ctx.case, now=ctx.now)
    details = details_of(ctx.case, lock=True)
    before = snapshot(details)
    details.accepted, details.acceptance_at, details.acceptance_reason = False, ctx.now, ctx.note
    _save_details(details, before, ctx.actor)


def objection_due(details: PetitionDetails) -> Due | None:
    """When the organ's objection window (5 working days from the transfer, Art.23) ends."""
    if details.transferred_at is None:
        return None
    return Clock.open(details.transferred_at, OBJECTION_WINDOW).due(get_calendar())


def on_object(ctx: ActionContext) -> None:
    _lead(ctx)  # only the organ it went to objects (before the window tells anything)
    window = objection_due(details_of(ctx.case))
    if window is None or ctx.now >= window.due_at:
        due = window.due_date.isoformat() if window is not None else ""
        raise ServiceError(
            PetitionErrorCode.OBJECTION_LATE,
            _(
                "异议须在收到转送交办后 5 个工作日内提出（《信访工作条例》第二十三条）%(due)s，"
                "已超过期限，不能再提出异议，请受理或告知不予受理"
            )
            % {"due": _("，期限截至 %(date)s") % {"date": due} if due else ""},
            field="action",
        )
    if ctx.actor is not None:
        kernel.object_assignment(ctx.case, ctx.actor.unit_id, ctx.note, now=ctx.now)
    ctx.case.lead_unit = None
    details = details_of(ctx.case, lock=True)
    before = snapshot(details)
    ctx.timeline_data.update({"unit": details.organ_id})
    details.organ = None
    _save_details(details, before, ctx.actor)


def on_issue_opinion(ctx: ActionContext) -> None:
    opinion = _choice(ctx.data.get("opinion"), Opinion, "opinion", _("请选择处理意见"))
    _lead(ctx)
    kernel.finish_assignments(ctx.case, now=ctx.now)
    details = details_of(ctx.case, lock=True)
    before = snapshot(details)
    details.opinion, details.opinion_text, details.opinion_at = opinion, ctx.note, ctx.now
    _save_details(details, before, ctx.actor)
    ctx.timeline_data["opinion"] = opinion


def request_window_due(since: dt.datetime) -> dt.datetime:
    """The end (exclusive) of the petitioner's 30-day window that opened at `since`."""
    return Clock.open(since, REQUEST_WINDOW).due(get_calendar()).due_at


def _request(ctx: ActionContext, *, since_field: str, at_field: str, clock: str, what) -> None:
    details = details_of(ctx.case, lock=True)
    since = getattr(details, since_field)
    requested = _past_time(ctx.data.get("requested_at"), "requested_at", ctx.now, label=_("申请时间"))
    if since is not None and requested < since:
        raise ServiceError(PetitionErrorCode.INVALID, _("申请时间不能早于意见送达时间"), field="requested_at")
    due = request_window_due(since or ctx.now)
    if requested >= due:
        last_day = (due - dt.timedelta(days=1)).astimezone(LOCAL_TZ).date()
        raise ServiceError(
            PetitionErrorCode.REQUEST_LATE,
            _(
                "%(what)s应自收到意见之日起 30 日内提出（期限截至 %(date)s），"
                "本次申请于 %(requested)s 提出，已超过期限，不予受理"
            )
            % {
                "what": what,
                "date": last_day.isoformat(),
                "requested": requested.astimezone(LOCAL_TZ).date().isoformat(),
            },
            field="requested_at",
        )
    before = snapshot(details)
    setattr(details, at_field, requested)
    _save_details(details, before, ctx.actor)
    # The decision limit counts from the day the request was received (it may be entered later).
    clocks.start_clock(ctx.case, clock, LIMITS[clock], at=requested)
    ctx.timeline_data["requested_at"] = requested.isoformat()


def on_request_review(ctx: ActionContext) -> None:
    _request(
        ctx, since_field="opinion_at", at_field="review_requested_at", clock="review", what=_("复查申请")
    )


def on_request_recheck(ctx: ActionContext) -> None:
    _request(
        ctx, since_field="reviewed_at", at_field="recheck_requested_at", clock="recheck", what=_("复核申请")
    )


def _decide(ctx: ActionContext, prefix: str) -> None:
    outcome = _choice(ctx.data.get("outcome"), ReviewOutcome, "outcome", _("请选择结论"))
    details = details_of(ctx.case, lock=True)
    before = snapshot(details)
    setattr(details, f"{prefix}_outcome", outcome)
    setattr(details, f"{prefix}_text", ctx.note)
    setattr(details, f"{prefix}ed_at", ctx.now)
    _save_details(details, before, ctx.actor)
    ctx.timeline_data["outcome"] = outcome


def on_decide_review(ctx: ActionContext) -> None:
    _decide(ctx, "review")


def on_decide_recheck(ctx: ActionContext) -> None:
    _decide(ctx, "recheck")


def _prefix(case: Case) -> str:
    return f"XF{case.opened_at.astimezone(LOCAL_TZ).year}{case.area.code[:6]}"


# The kind's own timeline steps (cases.timeline.record), named on the case page.
RECORD_LABELS = {
    "document_generated": gettext_lazy("生成文书"),
    "petitioner_rated": gettext_lazy("信访人评价"),
}
PETITION_KIND = CaseKind(
    "petition",
    WORKFLOW,
    label=_("信访事项"),
    number_prefix_fn=_prefix,
    open_starts=("transfer",),
    limit_fn=petition_limit,
    on_open=on_open,
    handlers={
        "transfer": on_transfer,
        "office_decline": _decline,
        "accept": on_accept,
        "decline": _decline,
        "object": on_object,
        "issue_opinion": on_issue_opinion,
        "request_review": on_request_review,
        "decide_review": on_decide_review,
        "request_recheck": on_request_recheck,
        "decide_recheck": on_decide_recheck,
    },
    clock_labels=CLOCK_LABELS,
    record_labels=RECORD_LABELS,
)


# --- the writer pages and the API call ------------------------------------------------------------


def do_petition_action(
    case: Case | int, action: str, *, actor, expected_version: int, note: str = "", **data
) -> Case:
    """One workflow step, or one of the kernel's own actions (urge, supervise, escalate, extensions),
    on a petition. Payload ids (unit) become objects in the hooks; the kernel checks the rest."""
    if action == "urge":
        return kernel.do_urge(case, actor=actor, expected_version=expected_version, note=note)
    if action == "supervise":
        return kernel.do_supervise(
            case, data.get("level"), actor=actor, expected_version=expected_version, note=note
        )
    if action == "escalate":
        return kernel.do_escalate(case, actor=actor, expected_version=expected_version, note=note)
    if action == "request_extension":
        return kernel.do_request_extension(
            case,
            data.get("clock") or "handling",
            data.get("amount"),
            actor=actor,
            expected_version=expected_version,
            reason=note or data.get("reason", ""),
        )
    if action == "decide_extension":
        return kernel.do_decide_extension(
            case,
            data.get("clock") or "handling",
            approve=bool(data.get("approve")),
            actor=actor,
            expected_version=expected_version,
            note=note,
        )
    return kernel.do_apply_action(
        case, action, actor=actor, expected_version=expected_version, note=note, **data
    )


def level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else -1


__all__ = ["PETITION_KIND", "PetitionStatus", "do_petition_action", "do_register_petition"]
