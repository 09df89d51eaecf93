"""Timeline entries: one function per kind of entry, called by the services inside their
transaction (the entry rolls back with the change it describes)."""

from __future__ import annotations

from civicgrid.core.prepared import insert_row

from .choices import TimelineKind
from .models import Case, TimelineEntry


def _actor(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _write(case: Case, kind: str, actor, now, *, action="", from_status="", to_status="", note="", data=None):
    entry = TimelineEntry(
        case=case,
        kind=kind,
        action=action,
        actor=_actor(actor),
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
        time=now,
    )
    insert_row(entry)
    return entry


def opened(case: Case, actor, now, data=None) -> TimelineEntry:
    return _write(case, TimelineKind.OPENED, actor, now, to_status=case.status, data=data)


def transitioned(case: Case, action: str, actor, now, from_status: str, note: str, data) -> TimelineEntry:
    return _write(
        case,
        TimelineKind.TRANSITION,
        actor,
        now,
        action=action,
        from_status=from_status,
        to_status=case.status,
        note=note,
        data=data,
    )


def assigned(
    case: Case, actor, now, lead_id: int, co_ids: list[int], designated: bool, note=""
) -> TimelineEntry:
    data = {"lead_unit": lead_id, "co_units": co_ids, "designated": designated}
    return _write(case, TimelineKind.ASSIGNED, actor, now, action="assign", note=note, data=data)


def summoned(case: Case, actor, now, unit_ids: list[int], note="") -> TimelineEntry:
    """吹哨: departments summoned onto the case as co-handlers."""
    data = {"summoned": unit_ids}
    return _write(case, TimelineKind.ASSIGNED, actor, now, action="summon", note=note, data=data)


def reported_in(case: Case, actor, now, unit_id: int, note="") -> TimelineEntry:
    """报到: a summoned (co-handler) unit took the case on."""
    return _write(case, TimelineKind.NOTE, actor, now, action="report_in", note=note, data={"unit": unit_id})


def urged(case: Case, actor, now, note="") -> TimelineEntry:
    return _write(
        case, TimelineKind.URGED, actor, now, action="urge", note=note, data={"count": case.urge_count}
    )


def supervised(case: Case, actor, now, old: str, new: str, note="") -> TimelineEntry:
    data = {"from": old, "to": new}
    return _write(case, TimelineKind.SUPERVISED, actor, now, action="supervise", note=note, data=data)


def escalated(case: Case, actor, now, old: str, new: str, note="", extra=None) -> TimelineEntry:
    data = {"from": old, "to": new, **(extra or {})}
    return _write(case, TimelineKind.ESCALATED, actor, now, action="escalate", note=note, data=data)


def extension_requested(case: Case, actor, now, clock: str, amount: int, reason: str) -> TimelineEntry:
    data = {"clock": clock, "amount": amount}
    return _write(
        case, TimelineKind.EXTENSION_REQUESTED, actor, now, action="request_extension", note=reason, data=data
    )


def extension_decided(case: Case, actor, now, clock: str, amount: int, approved: bool, note="", due=None):
    data = {"clock": clock, "amount": amount, "approved": approved, "due_date": due}
    return _write(
        case, TimelineKind.EXTENSION_DECIDED, actor, now, action="decide_extension", note=note, data=data
    )


def deadlines_recomputed(case: Case, now, changes: list[dict]) -> TimelineEntry:
    return _write(case, TimelineKind.DEADLINES_RECOMPUTED, None, now, data={"changes": changes})


def party(case: Case, actor, now, action: str, party_id: int, role: str, note="") -> TimelineEntry:
    """A party added ("party_added") or removed ("party_removed"); never their personal data."""
    data = {"party": party_id, "role": role}
    return _write(case, TimelineKind.PARTY, actor, now, action=action, note=note, data=data)


def record(case: Case, actor, now, action: str, *, note="", data=None) -> TimelineEntry:
    """A kind's own step that is not a workflow transition (a dispute's risk grade changing, a
    mediation session held, a petition's acceptance notice sent): `action` names the step, `data`
    carries what the page shows. Written inside the kind's service's transaction."""
    return _write(case, TimelineKind.RECORD, actor, now, action=action, note=note, data=data)
