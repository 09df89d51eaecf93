"""街乡吹哨、部门报到: a township centre summons departments onto a case, and each summoned
department reports in (报到) by accepting its assignment.

`do_summon` adds co-handler (协办) assignments for the summoned units beside the live ones (unlike a
dispatch, nobody is withdrawn and the lead unit stays); `do_report_in` is the summoned unit taking
the case on. Which units may be summoned is the kind's business (for events: the county's
departments and the offices stationed in the township, `events.catalogue.summon_candidates`), so
the writers take an `allowed` collection the caller computed. Both are audited and in the timeline
(kind "assigned", action "summon"; kind "note", action "report_in").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.core.errors import ServiceError

from . import timeline
from .choices import LIVE_ASSIGNMENT_STATUSES, AssignmentRole, AssignmentStatus
from .error_codes import CaseErrorCode
from .models import Assignment, Case
from .services import _begin, _finish, _require_dispatch_level, _require_open

SUMMON = "cases.dispatch_case"  # the centre that dispatches may summon
REPORT_IN = "cases.handle_case"  # through the summoned unit's own assignment


def do_summon(
    case: Case | int, units: Iterable, *, actor, expected_version: int, allowed: Collection, note: str = ""
) -> Case:
    """吹哨: add a pending co-handler assignment for each of `units` (Unit objects), each of which
    must be in `allowed`, active and not already working on the case."""
    units = list(units)
    with transaction.atomic():
        case = _begin(case, actor, SUMMON, expected_version)
        _require_open(case)
        _require_dispatch_level(actor, case)  # a case escalated above the centre is the higher one's
        if not units:
            raise ServiceError(CaseErrorCode.NO_UNIT, _("请选择要召集的部门"), field="units")
        allowed_ids = {getattr(u, "pk", u) for u in allowed}
        busy = set(
            Assignment.objects.filter(case=case, status__in=LIVE_ASSIGNMENT_STATUSES).values_list(
                "unit_id", flat=True
            )
        )
        seen = set()
        for unit in units:
            if unit.pk not in allowed_ids or not unit.is_active:
                raise ServiceError(
                    CaseErrorCode.INACTIVE_UNIT,
                    _("“%(unit)s”不在可召集的部门之列") % {"unit": unit.name},
                    field="units",
                )
            if unit.pk in busy or unit.pk in seen:
                raise ServiceError(
                    CaseErrorCode.UNIT_TWICE,
                    _("“%(unit)s”已在办理该案件") % {"unit": unit.name},
                    field="units",
                )
            seen.add(unit.pk)
        before, now = snapshot(case), timezone.now()
        by = actor if actor is not None and actor.is_authenticated else None
        rows = Assignment.objects.bulk_create(
            [
                Assignment(case=case, unit=unit, role=AssignmentRole.CO, assigned_by=by, assigned_at=now)
                for unit in units
            ]
        )
        for row in rows:
            record_change(
                actor=actor, action=ChangeAction.CREATE, instance=row, before=None, after=snapshot(row)
            )
        _finish(case, before, actor)
        timeline.summoned(case, actor, now, [u.pk for u in units], note)
    return case


def do_report_in(case: Case | int, *, actor, expected_version: int, note: str = "") -> Case:
    """报到: the actor's unit accepts its pending assignment on the case (summoned or dispatched as
    a co-handler); the lead unit's acceptance stays the workflow's "accept" step."""
    with transaction.atomic():
        case = _begin(case, actor, REPORT_IN, expected_version)
        _require_open(case)
        unit_id = getattr(actor, "unit_id", None)
        pending = Assignment.objects.filter(
            case=case, unit_id=unit_id, role=AssignmentRole.CO, status=AssignmentStatus.PENDING
        ).first()
        if pending is None:
            raise ServiceError(CaseErrorCode.NO_ASSIGNMENT, _("本单位没有待报到的召集"), field="unit")
        before, now = snapshot(case), timezone.now()
        row_before = snapshot(pending)
        pending.status, pending.accepted_at = AssignmentStatus.ACCEPTED, now
        pending.save(update_fields=["status", "accepted_at"])
        record_change(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=pending,
            before=row_before,
            after=snapshot(pending),
        )
        _finish(case, before, actor)
        timeline.reported_in(case, actor, now, unit_id, note)
    return case


def pending_report_in(case: Case, user) -> bool:
    """Whether `user`'s unit has a pending co-handler assignment on `case` (the 报到 button)."""
    unit_id = getattr(user, "unit_id", None)
    return (
        bool(unit_id)
        and Assignment.objects.filter(
            case=case, unit_id=unit_id, role=AssignmentRole.CO, status=AssignmentStatus.PENDING
        ).exists()
    )
