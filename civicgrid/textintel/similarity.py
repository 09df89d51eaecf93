"""Text similarity of two short citizen messages, for likely duplicates at intake (events.duplicates).

Pure Python on plain strings, no model and no corpus: intake is a hot path and compares one new
event with the few open events the place-and-time rule found (at most 50), so each comparison must
cost microseconds, not a vectoriser fit.

The text is title + description, lower-cased (NFKC-normalised when it holds full-width forms), with
the formula words that every message carries (尊敬的领导, 您好, 希望, 相关部门 …) and everything that
is not a letter or digit removed; the description is cut at DESCRIPTION_CHARS. Its profile is the
set of its character bigrams (CJK writes words without spaces: bigrams are the usual unit) and ASCII
words, the title's counted twice (once more under a mark). Similarity is the cosine of the two
binary profiles, |A ∩ B| / √(|A|·|B|), in [0, 1]: set operations run in C, so one comparison costs
tens of microseconds (bench/text_duplicates.py; weighted counts measured no better there).

`duplicate_score` combines it with the distance within the place rule's radius:
    score = TEXT_WEIGHT · text + (1 − TEXT_WEIGHT) · (1 − metres / radius)
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata

DESCRIPTION_CHARS = 200
TEXT_WEIGHT = 0.7
FORMULA = re.compile(
    r"尊敬的|领导|您好|你好|请问|希望|相关部门|有关部门|反映|关于|问题|谢谢|感谢|麻烦|请|的|了|我|在|是"
)
WIDE_FORMS = re.compile(r"[\u3000\uff01-\uff5e]")  # full-width space, ASCII and punctuation
NOT_WORD = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
ASCII_WORD = re.compile(r"[0-9a-z]+")
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")

Profile = frozenset[str]
TITLE_MARK = "\x01"


def normalise(text: str | None) -> str:
    text = text or ""
    if WIDE_FORMS.search(text):
        text = unicodedata.normalize("NFKC", text)
    return NOT_WORD.sub(" ", FORMULA.sub(" ", text.lower())).strip()


def _grams(text: str) -> set[str]:
    grams = set(ASCII_WORD.findall(text))
    for run in CJK_RUN.findall(text):
        if len(run) == 1:
            grams.add(run)
        else:
            grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def profile(title: str | None, description: str | None = "") -> Profile:
    """The gram set of a message (empty when it has no text)."""
    title_grams = _grams(normalise(title))
    grams = _grams(normalise((description or "")[:DESCRIPTION_CHARS]))
    grams |= title_grams
    grams.update(TITLE_MARK + gram for gram in title_grams)  # the title's grams weigh twice
    return frozenset(grams)


# Intake compares each new event with the open events near it: the same few candidates again and
# again in a busy corner. Their profiles are kept (by text, so an edited event is profiled anew).
cached_profile = functools.lru_cache(maxsize=4096)(profile)


def cosine(a: Profile, b: Profile) -> float:
    if not a or not b:
        return 0.0
    return min(len(a & b) / math.sqrt(len(a) * len(b)), 1.0)


def text_similarity(a_title: str, a_description: str, b_title: str, b_description: str) -> float:
    return cosine(profile(a_title, a_description), profile(b_title, b_description))


def duplicate_score(text: float, metres: float, radius: float, text_weight: float = TEXT_WEIGHT) -> float:
    """Text similarity and nearness (1 at the same spot, 0 at the radius) combined, in [0, 1]."""
    near = 1.0 - min(max(metres / radius, 0.0), 1.0) if radius > 0 else 1.0
    return text_weight * text + (1.0 - text_weight) * near
