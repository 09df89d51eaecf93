"""The event kind's services: the hooks the kernel runs for the event workflow (`EVENT_KIND`,
registered in `EventsConfig.ready`), and the writers views and commands call.

Intake is `intake.report_event` (re-exported as `do_report_event`). Every workflow step goes
through `do_event_action(case, action, actor=, expected_version=, note=, **payload)`, which turns
API payload (unit ids, photo ids) into objects and calls the kernel's `do_apply_action`; the kernel
locks the case, checks reach, version, the transition and its permission, runs the hooks below,
runs the clocks, writes timeline and audit. Callback has its own service because the citizen's
verdict decides the action (dissatisfied → "reopen"). Escalation, urging, supervision and
extensions are the kernel's services, exposed through `do_event_action` too.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.accounts.models import Unit
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_access, record_change, snapshot
from civicgrid.cases import services as kernel
from civicgrid.cases.choices import LIVE_ASSIGNMENT_STATUSES, AssignmentRole, AssignmentStatus
from civicgrid.cases.clocks import open_clock, refresh_case_due, stop_clock
from civicgrid.cases.error_codes import CaseErrorCode
from civicgrid.cases.kinds import ActionContext, CaseKind
from civicgrid.cases.models import Assignment, Case
from civicgrid.cases.summon import SUMMON, do_report_in, do_summon, pending_report_in
from civicgrid.core.deadlines import Limit
from civicgrid.core.deadlines import Unit as TimeUnit
from civicgrid.core.errors import ServiceError
from civicgrid.core.personal_data import can_reveal
from civicgrid.core.prepared import insert_row

from . import text_training, timeline
from .catalogue import resolve_dispatch, summon_candidates
from .intake import EventErrorCode, IntakeResult, check_photo, report_event, resolve_category
from .models import EmergencyService, EventDetails, EventPhoto, PhotoStage, Satisfaction
from .numbering import SERIAL_WIDTH, event_number_prefix
from .photo_files import photo_files_kept_only_on_success, written
from .workflow import WORKFLOW, EventStatus

__all__ = ["EVENT_KIND", "IntakeResult", "do_report_event"]

do_report_event = report_event
DEFAULT_OBJECTION_WORKING_DAYS = 1
KERNEL_ACTIONS = ("escalate", "urge", "supervise", "request_extension", "decide_extension")


def objection_limit() -> Limit:
    days = int(getattr(settings, "CIVICGRID_OBJECTION_WORKING_DAYS", DEFAULT_OBJECTION_WORKING_DAYS))
    return Limit(max(days, 1), TimeUnit.WORKING_DAYS)


# --- helpers --------------------------------------------------------------------------------------


def details_of(case: Case, *, lock: bool = False) -> EventDetails:
    qs = EventDetails.objects.select_related("category")
    if lock:
        qs = qs.select_for_update(of=("self",))  # category is a nullable join: lock only the row
    try:
        return qs.get(case=case)
    except EventDetails.DoesNotExist:
        raise ServiceError(EventErrorCode.NOT_AN_EVENT, _("该案件不是事件"), field="case") from None


def _save_details(details: EventDetails, before: dict, actor) -> None:
    after = snapshot(details)
    changed = [k for k in after if after.get(k) != before.get(k)]
    if changed:
        details.save(
            update_fields=[name.removesuffix("_id") if name.endswith("_id") else name for name in changed]
        )
        record_change(actor=actor, action=ChangeAction.UPDATE, instance=details, before=before, after=after)


def _lead_assignment(ctx: ActionContext) -> Assignment | None:
    """The acting unit's live lead assignment (None for the system). Co-handlers help; only the
    lead unit accepts, objects and reports back for the case."""
    if ctx.actor is None:
        return Assignment.objects.filter(
            case=ctx.case, role=AssignmentRole.LEAD, status__in=("pending", "accepted")
        ).first()
    assignment = kernel.unit_assignment(ctx.case, getattr(ctx.actor, "unit_id", None))
    if assignment.role != AssignmentRole.LEAD:
        raise ServiceError(CaseErrorCode.NO_ASSIGNMENT, _("只有主办单位可以执行此操作"), field="unit")
    return assignment


def _units(data: dict) -> tuple[Unit | None, list[Unit]]:
    lead, co = data.get("lead_unit"), list(data.get("co_units") or ())
    return lead, co


def _require_result(ctx: ActionContext, *, any_stage: bool) -> tuple[str, list[int]]:
    result = (ctx.data.get("result") or ctx.note or "").strip()
    if not result:
        raise ServiceError(EventErrorCode.REQUIRED, _("请填写处置结果"), field="result")
    ids = [int(i) for i in ctx.data.get("evidence_photos") or ()]
    photos = EventPhoto.objects.filter(case=ctx.case, pk__in=ids)
    if not any_stage:
        photos = photos.filter(stage=PhotoStage.EVIDENCE)
    if not ids or photos.count() != len(set(ids)):
        raise ServiceError(
            EventErrorCode.EVIDENCE_REQUIRED, _("请上传处置后的现场照片作为佐证"), field="evidence_photos"
        )
    return result, sorted(set(ids))


# --- hooks the kernel runs ------------------------------------------------------------------------


def event_limit(case: Case, clock: str) -> Limit | None:
    """Clock limits: response and handling from the event's category, the objection window from
    CIVICGRID_OBJECTION_WORKING_DAYS. No category → no clock."""
    if clock == "objection":
        return objection_limit()
    category = details_of(case).category
    if category is None:
        return None
    if clock == "response":
        return category.response_limit
    if clock == "handling":
        return category.handling_limit
    return None


def on_open(ctx: ActionContext) -> None:
    details = EventDetails(case=ctx.case, **ctx.data["details"])
    insert_row(details)
    record_change(
        actor=ctx.actor, action=ChangeAction.CREATE, instance=details, before=None, after=snapshot(details)
    )
    for checked in ctx.data.get("photos") or ():
        _store_photo(ctx.case, checked, PhotoStage.REPORT, ctx.actor, ctx.now)
    ctx.timeline_data.update(
        {"channel": details.channel, "category": details.category.code if details.category else None}
    )


def on_register(ctx: ActionContext) -> None:
    details = details_of(ctx.case, lock=True)
    before = snapshot(details)
    if ctx.data.get("category") not in (None, ""):
        details.category = resolve_category(ctx.data["category"])
    if details.category is None:
        raise ServiceError(EventErrorCode.REQUIRED, _("立案前请确定事件分类"), field="category")
    _save_details(details, before, ctx.actor)
    ctx.timeline_data["category"] = details.category.code
    # The category finally chosen teaches the text layer (a correction when it differs from the
    # model's guess) and takes the event out of the classification queue. Never raises.
    text_training.note_category_decision(ctx.case, details, actor=ctx.actor)


def on_transfer(ctx: ActionContext) -> None:
    target = ctx.data.get("target")
    if target not in EmergencyService.values:
        raise ServiceError(EventErrorCode.REQUIRED, _("请选择转办去向（110/119/120/122）"), field="target")
    details = details_of(ctx.case, lock=True)
    before = snapshot(details)
    details.transfer_target = target
    _save_details(details, before, ctx.actor)
    ctx.timeline_data["target"] = target


def on_merge(ctx: ActionContext) -> None:
    """Merge a duplicate into an open original: the original gets +1 and a timeline entry."""
    into = ctx.data.get("into")
    original = Case.objects.select_for_update().filter(pk=getattr(into, "pk", into), kind="event").first()
    if (
        original is None
        or original.pk == ctx.case.pk
        or not kernel.can_act(ctx.actor, "cases.view_case", original)
    ):
        raise ServiceError(EventErrorCode.INVALID_MERGE, _("请选择要合并到的原事件"), field="into")
    if original.closed_at is not None or original.duplicate_of_id is not None:
        raise ServiceError(
            EventErrorCode.INVALID_MERGE,
            _("原事件 %(number)s 已办结或已合并，不能再合并") % {"number": original.number},
            field="into",
        )
    before = snapshot(original)
    original.plus_ones += 1
    original.version += 1
    original.save(update_fields=["plus_ones", "version"])
    record_change(
        actor=ctx.actor,
        action=ChangeAction.UPDATE,
        instance=original,
        before=before,
        after=snapshot(original),
    )
    timeline.plus_one(original, ctx.case, ctx.actor, ctx.now, ctx.note)
    ctx.case.duplicate_of = original
    ctx.timeline_data.update({"into": original.pk, "into_number": original.number})


def on_dispatch(ctx: ActionContext) -> None:
    """Dispatch to the units the dispatcher chose, else to the catalogue's (category × area)."""
    details = details_of(ctx.case)
    if details.category is None:
        raise ServiceError(EventErrorCode.REQUIRED, _("派遣前请确定事件分类"), field="category")
    lead, co = _units(ctx.data)
    rule = None
    if lead is None:
        decision = resolve_dispatch(details.category, ctx.case.grid or ctx.case.area)
        if decision is None:
            raise ServiceError(
                CaseErrorCode.NO_UNIT, _("派单目录中没有适用的规则，请选择主办单位"), field="lead_unit"
            )
        lead, co, rule = decision.lead, list(decision.co_handlers), decision.rule.pk
    kernel.assign_units(ctx.case, lead, co, actor=ctx.actor, now=ctx.now, note=ctx.note)
    ctx.timeline_data.update({"lead_unit": lead.pk, "co_units": [u.pk for u in co], "rule": rule})


def on_designate(ctx: ActionContext) -> None:
    """指定承办: after an objection the centre names a unit, which cannot object again."""
    lead, co = _units(ctx.data)
    if lead is None:
        raise ServiceError(CaseErrorCode.NO_UNIT, _("请选择指定承办的单位"), field="lead_unit")
    kernel.assign_units(ctx.case, lead, co, actor=ctx.actor, now=ctx.now, designated=True, note=ctx.note)
    ctx.timeline_data.update({"lead_unit": lead.pk, "co_units": [u.pk for u in co], "designated": True})


def on_accept(ctx: ActionContext) -> None:
    assignment = _lead_assignment(ctx)
    if assignment is not None:
        kernel.accept_assignment(ctx.case, assignment.unit_id, now=ctx.now)
        Assignment.objects.filter(
            case=ctx.case, role=AssignmentRole.CO, status=AssignmentStatus.PENDING
        ).update(status=AssignmentStatus.ACCEPTED, accepted_at=ctx.now)
    details = details_of(ctx.case, lock=True)
    if details.first_response_at is None:
        before = snapshot(details)
        details.first_response_at = ctx.now
        _save_details(details, before, ctx.actor)


def on_object(ctx: ActionContext) -> None:
    assignment = _lead_assignment(ctx)
    window = open_clock(ctx.case, "objection")
    if (
        assignment is not None
        and not assignment.designated
        and window is not None
        and ctx.now > window.due_at
    ):
        raise ServiceError(
            EventErrorCode.OBJECTION_WINDOW_PASSED,
            _("派单异议须在派遣后 %(days)s 个工作日内提出") % {"days": objection_limit().amount},
            field="action",
        )
    if assignment is not None:
        kernel.object_assignment(ctx.case, assignment.unit_id, ctx.note, now=ctx.now)
        # The co-handlers' shares go back with the case: the centre dispatches it anew.
        Assignment.objects.filter(case=ctx.case, status__in=("pending", "accepted")).update(
            status=AssignmentStatus.RETURNED, finished_at=ctx.now
        )
    ctx.case.lead_unit = None


def on_handle(ctx: ActionContext) -> None:
    _lead_assignment(ctx)
    result, photos = _require_result(ctx, any_stage=False)
    _record_result(ctx, result, photos)


def on_self_handle(ctx: ActionContext) -> None:
    """就地处置: the grid worker resolved it on the spot; their unit becomes the accepted lead (首接负责)."""
    result, photos = _require_result(ctx, any_stage=True)
    unit = getattr(ctx.actor, "unit", None)
    if unit is not None:
        kernel.assign_units(ctx.case, unit, (), actor=ctx.actor, now=ctx.now)
        kernel.accept_assignment(ctx.case, unit.pk, now=ctx.now)
    _record_result(ctx, result, photos, self_handled=True)


def _record_result(ctx, result, photos, self_handled=False):
    details = details_of(ctx.case, lock=True)
    before = snapshot(details)
    details.result, details.handled_at = result, ctx.now
    if self_handled:
        details.self_handled = True
        details.first_response_at = details.first_response_at or ctx.now
    _save_details(details, before, ctx.actor)
    ctx.timeline_data["evidence_photos"] = photos


def on_close(ctx: ActionContext) -> None:
    kernel.finish_assignments(ctx.case, now=ctx.now)


def _callback_fields(ctx: ActionContext, allowed) -> EventDetails:
    satisfaction = ctx.data.get("satisfaction")
    if satisfaction not in allowed:
        raise ServiceError(
            EventErrorCode.INVALID_SATISFACTION,
            _("请选择满意度：满意、基本满意或不满意"),
            field="satisfaction",
        )
    details = details_of(ctx.case, lock=True)
    before = snapshot(details)
    details.callback_contacted = bool(ctx.data.get("contacted"))
    details.callback_resolved = bool(ctx.data.get("resolved"))
    details.satisfaction = satisfaction
    details.callback_at = ctx.now
    details.callback_by = ctx.actor if ctx.actor is not None and ctx.actor.is_authenticated else None
    ctx.timeline_data.update(
        {
            "contacted": details.callback_contacted,
            "resolved": details.callback_resolved,
            "satisfaction": satisfaction,
        }
    )
    return details, before


def on_callback(ctx: ActionContext) -> None:
    details, before = _callback_fields(ctx, (Satisfaction.SATISFIED, Satisfaction.BASICALLY))
    _save_details(details, before, ctx.actor)
    # The case was closed when it was closed, not when the citizen was called: keep that time for
    # the on-time closure rate (the kernel stamps every entry into a closed status).
    ctx.case.closed_at = Case.objects.filter(pk=ctx.case.pk).values_list("closed_at", flat=True).get()


def on_reopen(ctx: ActionContext) -> None:
    """Dissatisfied: back to the units that handled it, with a new handling deadline."""
    details, before = _callback_fields(ctx, (Satisfaction.DISSATISFIED,))
    details.reopened_count += 1
    _save_details(details, before, ctx.actor)
    last = list(
        Assignment.objects.filter(case=ctx.case, status=AssignmentStatus.DONE)
        .select_related("unit")
        .order_by("-finished_at", "-id")
    )
    lead = next((a.unit for a in last if a.role == AssignmentRole.LEAD), None)
    if lead is not None:
        finished_at = next(a.finished_at for a in last if a.role == AssignmentRole.LEAD)
        co = [a.unit for a in last if a.role == AssignmentRole.CO and a.finished_at == finished_at]
        rows = kernel.assign_units(ctx.case, lead, co, actor=ctx.actor, now=ctx.now, note=ctx.note)
        Assignment.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=AssignmentStatus.ACCEPTED, accepted_at=ctx.now
        )
    ctx.timeline_data["reopened_count"] = details.reopened_count


def event_auto_escalates(case) -> bool:
    """The timer sweep escalates an overdue event one level when its category says so
    (小事不出村、大事不出镇: a matter its level could not settle in time goes up)."""
    details = getattr(case, "event", None)
    category = getattr(details, "category", None)
    return bool(category and category.auto_escalate)


# Departments are summoned onto registered events until they are handled (吹哨报到).
_SUMMON_STATUSES = (
    EventStatus.REGISTERED,
    EventStatus.DISPATCHED,
    EventStatus.OBJECTED,
    EventStatus.ACCEPTED,
)

# Escalated while a lower level's units hold it: the case goes back to the new level's centre.
_REROUTED_FROM = (EventStatus.DISPATCHED, EventStatus.ACCEPTED, EventStatus.OBJECTED)


def on_escalate(ctx: ActionContext) -> None:
    """上报 re-routes: a dispatched, accepted or objected event leaves the lower level's units
    (their live assignments are withdrawn — the formal hand-over 首接负责 asks for) and waits in the
    higher level's "to dispatch" queue as registered. Its clocks keep running: going up a level
    does not buy time. Reported and registered events just change level; handled ones go on to
    verification where they are."""
    case = ctx.case
    if case.status not in _REROUTED_FROM:
        return
    withdrawn = list(
        Assignment.objects.filter(case=case, status__in=LIVE_ASSIGNMENT_STATUSES).values_list(
            "unit_id", flat=True
        )
    )
    Assignment.objects.filter(case=case, status__in=LIVE_ASSIGNMENT_STATUSES).update(
        status=AssignmentStatus.WITHDRAWN, finished_at=ctx.now
    )
    if stop_clock(case, "objection", at=ctx.now) is not None:
        refresh_case_due(case)
    ctx.timeline_data.update({"rerouted_from": case.status, "withdrawn_units": withdrawn})
    case.status, case.lead_unit = EventStatus.REGISTERED, None


EVENT_KIND = CaseKind(
    "event",
    WORKFLOW,
    label=gettext_lazy("事件"),
    number_prefix_fn=event_number_prefix,
    serial_width=SERIAL_WIDTH,
    limit_fn=event_limit,
    on_open=on_open,
    handlers={
        "register": on_register,
        "transfer": on_transfer,
        "merge": on_merge,
        "dispatch": on_dispatch,
        "designate": on_designate,
        "accept": on_accept,
        "object": on_object,
        "handle": on_handle,
        "self_handle": on_self_handle,
        "close": on_close,
        "callback": on_callback,
        "reopen": on_reopen,
    },
    auto_escalate=event_auto_escalates,
    on_escalate=on_escalate,
)


# --- writers --------------------------------------------------------------------------------------


def _unit(value, field_name: str) -> Unit | None:
    if value in (None, ""):
        return None
    if isinstance(value, Unit):
        return value
    unit = Unit.objects.filter(pk=value).first() if str(value).isdigit() else None
    if unit is None:
        raise ServiceError("not_found", _("单位“%(pk)s”不存在") % {"pk": value}, field=field_name)
    return unit


def do_event_action(
    case: Case | int, action: str, *, actor, expected_version: int, note: str = "", **payload
) -> Case:
    """Take a workflow step (or a kernel action: escalate, urge, supervise, request/decide
    extension) on an event. Payload by action: register {category}; merge {into}; dispatch and
    designate {lead_unit, co_units} (ids or Units); handle and self_handle {result,
    evidence_photos}; callback {contacted, resolved, satisfaction}; supervise {level};
    request_extension {clock, amount, reason}; decide_extension {clock, approve}; summon {units}
    (departments the township may summon); report_in (a summoned unit takes the case on)."""
    if action == "escalate":
        return kernel.do_escalate(case, actor=actor, expected_version=expected_version, note=note)
    if action == "urge":
        return kernel.do_urge(case, actor=actor, expected_version=expected_version, note=note)
    if action == "supervise":
        return kernel.do_supervise(
            case, payload.get("level") or "", actor=actor, expected_version=expected_version, note=note
        )
    if action == "request_extension":
        return kernel.do_request_extension(
            case,
            payload.get("clock") or "handling",
            _int(payload.get("amount"), "amount"),
            actor=actor,
            expected_version=expected_version,
            reason=payload.get("reason") or note,
        )
    if action == "decide_extension":
        return kernel.do_decide_extension(
            case,
            payload.get("clock") or "handling",
            approve=bool(payload.get("approve")),
            actor=actor,
            expected_version=expected_version,
            note=note,
        )
    if action == "summon":
        case_row = (
            case if isinstance(case, Case) else Case.objects.select_related("area").filter(pk=case).first()
        )
        allowed = summon_candidates(case_row.area) if case_row is not None else []
        units = [u for u in (_unit(v, "units") for v in payload.get("units") or ()) if u is not None]
        return do_summon(
            case, units, actor=actor, expected_version=expected_version, allowed=allowed, note=note
        )
    if action == "report_in":
        return do_report_in(case, actor=actor, expected_version=expected_version, note=note)
    if action in ("callback", "reopen"):
        return do_callback_event(case, actor=actor, expected_version=expected_version, note=note, **payload)
    data = dict(payload)
    if action in ("dispatch", "designate"):
        data["lead_unit"] = _unit(payload.get("lead_unit"), "lead_unit")
        data["co_units"] = [_unit(v, "co_units") for v in payload.get("co_units") or ()]
    return kernel.do_apply_action(
        case, action, actor=actor, expected_version=expected_version, note=note, **data
    )


def _int(value, field_name) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ServiceError("invalid", _("请填写整数"), field=field_name) from None


def do_callback_event(
    case: Case | int,
    *,
    actor,
    expected_version: int,
    satisfaction: str,
    contacted=True,
    resolved=None,
    note: str = "",
    **_extra,
) -> Case:
    """回访: record whether the citizen was reached, whether the problem is solved and how satisfied
    they are. Satisfied or basically satisfied → "done"; dissatisfied → "reopen" (back to the
    handling units with a new handling deadline, reopened_count + 1)."""
    action = "reopen" if satisfaction == Satisfaction.DISSATISFIED else "callback"
    return kernel.do_apply_action(
        case,
        action,
        actor=actor,
        expected_version=expected_version,
        note=note,
        satisfaction=satisfaction,
        contacted=contacted,
        resolved=resolved,
    )


def available_event_actions(case: Case, user) -> list[dict]:
    """What `user` may do now: the workflow's transitions, then the kernel's oversight actions."""
    checker = kernel.ActionChecker(user, case)
    found = [
        {"action": t.action, "label": str(t.label), "note_required": t.note_required}
        for t in kernel.available_actions(case, user, checker)
    ]
    if case.closed_at is None:
        extra = (
            ("escalate", "cases.escalate_case", _("上报上级")),
            ("urge", "cases.urge_case", _("催办")),
            ("supervise", "cases.supervise_case", _("督办")),
            ("request_extension", "cases.handle_case", _("申请延期")),
            ("decide_extension", "cases.approve_extension", _("审批延期")),
        )
        for action, permission, label in extra:
            if checker(permission):
                found.append({"action": action, "label": str(label), "note_required": False})
        if case.status in _SUMMON_STATUSES:
            if checker(SUMMON) and summon_candidates(case.area):
                found.append({"action": "summon", "label": str(_("吹哨报到")), "note_required": False})
            if pending_report_in(case, user):
                found.append({"action": "report_in", "label": str(_("报到")), "note_required": False})
    return found


PHOTO_AUDIT_FIELDS = ("id", "case", "stage", "content_type", "size", "uploaded_by", "uploaded_at")


def _store_photo(case: Case, checked, stage: str, actor, now) -> EventPhoto:
    ext = checked.content_type.split("/")[1].replace("jpeg", "jpg")
    photo = EventPhoto(
        case=case,
        stage=stage,
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        uploaded_at=now,
    )
    photo.file.save(f"{uuid.uuid4().hex}.{ext}", checked.file, save=False)
    written(photo.file)
    photo.save(force_insert=True)
    # The audit stores the file's name: a FieldFile is not JSON.
    after = {**snapshot(photo, fields=PHOTO_AUDIT_FIELDS), "file": photo.file.name}
    record_change(actor=actor, action=ChangeAction.CREATE, instance=photo, before=None, after=after)
    return photo


def do_add_photo(case: Case | int, upload, *, actor, stage: str = PhotoStage.REPORT) -> EventPhoto:
    """Attach a photo to an open event: the scene (needs cases.report_case over it) or evidence of
    the result (needs cases.handle_case). Oversized and non-image files are refused ("photo").
    Does not bump the case's version: a photo does not make anyone's open form stale."""
    if stage not in PhotoStage.values:
        raise ServiceError(EventErrorCode.INVALID_PHOTO, _("照片阶段无效"), field="stage")
    permission = "cases.handle_case" if stage == PhotoStage.EVIDENCE else "cases.report_case"
    with photo_files_kept_only_on_success(), transaction.atomic():
        case = kernel.lock_case(case)
        if not kernel.can_act(actor, "cases.view_case", case) or not kernel.can_act(actor, permission, case):
            raise kernel.not_found()
        details_of(case)
        if case.closed_at is not None:
            raise ServiceError(CaseErrorCode.CASE_CLOSED, _("事件已办结，不能再上传照片"), field="photo")
        checked = check_photo(upload, "photo")
        now = timezone.now()
        photo = _store_photo(case, checked, stage, actor, now)
        timeline.photo_added(case, photo, actor, now)
    return photo


def do_add_reporter_update(case: Case | int, *, actor, note: str, says_resolved: bool | None = None):
    """Record a reporter's follow-up on an event (needs cases.report_case over it): a note in the
    timeline for the centre, which decides what to do (a reporter never changes the status). An
    event merged into another is followed up on the original. Returns the timeline entry."""
    note = (note or "").strip()
    if not note and says_resolved is None:
        raise ServiceError(EventErrorCode.REQUIRED, _("请填写补充说明"), field="description")
    if len(note) > 4000:
        raise ServiceError(EventErrorCode.INVALID_ANSWER, _("补充说明不能超过 4000 字"), field="description")
    with transaction.atomic():
        case = kernel.lock_case(case)
        if not kernel.can_act(actor, "cases.view_case", case) or not kernel.can_act(
            actor, "cases.report_case", case
        ):
            raise kernel.not_found()
        if case.duplicate_of_id is not None:
            case = kernel.lock_case(case.duplicate_of_id)
        return timeline.reporter_update(case, actor, timezone.now(), note, {"says_resolved": says_resolved})


def do_reveal_reporter(case: Case, *, actor, purpose: str = "") -> dict:
    """The reporter's unmasked name and phone, for a reader who may reveal personal data over the
    case's place; the reading is written to the access log."""
    if not kernel.can_act(actor, "cases.view_case", case) or not can_reveal(actor, case.path):
        raise kernel.not_found()
    details = details_of(case)
    with transaction.atomic():
        record_access(
            actor=actor, instance=details, fields=["reporter_name", "reporter_phone"], purpose=purpose
        )
    return {"reporter_name": details.reporter_name, "reporter_phone": details.reporter_phone}
