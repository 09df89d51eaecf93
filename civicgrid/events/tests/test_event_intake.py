# ruff: noqa: F811  (the shared fixtures are imported from test_event_workflow)
"""Intake: every bad input of issue 3 gets a field-named error and writes nothing; repeated
submissions return the original; location without coordinates needs an area code; suggestions."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.events.intake import check_photo, sniff_image
from civicgrid.events.tests.test_event_workflow import (  # noqa: F401  (fixtures)
    IN_GRID,
    PNG,
    counts,
    events_world,
    media,
    png,
    report,
)
from tests.world import NAMES

pytestmark = pytest.mark.django_db


def refused(world, field, code=None, **kw):
    from civicgrid.core.errors import ServiceError

    before = counts()
    with pytest.raises(ServiceError) as exc:
        report(world, **kw)
    assert exc.value.field == field, (exc.value.field, str(exc.value))
    if code:
        assert exc.value.code == code
    assert counts() == before
    return exc.value


def test_unknown_category(events_world):
    refused(events_world, "category", "unknown_category", category="9999")
    refused(events_world, "category", "unknown_category", category="01")  # a 大类 with 小类


def test_point_outside_the_jurisdiction(events_world):
    refused(events_world, "coordinates", "out_of_jurisdiction", lon=121.5, lat=31.2)


def test_swapped_coordinates(events_world):
    refused(events_world, "coordinates", "coordinates_swapped", lon=30.02, lat=120.01)


def test_missing_location_without_area_code(events_world):
    refused(events_world, "location", "missing_location", lon=None, lat=None)


def test_point_in_no_boundary_needs_an_area_code(events_world):
    refused(events_world, "location", "unlocated", lon=120.45, lat=30.2, user="city")


def test_missing_location_with_an_explicit_area_code(events_world):
    case = report(events_world, user="township", lon=None, lat=None, area_code=NAMES.village_a1b).case
    assert (case.area.code, case.grid, case.lon) == (NAMES.village_a1b, None, None)


def test_unknown_area_code(events_world):
    refused(events_world, "area_code", "unknown_area", lon=None, lat=None, area_code="338009000000")


def test_oversized_photo(events_world, settings):
    settings.CIVICGRID_MAX_PHOTO_MB = 1
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (1024 * 1024), content_type="image/png")
    refused(events_world, "photos[0]", "photo_too_large", photos=[big])


def test_non_image_photo(events_world):
    fake = SimpleUploadedFile("scene.jpg", b"%PDF-1.7 not a photo", content_type="image/jpeg")
    refused(events_world, "photos[1]", "not_an_image", photos=[png(), fake])


def test_required_photo_question(events_world):
    refused(events_world, "photos", "required", photos=[])


def test_required_answer_names_the_question(events_world):
    refused(events_world, "answers.night_work", "required", category="0301", photos=[])
    refused(
        events_world,
        "answers.head_count",
        "invalid_answer",
        category="0409",
        photos=[],
        answers={"head_count": "很多"},
    )


def test_unknown_channel(events_world):
    refused(events_world, "channel", "invalid_channel", channel="fax")


def test_empty_title(events_world):
    refused(events_world, "title", title="  ")


def test_outside_the_reporters_scope_is_refused(events_world):
    refused(events_world, "area", user="gridworker", lon=120.21, lat=30.02)


def test_repeated_submission_returns_the_original(events_world):
    first = report(events_world, idempotency_key="app-42")
    before = counts()
    again = report(events_world, idempotency_key="app-42", title="另一个标题")
    assert (again.created, again.case.pk, again.case.title) == (False, first.case.pk, "东湖路暴露垃圾")
    assert counts() == before


def test_another_reporters_key_is_not_revealed(events_world):
    report(events_world, idempotency_key="app-43")
    refused(
        events_world, "idempotency_key", "idempotency_key_taken", user="outsider", idempotency_key="app-43"
    )


def test_suggested_categories_when_none_given(events_world):
    case = report(events_world, category=None, title="小区门口有人乱扔垃圾", description="").case
    assert case.event.category is None
    assert case.event.suggested_categories[0]["code"] == "0101"


def test_gcj02_coordinates_are_stored_as_wgs84(events_world):
    case = report(events_world, lon=IN_GRID[0] + 0.0046, lat=IN_GRID[1] - 0.0024, crs="gcj02").case
    assert case.grid.code == NAMES.grid_a1a_1
    assert abs(case.lon - IN_GRID[0]) < 0.001 and abs(case.lat - IN_GRID[1]) < 0.001


def test_magic_bytes():
    assert sniff_image(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_image(PNG) == "image/png"
    assert sniff_image(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image(b"GIF89a") is None
    assert check_photo(png()).content_type == "image/png"


def test_audit_rows_hold_the_reporter_masked(events_world):
    from civicgrid.audit.models import ObjectChange

    report(events_world, reporter_name="张三丰", reporter_phone="13912345678")
    text = " ".join(str(r.after) + str(r.before) for r in ObjectChange.objects.all())
    assert "13912345678" not in text and "张三丰" not in text
    assert "139****5678" in text
