"""The registry of periodic jobs: work the `worker` command enqueues on an interval.

django-tasks runs tasks that someone enqueued; it has no scheduler. Apps that need recurring work
(the case timers that turn cases yellow and red, the sweep that re-delivers outbound messages)
register a task here from `AppConfig.ready`:

    register_periodic("cases.timers", 60, check_case_timers)

The registry is plain data in each process. Which worker runs a due job is decided in the
database (`notifications.PeriodicJob`, one row per name, claimed under a row lock), so two
workers on two machines never both enqueue the same run. A job's task must be idempotent: a run
can be retried after a crash, and a run enqueued late is not made up for by extra runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
MIN_INTERVAL_SECONDS = 1


@dataclass(frozen=True)
class PeriodicSpec:
    """A registered job: its unique name, how often it is due, and the django-tasks Task to enqueue
    (called with no arguments)."""

    name: str
    interval_seconds: int
    task: Any


_registry: dict[str, PeriodicSpec] = {}


def register_periodic(name: str, interval_seconds: int, task) -> PeriodicSpec:
    """Register `task` (a module-level django-tasks Task taking no arguments) to run every
    `interval_seconds`. Registering the same name again with the same task replaces the interval
    (AppConfig.ready may run twice in tests); a different task under a taken name is an error."""
    if not _NAME.match(name or ""):
        raise ValueError(f"periodic job name {name!r}: use dotted lower-case words, e.g. 'cases.timers'")
    if int(interval_seconds) != interval_seconds or interval_seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(f"periodic job {name!r}: interval must be a whole number of seconds ≥ 1")
    if not callable(getattr(task, "enqueue", None)):
        raise TypeError(f"periodic job {name!r}: task must be a django-tasks Task (use @task)")
    existing = _registry.get(name)
    if existing is not None and existing.task.module_path != task.module_path:
        raise ValueError(f"periodic job {name!r} is already registered for {existing.task.module_path}")
    spec = PeriodicSpec(name=name, interval_seconds=int(interval_seconds), task=task)
    _registry[name] = spec
    return spec


def unregister_periodic(name: str) -> None:
    """Remove a job from this process's registry (tests; a deployment simply stops registering)."""
    _registry.pop(name, None)


def registered_jobs() -> list[PeriodicSpec]:
    """The registered jobs, ordered by name (so every worker claims rows in the same order)."""
    return [_registry[name] for name in sorted(_registry)]
