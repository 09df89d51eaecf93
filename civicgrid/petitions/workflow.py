"""The petition workflow as a table (信访工作条例 2022, see GLOSSARY "Petition").

registered → transferred (转送/交办 to the competent organ, Art.22: 15 days from receipt)
           | not_accepted (the office tells the petitioner where to go instead, with the reason)
transferred → accepted (受理告知, Art.23: 15 days from receipt by the organ)
            | not_accepted (不予受理, with the reason)
            | objected (the organ is not competent: within 5 working days, Art.23)
objected → transferred (the office transfers again)
accepted → concluded (处理意见书 支持 / 解释说明 / 不予支持 delivered; 60 days + at most 30, Art.34)
concluded → under_review (复查 requested within 30 days of the opinion, Art.35) → reviewed (30 days)
reviewed → under_recheck (复核 requested within 30 days of the 复查意见, Art.36) → rechecked (30 days;
           hearing time not counted: under_recheck ⇄ hearing pauses and resumes the clock)

The office-side clocks are chained kernel clocks: the transition that stops one starts the next
(transfer → acceptance → handling; review; recheck). Two windows are checked by the services on
the same calendar but not run as kernel clocks, because letting them pass is nobody's failure and
must not turn a case red in the queues (the kernel mirrors the earliest running clock onto the
case): the organ's objection window (5 working days from the transfer, Art.23) and the
petitioner's request windows (30 days for 复查/复核).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.deadlines import Limit
from civicgrid.core.deadlines import Unit as TimeUnit
from civicgrid.core.workflow import Transition, Workflow


class PetitionStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")  # the office registered it; to transfer or assign
    TRANSFERRED = "transferred", _("已转送交办")  # waiting for the organ to accept, decline or object
    OBJECTED = "objected", _("机关异议")  # the organ says it is not competent; back to the office
    ACCEPTED = "accepted", _("已受理")  # being handled by the organ
    NOT_ACCEPTED = "not_accepted", _("不予受理")  # closed, with the reason told to the petitioner
    CONCLUDED = "concluded", _("已出具处理意见")  # 处理意见书 delivered; closed unless 复查 is asked
    UNDER_REVIEW = "under_review", _("复查中")
    REVIEWED = "reviewed", _("已复查")  # 复查意见 delivered; closed unless 复核 is asked
    UNDER_RECHECK = "under_recheck", _("复核中")
    HEARING = "hearing", _("听证中")  # 复核 hearing; its time is not counted
    RECHECKED = "rechecked", _("已复核")  # final: the same matter is no longer accepted


TRANSFER = "petitions.transfer_petition"
REVIEW = "petitions.review_petition"
HANDLE = "cases.handle_case"  # the receiving organ: also through its unit's assignment

# Statutory limits (信访工作条例 Arts. 22, 23, 34, 35, 36). "日" are calendar days.
LIMITS = {
    "transfer": Limit(15, TimeUnit.CALENDAR_DAYS),
    "acceptance": Limit(15, TimeUnit.CALENDAR_DAYS),
    "handling": Limit(60, TimeUnit.CALENDAR_DAYS, max_extension=30),
    "review": Limit(30, TimeUnit.CALENDAR_DAYS),
    "recheck": Limit(30, TimeUnit.CALENDAR_DAYS),
}
# Windows checked by the services (not kernel clocks): the organ's objection, the petitioner's requests.
OBJECTION_WINDOW = Limit(5, TimeUnit.WORKING_DAYS)
REQUEST_WINDOW = Limit(30, TimeUnit.CALENDAR_DAYS)

CLOCK_LABELS = {
    "transfer": _("转送交办时限"),
    "acceptance": _("受理告知时限"),
    "handling": _("办理时限"),
    "review": _("复查时限"),
    "recheck": _("复核时限"),
}

WORKFLOW = Workflow(
    "petition",
    PetitionStatus,
    [
        Transition(
            "transfer",
            ["registered", "objected"],
            "transferred",
            TRANSFER,
            _("转送交办"),
            stops=["transfer"],
            starts=["acceptance"],
        ),
        Transition(
            "office_decline",
            ["registered"],
            "not_accepted",
            TRANSFER,
            _("不予受理（告知）"),
            note_required=True,
        ),
        Transition(
            "accept",
            ["transferred"],
            "accepted",
            HANDLE,
            _("受理"),
            stops=["acceptance"],
            starts=["handling"],
        ),
        Transition("decline", ["transferred"], "not_accepted", HANDLE, _("不予受理"), note_required=True),
        Transition(
            "object",
            ["transferred"],
            "objected",
            HANDLE,
            _("提出异议"),
            note_required=True,
            stops=["acceptance"],
        ),
        Transition(
            "issue_opinion", ["accepted"], "concluded", HANDLE, _("出具处理意见书"), note_required=True
        ),
        # The review and recheck clocks start in the hooks, on the day the request was received.
        Transition("request_review", ["concluded"], "under_review", REVIEW, _("申请复查")),
        Transition("decide_review", ["under_review"], "reviewed", REVIEW, _("复查决定"), note_required=True),
        Transition("request_recheck", ["reviewed"], "under_recheck", REVIEW, _("申请复核")),
        Transition("start_hearing", ["under_recheck"], "hearing", REVIEW, _("举行听证"), pauses=["recheck"]),
        Transition("end_hearing", ["hearing"], "under_recheck", REVIEW, _("听证结束"), resumes=["recheck"]),
        Transition(
            "decide_recheck", ["under_recheck"], "rechecked", REVIEW, _("复核决定"), note_required=True
        ),
    ],
    closed_states=["not_accepted", "concluded", "reviewed", "rechecked"],
)

# Statuses in which the matter is "in progress" (Art.19): open cases.
OPEN_STATUSES = [s for s in PetitionStatus.values if s not in WORKFLOW.closed_states]
