"""Text similarity of two short citizen messages, for likely duplicates at intake (events.duplicates).

Pure Python on plain strings, no model and no corpus: intake is a hot path and compares one new
event with the few open events the place-and-time rule found (at most 50), so each comparison must
cost microseconds, not a vectoriser fit.

The text is title + description, NFKC-normalised and lower-cased, with the formula words that every
message carries (尊敬的领导, 您好, 希望, 相关部门 …) and everything that is not a letter or digit
removed; the description is cut at DESCRIPTION_CHARS. Its profile counts the character bigrams
(CJK writes words without spaces: bigrams are the usual unit) and ASCII words, the title's twice.
Similarity is the cosine of the two profiles with sublinear counts (1 + ln tf), in [0, 1].

`duplicate_score` combines it with the distance within the place rule's radius:
    score = TEXT_WEIGHT · text + (1 − TEXT_WEIGHT) · (1 − metres / radius)
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

DESCRIPTION_CHARS = 400
TITLE_WEIGHT = 2
TEXT_WEIGHT = 0.7
FORMULA = re.compile(
    r"尊敬的|领导|您好|你好|请问|希望|相关部门|有关部门|反映|关于|问题|谢谢|感谢|麻烦|请|的|了|我|在|是"
)
NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
ASCII_WORD = re.compile(r"[0-9a-z]+")
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")

Profile = dict[str, float]


def normalise(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return NOT_WORD.sub(" ", FORMULA.sub(" ", text)).strip()


def _grams(text: str) -> Counter:
    grams: Counter = Counter(ASCII_WORD.findall(text))
    for run in CJK_RUN.findall(text):
        if len(run) == 1:
            grams[run] += 1
        else:
            grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def profile(title: str | None, description: str | None = "") -> Profile:
    """The weighted, L2-normalised gram profile of a message ({} when it has no text)."""
    counts = _grams(normalise(title))
    for gram in list(counts):
        counts[gram] *= TITLE_WEIGHT
    counts.update(_grams(normalise((description or "")[:DESCRIPTION_CHARS])))
    weights = {gram: 1.0 + math.log(n) for gram, n in counts.items() if n > 0}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {gram: w / norm for gram, w in weights.items()} if norm else {}


def cosine(a: Profile, b: Profile) -> float:
    if len(a) > len(b):
        a, b = b, a
    return min(sum(w * b.get(gram, 0.0) for gram, w in a.items()), 1.0)


def text_similarity(a_title: str, a_description: str, b_title: str, b_description: str) -> float:
    return cosine(profile(a_title, a_description), profile(b_title, b_description))


def duplicate_score(text: float, metres: float, radius: float, text_weight: float = TEXT_WEIGHT) -> float:
    """Text similarity and nearness (1 at the same spot, 0 at the radius) combined, in [0, 1]."""
    near = 1.0 - min(max(metres / radius, 0.0), 1.0) if radius > 0 else 1.0
    return text_weight * text + (1.0 - text_weight) * near
