"""Quality of an official reply to a citizen's message (答复意见质量, issue 5 §6): relevance,
completeness and timeliness, each in [0, 1], with the reasons that lowered them. Pure computation on
plain strings and datetimes; bench/reply_quality.py measures it on the 2,816 message–reply pairs of
the 2020 TipDM Cup problem C and against 100 hand labels.

- **Relevance**: does the reply speak to what was asked? Half the share of the message title's
  character bigrams (formula words removed) found in the reply outside quotation marks, half the
  cosine of the message's and the reply's bigram sets (`similarity`), doubled and capped at 1. A reply that only acknowledges
  ("留言已收悉") scores near 0.
- **Completeness**: the parts of a good official reply (ELEMENTS): the facts established (经查,
  调查, 核实 …), the measures taken or planned and their result (已…处理/整改/解决, 将…, 预计 …),
  the basis (根据, 依据, 规定, 《…》, 政策 …), a way to follow up (联系电话, 如有疑问 …), the
  acknowledgement (您好, 收悉 …), and substance (weight 0.3): its length, up to SUBSTANCE_CHARS
  characters of words.
- **Timeliness**: 1 when answered within `due_days` (15 calendar days), falling linearly to 0 at
  `late_days` (60); unknown or inverted times give 0 with a reason.

overall = 0.4 · relevance + 0.4 · completeness + 0.2 · timeliness.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .similarity import _grams, cosine, normalise

SUBSTANCE_CHARS = 300
MESSAGE_CHARS = 400
QUOTED = re.compile(r"“[^”]{0,200}”|\"[^\"]{0,200}\"|「[^」]{0,200}」")
WEIGHTS = {"relevance": 0.4, "completeness": 0.4, "timeliness": 0.2}
# code, weight, pattern: the parts of a complete reply
ELEMENTS = (
    (
        "facts",
        0.20,
        re.compile(
            r"经查|经调查|经核实|经了解|经与|调查|核实|核查|检查|了解到|据了解|据查|现场|走访|查明|联系了|情况如下|情况是"
        ),
    ),
    (
        "measures",
        0.25,
        re.compile(
            r"已[于经]?[\u4e00-\u9fa5\d月日]{0,10}(?:处理|整改|解决|完成|安排|协调|督促|责令|清理|拆除|修复|办理|落实|约谈|"
            r"处罚|发放|建成|告知|要求|训诫|立案|受理|移交|转交)"
            r"|将[\u4e00-\u9fa5]{0,12}(?:处理|整改|解决|完成|安排|协调|督促|落实|推进|做好|加强|关注|研究|论证|调整|建设|审核|投入)"
            r"|预计|计划|目前|正在|下一步|尽快|尽早"
        ),
    ),
    ("basis", 0.10, re.compile(r"根据|依据|按照|依照|规定|《|政策|条例|办法|标准|文件")),
    (
        "follow_up",
        0.10,
        re.compile(r"联系电话|咨询电话|电话|如有疑问|如有异议|可(?:直接)?(?:联系|咨询|致电|来电)|\d{7,}"),
    ),
    ("acknowledgement", 0.05, re.compile(r"您好|你好|收悉|感谢|谢谢")),
)
SUBSTANCE_WEIGHT = 1.0 - sum(weight for _code, weight, _p in ELEMENTS)  # 0.30


@dataclass(frozen=True)
class ReplyScore:
    relevance: float
    completeness: float
    timeliness: float
    overall: float
    days: float | None
    reasons: tuple[str, ...]  # codes: no_reply, off_topic, no_facts, no_measures, …, late, bad_times

    def as_dict(self) -> dict:
        return {
            "relevance": round(self.relevance, 3),
            "completeness": round(self.completeness, 3),
            "timeliness": round(self.timeliness, 3),
            "overall": round(self.overall, 3),
            "days": None if self.days is None else round(self.days, 2),
            "reasons": list(self.reasons),
        }


def relevance(title: str, body: str, reply: str) -> float:
    """Quoted passages of the reply are left out: replies restate the title in quotes ("您反映的
    “…”问题已收悉"), which says nothing about whether they answer it."""
    reply_grams = frozenset(_grams(normalise(QUOTED.sub(" ", reply))))
    title_grams = frozenset(_grams(normalise(title)))
    message_grams = title_grams | _grams(normalise(body[:MESSAGE_CHARS]))
    coverage = len(title_grams & reply_grams) / len(title_grams) if title_grams else 0.0
    similar = min(2.0 * cosine(message_grams, reply_grams), 1.0)
    return 0.5 * coverage + 0.5 * similar


def completeness(reply: str) -> tuple[float, list[str]]:
    text = reply or ""
    score, missing = 0.0, []
    for code, weight, pattern in ELEMENTS:
        if pattern.search(text):
            score += weight
        else:
            missing.append(f"no_{code}")
    substance = len(normalise(text).replace(" ", ""))
    score += SUBSTANCE_WEIGHT * min(substance / SUBSTANCE_CHARS, 1.0)
    if substance < SUBSTANCE_CHARS / 3:
        missing.append("too_short")
    return min(score, 1.0), missing


def timeliness(
    asked_at: dt.datetime | None, replied_at: dt.datetime | None, due_days: float = 15, late_days: float = 60
) -> tuple[float, float | None, list[str]]:
    if asked_at is None or replied_at is None:
        return 0.0, None, ["bad_times"]
    try:
        days = (replied_at - asked_at).total_seconds() / 86400.0
    except TypeError:  # one aware, one naive
        return 0.0, None, ["bad_times"]
    if days < 0:
        return 0.0, days, ["bad_times"]
    if days <= due_days:
        return 1.0, days, []
    return max(0.0, 1.0 - (days - due_days) / (late_days - due_days)), days, ["late"]


def score_reply(
    title: str | None,
    body: str | None,
    asked_at: dt.datetime | None,
    reply: str | None,
    replied_at: dt.datetime | None,
    *,
    due_days: float = 15,
    late_days: float = 60,
) -> ReplyScore:
    """The quality of `reply` to the message (`title`, `body`) asked at `asked_at`."""
    title, body, reply = title or "", body or "", reply or ""
    on_time, days, time_reasons = timeliness(asked_at, replied_at, due_days, late_days)
    if not normalise(reply):
        return ReplyScore(
            0.0, 0.0, on_time, WEIGHTS["timeliness"] * on_time, days, ("no_reply", *time_reasons)
        )
    relevant = relevance(title, body, reply)
    complete, missing = completeness(reply)
    reasons = (["off_topic"] if relevant < 0.2 else []) + missing + time_reasons
    overall = (
        WEIGHTS["relevance"] * relevant + WEIGHTS["completeness"] * complete + WEIGHTS["timeliness"] * on_time
    )
    return ReplyScore(relevant, complete, on_time, overall, days, tuple(reasons))


# What each reason code means, for the case page.
REASON_TEXT = {
    "no_reply": _("没有答复内容"),
    "off_topic": _("答复与留言内容关联不大"),
    "no_facts": _("未说明调查核实的情况"),
    "no_measures": _("未说明采取的措施和结果"),
    "no_basis": _("未说明依据"),
    "no_follow_up": _("未留联系方式或后续渠道"),
    "no_acknowledgement": _("缺少问候或收悉说明"),
    "too_short": _("答复过于简短"),
    "late": _("答复超过 15 天"),
    "bad_times": _("留言或答复时间不详"),
}
