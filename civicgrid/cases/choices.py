"""Choices of the case kernel: handling levels, supervision, assignment and clock states, timeline
kinds. Statuses belong to each kind's workflow, not here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HandlingLevel(models.TextChoices):
    """The level that handles a case; escalation (上报) moves it up one step (小事不出村、大事不出镇)."""

    VILLAGE = "village", _("村（社区）")
    TOWNSHIP = "township", _("乡镇（街道）")
    COUNTY = "county", _("县（区）")
    CITY = "city", _("市")


# Escalation order, lowest first.
LEVEL_ORDER = [HandlingLevel.VILLAGE, HandlingLevel.TOWNSHIP, HandlingLevel.COUNTY, HandlingLevel.CITY]


class Priority(models.TextChoices):
    LOW = "low", _("一般")  # grey
    NORMAL = "normal", _("较急")  # blue
    HIGH = "high", _("紧急")  # orange
    URGENT = "urgent", _("特急")  # red: emergencies go to 110/119/120/122, this is for the rest


class Supervision(models.TextChoices):
    """督办 levels; any level but NONE puts the case on leaders' dashboards."""

    NONE = "none", _("未督办")
    DAILY = "daily", _("日常督办")
    LISTED = "listed", _("挂牌督办")
    INTERVIEW = "interview", _("约谈督办")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    CO = "co", _("协办")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("待签收")  # dispatched, not yet accepted
    ACCEPTED = "accepted", _("已签收")
    OBJECTED = "objected", _("已提出异议")  # 派单异议: the unit says it is not competent
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已改派")  # superseded by a new dispatch
    DONE = "done", _("已办结")


# Assignments through which the unit's members still see the case (assignment-based access).
VISIBLE_ASSIGNMENT_STATUSES = (
    AssignmentStatus.PENDING,
    AssignmentStatus.ACCEPTED,
    AssignmentStatus.OBJECTED,
    AssignmentStatus.DONE,
)
# Assignments through which the unit's members may still act (accept, object, handle, report back).
LIVE_ASSIGNMENT_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED)


class ClockState(models.TextChoices):
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("已暂停")
    MET = "met", _("按期完成")  # stopped before its deadline
    MISSED = "missed", _("超期完成")  # stopped at or after its deadline
    CANCELLED = "cancelled", _("已取消")  # superseded by a new clock of the same name (reopen)


OPEN_CLOCK_STATES = (ClockState.RUNNING, ClockState.PAUSED)


class TimelineKind(models.TextChoices):
    OPENED = "opened", _("创建")
    TRANSITION = "transition", _("流转")
    ASSIGNED = "assigned", _("派遣")
    URGED = "urged", _("催办")
    SUPERVISED = "supervised", _("督办")
    ESCALATED = "escalated", _("上报")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_DECIDED = "extension_decided", _("延期审批")
    DEADLINES_RECOMPUTED = "deadlines_recomputed", _("期限重算")
    NOTE = "note", _("备注")
    PARTY = "party", _("当事人")  # a party added or changed (cases.parties)
    RECORD = "record", _("办理记录")  # a kind's own step; `action` names it (risk_changed, session …)


class PartyKind(models.TextChoices):
    """A case party (当事人 / 信访人 / 被反映人) is a person or an organisation."""

    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("单位或组织")
