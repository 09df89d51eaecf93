"""Reads for inboxes: the queues a user works from, all through `restrict`, paginated, with the
related rows a list shows joined in (no N+1).

Queues are kind-agnostic: "to register" is every open case whose status is a source of a
transition needing `cases.register_case` in its kind's workflow, restricted to where the user holds
that permission; "to dispatch" likewise with `cases.dispatch_case`.

At scale (millions of cases, see docs/scaling.md): every queue is over open cases, which partial
indexes on `closed_at IS NULL` cover (case_open_*), so a queue never reads the closed millions; a
unit's assignments widen a queue through `CaseUnit` (the units that see each open case), not
through the unit's whole assignment history; the six tab counts are one query (a scalar subquery
per queue, each on its own index range), and a queue's page reuses its tab's count (`CountedPaginator`); the "all cases" list pages
newest first with the assignment-based access as a correlated EXISTS (a few probes per page) and
counts at most CAPPED_COUNT cases (`CappedPaginator`), as do filtered queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from civicgrid.areas.choices import LEVEL_DIGITS, AreaLevel
from civicgrid.core.scope import ALL, path_q, scope_paths

from .choices import (
    LEVEL_ORDER,
    LIVE_ASSIGNMENT_STATUSES,
    VISIBLE_ASSIGNMENT_STATUSES,
    HandlingLevel,
    Supervision,
)
from .kinds import registered_kinds
from .models import Assignment, Case, CaseUnit, confidential_guard

VIEW = "cases.view_case"
HANDLE = "cases.handle_case"
REGISTER = "cases.register_case"
DISPATCH = "cases.dispatch_case"
PAGE_SIZE = 20
QUEUES = ("to_register", "to_dispatch", "my_unit", "due_soon", "overdue", "supervised")
# Lists that may hold every case a user can see are counted up to this many ("2000+"); beyond it
# the user narrows the list with the filters. Bounded pagination: at most CAPPED_COUNT / page size
# pages.
CAPPED_COUNT = 2000


def _list(qs: QuerySet) -> QuerySet:
    """The relations a list shows: grid and lead unit joined (LEFT JOINs: the case stays the outer
    table), the area fetched for the page in a second query. An INNER JOIN of the area let SQLite
    start from the areas and read every case of each (millions) before sorting them; the list must
    walk its own index (newest first, or oldest deadline first) and stop after a page."""
    return qs.select_related("grid", "lead_unit").prefetch_related("area")


def statuses_needing(permission: str, action: str | None = None) -> Q:
    """Cases (of any registered kind) in a status from which `permission` can act — or, with
    `action`, from which that step can be taken (a kind without such a step falls back to the
    permission alone)."""
    pairs = {}
    for code, kind in registered_kinds().items():
        statuses = (action and kind.workflow.sources_for_action(action, permission)) or (
            kind.workflow.sources_for_permission(permission)
        )
        if statuses:
            pairs[code] = sorted(statuses)
    if not pairs:
        return Q(pk__in=[])
    if len(pairs) == 1:
        ((code, statuses),) = pairs.items()
        return Q(kind=code, status__in=statuses)
    # Several kinds: `kind IN (…) AND status IN (…)` first, which both databases read as ranges of
    # the queues' covering index (kind, status, path, …); the exact (kind, status) pairs are then
    # a filter on those entries. A bare OR of the pairs made SQLite walk every open case instead.
    exact = Q(pk__in=[])
    for code, statuses in pairs.items():
        exact |= Q(kind=code, status__in=statuses)
    every_status = sorted({s for statuses in pairs.values() for s in statuses})
    return Q(kind__in=sorted(pairs), status__in=every_status) & exact


# --- queue conditions ------------------------------------------------------------------------------
# Each queue is `Case.objects.open()` filtered by one Q: the user's scope for the queue's permission
# and the queue's own test. The same Q serves the queue's list and its conditional count, so the
# tab count and the list can never disagree. None: the queue is empty for the user.


def _path_prefixes(paths) -> Q:
    """`path_q` for the queue scans. On SQLite as ranges (`path >= p AND path < p⁺`, p⁺ being p
    with its last character incremented): the same rows as a prefix test under SQLite's binary
    collation, usable as an index range, and far cheaper per row than LIKE — the tab counts test
    each of ~100,000 open cases' paths for several queues, and LIKE made that ~0.5 s at 5M.
    Elsewhere `startswith` (PostgreSQL: LIKE on varchar_pattern_ops, fast; a range there would
    follow the database's collation, which need not order '/' before the digits)."""
    if connection.vendor != "sqlite":
        return path_q(Case.scope_path_field, paths)
    condition = Q()
    for p in paths:
        condition |= Q(path__gte=p, path__lt=p[:-1] + chr(ord(p[-1]) + 1))
    return condition


def _scope(user, action: str) -> Q | None:
    """The condition of `Case.objects.restrict(user, action)` over OPEN cases, as a Q (None:
    nowhere): the user's paths, OR — for view and handle — cases assigned to the user's unit.

    For view, the assignment branch reads `CaseUnit` (the units that see each OPEN case through an
    assignment, kept by the services): the unit's few open cases, not the unit's whole assignment
    history (hundreds of thousands of finished assignments after some years). For handle, the
    live assignments (pending/accepted: few). Equal to `restrict` wherever the queue itself keeps
    open cases only."""
    from .models import ASSIGNMENT_ACTIONS

    paths = scope_paths(user, action)
    if paths is ALL:
        return Q()
    if not paths:
        return None
    condition = _path_prefixes(paths)
    unit_id = getattr(user, "unit_id", None)
    statuses = ASSIGNMENT_ACTIONS.get(action)
    assigned_q = None
    if statuses and unit_id:
        if tuple(statuses) == tuple(VISIBLE_ASSIGNMENT_STATUSES):
            assigned_q = Q(pk__in=CaseUnit.objects.filter(unit_id=unit_id).values("case_id"))
        else:
            assigned = Assignment.objects.filter(unit_id=unit_id, status__in=statuses)
            assigned_q = Q(pk__in=assigned.values("case_id"))
    return confidential_guard(user, condition, assigned_q, paths_q=_path_prefixes)


def _both(scope: Q | None, test: Q) -> Q | None:
    return None if scope is None else scope & test


def _to_register(user, now) -> Q | None:
    return _both(_scope(user, REGISTER), statuses_needing(REGISTER, "register"))


# The handling level a centre at an area's level dispatches up to (小事不出村、大事不出镇): a
# township's centre takes village and township cases, not those escalated to the county.
_CENTRE_LEVEL = {
    AreaLevel.PROVINCE: len(LEVEL_ORDER) - 1,
    AreaLevel.CITY: len(LEVEL_ORDER) - 1,
    AreaLevel.COUNTY: LEVEL_ORDER.index(HandlingLevel.COUNTY),
    AreaLevel.TOWNSHIP: LEVEL_ORDER.index(HandlingLevel.TOWNSHIP),
    AreaLevel.VILLAGE: LEVEL_ORDER.index(HandlingLevel.VILLAGE),
}


_LEVEL_BY_DIGITS = {digits: level for level, digits in LEVEL_DIGITS.items()}


def _scope_level(path: str) -> int:
    """The index in LEVEL_ORDER of the centre a scope path stands for, from the length of its last
    segment (paths are the codes' significant prefixes, "33/3380/338001/"; a grid's ends in a grid
    code: village)."""
    digits = len(path.rstrip("/").rsplit("/", 1)[-1])
    level = _LEVEL_BY_DIGITS.get(digits, AreaLevel.VILLAGE)
    return _CENTRE_LEVEL[level]


def dispatch_levels(user) -> list[str] | None:
    """The handling levels `user` dispatches from the queue: their highest scope's level and below;
    None for every level (a city-wide or superuser scope)."""
    paths = scope_paths(user, DISPATCH)
    if paths is ALL:
        return None
    top = max((_scope_level(p) for p in paths), default=0)
    return None if top >= len(LEVEL_ORDER) - 1 else [str(level) for level in LEVEL_ORDER[: top + 1]]


def _to_dispatch(user, now) -> Q | None:
    """Cases waiting for a dispatch within the user's reach, at the user's level or below: a case
    escalated (上报) above it waits in the higher centre's queue instead."""
    condition = _both(_scope(user, DISPATCH), statuses_needing(DISPATCH, "dispatch"))
    levels = dispatch_levels(user) if condition is not None else None
    return condition if levels is None else condition & Q(handling_level__in=levels)


def _my_unit(user, now) -> Q | None:
    """Open cases with a pending or accepted assignment of the user's unit, that the user may
    handle (through their area or the assignment itself: holding the handle permission anywhere
    is enough, since the assignment itself widens the scope to the case)."""
    unit_id = getattr(user, "unit_id", None)
    if not unit_id or _scope(user, HANDLE) is None:
        return None
    assigned = Assignment.objects.filter(unit_id=unit_id, status__in=LIVE_ASSIGNMENT_STATUSES).values(
        "case_id"
    )
    # A confidential case (检举控告) never reaches anyone through an assignment: only where the
    # user also holds the confidential permission over its place (`confidential_guard`).
    paths = scope_paths(user, HANDLE)
    if paths is ALL:
        return Q(pk__in=assigned)
    return Q(pk__in=assigned) & confidential_guard(
        user, _path_prefixes(paths), Q(pk__in=assigned), paths_q=_path_prefixes
    )


def _view_tests(now) -> dict[str, Q]:
    """The queues read with the view permission, by their own test (without the scope)."""
    return {
        # Yellow: past the warning share of a running clock, not yet due.
        "due_soon": Q(warn_at__lte=now, due_at__gt=now),
        # Red: a running clock has passed its deadline.
        "overdue": Q(due_at__lte=now),
        "supervised": ~Q(supervision=Supervision.NONE),
    }


def _due_soon(user, now) -> Q | None:
    return _both(_scope(user, VIEW), _view_tests(now)["due_soon"])


def _overdue(user, now) -> Q | None:
    return _both(_scope(user, VIEW), _view_tests(now)["overdue"])


def _supervised(user, now) -> Q | None:
    return _both(_scope(user, VIEW), _view_tests(now)["supervised"])


_CONDITIONS = {
    "to_register": _to_register,
    "to_dispatch": _to_dispatch,
    "my_unit": _my_unit,
    "due_soon": _due_soon,
    "overdue": _overdue,
    "supervised": _supervised,
}


def _queue_qs(user, name: str, now=None) -> QuerySet:
    condition = _CONDITIONS[name](user, now or timezone.now())
    if condition is None:
        return Case.objects.none()
    return Case.objects.open().filter(condition)


def to_register(user) -> QuerySet:
    return _queue_qs(user, "to_register")


def to_dispatch(user) -> QuerySet:
    return _queue_qs(user, "to_dispatch")


def my_unit(user) -> QuerySet:
    return _queue_qs(user, "my_unit")


def due_soon(user, now=None) -> QuerySet:
    return _queue_qs(user, "due_soon", now)


def overdue(user, now=None) -> QuerySet:
    return _queue_qs(user, "overdue", now)


def supervised(user) -> QuerySet:
    return _queue_qs(user, "supervised")


# Oldest deadline first for clock queues; newest first otherwise.
_ORDER = {"due_soon": ("due_at", "id"), "overdue": ("due_at", "id")}


def queue(user, name: str, now=None) -> QuerySet:
    """The named queue's cases for `user`, ordered, with list relations joined. `now`: the time the
    clock queues are read at (the inbox passes the one its tab counts used)."""
    qs = _queue_qs(user, name, now)
    return _list(qs.order_by(*_ORDER.get(name, ("-opened_at", "-id"))))


def inbox_page(user, name: str, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """One page of a queue, as the inbox shows it: the count capped at CAPPED_COUNT (the tab
    counts are exact), the rows, the page's areas — three queries once the user's scope is
    cached."""
    return CappedPaginator(queue(user, name), per_page).get_page(page)


def all_cases(user) -> QuerySet:
    """Every case the user may view, newest first, with list relations joined: the inbox's "all"
    list. The same rows as `Case.objects.restrict(user, VIEW)`; the assignment-based access is a
    correlated EXISTS on (case, unit, status), so a page reads a few index entries per case instead
    of the unit's whole assignment history (hundreds of thousands of rows after some years)."""
    from .models import ASSIGNMENT_ACTIONS

    paths = scope_paths(user, VIEW)
    qs = Case.objects.all()
    if paths is ALL:
        pass
    elif not paths:
        qs = qs.none()
    else:
        condition = path_q(Case.scope_path_field, paths)
        unit_id = getattr(user, "unit_id", None)
        assigned_q = None
        if unit_id:
            assigned = Assignment.objects.filter(
                case=OuterRef("pk"), unit_id=unit_id, status__in=ASSIGNMENT_ACTIONS[VIEW]
            )
            assigned_q = Q(Exists(assigned))
        qs = qs.filter(confidential_guard(user, condition, assigned_q))
    return _list(qs.order_by("-opened_at", "-id"))


def all_cases_in_paths(user) -> QuerySet | None:
    """The part of `all_cases(user)` reached through the user's paths alone (a subset of it, no
    assignment branch): a range of `case_path_prefix` to count cheaply (`CappedPaginator`'s
    subset). None when there is nothing cheaper to count (a city-wide scope: the list itself is
    unconditioned)."""
    paths = scope_paths(user, VIEW)
    if paths is ALL or not paths:
        return None
    return Case.objects.filter(
        confidential_guard(user, _path_prefixes(paths), paths_q=_path_prefixes)
    ).values("pk")


# --- counts ----------------------------------------------------------------------------------------


class CappedCount(int):
    """A count that stopped at the cap: compares and pluralises as the cap, reads "2000+"."""

    def __str__(self):
        return f"{int(self)}+"

    __repr__ = __str__

    @property
    def capped(self) -> bool:
        return True


class CappedPaginator(Paginator):
    """Django's paginator, but counting at most `cap` rows (`SELECT COUNT(*) FROM (… LIMIT cap + 1)`):
    beyond the cap the count is a `CappedCount` ("2000+") and the pages stop at cap / per_page."""

    def __init__(self, object_list, per_page, cap: int | None = None, subset=None, **kwargs):
        """`subset`: optionally, a queryset of some of the rows that is cheap to count (e.g. the
        "all" list's rows under the user's paths: an index range, where the whole list also probes
        the assignments of every other case it meets) — when it alone exceeds the cap, so does
        the list."""
        super().__init__(object_list, per_page, **kwargs)
        self.cap = CAPPED_COUNT if cap is None else cap
        self.subset = subset

    @cached_property
    def count(self):
        if self.subset is not None and self.subset.order_by()[: self.cap + 1].count() > self.cap:
            return CappedCount(self.cap)
        rows = self.object_list
        if hasattr(rows, "order_by"):
            # Any cap + 1 rows will do: without the list's ORDER BY the database reads them in
            # storage order (sequential) rather than along an index (random reads at millions).
            rows = rows.order_by()
        n = rows[: self.cap + 1].count()
        return CappedCount(self.cap) if n > self.cap else n


class CountedPaginator(Paginator):
    """Django's paginator over a list whose size is already known (a queue's tab count, taken in
    the same request at the same `now`): no second count of the same rows. The total stays exact;
    the pages stop at CAPPED_COUNT / per_page like CappedPaginator's (a deep OFFSET walks the whole
    queue — the filters narrow it)."""

    def __init__(self, object_list, per_page, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.__dict__["count"] = count  # Paginator.count is a cached_property

    @cached_property
    def num_pages(self):
        return min(super().num_pages, max(1, CAPPED_COUNT // self.per_page))


@dataclass(frozen=True)
class InboxCounts:
    to_register: int
    to_dispatch: int
    my_unit: int
    due_soon: int
    overdue: int
    supervised: int


def inbox_counts(user, now=None) -> InboxCounts:
    """How many cases each queue holds: one query of six scalar subqueries, `SELECT (SELECT
    COUNT(*) FROM (<queue 1>)), (…), …`, each subquery the queue's own list query (the same
    conditions: the tab count and the list never disagree). Each count reads its own open-case
    index range — to register / to dispatch a (kind, status, path) range of case_open_status, the
    clock queues a due_at range of case_open_clock, supervised case_open_supervised — instead of
    one scan of every open case testing six conditions per row (SQLite pays per row and per
    condition: 0.4 s against 0.14 s at 5M)."""
    now = now or timezone.now()
    counts = dict.fromkeys(QUEUES, 0)
    names, parts, params = [], [], []
    for name in QUEUES:
        condition = _CONDITIONS[name](user, now)
        if condition is None:
            continue
        rows = Case.objects.open().filter(condition).order_by().values("pk")
        sql, sql_params = rows.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) queue_{len(parts)})")  # noqa: S608 (compiled SQL)
        params.extend(sql_params)
        names.append(name)
    if parts:
        with connection.cursor() as cursor:
            # Django's own compiled SQL with its parameters kept separate: nothing is interpolated.
            cursor.execute("SELECT " + ", ".join(parts), params)
            counts.update(zip(names, cursor.fetchone(), strict=True))
    return InboxCounts(**counts)
