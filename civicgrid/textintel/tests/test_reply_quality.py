"""Reply quality: relevance, completeness and timeliness of an official reply (pure functions)."""

from __future__ import annotations

import datetime as dt

import pytest

from civicgrid.textintel.reply_quality import score_reply

ASKED = dt.datetime(2019, 5, 1, 9, 0)
TITLE = "A3区杏林小区旁工地半夜施工扰民"
BODY = "杏林小区旁边的工地每天晚上施工到凌晨两点，噪音很大，无法休息。"
GOOD = (
    "网友您好！您的留言已收悉。经调查核实，杏林小区旁工地确有夜间施工情况，施工单位未办理夜间施工许可。"
    "根据《环境噪声污染防治法》有关规定，区城管执法中队已责令施工单位停止夜间施工，并处以罚款。"
    "下一步将加强巡查，如有疑问可致电 0731-12345678 联系。感谢您的监督！"
)


def test_a_full_reply_on_time_scores_high_and_gives_no_reasons():
    score = score_reply(TITLE, BODY, ASKED, GOOD, ASKED + dt.timedelta(days=3))
    assert score.completeness > 0.8 and score.relevance > 0.3 and score.timeliness == 1.0
    assert score.overall > 0.65
    assert score.reasons == ()
    assert score.as_dict()["days"] == 3.0


def test_an_acknowledgement_only_is_incomplete_and_off_topic():
    score = score_reply(TITLE, BODY, ASKED, "网友：您好！留言已收悉", ASKED + dt.timedelta(days=1))
    assert score.completeness < 0.2 and score.relevance < 0.2
    assert {"off_topic", "no_facts", "no_measures", "too_short"} <= set(score.reasons)


def test_restating_the_title_in_quotes_is_not_relevance():
    quoted = f"您反映的“{TITLE}”的问题已收悉。感谢您对我们工作的支持。"
    assert score_reply(TITLE, BODY, ASKED, quoted, ASKED).relevance < 0.2


def test_reply_to_another_matter_is_off_topic():
    other = "经查，您反映的社保卡补办问题，已告知您可到社保窗口办理，根据规定无需费用。"
    assert "off_topic" in score_reply(TITLE, BODY, ASKED, other, ASKED).reasons


@pytest.mark.parametrize(("days", "expected"), [(0, 1.0), (15, 1.0), (37.5, 0.5), (60, 0.0), (400, 0.0)])
def test_timeliness_falls_from_15_to_60_days(days, expected):
    score = score_reply(TITLE, BODY, ASKED, GOOD, ASKED + dt.timedelta(days=days))
    assert score.timeliness == pytest.approx(expected)
    assert ("late" in score.reasons) == (days > 15)


@pytest.mark.parametrize(
    ("asked", "replied"),
    [
        (None, ASKED),
        (ASKED, None),
        (ASKED, ASKED - dt.timedelta(days=1)),  # answered before it was asked
        (ASKED, ASKED.replace(tzinfo=dt.UTC)),  # aware against naive
    ],
)
def test_missing_or_inverted_times_are_a_reason_not_a_crash(asked, replied):
    score = score_reply(TITLE, BODY, asked, GOOD, replied)
    assert score.timeliness == 0.0 and "bad_times" in score.reasons


@pytest.mark.parametrize("reply", [None, "", "   ", "！！！"])
def test_no_reply(reply):
    score = score_reply(TITLE, BODY, ASKED, reply, ASKED)
    assert (score.relevance, score.completeness) == (0.0, 0.0) and "no_reply" in score.reasons


def test_odd_input_never_crashes():
    for title, body, reply in [
        (None, None, GOOD),
        ("", "", "x" * 100_000),
        ("Noise at night", "", "We fined them."),
    ]:
        score = score_reply(title, body, ASKED, reply, ASKED)
        assert 0.0 <= score.overall <= 1.0
