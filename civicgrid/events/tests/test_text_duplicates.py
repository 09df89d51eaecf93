"""Likely duplicates at intake with text (issue 5 §3): the place-and-time rule's candidates kept when
similar in text or very near, ranked by the combined score; the query count does not change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from civicgrid.cases.models import Case
from civicgrid.events.duplicates import find_possible_duplicates, rank_candidates
from civicgrid.events.models import Category
from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import do_load_taxonomy
from civicgrid.events.tests.test_event_workflow import IN_GRID, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def events_world(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    do_load_taxonomy(read_taxonomy_file(), actor=None)
    return world


EAST_29M = IN_GRID[0] + 0.0003
EAST_58M = IN_GRID[0] + 0.0006


def _find(lon=IN_GRID[0], **text):
    return [
        c.pk
        for c in find_possible_duplicates(
            Category.objects.get(code="0101"), lon, IN_GRID[1], timezone.now(), **text
        )
    ]


def test_without_text_the_rule_is_place_and_time_alone(events_world):
    w = events_world
    near = report(w, lon=EAST_58M, title="路灯不亮", description="晚上漆黑").case
    nearer = report(w, lon=EAST_29M).case
    assert _find() == [nearer.pk, near.pk]  # nearest first, whatever the words


def test_text_keeps_the_similar_and_the_very_near_and_ranks_by_combined_score(events_world, settings):
    w = events_world
    settings.CIVICGRID_DUPLICATE_NEAR_M = 25
    unrelated = report(w, lon=EAST_58M, title="路灯不亮", description="晚上一片漆黑").case
    similar_far = report(w, lon=EAST_58M, title="东湖路边生活垃圾堆放", description="一堆垃圾没人清理").case
    same_spot = report(w, title="路灯坏了", description="不亮").case  # 0 m: kept whatever the words
    found = _find(title="东湖路暴露垃圾", description="路边有一堆生活垃圾")
    assert unrelated.pk not in found
    assert set(found) == {similar_far.pk, same_spot.pk}
    settings.CIVICGRID_DUPLICATE_TEXT_THRESHOLD = 0  # text test off: every candidate, ranked
    assert set(_find(title="东湖路暴露垃圾", description="")) == {unrelated.pk, similar_far.pk, same_spot.pk}
    settings.CIVICGRID_DUPLICATE_TEXT_THRESHOLD = 0.99
    settings.CIVICGRID_DUPLICATE_NEAR_M = 0
    assert _find(title="东湖路暴露垃圾", description="路边有一堆生活垃圾") == []


def test_the_best_combined_score_comes_first(events_world):
    w = events_world
    reworded_near = report(w, lon=EAST_29M, title="东湖路有垃圾", description="").case
    same_words_farther = report(w, lon=EAST_58M).case  # title and description identical to the probe
    assert _find(title="东湖路暴露垃圾", description="路边有一堆生活垃圾")[0] == same_words_farther.pk
    assert reworded_near.pk in _find(title="东湖路暴露垃圾", description="路边有一堆生活垃圾")


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("", ""),
        ("   ", None),
        ("！！！", "？？"),
        ("x" * 10_000, "垃圾" * 100_000),
        ("Garbage", "on the road"),
    ],
)
def test_bad_or_odd_text_never_crashes_and_empty_text_falls_back_to_place(events_world, title, description):
    w = events_world
    original = report(w).case
    found = _find(title=title, description=description)
    assert all(isinstance(pk, int) for pk in found)
    if not (title or "").strip(" ！") and not (description or "").strip(" ？"):
        assert found == [original.pk]  # nothing to compare: place and time alone


def test_closed_other_category_and_out_of_window_are_never_candidates_even_with_the_same_text(events_world):
    w = events_world
    closed = report(w).case
    Case.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    report(w, category="0301", photos=[], answers={"night_work": False})
    old = report(w, opened_at=timezone.now() - timezone.timedelta(days=10)).case
    found = _find(title="东湖路暴露垃圾", description="路边有一堆生活垃圾")
    assert closed.pk not in found and old.pk not in found and found == []


def test_one_query_with_or_without_text(events_world):
    w = events_world
    report(w)
    category = Category.objects.get(code="0101")
    for text in ({}, {"title": "东湖路暴露垃圾", "description": "路边有一堆生活垃圾"}):
        find_possible_duplicates(category, *IN_GRID, timezone.now(), **text)  # compiled once
        with CaptureQueriesContext(connection) as ctx:
            found = find_possible_duplicates(category, *IN_GRID, timezone.now(), **text)
        assert len(ctx.captured_queries) == 1 and len(found) == 1
        assert (found[0].lon, found[0].lat, found[0].title) == (IN_GRID[0], IN_GRID[1], "东湖路暴露垃圾")


def test_rank_candidates_for_callers_with_their_own_candidates(settings):
    settings.CIVICGRID_DUPLICATE_NEAR_M = 25
    candidates = [
        (80.0, "far-same", "东湖路暴露垃圾", "路边有一堆生活垃圾"),
        (10.0, "near-other", "路灯不亮", ""),
        (60.0, "mid-other", "路灯不亮", "晚上漆黑"),
        (50.0, "mid-same", "东湖路暴露垃圾", None),
    ]
    assert rank_candidates(None, None, candidates, 100.0) == [
        "near-other",
        "mid-same",
        "mid-other",
        "far-same",
    ]
    assert rank_candidates("  ", "！", candidates, 100.0) == [
        "near-other",
        "mid-same",
        "mid-other",
        "far-same",
    ]
    ranked = rank_candidates("东湖路暴露垃圾", "路边有一堆生活垃圾", candidates, 100.0)
    assert (
        ranked[0] == "far-same"
        and "mid-other" not in ranked
        and set(ranked) == {"far-same", "mid-same", "near-other"}
    )
    assert rank_candidates("东湖路暴露垃圾", "", [], 100.0) == []
