"""The workflow runner: tables are checked when built, `plan` refuses illegal moves, `actions_for`
lists only what the reader may do. Pure: no database."""

import pytest
from django.utils import translation

from civicgrid.core.workflow import (
    IllegalTransition,
    Transition,
    Workflow,
    WorkflowDefinitionError,
    check_workflows,
)

STATES = {"new": "新建", "open": "处理中", "done": "已办结"}


def table():
    return Workflow(
        "sample",
        STATES,
        [
            Transition("start", ["new"], "open", "cases.handle_case", "开始", starts=["handling"]),
            Transition("finish", ["open"], "done", "cases.close_case", "办结", stops="handling"),
            Transition("reopen", ["done"], "open", "cases.handle_case", "重办", note_required=True),
        ],
        closed_states=["done"],
    )


def test_initial_state_is_the_first_and_tuples_are_normalised():
    wf = table()
    assert wf.initial == "new"
    assert wf.transitions[1].stops == ("handling",)
    assert wf.transitions[0].starts == ("handling",)
    assert wf.actions == ("start", "finish", "reopen")
    assert wf.permissions == frozenset({"cases.handle_case", "cases.close_case"})
    assert wf.clock_names() == frozenset({"handling"})
    assert wf.is_closed("done") and not wf.is_closed("open")


def test_plan_returns_the_transition():
    t = table().plan("open", "finish")
    assert (t.action, t.target, t.permission) == ("finish", "done", "cases.close_case")


def test_illegal_transition_names_action_and_status_in_chinese():
    with translation.override("zh-hans"), pytest.raises(IllegalTransition) as exc:
        table().plan("new", "finish")
    assert exc.value.code == "illegal_transition"
    assert exc.value.field == "action"
    assert str(exc.value.message) == "当前状态“新建”下不能执行“办结”"
    assert exc.value.params == {"action": "finish", "status": "new"}


def test_unknown_action():
    with translation.override("zh-hans"), pytest.raises(IllegalTransition) as exc:
        table().plan("new", "fly")
    assert (exc.value.code, exc.value.field, str(exc.value.message)) == (
        "unknown_action",
        "action",
        "未知的操作“fly”",
    )


def test_actions_for_filters_by_permission_and_asks_once_per_permission():
    asked = []

    def can(permission):
        asked.append(permission)
        return permission == "cases.handle_case"

    wf = Workflow(
        "two",
        ["a", "b", "c"],
        [
            Transition("x", ["a"], "b", "cases.handle_case", "X"),
            Transition("y", ["a"], "c", "cases.close_case", "Y"),
            Transition("z", ["a"], "c", "cases.handle_case", "Z"),
        ],
    )
    assert [t.action for t in wf.actions_for("a", can)] == ["x", "z"]
    assert asked == ["cases.handle_case", "cases.close_case"]
    assert wf.actions_for("c", lambda p: True) == []


def test_every_transition_needs_a_permission():
    with pytest.raises(WorkflowDefinitionError, match="transition 'go' has no permission"):
        Workflow("bad", ["a", "b"], [Transition("go", ["a"], "b", "", "走")])


def test_unknown_states_and_ambiguous_actions_are_refused():
    with pytest.raises(WorkflowDefinitionError) as exc:
        Workflow(
            "bad",
            ["a", "b"],
            [
                Transition("go", ["a"], "zz", "cases.handle_case", "走"),
                Transition("go", ["a"], "b", "cases.handle_case", "走"),
            ],
            closed_states=["gone"],
        )
    text = str(exc.value)
    assert "closed state 'gone' is not a state" in text
    assert "transition 'go' names unknown state 'zz'" in text
    assert "action 'go' is ambiguous from 'a'" in text


def test_sources_for_permission_and_check_workflows():
    wf = table()
    assert wf.sources_for_permission("cases.handle_case") == frozenset({"new", "done"})
    assert wf.sources_for_permission("cases.verify_case") == frozenset()
    assert check_workflows([wf]) == []


def test_textchoices_states_carry_labels():
    from django.db import models

    class S(models.TextChoices):
        NEW = "new", "新建"
        DONE = "done", "已办结"

    wf = Workflow("tc", S, [Transition("close", ["new"], "done", "cases.close_case", "办结")])
    assert wf.states == {"new": "新建", "done": "已办结"}
    assert wf.label_of("done") == "已办结"
