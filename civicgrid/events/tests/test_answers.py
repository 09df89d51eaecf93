"""The typed questions' answers, including the types Open311 needs (multichoice, datetime,
longtext), and the taxonomy's check of those questions."""

from __future__ import annotations

import pytest

from civicgrid.core.errors import ServiceError
from civicgrid.events.answers import clean_answer
from civicgrid.events.taxonomy_services import clean_questions

MULTI = {
    "key": "sides",
    "label": "占用位置",
    "type": "multichoice",
    "choices": ["人行道", "盲道", "消防通道"],
}


def test_multichoice_keeps_the_question_order_and_refuses_unknown_choices():
    assert clean_answer(MULTI, ["盲道", "人行道", "盲道"], "answers.sides") == ["人行道", "盲道"]
    assert clean_answer(MULTI, "盲道", "answers.sides") == ["盲道"]
    with pytest.raises(ServiceError) as error:
        clean_answer(MULTI, ["盲道", "天桥%s"], "answers.sides")
    assert error.value.field == "answers.sides" and "天桥%s" in str(error.value.message)
    with pytest.raises(ServiceError):
        clean_answer(MULTI, {"a": 1}, "answers.sides")


def test_datetime_gets_the_platform_offset_and_longtext_its_limit(settings):
    q = {"key": "at", "label": "发现时间", "type": "datetime"}
    assert clean_answer(q, "2026-11-27T08:30", "answers.at") == "2026-11-27T08:30:00+08:00"
    assert clean_answer(q, "2026-11-27T00:30:00Z", "answers.at") == "2026-11-27T08:30:00+08:00"
    for bad in ("yesterday", "2026-13-01T00:00", 5):
        with pytest.raises(ServiceError):
            clean_answer(q, bad, "answers.at")
    long = {"key": "d", "label": "经过", "type": "longtext"}
    assert clean_answer(long, "甲\n乙" * 100, "answers.d").count("\n") == 100
    with pytest.raises(ServiceError) as error:
        clean_answer(long, "长" * 4001, "answers.d")
    assert "4000" in str(error.value.message)
    with pytest.raises(ServiceError):
        clean_answer({"key": "t", "label": "短", "type": "text"}, "长" * 501, "answers.t")


def test_the_taxonomy_asks_choices_of_multichoice_questions_only():
    assert clean_questions([MULTI])[0]["choices"] == MULTI["choices"]
    with pytest.raises(ServiceError) as error:
        clean_questions([{"key": "sides", "label": "位置", "type": "multichoice"}])
    assert error.value.field.endswith(".choices")
    with pytest.raises(ServiceError):
        clean_questions([{"key": "at", "label": "时间", "type": "datetime", "choices": ["a"]}])
