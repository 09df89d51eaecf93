"""The registry of case kinds: how the kernel reaches the kinds above it without importing them.

Each kind app (events, disputes, petitions, hazards) builds one `CaseKind` and registers it in its
`AppConfig.ready()`:

    from civicgrid.cases.kinds import CaseKind, register_kind
    register_kind(CaseKind("event", WORKFLOW, label=_("事件"), number_prefix_fn=event_prefix,
                           limit_fn=event_limit, handlers={"dispatch": on_dispatch}))

The kernel then looks a kind up by `Case.kind` (`get_kind`) for its workflow, numbering, clock
limits and the hooks it runs inside `do_apply_action`. See docs/case-kernel.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from civicgrid.core.deadlines import LOCAL_TZ, Limit
from civicgrid.core.errors import ServiceError
from civicgrid.core.workflow import Transition, Workflow

from .error_codes import CaseErrorCode

if TYPE_CHECKING:
    from .models import Case


@dataclass
class ActionContext:
    """What a kind's hook receives. Hooks run inside the kernel's transaction, with the case row
    locked; they may change fields of `case` (the kernel saves the changed fields, bumps the
    version and audits the diff), create related rows, add keys to `timeline_data` (stored on the
    timeline entry) and raise ServiceError to refuse (everything rolls back)."""

    case: Case
    actor: Any
    action: str
    now: dt.datetime
    transition: Transition | None = None
    note: str = ""
    data: dict = field(default_factory=dict)
    previous_status: str = ""
    timeline_data: dict = field(default_factory=dict)


Hook = Callable[[ActionContext], None]


def default_number_prefix(case: Case) -> str:
    """Year (Asia/Shanghai) of opening + the 6-digit county code of the case's area:
    "2026338001" → numbers "2026338001000001", "2026338001000002", …"""
    return f"{case.opened_at.astimezone(LOCAL_TZ).year}{case.area.code[:6]}"


def no_limit(case: Case, clock: str) -> Limit | None:
    return None


def never_escalate(case: Case) -> bool:
    return False


@dataclass(frozen=True, eq=False)
class CaseKind:
    """A case kind as the kernel sees it.

    * `workflow`: the transition table (core.workflow.Workflow) of this kind.
    * `number_prefix_fn(case) -> str`: the readable number's prefix; the kernel appends a serial
      of `serial_width` digits, counted per (kind, prefix) under a row lock, so numbers are unique
      under concurrency. The default gives year + county code.
    * `open_starts`: clocks started when a case is opened (e.g. "response").
    * `limit_fn(case, clock_name) -> Limit | None`: the limit of a clock a transition starts (e.g.
      from the event's category); None means "this case has no such clock" and nothing starts.
    * `handlers[action](ctx)`: runs after the status moved, for that action (assign units, record
      a result, refuse when data is missing).
    * `on_enter[status](ctx)`: runs after any transition into that status, after the handler.
    * `on_open(ctx)`, `on_urge(ctx)`, `on_supervise(ctx)`, `on_escalate(ctx)`: kind reactions to
      the kernel's own services (notify, re-route to the new level's centre …).
    * `auto_escalate(case) -> bool`: asked by the timer sweep (cases.timers) when one of the case's
      clocks turns red; True escalates the case one level (do_escalate, actor=None). The default
      never escalates. For events it reads the category's "auto escalate" flag.
    * `clock_labels[name]`: how the case page and the API name the kind's clocks (受理时限 …);
      the kernel's own names (response, handling, objection) need none.
    * `record_labels[action]`: how the timeline names the kind's own steps written with
      `cases.timeline.record` (risk_changed → 风险等级变更 …); others read "办理记录".
    * `extension_permission`: what asking for an extension of the kind's clocks needs (default
      `cases.handle_case`; a dispute's mediators ask with their mediation permission)."""

    code: str
    workflow: Workflow
    label: object = ""
    number_prefix_fn: Callable[[Case], str] = default_number_prefix
    serial_width: int = 6
    open_starts: tuple[str, ...] = ()
    limit_fn: Callable[[Case, str], Limit | None] = no_limit
    handlers: Mapping[str, Hook] = field(default_factory=dict)
    on_enter: Mapping[str, Hook] = field(default_factory=dict)
    on_open: Hook | None = None
    on_urge: Hook | None = None
    on_supervise: Hook | None = None
    on_escalate: Hook | None = None
    auto_escalate: Callable[[Case], bool] = never_escalate
    clock_labels: Mapping[str, object] = field(default_factory=dict)
    record_labels: Mapping[str, object] = field(default_factory=dict)
    extension_permission: str = "cases.handle_case"

    def __post_init__(self):
        if self.workflow.kind != self.code:
            raise ValueError(f"case kind {self.code!r} carries the workflow of {self.workflow.kind!r}")
        unknown = set(self.handlers) - set(self.workflow.actions)
        if unknown:
            raise ValueError(f"case kind {self.code!r}: handlers for unknown actions {sorted(unknown)}")
        unknown = set(self.on_enter) - set(self.workflow.states)
        if unknown:
            raise ValueError(f"case kind {self.code!r}: on_enter for unknown states {sorted(unknown)}")


_kinds: dict[str, CaseKind] = {}


def register_kind(kind: CaseKind) -> CaseKind:
    """Make `kind` known to the kernel. Registering another kind under a taken code is a mistake
    (two apps claiming one kind) and raises; registering the same object again does nothing."""
    existing = _kinds.get(kind.code)
    if existing is not None and existing is not kind:
        raise ValueError(f"case kind {kind.code!r} is already registered")
    _kinds[kind.code] = kind
    return kind


def unregister_kind(code: str) -> None:
    """Forget a kind (tests that register a throw-away kind)."""
    _kinds.pop(code, None)


def get_kind(code: str) -> CaseKind:
    try:
        return _kinds[code]
    except KeyError:
        raise ServiceError(
            CaseErrorCode.UNKNOWN_KIND,
            _("未知的案件类型“%(kind)s”") % {"kind": code},
            field="kind",
        ) from None


def registered_kinds() -> dict[str, CaseKind]:
    return dict(_kinds)
