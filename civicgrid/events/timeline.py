"""Timeline entries the event kind writes besides the kernel's own (one function per entry),
inside the service's transaction."""

from __future__ import annotations

from civicgrid.cases.choices import TimelineKind
from civicgrid.cases.models import Case, TimelineEntry


def _actor(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def plus_one(original: Case, duplicate: Case, actor, now, note: str = "") -> TimelineEntry:
    """The original of a merged duplicate: "+1 (duplicate 2026-338001-000124 merged)"."""
    return TimelineEntry.objects.create(
        case=original,
        kind=TimelineKind.NOTE,
        action="merged_in",
        actor=_actor(actor),
        note=note,
        data={"duplicate": duplicate.pk, "number": duplicate.number, "plus_ones": original.plus_ones},
        time=now,
    )


def photo_added(case: Case, photo, actor, now) -> TimelineEntry:
    return TimelineEntry.objects.create(
        case=case,
        kind=TimelineKind.NOTE,
        action="photo_added",
        actor=_actor(actor),
        data={"photo": photo.pk, "stage": photo.stage},
        time=now,
    )


def reporter_update(case: Case, actor, now, note: str, data: dict) -> TimelineEntry:
    """A reporter's follow-up through an integration (Open311 servicerequestupdates): what they
    say, and whether they say it is solved (data["says_resolved"])."""
    return TimelineEntry.objects.create(
        case=case,
        kind=TimelineKind.NOTE,
        action="reporter_update",
        actor=_actor(actor),
        note=note,
        data=data,
        time=now,
    )
