"""A suggested category for a new event, from keyword rules (the text layer with jieba and a trained
model comes later and can replace this behind the same `suggest`).

How a text is scored:
* the title and the description are normalised (full-width → half-width, lower case, whitespace
  removed); jieba is not available, so keywords are matched as substrings of the Chinese text;
* keywords are tried longest first, and a keyword lying wholly inside a longer one already found does
  not count: "垃圾" does not count again inside "暴露垃圾", so a specific phrase is not diluted by
  the generic words it contains (keywords that merely overlap both count);
* each keyword found adds its weight (see `taxonomy_services.default_weight`) once, doubled when it
  occurs in the title (the title is the reporter's own summary);
* only active 小类 (and 大类 without 小类) are scored. Ties go to the taxonomy's order
  (sort order, then code), so the answer is deterministic.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .models.taxonomy import Category

TITLE_FACTOR = 2.0


@dataclass(frozen=True)
class Suggestion:
    """A category with its score and the keywords that matched, best first."""

    category: Category
    score: float
    hits: tuple[str, ...]


def normalise(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(text.split())


def _consume(covered: list[bool], text: str, word: str) -> bool:
    """Find `word` in `text` where it is not wholly inside a longer keyword already found; mark the
    characters it covers. Partial overlaps count ("夜间施工" and "施工噪音" in "夜间施工噪音"), a
    word contained in a longer match does not ("噪音" there)."""
    found, n, start = False, len(word), text.find(word)
    while start != -1:
        if not all(covered[start : start + n]):
            covered[start : start + n] = [True] * n
            found = True
        start = text.find(word, start + 1)
    return found


class Classifier:
    """Keyword rules compiled from categories. Build once (`from_database()`) and reuse it for a
    batch; it holds no database connection."""

    def __init__(self, categories):
        self.order: dict[int, int] = {}
        self.categories: dict[int, Category] = {}
        entries: dict[str, list[tuple[int, float]]] = {}
        for position, category in enumerate(categories):
            self.categories[category.pk] = category
            self.order[category.pk] = position
            for item in category.keywords or ():
                word = normalise(item["word"])
                if word:
                    entries.setdefault(word, []).append((category.pk, float(item["weight"])))
        # Longest first; equal lengths in a fixed order so the result never depends on dict order.
        self.keywords = sorted(entries.items(), key=lambda kv: (-len(kv[0]), kv[0]))

    @classmethod
    def from_database(cls) -> Classifier:
        leaves = (
            Category.objects.filter(is_active=True)
            .exclude(children__is_active=True)
            .select_related("parent")
            .order_by("parent__sort_order", "parent__code", "sort_order", "code")
            .distinct()
        )
        return cls([c for c in leaves if c.parent is None or c.parent.is_active])

    def suggest(self, title: str = "", description: str = "", limit: int = 3) -> list[Suggestion]:
        """Up to `limit` categories whose keywords occur in the text, best first; [] when none does."""
        title, description = normalise(title), normalise(description)
        title_covered, body_covered = [False] * len(title), [False] * len(description)
        scores: dict[int, float] = {}
        hits: dict[int, list[str]] = {}
        for word, owners in self.keywords:
            in_title = _consume(title_covered, title, word)
            in_body = _consume(body_covered, description, word)
            if not (in_title or in_body):
                continue
            for pk, weight in owners:
                scores[pk] = scores.get(pk, 0.0) + weight * (TITLE_FACTOR if in_title else 1.0)
                hits.setdefault(pk, []).append(word)
        ranked = sorted(scores, key=lambda pk: (-scores[pk], self.order[pk]))
        return [
            Suggestion(self.categories[pk], round(scores[pk], 2), tuple(hits[pk])) for pk in ranked[:limit]
        ]


def suggest(title: str = "", description: str = "", limit: int = 3) -> list[Suggestion]:
    """Top suggestions from the current taxonomy (reads it once per call; for bulk work build a
    `Classifier.from_database()` and call its `suggest`)."""
    return Classifier.from_database().suggest(title, description, limit)
