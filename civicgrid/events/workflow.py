"""The event workflow as a table (数字城管 seven steps + 12345 practice, see GLOSSARY).

reported → registered | rejected (reason) | transferred (emergency, by the system) | merged
registered → dispatched (lead + co-handlers; starts the response, handling and objection clocks)
dispatched → accepted (签收) | objected (派单异议, within the objection window)
objected → dispatched (re-dispatch, or designate a unit that cannot object again)
accepted → handled (result + photo evidence)
handled → verified (on-site check passed) | accepted (rework: the check failed)
verified → closed → done (callback) | accepted (reopen: the citizen is dissatisfied)
reported → handled (self_handle: a grid worker resolved it on the spot, 就地处置)

The kernel (`cases.services.do_apply_action`) applies it; the hooks live in `events.services`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.workflow import Transition, Workflow


class EventStatus(models.TextChoices):
    REPORTED = "reported", _("已上报")  # waiting to be registered (立案)
    REGISTERED = "registered", _("已立案")  # waiting to be dispatched
    REJECTED = "rejected", _("不予立案")  # closed, with a reason
    TRANSFERRED = "transferred", _("已转办")  # emergency handed to 110/119/120/122; closed
    MERGED = "merged", _("已合并")  # a duplicate, counted as +1 on the original; closed
    DISPATCHED = "dispatched", _("已派遣")  # waiting for the lead unit to accept or object
    OBJECTED = "objected", _("派单异议")  # the unit says it is not competent; back to the centre
    ACCEPTED = "accepted", _("处置中")  # accepted (签收), being handled
    HANDLED = "handled", _("已反馈")  # result reported back, waiting for verification
    VERIFIED = "verified", _("已核查")  # on-site check passed, waiting to be closed
    CLOSED = "closed", _("已结案")  # waiting for the callback
    DONE = "done", _("已回访")  # callback made, the loop is closed


REGISTER = "cases.register_case"
DISPATCH = "cases.dispatch_case"
HANDLE = "cases.handle_case"

WORKFLOW = Workflow(
    "event",
    EventStatus,
    [
        Transition("register", ["reported"], "registered", REGISTER, _("立案")),
        Transition("reject", ["reported"], "rejected", REGISTER, _("不予立案"), note_required=True),
        # Emergencies are transferred by intake itself (actor=None), never queued.
        Transition("transfer", ["reported"], "transferred", REGISTER, _("转办")),
        Transition("merge", ["reported", "registered"], "merged", REGISTER, _("合并")),
        Transition(
            "self_handle",
            ["reported"],
            "handled",
            HANDLE,
            _("就地处置"),
        ),
        Transition(
            "dispatch",
            ["registered", "objected"],
            "dispatched",
            DISPATCH,
            _("派遣"),
            starts=["response", "handling", "objection"],
        ),
        Transition(
            "designate",
            ["objected"],
            "dispatched",
            DISPATCH,
            _("指定承办"),
            starts=["response", "handling"],
        ),
        Transition("accept", ["dispatched"], "accepted", HANDLE, _("签收"), stops=["response", "objection"]),
        Transition(
            "object",
            ["dispatched"],
            "objected",
            HANDLE,
            _("派单异议"),
            note_required=True,
            stops=["response", "objection", "handling"],
        ),
        Transition("handle", ["accepted"], "handled", HANDLE, _("处置反馈"), stops=["handling"]),
        Transition("verify", ["handled"], "verified", "cases.verify_case", _("核查通过")),
        Transition(
            "rework",
            ["handled"],
            "accepted",
            "cases.verify_case",
            _("核查不通过，退回重办"),
            note_required=True,
            starts=["handling"],
        ),
        Transition("close", ["verified"], "closed", "cases.close_case", _("结案")),
        Transition("callback", ["closed"], "done", "cases.callback_case", _("回访")),
        Transition(
            "reopen",
            ["closed"],
            "accepted",
            "cases.callback_case",
            _("回访不满意，重新办理"),
            starts=["handling"],
        ),
    ],
    closed_states=["rejected", "transferred", "merged", "closed", "done"],
)

# Actions with their own service (they need data the generic action endpoint checks first).
ACTIONS = WORKFLOW.actions
