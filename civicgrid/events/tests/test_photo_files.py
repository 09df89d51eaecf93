# ruff: noqa: F811  (the shared fixtures are imported from test_event_workflow)
"""A failed intake or photo upload leaves no file behind: the photo files written before the
rollback are deleted again; a successful one keeps them."""

from __future__ import annotations

import pytest

from civicgrid.cases import timeline
from civicgrid.events import timeline as event_timeline
from civicgrid.events.models import EventPhoto
from civicgrid.events.services import do_add_photo
from civicgrid.events.tests.test_event_workflow import (  # noqa: F401  (fixtures)
    counts,
    events_world,
    media,
    png,
    report,
)

pytestmark = pytest.mark.django_db


def _files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_a_rolled_back_intake_deletes_the_photos_it_wrote(events_world, media, monkeypatch):
    before = counts()

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(timeline, "opened", broken)
    with pytest.raises(RuntimeError):
        report(events_world, photos=[png("a.png"), png("b.png")])
    assert counts() == before
    assert _files(media) == []


def test_a_successful_intake_and_a_failed_upload(events_world, media, monkeypatch):
    case = report(events_world, photos=[png("a.png")]).case
    kept = _files(media)
    assert len(kept) == 1 and EventPhoto.objects.get(case=case).file.name.endswith(kept[0])

    def broken(*args, **kwargs):
        raise RuntimeError("lost the connection")

    monkeypatch.setattr(event_timeline, "photo_added", broken)
    with pytest.raises(RuntimeError):
        do_add_photo(case, png("c.png"), actor=events_world.user("gridworker"))
    assert _files(media) == kept
    assert EventPhoto.objects.filter(case=case).count() == 1
