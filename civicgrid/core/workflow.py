"""Workflows as data: a case kind declares its transitions as a table; this module applies it.

A `Workflow` is pure (no ORM, no request): `plan(status, action)` answers which `Transition` an
action takes from a status, or raises `IllegalTransition`; `actions_for(status, can)` lists the
transitions a reader may take (UI buttons, the API's `actions` field). The case kernel
(`civicgrid.cases.services.do_apply_action`) locks the case, calls `plan`, checks the transition's
permission over the case's area, runs the kind's handler and starts/stops the clocks it names.

    WORKFLOW = Workflow(
        kind="event",
        states=EventStatus,  # a TextChoices class, a {value: label} mapping or a list of values
        transitions=[
            Transition("register", ["reported"], "registered", "cases.register_case", _("立案"),
                       stops=["response"], starts=["handling"]),
            ...
        ],
        closed_states=["closed", "rejected"],
    )

No workflow library: django-fsm was archived in 2024 and a table is easier to read, test and render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .errors import ServiceError


class IllegalTransition(ServiceError):
    """The action cannot be taken from the case's current status (or is unknown to the workflow)."""


class WorkflowDefinitionError(ValueError):
    """A workflow table that contradicts itself; raised when the table is built (at import time)."""


def _as_tuple(values) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(values)


@dataclass(frozen=True)
class Transition:
    """One row of a workflow table.

    `action`: the verb the API and UI send ("dispatch"); `sources`: statuses it may be taken from;
    `target`: the status it leads to; `permission`: the Django permission the actor must hold over
    the case's area ("cases.dispatch_case"); `label`: the button text (translated, lazy);
    `starts`/`stops`: names of the deadline clocks the kernel opens and closes; `pauses`/`resumes`:
    clocks it stops and restarts (e.g. hearing time not counted); `note_required`: the action needs a
    reason (rejection, objection)."""

    action: str
    sources: tuple[str, ...]
    target: str
    permission: str
    label: object
    starts: tuple[str, ...] = ()
    stops: tuple[str, ...] = ()
    note_required: bool = False
    pauses: tuple[str, ...] = ()
    resumes: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("sources", "starts", "stops", "pauses", "resumes"):
            object.__setattr__(self, name, _as_tuple(getattr(self, name)))


@dataclass(frozen=True, eq=False)
class Workflow:
    """A case kind's transition table.

    `states` gives every status (values with their labels); the first is the initial status unless
    `initial` names another. `closed_states` are the statuses in which a case counts as closed (no
    longer in queues; urging and supervision refused). Built once at import time; a contradictory
    table raises WorkflowDefinitionError at once, so a bad table never reaches a running system."""

    kind: str
    states: Mapping[str, object]
    transitions: tuple[Transition, ...]
    initial: str = ""
    closed_states: frozenset[str] = field(default_factory=frozenset)

    def __init__(self, kind, states, transitions, *, initial="", closed_states=()):
        if hasattr(states, "choices"):  # a TextChoices class
            labels = dict(states.choices)
        elif isinstance(states, Mapping):
            labels = dict(states)
        else:
            labels = {s: s for s in states}
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "states", labels)
        object.__setattr__(self, "transitions", tuple(transitions))
        object.__setattr__(self, "initial", initial or next(iter(labels), ""))
        object.__setattr__(self, "closed_states", frozenset(closed_states))
        problems = self.problems()
        if problems:
            raise WorkflowDefinitionError(f"workflow {kind!r}: " + "; ".join(problems))

    # --- checks -------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Everything wrong with the table (empty when it is sound): unknown statuses, transitions
        without a permission, one action leading two ways from the same status."""
        found = []
        if not self.states:
            found.append("no states")
        if self.initial not in self.states:
            found.append(f"initial state {self.initial!r} is not a state")
        for state in sorted(self.closed_states - set(self.states)):
            found.append(f"closed state {state!r} is not a state")
        seen: dict[tuple[str, str], str] = {}
        for t in self.transitions:
            if not t.permission or "." not in t.permission:
                found.append(f"transition {t.action!r} has no permission (want 'app_label.codename')")
            if not t.sources:
                found.append(f"transition {t.action!r} has no source state")
            for state in (*t.sources, t.target):
                if state not in self.states:
                    found.append(f"transition {t.action!r} names unknown state {state!r}")
            for source in t.sources:
                if (source, t.action) in seen:
                    found.append(f"action {t.action!r} is ambiguous from {source!r}")
                seen[(source, t.action)] = t.target
        return found

    # --- questions ----------------------------------------------------------------------------

    def label_of(self, status: str) -> str:
        return str(self.states.get(status, status))

    def action_label(self, action: str) -> str:
        for t in self.transitions:
            if t.action == action:
                return str(t.label)
        return action

    @property
    def actions(self) -> tuple[str, ...]:
        """Every action of the table, in table order, once each."""
        return tuple(dict.fromkeys(t.action for t in self.transitions))

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset(t.permission for t in self.transitions)

    def is_closed(self, status: str) -> bool:
        return status in self.closed_states

    def plan(self, status: str, action: str) -> Transition:
        """The transition `action` takes from `status`, or IllegalTransition naming both."""
        for t in self.transitions:
            if t.action == action and status in t.sources:
                return t
        if action not in self.actions:
            raise IllegalTransition(
                "unknown_action",
                _("未知的操作“%(action)s”") % {"action": action},
                field="action",
                params={"action": action, "status": status},
            )
        raise IllegalTransition(
            "illegal_transition",
            _("当前状态“%(status)s”下不能执行“%(action)s”")
            % {"status": self.label_of(status), "action": self.action_label(action)},
            field="action",
            params={"action": action, "status": status},
        )

    def transitions_from(self, status: str) -> list[Transition]:
        return [t for t in self.transitions if status in t.sources]

    def actions_for(self, status: str, can: Callable[[str], bool]) -> list[Transition]:
        """The transitions from `status` whose permission `can(permission)` grants, in table order
        (the buttons a reader sees, the API's `actions` field)."""
        verdicts: dict[str, bool] = {}
        allowed = []
        for t in self.transitions_from(status):
            if t.permission not in verdicts:
                verdicts[t.permission] = bool(can(t.permission))
            if verdicts[t.permission]:
                allowed.append(t)
        return allowed

    def sources_for_permission(self, permission: str) -> frozenset[str]:
        """Statuses from which some transition needs `permission`: the statuses of an inbox queue
        ("to register" = where `cases.register_case` can act)."""
        return frozenset(s for t in self.transitions if t.permission == permission for s in t.sources)

    def sources_for_action(self, action: str, permission: str) -> frozenset[str]:
        """Statuses from which `action` (taken with `permission`) is possible. Inbox queues use the
        kind's own step — "to register" lists cases that can be *registered*, not every case a
        registrar may still merge or reject."""
        return frozenset(
            s
            for t in self.transitions
            if t.action == action and t.permission == permission
            for s in t.sources
        )

    def clock_names(self) -> frozenset[str]:
        names: set[str] = set()
        for t in self.transitions:
            names.update(t.starts, t.stops, t.pauses, t.resumes)
        return frozenset(names)


def check_workflows(workflows: Iterable[Workflow]) -> list[str]:
    """Problems of several tables at once (a test asserts it is empty)."""
    return [f"{w.kind}: {p}" for w in workflows for p in w.problems()]
