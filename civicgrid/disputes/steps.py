"""Dispute steps that are not workflow transitions: mediation sessions, follow-up visits, manual
risk grading and the leader in charge (包案领导), and parties. Each is a write of its own: the case is
locked, reach / version / permission checked in that order (an outsider learns nothing), the
change written with one timeline entry and one audit row, and the case's version bumped.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.cases import services as kernel
from civicgrid.cases import timeline
from civicgrid.cases.models import Case
from civicgrid.cases.parties import do_add_party, do_remove_party
from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.core.errors import ServiceError

from . import hooks, risk
from .choices import FulfilmentResult, PartyRole
from .error_codes import DisputeErrorCode
from .models import FollowUpVisit, MediationSession
from .workflow import SESSION_STATES, VISIT_STATES

VIEW = "cases.view_case"
MEDIATE = "disputes.mediate_dispute"
FOLLOW_UP = "disputes.follow_up_dispute"
GRADE = "disputes.grade_dispute_risk"
REPORT = "disputes.report_dispute"


def _begin(case, actor, permission: str, expected_version) -> Case:
    """Lock; reach (404), then version (conflict), then permission (404)."""
    locked = kernel.lock_case(case)
    if locked.kind != "dispute" or not kernel.can_act(actor, VIEW, locked):
        raise kernel.not_found()
    if expected_version != locked.version:
        raise ServiceError(
            "conflict",
            _("案件 %(number)s 已被他人修改（当前版本 %(current)s，您看到的是版本 %(seen)s），请刷新后重试")
            % {"number": locked.number, "current": locked.version, "seen": expected_version},
            field="version",
            params={"current": locked.version, "expected": expected_version},
        )
    if not kernel.can_act(actor, permission, locked):
        raise kernel.not_found()
    return locked


def _finish(case: Case, before: dict, actor) -> None:
    case.version += 1
    after = snapshot(case)
    changed = [k for k in after if after.get(k) != before.get(k)]
    case.save(update_fields=sorted({"version", *(k.removesuffix("_id") for k in changed)}))
    record_change(actor=actor, action=ChangeAction.UPDATE, instance=case, before=before, after=after)


def _status_in(case: Case, states, message) -> None:
    if case.status not in states:
        raise ServiceError(DisputeErrorCode.WRONG_STATUS, message, field="status")


def _clean_time(value, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = parse_datetime(str(value or "").strip()) if value else None
        if moment is None:
            raise ServiceError(DisputeErrorCode.INVALID_DATE, _("时间格式应为 YYYY-MM-DD HH:MM"), field=field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    if moment > timezone.now() + dt.timedelta(minutes=5):
        raise ServiceError(DisputeErrorCode.INVALID_DATE, _("时间不能晚于现在"), field=field)
    return moment


def _text(value, field: str, limit: int, message) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ServiceError(DisputeErrorCode.INVALID_TEXT, message, field=field)
    value = value.strip()
    if len(value) > limit:
        raise ServiceError(
            DisputeErrorCode.INVALID_TEXT, _("不能超过 %(limit)s 字") % {"limit": limit}, field=field
        )
    return value


def do_record_session(
    case, *, actor, expected_version: int, held_at, place: str, participants: str, record: str
) -> MediationSession:
    """A mediation session (time, place, participants, record) by one of the dispute's mediators.
    Threat words in the record raise the risk grade."""
    held_at = _clean_time(held_at, "held_at")
    place = _text(place, "place", 200, _("请填写调解地点"))
    participants = _text(participants, "participants", 500, _("请填写参加人员"))
    record = _text(record, "record", 20000, _("请填写调解记录"))
    with transaction.atomic():
        locked = _begin(case, actor, MEDIATE, expected_version)
        _status_in(locked, SESSION_STATES, _("只有已受理或调解中的纠纷可以记录调解"))
        details = hooks.details_of(locked, lock=True)
        hooks.require_mediator(locked, details, actor)
        if held_at < locked.opened_at - dt.timedelta(days=1):
            raise ServiceError(
                DisputeErrorCode.INVALID_DATE, _("调解时间不能早于纠纷登记时间"), field="held_at"
            )
        before, now = snapshot(locked), timezone.now()
        session = MediationSession.objects.create(
            case=locked,
            held_at=held_at,
            place=place,
            participants=participants,
            record=record,
            recorded_by=actor if actor is not None and actor.is_authenticated else None,
            created_at=now,
        )
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=session, before=None, after=snapshot(session)
        )
        timeline.record(
            locked,
            actor,
            now,
            "session_held",
            note=place,
            data={"session": session.pk, "held_at": held_at.isoformat(), "place": place},
        )
        d_before = snapshot(details)
        risk.regrade(locked, details, actor=actor, now=now)
        hooks.save_details(details, d_before, actor)
        _finish(locked, before, actor)
    return session


def do_record_visit(
    case, *, actor, expected_version: int, visited_on, result: str, note: str = ""
) -> FollowUpVisit:
    """A follow-up visit on the agreement's performance (grid worker or mediator)."""
    visited_on = hooks.clean_date(visited_on, "visited_on", default=hooks.today())
    if visited_on > hooks.today():
        raise ServiceError(DisputeErrorCode.INVALID_DATE, _("日期不能晚于今天"), field="visited_on")
    if result not in FulfilmentResult.values:
        raise ServiceError(DisputeErrorCode.INVALID_TEXT, _("请选择履行情况"), field="result")
    note = (note or "").strip() if isinstance(note, str) else ""
    if len(note) > 5000:
        raise ServiceError(
            DisputeErrorCode.INVALID_TEXT, _("不能超过 %(limit)s 字") % {"limit": 5000}, field="note"
        )
    with transaction.atomic():
        locked = _begin(case, actor, FOLLOW_UP, expected_version)
        _status_in(locked, VISIT_STATES, _("只有达成协议后的纠纷可以回访"))
        details = hooks.details_of(locked)
        if details.agreed_at and visited_on < details.agreed_at.astimezone(LOCAL_TZ).date():
            raise ServiceError(
                DisputeErrorCode.INVALID_DATE, _("回访日期不能早于达成协议的日期"), field="visited_on"
            )
        before, now = snapshot(locked), timezone.now()
        visit = FollowUpVisit.objects.create(
            case=locked,
            visited_on=visited_on,
            result=result,
            note=note,
            visitor=actor if actor is not None and actor.is_authenticated else None,
            created_at=now,
        )
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=visit, before=None, after=snapshot(visit)
        )
        timeline.record(
            locked, actor, now, "follow_up_visit", note=note, data={"visit": visit.pk, "result": result}
        )
        _finish(locked, before, actor)
    return visit


def _leader(value, case: Case) -> User | None:
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    try:
        user = User.objects.filter(pk=int(pk), is_active=True).first()
    except (TypeError, ValueError):
        user = None
    if user is None or not kernel.can_act(user, VIEW, case):
        raise ServiceError(
            DisputeErrorCode.INVALID_LEADER, _("包案领导须为能查看本纠纷的在职人员"), field="leader"
        )
    return user


def do_grade_risk(case, *, actor, expected_version: int, level: str, reason: str, leader=None) -> Case:
    """Manual grading (人工研判) with a reason, and the leader in charge. A red grade needs a
    leader (given now or already named). Changing only the leader is allowed (same level)."""
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ServiceError(DisputeErrorCode.INVALID_TEXT, _("请填写定级理由"), field="reason")
    with transaction.atomic():
        locked = _begin(case, actor, GRADE, expected_version)
        if locked.closed_at is not None:
            raise ServiceError(DisputeErrorCode.WRONG_STATUS, _("已结案的纠纷不能再定级"), field="status")
        scheme = risk.active_scheme()
        _label, rank = risk.level_info(scheme, level)
        if not rank:
            raise ServiceError(
                DisputeErrorCode.INVALID_RISK_LEVEL,
                _("风险等级“%(level)s”不在当前方案中") % {"level": level},
                field="level",
            )
        details = hooks.details_of(locked, lock=True)
        new_leader = _leader(leader, locked)
        if level == risk.TOP and new_leader is None and details.leader_id is None:
            raise ServiceError(
                DisputeErrorCode.LEADER_REQUIRED, _("红色风险纠纷须明确包案领导"), field="leader"
            )
        if level == details.risk_level and (new_leader is None or new_leader.pk == details.leader_id):
            raise ServiceError(
                DisputeErrorCode.RISK_UNCHANGED, _("风险等级和包案领导均未改变"), field="level"
            )
        before, d_before, now = snapshot(locked), snapshot(details), timezone.now()
        if new_leader is not None and new_leader.pk != details.leader_id:
            details.leader = new_leader
            timeline.record(
                locked, actor, now, "leader_assigned", note=reason, data={"leader": new_leader.pk}
            )
        if level != details.risk_level:
            reasons = [{"rule": "manual", "label": reason, "points": 0, "detail": ""}]
            risk.set_grade(
                locked, details, level, rank, reasons, actor=actor, now=now, note=reason, manual=True
            )
        hooks.save_details(details, d_before, actor)
        _finish(locked, before, actor)
    return locked


def do_add_dispute_party(case, *, actor, expected_version: int, **raw):
    """Add a party (applicant, respondent, third party) — before mediation ends."""
    if raw.get("role") not in PartyRole.values:
        raise ServiceError(
            DisputeErrorCode.INVALID_PARTY_ROLE, _("当事人身份应为申请人、被申请人或第三人"), field="role"
        )
    found = Case.objects.filter(pk=getattr(case, "pk", case), kind="dispute").first()
    if found is None or not kernel.can_act(actor, VIEW, found):
        raise kernel.not_found()
    if found.status not in ("registered", "accepted", "mediating"):
        raise ServiceError(DisputeErrorCode.WRONG_STATUS, _("调解结束后不能再增加当事人"), field="status")
    return do_add_party(found, actor=actor, expected_version=expected_version, permission=REPORT, **raw)


def do_remove_dispute_party(party, *, actor, expected_version: int, note: str):
    case = party.case
    if case.kind != "dispute" or not kernel.can_act(actor, VIEW, case):
        raise kernel.not_found()
    if case.status not in ("registered", "accepted"):
        raise ServiceError(DisputeErrorCode.WRONG_STATUS, _("调解开始后不能删除当事人"), field="status")
    return do_remove_party(
        party, actor=actor, expected_version=expected_version, note=note, permission=REPORT
    )


def sweep_overdue_disputes(*, now=None, limit: int = 5000) -> int:
    """The timer's part for disputes: open disputes whose running clock has passed are regraded
    (the "overdue" rule raises the grade). Run by `manage.py regrade_disputes` (periodically, e.g.
    beside the deadline sweep). System writes: no actor, the case version does not move (a figure
    the system corrects must not make a user's open form stale); each grade change is a timeline
    entry and an audit row. Returns the number of disputes whose grade rose."""
    now = now or timezone.now()
    ids = list(
        Case.objects.filter(kind="dispute", closed_at__isnull=True, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    raised = 0
    for pk in ids:
        with transaction.atomic():
            locked = kernel.lock_case(pk)
            details = hooks.details_of(locked, lock=True)
            before = snapshot(details)
            if risk.regrade(locked, details, actor=None, now=now):
                raised += 1
            hooks.save_details(details, before, None)
    return raised
