"""Hot-issue mining on small synthetic sets: clusters by place and topic, the heat index, names."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from civicgrid.textintel.hot_issues import HEAT_WEIGHTS, Message, cluster, heat_of, hot_issues, place_of

T0 = dt.datetime(2019, 8, 1, 9, 0)


def msg(i, title, body="", days=0, reporter=None, likes=0, place=""):
    return Message(
        id=i,
        title=title,
        body=body,
        at=T0 + dt.timedelta(days=days),
        reporter=reporter if reporter is not None else f"u{i}",
        likes=likes,
        place=place,
    )


FUME = [
    msg(1, "A5区魅力之城小区临街门面油烟扰民", "楼下餐馆油烟直排", 0),
    msg(2, "魅力之城小区底层商铺油烟噪音扰民", "商铺营业到凌晨，油烟噪音", 3),
    msg(3, "A市万科魅力之城商铺无排烟管道，油烟扰民", "小区内到处油烟味", 6),
    msg(4, "魅力之城小区一楼门面噪音扰民严重", "门面夜宵摊噪音", 9),
]
SCHOOL = [
    msg(11, "A市经济学院强制学生实习", "学校强制学生去定点企业实习", 1),
    msg(12, "A市涉外经济学院强制学生外出实习", "学生被强制实习", 400),
]
OTHER = [
    msg(21, "东湖路路灯不亮", "晚上一片漆黑", 2),
    msg(22, "西湖公园厕所太脏", "没人打扫", 4),
    msg(23, "请问社保卡怎么补办", "社保卡丢了", 5),
]


@pytest.mark.parametrize(
    ("title", "place"),
    [
        ("A5区劳动东路魅力之城小区油烟扰民", "劳动东路魅力之城"),
        ("A市涉外经济学院强制学生实习", "涉外经济学院"),
        ("西地省财政经济学院食堂窗口太少", "财政经济学院"),
        ("承办A市58车贷案警官应跟进", "58车贷"),
        ("请问社保卡怎么补办", ""),
        ("", ""),
    ],
)
def test_place_of(title, place):
    assert place_of(title) == place


def test_the_same_place_and_topic_cluster_together_and_unrelated_ones_stay_apart():
    messages = FUME + SCHOOL + OTHER
    groups = [sorted(messages[i].id for i in members) for members in cluster(messages)]
    assert [1, 2, 3, 4] in groups
    assert [11, 12] in groups  # 涉外经济学院 ends with 经济学院: one place
    assert all(len(g) == 1 for g in groups if g[0] >= 21)


def test_ranking_by_heat_names_place_terms_and_time_range():
    issues = hot_issues(FUME + SCHOOL + OTHER)
    assert [i.message_ids for i in issues] == [[1, 2, 3, 4], [11, 12]]  # singletons left out
    first = issues[0]
    assert (first.rank, first.place, first.messages, first.reporters) == (1, "魅力之城", 4, 4)
    assert "油烟" in first.terms and all("魅力" not in t for t in first.terms)
    assert (first.start, first.end) == (T0, T0 + dt.timedelta(days=9))
    assert first.name.startswith("魅力之城 · ")
    assert first.as_dict()["message_ids"] == [1, 2, 3, 4]


def test_one_person_writing_again_and_again_is_not_many_people():
    many = [msg(i, "魅力之城小区油烟扰民", "油烟", i, reporter=f"p{i}") for i in range(4)]
    one = [msg(10 + i, "魅力之城小区油烟扰民", "油烟", i, reporter="same") for i in range(4)]
    period = (T0, T0 + dt.timedelta(days=30))
    assert heat_of(many, period)[0] - heat_of(one, period)[0] == pytest.approx(
        HEAT_WEIGHTS["reporters"] * (math.log(5) - math.log(2))
    )


def test_likes_and_growth_raise_the_heat():
    period = (T0, T0 + dt.timedelta(days=40))
    base = [msg(1, "甲小区停车难", days=0), msg(2, "甲小区停车难", days=1)]
    liked = [msg(1, "甲小区停车难", days=0, likes=500), msg(2, "甲小区停车难", days=1)]
    rising = [msg(1, "甲小区停车难", days=35), msg(2, "甲小区停车难", days=38)]
    assert heat_of(liked, period)[0] > heat_of(base, period)[0]
    heat, growth = heat_of(rising, period)
    assert growth > 0 and heat > heat_of(base, period)[0] - 0.5  # growth counts, the span is shorter


def test_records_place_groups_messages_that_name_none():
    messages = [
        msg(1, "路灯不亮", "晚上漆黑", place="东湖社区"),
        msg(2, "路灯坏了不亮", "晚上漆黑", place="东湖社区"),
        msg(3, "路灯不亮", "晚上漆黑", place="西湖社区"),
    ]
    groups = sorted(sorted(messages[i].id for i in g) for g in cluster(messages))
    assert groups == [[1, 2], [3]]


@pytest.mark.parametrize(
    "messages",
    [
        [],
        [msg(1, "", ""), msg(2, "   ", "")],
        [msg(1, "only one", "")],
        [msg(i, "同一个标题", "") for i in range(3)],
        [msg(1, "Street light broken", "dark at night"), msg(2, "Street light broken", "")],
    ],
)
def test_bad_or_degenerate_input_never_crashes(messages):
    issues = hot_issues(messages)
    assert all(issue.messages >= 2 for issue in issues)


def test_top_limits_and_ranks_are_consecutive():
    messages = FUME + SCHOOL + OTHER
    assert len(hot_issues(messages, top=1)) == 1
    assert [i.rank for i in hot_issues(messages, top=None, min_messages=1)] == [1, 2, 3, 4, 5]
