"""The case kernel's services: the only writers of cases, assignments, clocks and timelines.

Kind-agnostic: everything kind-specific (workflow table, numbering, clock limits, action handlers)
comes from the kind registered in `kinds.py`. Every service that changes an existing case takes
`expected_version` (the version the actor saw); a stale one raises "conflict" and changes nothing.
Refusals of reach (the actor may not see the case, or lacks the action's permission over it) raise
`NotPermitted` with code "not_found": the API answers 404, as for a case that does not exist.

Each service: opens a transaction, locks the case row, checks, changes, bumps the version, writes
the timeline entry and the audit row, and re-reads the case through `restrict` before committing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.prepared import Prepared, insert_row, update_row
from civicgrid.core.scope import path_in_scope, scope_paths

from . import clocks, timeline
from .choices import (
    LEVEL_ORDER,
    LIVE_ASSIGNMENT_STATUSES,
    VISIBLE_ASSIGNMENT_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    HandlingLevel,
)
from .choices import Supervision as SupervisionLevel
from .error_codes import CaseErrorCode
from .kinds import ActionContext, CaseKind, get_kind
from .models import (
    ASSIGNMENT_ACTIONS,
    CONFIDENTIAL_PERMISSION,
    Assignment,
    Case,
    CaseNumberSequence,
    CaseUnit,
    is_party_to,
)
from .queries import dispatch_levels

VIEW = "cases.view_case"
DISPATCH = "cases.dispatch_case"


# --- shared checks -------------------------------------------------------------------------------


def not_found() -> NotPermitted:
    return NotPermitted(CaseErrorCode.NOT_FOUND, _("案件不存在或无权访问"))


def can_act(actor, permission: str, case: Case, *, unit_statuses=None) -> bool:
    """Whether `actor` holds `permission` over `case` (area scope, or an assignment of the actor's
    unit for view/handle). `actor=None` is the system (timers, imports) and may do anything.
    `unit_statuses`: a callable giving the statuses of the actor's unit's assignments on the case,
    for callers that ask about many permissions at once (see `ActionChecker`)."""
    if actor is None:
        return True
    if case.confidential:
        # Confidential cases (检举控告): only through the area scope, and only for holders of the
        # confidential permission there; never through an assignment.
        return (
            bool(case.path)
            and all(path_in_scope(actor, p, case.path) for p in (permission, CONFIDENTIAL_PERMISSION))
            and not is_party_to(actor, case)  # an inspector accused never sees the accusation
        )
    # The area-scope half of Case.objects.restrict, decided in memory (no query): the common case.
    if case.path and path_in_scope(actor, permission, case.path):
        return True
    # The assignment half (view and handle only), as Case.objects.restrict decides it: the actor
    # holds the permission somewhere and the actor's unit has an assignment in one of its statuses.
    statuses = ASSIGNMENT_ACTIONS.get(permission)
    unit_id = getattr(actor, "unit_id", None)
    if not statuses or not unit_id or not scope_paths(actor, permission):
        return False
    held = unit_statuses() if unit_statuses is not None else _unit_assignment_statuses(case, unit_id)
    return bool(held & set(statuses))


def _unit_assignment_statuses(case: Case, unit_id: int) -> frozenset:
    return frozenset(
        Assignment.objects.filter(case_id=case.pk, unit_id=unit_id).values_list("status", flat=True)
    )


class ActionChecker:
    """`can_act` for one actor and one case read, asking about many permissions (a page's buttons,
    the API's `actions`): the unit's assignments are read at most once."""

    def __init__(self, actor, case: Case):
        self.actor, self.case = actor, case
        self._held = None

    def _statuses(self) -> frozenset:
        if self._held is None:
            self._held = _unit_assignment_statuses(self.case, self.actor.unit_id)
        return self._held

    def __call__(self, permission: str) -> bool:
        return can_act(self.actor, permission, self.case, unit_statuses=self._statuses)


def _require(actor, permission: str, case: Case) -> None:
    if not can_act(actor, permission, case):
        raise not_found()


def lock_case(case: Case | int) -> Case:
    """The case re-read under its row lock (SELECT … FOR UPDATE), for a kind's service that changes
    the case or its details inside its own transaction; a missing case is the kernel's 404."""
    pk = case.pk if isinstance(case, Case) else case
    try:
        return Case.objects.select_for_update().get(pk=pk)
    except Case.DoesNotExist:
        raise not_found() from None


_lock = lock_case


def _check_version(case: Case, expected_version) -> None:
    if expected_version != case.version:
        raise ServiceError(
            CaseErrorCode.CONFLICT,
            _("案件 %(number)s 已被他人修改（当前版本 %(current)s，您看到的是版本 %(seen)s），请刷新后重试")
            % {"number": case.number, "current": case.version, "seen": expected_version},
            field="version",
            params={"current": case.version, "expected": expected_version},
        )


def _begin(case: Case | int, actor, permission: str, expected_version) -> Case:
    """Lock the case and run the checks every write starts with, in an order that reveals nothing:
    reach first (an outsider learns neither version nor status), then version, then permission."""
    locked = _lock(case)
    _require(actor, VIEW, locked)
    _check_version(locked, expected_version)
    _require(actor, permission, locked)
    return locked


def _require_dispatch_level(actor, case: Case) -> None:
    """A centre dispatches cases at its own handling level and below (the "to dispatch" queue's
    rule, `queries.dispatch_levels`): a case escalated (上报) above it is the higher centre's to
    dispatch, even though the lower centre still sees it."""
    if actor is None:
        return
    levels = dispatch_levels(actor)
    if levels is not None and case.handling_level not in levels:
        raise ServiceError(
            CaseErrorCode.ABOVE_LEVEL,
            _("案件已上报至%(level)s办理，应由该级派遣") % {"level": case.get_handling_level_display()},
            field="handling_level",
        )


def _require_open(case: Case) -> None:
    if case.closed_at is not None:
        raise ServiceError(CaseErrorCode.CASE_CLOSED, _("案件 %(number)s 已结案") % {"number": case.number})


def _finish(case: Case, before: dict, actor) -> None:
    """Save the fields that changed since `before`, bump the version, keep the case's `CaseUnit`
    rows, audit the diff and re-read the case through `restrict` (rolling back if the actor moved
    it out of their own reach)."""
    after = snapshot(case)
    changed = [key for key in after if after.get(key) != before.get(key)]
    case.version += 1
    case.save(update_fields=[*changed, "version"])
    sync_case_units(case)
    record_change(actor=actor, action=ChangeAction.UPDATE, instance=case, before=before, after=snapshot(case))
    if actor is not None and not can_act(actor, VIEW, case):
        raise not_found()


# --- who sees an open case through an assignment (CaseUnit) -------------------------------------


def sync_case_units(case: Case, *, new: bool = False) -> None:
    """Make `case`'s CaseUnit rows match its assignments: for an open case, one row per unit with an
    assignment in VISIBLE_ASSIGNMENT_STATUSES; none for a closed case. Called at the end of every
    kernel write (`_finish`, `do_open_case`), after the kind's handlers changed what they change,
    inside the write's transaction. Two small reads (one for a case just inserted, `new`: it has
    no rows yet); writes only the difference."""
    have = set() if new else {unit for (unit,) in _CASE_UNITS.rows(case_id=case.pk)}
    want = set()
    if case.closed_at is None:
        want = {unit for (unit,) in _VISIBLE_UNITS.rows(case_id=case.pk)}
    if have - want:
        CaseUnit.objects.filter(case_id=case.pk, unit_id__in=have - want).delete()
    if want - have:
        CaseUnit.objects.bulk_create(
            [CaseUnit(case_id=case.pk, unit_id=unit) for unit in sorted(want - have)]
        )


# Read on every kernel write (intake included): compiled once (core.prepared).
_CASE_UNITS = Prepared(
    lambda case_id: CaseUnit.objects.filter(case_id=case_id).values_list("unit_id"), case_id=-7_770_301
)
_VISIBLE_UNITS = Prepared(
    lambda case_id: (
        Assignment.objects.filter(case_id=case_id, status__in=VISIBLE_ASSIGNMENT_STATUSES)
        .order_by()
        .values_list("unit_id")
    ),
    case_id=-7_770_302,
)


def rebuild_case_units(case_ids: Iterable[int] | None = None, *, models=None, chunk: int = 900) -> int:
    """Rebuild the CaseUnit rows of `case_ids` (None: of every case) from the assignments, driven by
    the open cases (a partial index) so that it reads ~1 % of a city's history: for the migration
    that adds the table, `manage.py rebuild_case_units`, and the bulk import after writing cases and
    assignments through the cursor. `models`: (Case, Assignment, CaseUnit) of a migration's app
    registry. Returns the number of rows written. Run it inside a transaction when the cases may
    change meanwhile (the bulk import's own)."""
    case_model, assignment_model, case_unit_model = models or (Case, Assignment, CaseUnit)
    if case_ids is None:
        case_unit_model.objects.all().delete()
        open_ids = case_model.objects.filter(closed_at__isnull=True).order_by().values_list("pk", flat=True)
        batches = _chunks(iter(list(open_ids)), chunk)
    else:
        batches = _chunks(iter(case_ids), chunk)
    written = 0
    for ids in batches:
        if case_ids is not None:
            case_unit_model.objects.filter(case_id__in=ids).delete()
            ids = list(
                case_model.objects.filter(pk__in=ids, closed_at__isnull=True).values_list("pk", flat=True)
            )
        pairs = (
            assignment_model.objects.filter(case_id__in=ids, status__in=VISIBLE_ASSIGNMENT_STATUSES)
            .order_by()
            .values_list("case_id", "unit_id")
            .distinct()
        )
        rows = [case_unit_model(case_id=c, unit_id=u) for c, u in pairs]
        case_unit_model.objects.bulk_create(rows, batch_size=1000)
        written += len(rows)
    return written


def _chunks(ids, size: int):
    batch = []
    for pk in ids:
        batch.append(pk)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- numbering -----------------------------------------------------------------------------------


def reserve_serials(kind: str, prefix: str, count: int = 1) -> int:
    """Reserve `count` consecutive serials for (kind, prefix) under the sequence's row lock and
    return the first. The first draw creates the row (a concurrent first draw hits the unique
    constraint and retries as a plain draw). Intake draws one; the bulk import a batch's worth."""
    for _attempt in range(5):
        row = _SEQUENCE.rows(kind=kind, prefix=prefix)
        if row:
            pk, last_value = row[0]
            update_row(CaseNumberSequence, pk, last_value=last_value + count)
            return last_value + 1
        try:
            with transaction.atomic():  # a savepoint: the outer transaction survives a lost race
                CaseNumberSequence.objects.create(kind=kind, prefix=prefix, last_value=count)
            return 1
        except IntegrityError:
            continue
    raise RuntimeError(f"could not draw a number for {kind}:{prefix}")


# Every intake draws a number: the locking read compiled once (core.prepared).
_SEQUENCE = Prepared(
    lambda kind, prefix: (
        CaseNumberSequence.objects.select_for_update()
        .filter(kind=kind, prefix=prefix)
        .values_list("pk", "last_value")
    ),
    kind="\x00sentinel-kind",
    prefix="\x00sentinel-prefix",
)


def next_serial(kind: str, prefix: str) -> int:
    """Draw the next serial for (kind, prefix)."""
    return reserve_serials(kind, prefix, 1)


def make_number(kind: CaseKind, case: Case) -> str:
    prefix = kind.number_prefix_fn(case)
    return f"{prefix}{next_serial(kind.code, prefix):0{kind.serial_width}d}"


# --- opening -------------------------------------------------------------------------------------


def _field_values(case: Case) -> dict:
    return {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields if not f.primary_key}


def _default_level(area) -> str:
    return area.level if area.level in HandlingLevel.values else HandlingLevel.VILLAGE


def do_open_case(
    kind: str,
    *,
    actor,
    title: str,
    area,
    description: str = "",
    grid=None,
    lon: float | None = None,
    lat: float | None = None,
    priority: str | None = None,
    handling_level: str | None = None,
    opened_at=None,
    confidential: bool = False,
    **data,
) -> Case:
    """Open a case of `kind` in its workflow's initial status, numbered by the kind.

    `area` is the deepest area the case was located to, `grid` the grid (if any) — it must lie in
    `area`. The actor needs `cases.report_case` over the case's path; `actor=None` is an intake
    channel that authenticated the reporter itself (citizen form, hotline import). `data` is passed
    to the kind's `on_open` hook (e.g. the category). Starts the kind's `open_starts` clocks.
    `confidential` cases (检举控告) are seen only by holders of `cases.view_confidential_case` over
    their place: the actor who registers one need not be among them."""
    case_kind = get_kind(kind)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ServiceError(CaseErrorCode.INVALID_TITLE, _("标题不能为空，且不超过 200 字"), field="title")
    if area is None or (grid is not None and grid.village_id != area.pk):
        raise ServiceError(CaseErrorCode.INVALID_LOCATION, _("网格不在所选区划内"), field="grid")
    path = grid.path if grid is not None else area.path
    if actor is not None and not path_in_scope(actor, "cases.report_case", path):
        raise NotPermitted(CaseErrorCode.NOT_FOUND, _("无权在该区域上报案件"), field="area")
    now = timezone.now()
    with transaction.atomic():
        case = Case(
            kind=case_kind.code,
            title=title,
            description=description,
            status=case_kind.workflow.initial,
            area=area,
            grid=grid,
            path=path,
            lon=lon,
            lat=lat,
            handling_level=handling_level or _default_level(area),
            confidential=bool(confidential),
            created_by=actor if actor is not None and actor.is_authenticated else None,
            opened_at=opened_at or now,
        )
        if priority:
            case.priority = priority
        case.number = make_number(case_kind, case)
        insert_row(case)
        inserted = _field_values(case)
        ctx = ActionContext(case=case, actor=actor, action="open", now=now, data=data)
        if case_kind.on_open is not None:
            case_kind.on_open(ctx)
        if case_kind.workflow.initial in case_kind.on_enter:
            case_kind.on_enter[case_kind.workflow.initial](ctx)
        started = False
        for name in case_kind.open_starts:
            limit = case_kind.limit_fn(case, name)
            if limit is not None:
                clocks.start_clock(case, name, limit, at=case.opened_at)
                started = True
        if started:
            clocks.refresh_case_due(case)
        # Write back only what the hooks and clocks changed (usually nothing for a new event).
        changed = [name for name, value in _field_values(case).items() if inserted[name] != value]
        if changed:
            case.save(update_fields=changed)
        sync_case_units(case, new=True)  # a kind's on_open may have assigned units already
        timeline.opened(case, actor, now, data=ctx.timeline_data)
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=case, before=None, after=snapshot(case)
        )
        if actor is not None and not case.confidential and not can_act(actor, VIEW, case):
            raise not_found()
    return case


# --- workflow actions ----------------------------------------------------------------------------


def do_apply_action(
    case: Case | int, action: str, *, actor, expected_version: int, note: str = "", **data
) -> Case:
    """Take `action` on `case` through its kind's workflow table.

    Locks the case; checks reach, version, the transition (IllegalTransition) and the actor's
    permission for it over the case (NotPermitted, 404-like); moves the status; runs the kind's
    handler for the action and its on_enter hook for the new status (they may assign units, set
    fields, refuse); stops, pauses, resumes and starts the clocks the transition names (entering a
    closed status stops every clock); bumps the version; writes timeline and audit; re-reads the
    case through restrict. Any refusal leaves everything as it was."""
    note = (note or "").strip()
    with transaction.atomic():
        case = _lock(case)
        _require(actor, VIEW, case)
        _check_version(case, expected_version)
        kind = get_kind(case.kind)
        workflow = kind.workflow
        transition = workflow.plan(case.status, action)
        _require(actor, transition.permission, case)
        if transition.permission == DISPATCH:
            _require_dispatch_level(actor, case)
        if transition.note_required and not note:
            raise ServiceError(
                CaseErrorCode.NOTE_REQUIRED,
                _("“%(action)s”需要填写说明") % {"action": transition.label},
                field="note",
            )
        before = snapshot(case)
        now = timezone.now()
        previous = case.status
        case.status = transition.target
        if workflow.is_closed(transition.target):
            case.closed_at = now
        elif workflow.is_closed(previous):
            case.closed_at = None  # reopened
        ctx = ActionContext(
            case=case,
            actor=actor,
            action=action,
            now=now,
            transition=transition,
            note=note,
            data=data,
            previous_status=previous,
        )
        handler = kind.handlers.get(action)
        if handler is not None:
            handler(ctx)
        hook = kind.on_enter.get(transition.target)
        if hook is not None:
            hook(ctx)
        _run_clocks(kind, case, transition, now)
        clocks.refresh_case_due(case)
        _finish(case, before, actor)
        timeline.transitioned(case, action, actor, now, previous, note, ctx.timeline_data)
        # The re-read in _finish ran before the timeline row; it still guards the whole write.
    return case


def _run_clocks(kind: CaseKind, case: Case, transition, now) -> None:
    for name in transition.stops:
        clocks.stop_clock(case, name, at=now)
    for name in transition.pauses:
        clocks.pause_clock(case, name, at=now)
    for name in transition.resumes:
        clocks.resume_clock(case, name, at=now)
    if kind.workflow.is_closed(transition.target):
        clocks.stop_all_clocks(case, at=now)
        return
    for name in transition.starts:
        limit = kind.limit_fn(case, name)
        if limit is not None:
            clocks.start_clock(case, name, limit, at=now)


def available_actions(case: Case, user, checker: ActionChecker | None = None) -> list:
    """The transitions `user` may take on `case` now (buttons, the API's `actions` field). One
    scope lookup per permission (cached on the user) and no query for permissions already decided."""
    workflow = get_kind(case.kind).workflow
    return workflow.actions_for(case.status, ActionChecker(user, case) if checker is None else checker)


# --- assignments ---------------------------------------------------------------------------------


def assign_units(case: Case, lead, co_units: Iterable = (), *, actor, now, designated: bool = False, note=""):
    """Dispatch `case` to `lead` (主办) and `co_units` (协办); withdraw the live assignments they
    replace. For kind handlers (inside do_apply_action) and do_assign; the caller holds the lock.
    Sets `case.lead_unit` (the caller saves it)."""
    co_units = list(co_units)
    if lead is None:
        raise ServiceError(CaseErrorCode.NO_UNIT, _("请选择主办单位"), field="lead_unit")
    ids = [lead.pk, *(u.pk for u in co_units)]
    if len(set(ids)) != len(ids):
        raise ServiceError(CaseErrorCode.UNIT_TWICE, _("同一单位不能重复派遣"), field="co_units")
    for unit in (lead, *co_units):
        if not unit.is_active:
            raise ServiceError(
                CaseErrorCode.INACTIVE_UNIT,
                _("单位“%(unit)s”已停用") % {"unit": unit.name},
                field="lead_unit",
            )
    Assignment.objects.filter(case=case, status__in=LIVE_ASSIGNMENT_STATUSES).update(
        status=AssignmentStatus.WITHDRAWN, finished_at=now
    )
    rows = [
        Assignment(
            case=case,
            unit=unit,
            role=AssignmentRole.LEAD if unit is lead else AssignmentRole.CO,
            designated=designated,
            assigned_by=actor if actor is not None and actor.is_authenticated else None,
            assigned_at=now,
        )
        for unit in (lead, *co_units)
    ]
    Assignment.objects.bulk_create(rows)
    case.lead_unit = lead
    timeline.assigned(case, actor, now, lead.pk, [u.pk for u in co_units], designated, note)
    return rows


def do_assign(
    case: Case | int, units, lead, *, actor, expected_version: int, designated=False, note=""
) -> Case:
    """Dispatch (or re-dispatch) an open case outside a workflow action: `lead` unit plus co-handler
    `units`. Needs `cases.dispatch_case` over the case."""
    with transaction.atomic():
        case = _begin(case, actor, DISPATCH, expected_version)
        _require_open(case)
        _require_dispatch_level(actor, case)
        before = snapshot(case)
        assign_units(case, lead, units, actor=actor, now=timezone.now(), designated=designated, note=note)
        _finish(case, before, actor)
    return case


def unit_assignment(case: Case, unit_id) -> Assignment:
    """The live assignment of `unit_id` on `case`, locked; NO_ASSIGNMENT when there is none (the
    handler's unit was not dispatched, or its assignment was withdrawn)."""
    found = (
        Assignment.objects.select_for_update()
        .filter(case=case, unit_id=unit_id, status__in=LIVE_ASSIGNMENT_STATUSES)
        .first()
    )
    if found is None:
        raise ServiceError(CaseErrorCode.NO_ASSIGNMENT, _("本单位没有待办的派遣"), field="unit")
    return found


def accept_assignment(case: Case, unit_id, *, now) -> Assignment:
    """签收: the unit takes the case on. For kind handlers of an "accept" action."""
    assignment = unit_assignment(case, unit_id)
    assignment.status, assignment.accepted_at = AssignmentStatus.ACCEPTED, now
    assignment.save(update_fields=["status", "accepted_at"])
    return assignment


def object_assignment(case: Case, unit_id, reason: str, *, now) -> Assignment:
    """派单异议: the unit says it is not competent. A designated unit cannot object."""
    assignment = unit_assignment(case, unit_id)
    if assignment.designated:
        raise ServiceError(CaseErrorCode.DESIGNATED, _("指定承办的单位不能退回或提出异议"), field="action")
    if not (reason or "").strip():
        raise ServiceError(CaseErrorCode.NOTE_REQUIRED, _("请填写异议理由"), field="note")
    assignment.status, assignment.objection_reason, assignment.finished_at = (
        AssignmentStatus.OBJECTED,
        reason,
        now,
    )
    assignment.save(update_fields=["status", "objection_reason", "finished_at"])
    return assignment


def finish_assignments(case: Case, *, now) -> int:
    """Mark every live assignment done (the case is handled or closed)."""
    return Assignment.objects.filter(case=case, status__in=LIVE_ASSIGNMENT_STATUSES).update(
        status=AssignmentStatus.DONE, finished_at=now
    )


# --- urge, supervise, escalate -------------------------------------------------------------------


def do_urge(case: Case | int, *, actor, expected_version: int, note: str = "") -> Case:
    """催办: press the handlers of an open case; counts urges and runs the kind's on_urge hook."""
    with transaction.atomic():
        case = _begin(case, actor, "cases.urge_case", expected_version)
        _require_open(case)
        before, now = snapshot(case), timezone.now()
        case.urge_count += 1
        case.last_urged_at = now
        kind = get_kind(case.kind)
        if kind.on_urge is not None:
            kind.on_urge(ActionContext(case=case, actor=actor, action="urge", now=now, note=note))
        _finish(case, before, actor)
        timeline.urged(case, actor, now, note)
    return case


def do_supervise(case: Case | int, level: str, *, actor, expected_version: int, note: str = "") -> Case:
    """督办: put an open case under daily, listed or interview supervision, or lift it ("none")."""
    if level not in SupervisionLevel.values:
        raise ServiceError(
            CaseErrorCode.INVALID_SUPERVISION, _("督办级别“%(level)s”无效") % {"level": level}, field="level"
        )
    with transaction.atomic():
        case = _begin(case, actor, "cases.supervise_case", expected_version)
        if level != SupervisionLevel.NONE:
            _require_open(case)
        if case.supervision == level:
            raise ServiceError(CaseErrorCode.SUPERVISION_UNCHANGED, _("督办级别未改变"), field="level")
        before, now, old = snapshot(case), timezone.now(), case.supervision
        case.supervision = level
        kind = get_kind(case.kind)
        if kind.on_supervise is not None:
            kind.on_supervise(ActionContext(case=case, actor=actor, action="supervise", now=now, note=note))
        _finish(case, before, actor)
        timeline.supervised(case, actor, now, old, level, note)
    return case


def do_escalate(case: Case | int, *, actor, expected_version: int, note: str = "") -> Case:
    """上报: move an open case's handling level up one step (village → township → county → city).
    The path is unchanged (the case stays where it happened, so the lower level keeps seeing it);
    the kind's on_escalate hook may re-route it to the new level's centre."""
    with transaction.atomic():
        case = _begin(case, actor, "cases.escalate_case", expected_version)
        _require_open(case)
        index = LEVEL_ORDER.index(case.handling_level)
        if index == len(LEVEL_ORDER) - 1:
            raise ServiceError(
                CaseErrorCode.TOP_LEVEL, _("案件已在市级办理，无法再上报"), field="handling_level"
            )
        before, now, old = snapshot(case), timezone.now(), case.handling_level
        case.handling_level = LEVEL_ORDER[index + 1]
        ctx = ActionContext(case=case, actor=actor, action="escalate", now=now, note=note)
        kind = get_kind(case.kind)
        if kind.on_escalate is not None:
            kind.on_escalate(ctx)
        _finish(case, before, actor)
        timeline.escalated(case, actor, now, old, case.handling_level, note, ctx.timeline_data)
    return case


# --- extensions ----------------------------------------------------------------------------------


def do_request_extension(
    case: Case | int, clock: str, amount: int, *, actor, expected_version: int, reason: str
) -> Case:
    """延期申请 for the running clock `clock`, by `amount` in the clock's unit. Refused at once when
    the amount exceeds what the limit still allows (ExtensionRefused) or a request is pending.
    The actor needs the kind's `extension_permission` over the case (default cases.handle_case)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _lock(case)
        case = _begin(locked, actor, get_kind(locked.kind).extension_permission, expected_version)
        _require_open(case)
        if not reason:
            raise ServiceError(CaseErrorCode.NOTE_REQUIRED, _("请填写延期理由"), field="reason")
        deadline = clocks.require_open_clock(case, clock)
        if deadline.pending_extension is not None:
            raise ServiceError(CaseErrorCode.EXTENSION_PENDING, _("已有待审批的延期申请"), field="clock")
        deadline.to_clock().extend(amount)  # raises ExtensionRefused past the maximum
        dl_before = snapshot(deadline)
        deadline.pending_extension, deadline.pending_extension_reason = amount, reason
        deadline.save(update_fields=["pending_extension", "pending_extension_reason"])
        record_change(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=deadline,
            before=dl_before,
            after=snapshot(deadline),
        )
        before, now = snapshot(case), timezone.now()
        _finish(case, before, actor)
        timeline.extension_requested(case, actor, now, clock, amount, reason)
    return case


def do_decide_extension(
    case: Case | int, clock: str, *, approve: bool, actor, expected_version: int, note: str = ""
) -> Case:
    """Approve (the clock is extended and recomputed) or refuse the pending extension request."""
    with transaction.atomic():
        case = _begin(case, actor, "cases.approve_extension", expected_version)
        deadline = clocks.require_open_clock(case, clock)
        amount = deadline.pending_extension
        if amount is None:
            raise ServiceError(CaseErrorCode.NO_EXTENSION_REQUEST, _("没有待审批的延期申请"), field="clock")
        before, dl_before, now = snapshot(case), snapshot(deadline), timezone.now()
        deadline.pending_extension, deadline.pending_extension_reason = None, ""
        if approve:
            clocks.extend_clock(deadline, amount)
        else:
            deadline.save(update_fields=["pending_extension", "pending_extension_reason"])
        record_change(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=deadline,
            before=dl_before,
            after=snapshot(deadline),
        )
        clocks.refresh_case_due(case)
        _finish(case, before, actor)
        due = deadline.due_date.isoformat() if approve else None
        timeline.extension_decided(case, actor, now, clock, amount, approve, note, due)
    return case
