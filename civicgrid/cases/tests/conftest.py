"""A tiny fake case kind ("fake") registered for the kernel's tests, and helpers to open cases in
the seeded world."""

import pytest

from civicgrid.cases import services
from civicgrid.cases.kinds import CaseKind, register_kind, unregister_kind
from civicgrid.core.deadlines import Limit
from civicgrid.core.workflow import Transition, Workflow

STATES = {
    "reported": "已上报",
    "registered": "已立案",
    "dispatched": "已派遣",
    "accepted": "已签收",
    "suspended": "已中止",
    "handled": "已处置",
    "closed": "已结案",
    "rejected": "不予立案",
}

WORKFLOW = Workflow(
    "fake",
    STATES,
    [
        Transition(
            "register",
            ["reported"],
            "registered",
            "cases.register_case",
            "立案",
            stops=["response"],
            starts=["handling"],
        ),
        Transition("reject", ["reported"], "rejected", "cases.register_case", "不予立案", note_required=True),
        Transition("dispatch", ["registered"], "dispatched", "cases.dispatch_case", "派遣"),
        Transition("accept", ["dispatched"], "accepted", "cases.handle_case", "签收"),
        Transition("suspend", ["accepted"], "suspended", "cases.handle_case", "中止", pauses=["handling"]),
        Transition("resume", ["suspended"], "accepted", "cases.handle_case", "恢复", resumes=["handling"]),
        Transition("handle", ["accepted"], "handled", "cases.handle_case", "处置", stops=["handling"]),
        Transition("close", ["handled"], "closed", "cases.close_case", "结案"),
        Transition(
            "reopen",
            ["closed"],
            "registered",
            "cases.callback_case",
            "重办",
            starts=["handling"],
            note_required=True,
        ),
    ],
    closed_states=["closed", "rejected"],
)

LIMITS = {"response": Limit(2, "hours"), "handling": Limit(5, "working_days", max_extension=5)}


def on_dispatch(ctx):
    from civicgrid.accounts.models import Unit

    lead = Unit.objects.get(pk=ctx.data["lead"])
    co = list(Unit.objects.filter(pk__in=ctx.data.get("co", ())))
    services.assign_units(
        ctx.case, lead, co, actor=ctx.actor, now=ctx.now, designated=ctx.data.get("designated", False)
    )
    ctx.timeline_data["lead"] = lead.pk


def on_accept(ctx):
    services.accept_assignment(ctx.case, ctx.actor.unit_id, now=ctx.now)


def on_escalate(ctx):
    ctx.timeline_data["rerouted"] = True


FAKE = CaseKind(
    "fake",
    WORKFLOW,
    label="测试",
    number_prefix_fn=lambda case: f"T{case.opened_at.year}{case.area.code[:6]}",
    serial_width=4,
    open_starts=("response",),
    limit_fn=lambda case, name: LIMITS.get(name),
    handlers={"dispatch": on_dispatch, "accept": on_accept},
    on_escalate=on_escalate,
)


@pytest.fixture(autouse=True)
def fake_kind():
    register_kind(FAKE)
    yield FAKE
    unregister_kind("fake")


@pytest.fixture
def open_case(world):
    """open_case(grid="338001001001001", actor="gridworker", **kw) → a fake case in that grid."""

    def make(grid: str = "338001001001001", actor: str | None = "gridworker", **kw):
        g = world.grids[grid]
        return services.do_open_case(
            "fake",
            actor=world.user(actor) if actor else None,
            title=kw.pop("title", "井盖缺失"),
            area=g.village,
            grid=g,
            **kw,
        )

    return make
