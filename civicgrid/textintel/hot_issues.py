"""Hot-issue mining (热点问题挖掘): messages of a period clustered by place and topic, the clusters
ranked by a heat index and named by their place, key terms and time range. Pure computation on plain
records (`Message`); the leaders' board (assessment.hot_issue_queries) feeds it events.

How (docs/hot-issues.md has the measurements):

1. Place. Each message's place is the first named place in its title (or the head of its body):
   a run of characters ending in 小区, 学院, 公园, 地铁N号线 … (PLACE_SUFFIXES), with the
   administrative prefixes (A市, A5区, 西地省, …街道) dropped. Places ending in a shorter known place
   are merged into it (涉外经济学院 → 经济学院). A message naming no place falls back to the place its
   record carries (`Message.place`, on the platform the event's area); with neither it is placeless.
2. Topic. Character 1–2-gram TF-IDF over the title (twice) and the head of the body, formula words
   (尊敬的领导, 您好, …) removed, IDF from the messages being clustered.
3. Clusters. Within each place, average-linkage agglomerative clustering on cosine distance, cut at
   `cut` (default 0.85: the mean similarity between two merged groups is at least 0.15 — loose,
   because the place already agrees). Placeless messages are linked when their cosine similarity is
   at least `placeless_link` (0.5) and taken as connected components.
4. Heat (热度), documented in HEAT_WEIGHTS:
       heat = 2·ln(1 + distinct reporters) + ln(1 + messages) + 0.5·ln(1 + likes)
              + 0.5·ln(1 + span in days / 30) + 0.5·growth
   growth = ln((messages in the last quarter of the period + 1) / (messages / 4 + 1)), clipped to
   [0, 2]: an issue whose messages gather at the end of the period is rising. Distinct reporters
   weigh most (one person writing ten times is not ten people); likes are logged so that one
   campaign with thousands of likes does not bury everything else. Dislikes are not used.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

ADMIN_PREFIX = re.compile(
    r"[A-Z][0-9]*[省市区县]|西地省|[\u4e00-\u9fa5]{2,4}(?:街道|镇|乡)(?=[\u4e00-\u9fa5])"
)
PLACE_SUFFIXES = (
    "小区|花园|家园|公寓|大厦|广场|学院|大学|中学|小学|学校|幼儿园|医院|市场|公园|新城|之城|国际|华府|"
    "名苑|嘉园|苑|村|社区|公司|驾校|车贷|项目|工地|高铁|地铁\\d+号线"
)
PLACE = re.compile(r"([\u4e00-\u9fa5A-Za-z0-9]{2,10}?(?:" + PLACE_SUFFIXES + "))")
LEADING_VERBS = re.compile(
    r"^(?:关于|投诉|反映|请问|建议|咨询|请求|举报|严惩|坚决|反对在|反对|希望|请|对|在)+"
)
GENERIC_PLACES = frozenset(
    [
        "小区",
        "学院",
        "学校",
        "公司",
        "项目",
        "社区",
        "医院",
        "市场",
        "公园",
        "大学",
        "中学",
        "小学",
        "村",
        "苑",
        "工地",
        "高铁",
    ]
)
FORMULA = re.compile(
    r"尊敬的|领导|您好|你好|请问|希望|相关部门|有关部门|反映|关于|问题|谢谢|感谢|[A-Z][0-9]*[省市区县]|西地省"
)
BODY_CHARS = 300  # of the body, after the title: the head carries the topic, the rest dilutes it
LINKAGE_MAX = 1500  # a place with more messages than this is clustered by linked components
HEAT_WEIGHTS = {"reporters": 2.0, "messages": 1.0, "likes": 0.5, "span": 0.5, "growth": 0.5}
STOP_TERMS = frozenset(
    [
        "尊敬",
        "领导",
        "您好",
        "你好",
        "请问",
        "希望",
        "相关",
        "部门",
        "有关",
        "反映",
        "关于",
        "问题",
        "谢谢",
        "感谢",
        "我们",
        "你们",
        "他们",
        "这个",
        "那个",
        "什么",
        "怎么",
        "为什么",
        "如何",
        "是否",
        "能否",
        "可以",
        "没有",
        "一个",
        "现在",
        "已经",
        "还是",
        "就是",
        "严重",
        "要求",
        "情况",
        "进行",
        "解决",
        "政府",
        "居民",
        "市民",
        "业主",
        "小区",
        "社区",
        "街道",
        "百姓",
        "群众",
        "投诉",
        "建议",
        "咨询",
        "请求",
        "举报",
        "合理",
        "一下",
        "这样",
        "因为",
        "所以",
        "但是",
    ]
)


@dataclass(frozen=True)
class Message:
    """One message: `id` anything hashable; `reporter` who sent it (a phone, a user id: only
    compared); `place` the record's own place (an area's name), used when the text names none."""

    id: object
    title: str
    body: str
    at: dt.datetime
    reporter: object = None
    likes: int = 0
    place: str = ""


@dataclass
class HotIssue:
    rank: int
    heat: float
    place: str
    terms: list[str]
    start: dt.datetime
    end: dt.datetime
    message_ids: list = field(default_factory=list)
    messages: int = 0
    reporters: int = 0
    likes: int = 0
    growth: float = 0.0

    @property
    def name(self) -> str:
        return " · ".join(x for x in (self.place, "、".join(self.terms[:3])) if x)

    def as_dict(self) -> dict:
        return {
            "rank": self.rank,
            "heat": round(self.heat, 3),
            "name": self.name,
            "place": self.place,
            "terms": self.terms,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "messages": self.messages,
            "reporters": self.reporters,
            "likes": self.likes,
            "growth": round(self.growth, 3),
            "message_ids": self.message_ids,
        }


def place_of(title: str, body: str = "") -> str:
    """The first named place of the title (else of the body's head), administrative prefixes and
    leading verbs dropped; "" when none."""
    for text in (title or "", (body or "")[:80]):
        match = PLACE.search(ADMIN_PREFIX.sub(" ", text))
        if match:
            place = LEADING_VERBS.sub("", match.group(1))
            place = re.sub(r"(?:小区|社区)$", "", place) or place
            if len(place) >= 2 and place not in GENERIC_PLACES:
                return place
    return ""


def _canonical_places(places: Sequence[str]) -> dict[str, str]:
    """Each place → the shortest known place (≥ 3 characters) it ends with (涉外经济学院 → 经济学院)."""
    known = {p for p in places if p}
    canon: dict[str, str] = {}
    for key in sorted(known, key=lambda p: (len(p), p)):  # shorter first: their own canon is known
        # The key's proper suffixes of 3 characters or more, shortest first.
        shorter = next((key[i:] for i in range(len(key) - 3, 0, -1) if key[i:] in known), key)
        canon[key] = canon.get(shorter, shorter)
    return canon


def topic_text(title: str, body: str) -> str:
    title = FORMULA.sub(" ", title or "")
    return f"{title} {title} {FORMULA.sub(' ', (body or '')[:BODY_CHARS])}"


def _vectors(messages: Sequence[Message]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [topic_text(m.title, m.body) for m in messages]
    large = len(texts) > 50  # document-frequency limits only mean something on many messages
    vectorizer = TfidfVectorizer(
        analyzer="char",
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2 if large else 1,
        max_df=0.5 if large else 1.0,
    )
    try:
        return vectorizer.fit_transform(texts)
    except ValueError:  # nothing left after the document-frequency limits (tiny or uniform input)
        return TfidfVectorizer(analyzer="char", ngram_range=(1, 2)).fit_transform([t or " " for t in texts])


def _cluster_group(vectors, cut: float, link: float, linkage_ok: bool) -> np.ndarray:
    """Labels (0…) of one place's messages."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.sparse.csgraph import connected_components

    count = vectors.shape[0]
    if count == 1:
        return np.zeros(1, dtype=int)
    similarity = (vectors @ vectors.T).toarray() if hasattr(vectors, "toarray") else vectors @ vectors.T
    if linkage_ok and count <= LINKAGE_MAX:
        distance = np.clip(1.0 - similarity, 0.0, 2.0)
        condensed = distance[np.triu_indices(count, k=1)]
        return fcluster(linkage(condensed, method="average"), t=cut, criterion="distance") - 1
    graph = similarity >= link
    return connected_components(graph, directed=False)[1]


def cluster(
    messages: Sequence[Message], *, cut: float = 0.85, placeless_link: float = 0.5
) -> list[list[int]]:
    """Indices of `messages` grouped into clusters (see the module docstring), each in input order."""
    if not messages:
        return []
    vectors = _vectors(messages).tocsr()
    found = [place_of(m.title, m.body) for m in messages]
    canon = _canonical_places(found)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, (message, place) in enumerate(zip(messages, found, strict=True)):
        key = canon.get(place, "") if place else (f"@{message.place}" if message.place else "")
        groups[key].append(i)
    clusters: list[list[int]] = []
    for key in sorted(groups):
        members = groups[key]
        labels = _cluster_group(vectors[members], cut, placeless_link, linkage_ok=bool(key))
        by_label: dict[int, list[int]] = defaultdict(list)
        for index, label in zip(members, labels, strict=True):
            by_label[int(label)].append(index)
        clusters.extend(by_label[label] for label in sorted(by_label))
    return clusters


def heat_of(messages: Sequence[Message], period: tuple[dt.datetime, dt.datetime]) -> tuple[float, float]:
    """(heat, growth) of one cluster within `period` (see the module docstring)."""
    w = HEAT_WEIGHTS
    reporters = len({m.reporter if m.reporter not in (None, "") else ("id", m.id) for m in messages})
    likes = sum(max(int(m.likes or 0), 0) for m in messages)
    times = [m.at for m in messages]
    span_days = (max(times) - min(times)).total_seconds() / 86400.0
    start, end = period
    recent_from = end - (end - start) / 4
    recent = sum(1 for t in times if t >= recent_from)
    growth = min(max(math.log((recent + 1) / (len(messages) / 4 + 1)), 0.0), 2.0)
    heat = (
        w["reporters"] * math.log1p(reporters)
        + w["messages"] * math.log1p(len(messages))
        + w["likes"] * math.log1p(likes)
        + w["span"] * math.log1p(span_days / 30.0)
        + w["growth"] * growth
    )
    return heat, growth


class TitleFrequency:
    """How many titles contain a word (as a substring), counted only for the words asked about:
    segmenting every title of the period with jieba cost seconds, the clusters' titles suffice."""

    def __init__(self, titles: Iterable[str]):
        self.titles = [t or "" for t in titles]
        self.found: dict[str, int] = {}

    def get(self, word: str, default: int = 0) -> int:
        if word not in self.found:
            self.found[word] = sum(1 for title in self.titles if word in title)
        return self.found[word] or default


def key_terms(titles: Sequence[str], document_frequency, documents: int, count: int = 5) -> list[str]:
    """The words of a cluster's titles weighted by TF-IDF against all titles (jieba words, two
    characters or more, formula words and places' suffix words left out). `document_frequency`
    answers `.get(word, 0)`: a Counter or a TitleFrequency."""
    import jieba

    counts: Counter = Counter()
    for title in titles:
        counts.update(_words(title, jieba))
    scored = [
        (freq * math.log((documents + 1) / (document_frequency.get(word, 0) + 1)) + freq * 1e-3, word)
        for word, freq in counts.items()
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [word for _score, word in scored[:count]]


def _terms_beside(place: str, group, document_frequency, documents: int) -> list[str]:
    """Key terms that are not pieces of the place shown, nor of the place name most written
    (劳动东路魅力之城 → not 魅力, 劳动, 东路)."""
    written = Counter(p for p in (place_of(m.title, m.body) for m in group) if p)
    places = {p for p in (place, *(p for p, _n in written.most_common(1))) if p}
    terms = key_terms([m.title for m in group], document_frequency, documents, count=10)
    return [t for t in terms if not any(t in p or p in t for p in places)][:5]


def _words(title: str, jieba) -> set[str]:
    text = ADMIN_PREFIX.sub(" ", title or "")
    return {
        word
        for word in jieba.lcut(text)
        if len(word) >= 2 and word not in STOP_TERMS and not word.isascii() and not word.isdigit()
    }


def hot_issues(
    messages: Iterable[Message],
    *,
    period: tuple[dt.datetime, dt.datetime] | None = None,
    top: int | None = 10,
    min_messages: int = 2,
    cut: float = 0.85,
    placeless_link: float = 0.5,
) -> list[HotIssue]:
    """The clusters of `messages` ranked by heat, at most `top` (None: all), those of fewer than
    `min_messages` messages left out. `period` (start, end) defaults to the messages' own range."""
    import jieba

    jieba.setLogLevel(60)
    messages = [m for m in messages if (m.title or "").strip() or (m.body or "").strip()]
    if not messages:
        return []
    times = [m.at for m in messages]
    period = period or (min(times), max(times))
    groups = cluster(messages, cut=cut, placeless_link=placeless_link)
    document_frequency = TitleFrequency(m.title for m in messages)
    found = []
    canon = _canonical_places([place_of(m.title, m.body) for m in messages])
    for members in groups:
        if len(members) < min_messages:
            continue
        group = [messages[i] for i in members]
        heat, growth = heat_of(group, period)
        found.append((heat, group, growth))
    found.sort(key=lambda item: (-item[0], str(item[1][0].id)))
    if top is not None:
        found = found[:top]
    issues = []
    for rank, (heat, group, growth) in enumerate(found, start=1):
        places = Counter(canon.get(place_of(m.title, m.body), "") or m.place for m in group)
        place = next((p for p, _n in places.most_common() if p), "")
        issues.append(
            HotIssue(
                rank=rank,
                heat=heat,
                place=place,
                terms=_terms_beside(place, group, document_frequency, len(messages)),
                start=min(m.at for m in group),
                end=max(m.at for m in group),
                message_ids=[m.id for m in sorted(group, key=lambda m: (m.at, str(m.id)))],
                messages=len(group),
                reporters=len({m.reporter if m.reporter not in (None, "") else ("id", m.id) for m in group}),
                likes=sum(max(int(m.likes or 0), 0) for m in group),
                growth=growth,
            )
        )
    return issues
