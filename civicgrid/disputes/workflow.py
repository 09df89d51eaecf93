"""The dispute workflow as a table (人民调解法 2010; 最高法《关于人民调解协议司法确认程序的若干规定》2011).

registered → accepted (受理: a mediation organisation and mediators assigned) | not_accepted (reason)
accepted → mediating (start: at least one applicant and one respondent registered)
mediating → agreed (调解协议书, both sides' confirmation) | failed (调解不成, reason)
agreed → confirming (parties applied to the court within 30 days of the agreement)
       | fulfilling (no judicial confirmation: follow-up visits on performance)
confirming → reviewing (court accepted, within 3 days) | agreed (court declined to accept)
reviewing → fulfilling (confirmed, within 15 days + 10) | failed (application rejected)
failed → referred (引导分流: litigation, arbitration, petition, administrative; hand-off record)
fulfilling | referred → closed
registered | accepted | mediating → withdrawn (the applicant withdraws)

The kernel (`cases.services.do_apply_action`) applies it; the hooks live in `disputes.services`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.workflow import Transition, Workflow


class DisputeStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")  # waiting for acceptance (受理) by a mediation organisation
    NOT_ACCEPTED = "not_accepted", _("不予受理")  # closed, with the reason
    ACCEPTED = "accepted", _("已受理")  # organisation and mediators assigned; mediation not begun
    MEDIATING = "mediating", _("调解中")  # sessions being held
    AGREED = "agreed", _("达成协议")  # agreement signed and confirmed by both sides
    CONFIRMING = "confirming", _("申请司法确认")  # applied to the court; waiting for its acceptance
    REVIEWING = "reviewing", _("司法确认审查中")  # the court accepted; waiting for its decision
    FULFILLING = "fulfilling", _("履行回访中")  # the agreement is being performed; follow-up visits
    FAILED = "failed", _("调解不成")  # to be referred elsewhere
    REFERRED = "referred", _("已引导分流")  # handed off with a receipt; waiting to be closed
    CLOSED = "closed", _("已结案")
    WITHDRAWN = "withdrawn", _("已撤回")  # the applicant withdrew


# Acceptance (受理) is the centre's registration step: the kernel's permission, so registered disputes
# wait in the centres' "待立案" inbox queue beside events.
REGISTER = "cases.register_case"
MEDIATE = "disputes.mediate_dispute"
CLOSE = "disputes.close_dispute"

# Clocks (limits in services.dispute_limit): acceptance from registration, mediation from
# acceptance, the court's acceptance and decision from the application.
ACCEPTANCE, MEDIATION, COURT_ACCEPTANCE, COURT_DECISION = (
    "acceptance",
    "mediation",
    "court_acceptance",
    "court_decision",
)

WORKFLOW = Workflow(
    "dispute",
    DisputeStatus,
    [
        Transition(
            "accept",
            ["registered"],
            "accepted",
            REGISTER,
            _("受理并指派调解"),
            stops=[ACCEPTANCE],
            starts=[MEDIATION],
        ),
        Transition("not_accept", ["registered"], "not_accepted", REGISTER, _("不予受理"), note_required=True),
        Transition("start", ["accepted"], "mediating", MEDIATE, _("开始调解")),
        Transition("agree", ["mediating"], "agreed", MEDIATE, _("达成调解协议"), stops=[MEDIATION]),
        Transition(
            "fail", ["mediating"], "failed", MEDIATE, _("调解不成"), note_required=True, stops=[MEDIATION]
        ),
        Transition(
            "apply_confirmation",
            ["agreed"],
            "confirming",
            MEDIATE,
            _("申请司法确认"),
            starts=[COURT_ACCEPTANCE],
        ),
        Transition(
            "court_accept",
            ["confirming"],
            "reviewing",
            MEDIATE,
            _("法院受理司法确认"),
            stops=[COURT_ACCEPTANCE],
            starts=[COURT_DECISION],
        ),
        Transition(
            "court_decline",
            ["confirming"],
            "agreed",
            MEDIATE,
            _("法院不予受理"),
            note_required=True,
            stops=[COURT_ACCEPTANCE],
        ),
        Transition(
            "court_confirm",
            ["reviewing"],
            "fulfilling",
            MEDIATE,
            _("法院确认协议有效"),
            stops=[COURT_DECISION],
        ),
        Transition(
            "court_reject",
            ["reviewing"],
            "failed",
            MEDIATE,
            _("法院驳回申请"),
            note_required=True,
            stops=[COURT_DECISION],
        ),
        Transition("fulfil", ["agreed"], "fulfilling", MEDIATE, _("转入履行回访")),
        Transition("refer", ["failed"], "referred", MEDIATE, _("引导分流")),
        Transition("close", ["fulfilling", "referred"], "closed", CLOSE, _("结案")),
        Transition(
            "withdraw",
            ["registered", "accepted", "mediating"],
            "withdrawn",
            MEDIATE,
            _("申请人撤回"),
            note_required=True,
        ),
    ],
    closed_states=["not_accepted", "closed", "withdrawn"],
)

ACTIONS = WORKFLOW.actions
# Where sessions may be recorded and follow-up visits made.
SESSION_STATES = ("accepted", "mediating")
VISIT_STATES = ("agreed", "confirming", "reviewing", "fulfilling")
