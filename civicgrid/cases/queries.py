"""Reads for inboxes: the queues a user works from, all through `restrict`, paginated, with the
related rows a list shows joined in (no N+1).

Queues are kind-agnostic: "to register" is every open case whose status is a source of a
transition needing `cases.register_case` in its kind's workflow, restricted to where the user holds
that permission; "to dispatch" likewise with `cases.dispatch_case`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from .choices import LIVE_ASSIGNMENT_STATUSES, Supervision
from .kinds import registered_kinds
from .models import Assignment, Case

VIEW = "cases.view_case"
PAGE_SIZE = 20
QUEUES = ("to_register", "to_dispatch", "my_unit", "due_soon", "overdue", "supervised")


def _list(qs: QuerySet) -> QuerySet:
    return qs.select_related("area", "grid", "lead_unit")


def statuses_needing(permission: str, action: str | None = None) -> Q:
    """Cases (of any registered kind) in a status from which `permission` can act — or, with
    `action`, from which that step can be taken (a kind without such a step falls back to the
    permission alone)."""
    condition = Q(pk__in=[])
    for code, kind in registered_kinds().items():
        statuses = (action and kind.workflow.sources_for_action(action, permission)) or (
            kind.workflow.sources_for_permission(permission)
        )
        if statuses:
            condition |= Q(kind=code, status__in=sorted(statuses))
    return condition


def to_register(user) -> QuerySet:
    permission = "cases.register_case"
    return Case.objects.restrict(user, permission).open().filter(statuses_needing(permission, "register"))


def to_dispatch(user) -> QuerySet:
    permission = "cases.dispatch_case"
    return Case.objects.restrict(user, permission).open().filter(statuses_needing(permission, "dispatch"))


def my_unit(user) -> QuerySet:
    """Open cases with a pending or accepted assignment of the user's unit, that the user may
    handle (through their area or the assignment itself)."""
    if not getattr(user, "unit_id", None):
        return Case.objects.none()
    assigned = Assignment.objects.filter(unit_id=user.unit_id, status__in=LIVE_ASSIGNMENT_STATUSES).values(
        "case_id"
    )
    return Case.objects.restrict(user, "cases.handle_case").open().filter(pk__in=assigned)


def due_soon(user, now=None) -> QuerySet:
    """Yellow: past the warning share of a running clock, not yet due."""
    now = now or timezone.now()
    return Case.objects.restrict(user, VIEW).open().filter(warn_at__lte=now, due_at__gt=now)


def overdue(user, now=None) -> QuerySet:
    """Red: a running clock has passed its deadline."""
    now = now or timezone.now()
    return Case.objects.restrict(user, VIEW).open().filter(due_at__lte=now)


def supervised(user) -> QuerySet:
    return Case.objects.restrict(user, VIEW).open().exclude(supervision=Supervision.NONE)


_QUEUE_FUNCS = {
    "to_register": to_register,
    "to_dispatch": to_dispatch,
    "my_unit": my_unit,
    "due_soon": due_soon,
    "overdue": overdue,
    "supervised": supervised,
}
# Oldest deadline first for clock queues; newest first otherwise.
_ORDER = {"due_soon": ("due_at", "id"), "overdue": ("due_at", "id")}


def queue(user, name: str) -> QuerySet:
    """The named queue's cases for `user`, ordered, with list relations joined."""
    qs = _QUEUE_FUNCS[name](user)
    return _list(qs.order_by(*_ORDER.get(name, ("-opened_at", "-id"))))


def inbox_page(user, name: str, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """One page of a queue: two queries (count, rows) once the user's scope is cached."""
    return Paginator(queue(user, name), per_page).get_page(page)


@dataclass(frozen=True)
class InboxCounts:
    to_register: int
    to_dispatch: int
    my_unit: int
    due_soon: int
    overdue: int
    supervised: int


def inbox_counts(user) -> InboxCounts:
    """How many cases each queue holds (one query per queue)."""
    return InboxCounts(**{name: _QUEUE_FUNCS[name](user).count() for name in QUEUES})
