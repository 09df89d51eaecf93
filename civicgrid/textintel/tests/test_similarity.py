"""Text similarity for likely duplicates: pure functions, no database."""

from __future__ import annotations

import pytest

from civicgrid.textintel.similarity import cosine, duplicate_score, normalise, profile, text_similarity


def test_same_text_is_one_and_unrelated_text_is_low():
    same = text_similarity("东湖路暴露垃圾", "路边有一堆生活垃圾", "东湖路暴露垃圾", "路边有一堆生活垃圾")
    assert same == pytest.approx(1.0)
    other = text_similarity(
        "东湖路暴露垃圾", "路边有一堆生活垃圾", "学校强制学生实习", "经济学院组织学生外出打工"
    )
    assert other < 0.1


def test_reworded_report_of_the_same_thing_scores_above_an_unrelated_one():
    a = profile("魅力之城小区底层商铺油烟扰民", "楼下餐馆油烟直排，晚上噪音很大")
    b = profile("魅力之城小区临街门面油烟直排扰民", "门面餐馆油烟直排进楼里")
    c = profile("东湖路路灯不亮", "晚上一片漆黑")
    assert cosine(a, b) > 0.3 > cosine(a, c)


def test_formula_words_punctuation_width_and_case_do_not_count():
    assert normalise("尊敬的领导：您好！ＡＢＣ１２３，") == "abc123"
    assert text_similarity("尊敬的领导您好", "", "您好，尊敬的领导", "") == 0.0  # nothing left: no profile


@pytest.mark.parametrize("value", [None, "", "   ", "！？。", "\x00\x01"])
def test_empty_or_symbol_only_text_has_an_empty_profile(value):
    assert profile(value, value) == frozenset()
    assert cosine(profile(value), profile("东湖路暴露垃圾")) == 0.0


def test_other_languages_and_very_long_text_work():
    assert text_similarity("Broken street light", "", "street light broken", "") > 0.8
    long = "垃圾" * 200_000  # the description is cut: cheap however long it is
    assert 0.0 < text_similarity("东湖路暴露垃圾", long, "东湖路暴露垃圾", "") <= 1.0


def test_combined_score_weighs_text_and_nearness():
    assert duplicate_score(1.0, 0.0, 100.0) == pytest.approx(1.0)
    assert duplicate_score(0.0, 100.0, 100.0) == pytest.approx(0.0)
    assert duplicate_score(0.0, 500.0, 100.0) == pytest.approx(0.0)  # beyond the radius: not negative
    assert duplicate_score(0.5, 50.0, 100.0) == pytest.approx(0.7 * 0.5 + 0.3 * 0.5)
    assert duplicate_score(0.2, 10.0, 0.0) == pytest.approx(0.7 * 0.2 + 0.3)
