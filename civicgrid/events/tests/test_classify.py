"""The keyword classifier on handmade examples, and its matching rules."""

from __future__ import annotations

import pytest

from civicgrid.events.classify import Classifier, normalise, suggest
from civicgrid.events.models import Category
from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import do_load_taxonomy, do_update_category

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxonomy(db):
    do_load_taxonomy(read_taxonomy_file(), actor=None)


def codes(suggestions):
    return [(s.category.code, s.score) for s in suggestions]


@pytest.mark.parametrize(
    ("title", "description", "expected"),
    [
        # "暴露垃圾" uses up its characters: the generic "垃圾" (0101 too) does not count again.
        ("路边暴露垃圾", "东湖路口有人乱倒垃圾，一直没人清理", [("0101", 6.0)]),
        ("", "小区门口有流动摊贩占道经营，卖水果", [("0501", 2.0), ("0502", 2.0)]),
        ("商户占道经营", "店门口摆摊出店经营", [("0501", 7.0)]),
        ("邻里纠纷", "楼上楼下因为漏水吵架，邻居之间矛盾激化", [("0901", 7.0)]),
        ("井盖破损", "人行道上井盖破损，有行人差点掉下去", [("0701", 4.0)]),
        ("", "马路中间的井盖丢了", [("0701", 1.0)]),
    ],
)
def test_handmade_examples(taxonomy, title, description, expected):
    assert codes(suggest(title, description))[: len(expected)] == expected


def test_top_three_best_first_with_hits(taxonomy):
    result = suggest("夜间施工噪音扰民", "工地夜间施工，噪音很大，还有扬尘")
    # Overlapping keywords both count; "噪音" inside "施工噪音" does not count for 0603, but the
    # "噪音" standing alone in the description does.
    assert codes(result) == [("0301", 8.0), ("0306", 1.0), ("0603", 1.0)]
    assert result[0].hits == ("夜间施工", "施工噪音")
    assert codes(suggest("噪音", "广场舞音响声音大，噪音扰民")) == [("0603", 4.5)]


def test_no_keyword_no_suggestion_and_limit(taxonomy):
    assert suggest("你好", "请问今天几点下班") == []
    assert len(suggest("", "垃圾 违停 井盖 路灯 停电 赌博", limit=3)) == 3


def test_emergencies_come_with_their_transfer(taxonomy):
    top = suggest("着火了", "三楼起火冒烟")[0]
    assert (top.category.code, top.category.emergency_transfer) == ("0405", "119")
    top = suggest("", "十字路口两车相撞，追尾")[0]
    assert (top.category.code, top.category.emergency_transfer) == ("0406", "122")


def test_inactive_categories_are_not_suggested(taxonomy):
    do_update_category(Category.objects.get(code="0701"), actor=None, is_active=False)
    assert [s.category.code for s in suggest("井盖破损", "")] == []


def test_full_width_text_and_spaces_are_normalised():
    assert normalise("井 盖\u3000ＡＢ") == "井盖ab"
    cats = [
        Category(pk=1, code="1", name="甲", keywords=[{"word": "AB", "weight": 1.0}]),
        Category(pk=2, code="2", name="乙", keywords=[{"word": "ab", "weight": 1.0}]),
    ]
    # Same word in two categories: both score, ties in the taxonomy's order.
    assert [(s.category.code, s.score) for s in Classifier(cats).suggest("", "ａｂ")] == [
        ("1", 1.0),
        ("2", 1.0),
    ]
