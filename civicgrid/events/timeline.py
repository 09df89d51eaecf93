"""Timeline entries the event kind writes besides the kernel's own (one function per entry),
inside the service's transaction."""

from __future__ import annotations

from civicgrid.cases.choices import TimelineKind
from civicgrid.cases.models import Case, TimelineEntry


def _actor(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _note(case: Case, action: str, actor, now, note: str = "", data: dict | None = None) -> TimelineEntry:
    return TimelineEntry.objects.create(
        case=case,
        kind=TimelineKind.NOTE,
        action=action,
        actor=_actor(actor),
        note=note,
        data=data or {},
        time=now,
    )


def plus_one(original: Case, duplicate: Case, actor, now, note: str = "") -> TimelineEntry:
    """The original of a merged duplicate: "+1 (duplicate 2026-338001-000124 merged)"."""
    data = {"duplicate": duplicate.pk, "number": duplicate.number, "plus_ones": original.plus_ones}
    return _note(original, "merged_in", actor, now, note, data)


def photo_added(case: Case, photo, actor, now) -> TimelineEntry:
    return _note(case, "photo_added", actor, now, data={"photo": photo.pk, "stage": photo.stage})


def reporter_update(case: Case, actor, now, note: str, data: dict) -> TimelineEntry:
    """A reporter's follow-up through an integration (Open311 servicerequestupdates): what they
    say, and whether they say it is solved (data["says_resolved"])."""
    return _note(case, "reporter_update", actor, now, note, data)
