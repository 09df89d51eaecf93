"""The glue between events and the text layer (civicgrid.textintel, which never imports events).

* `closed_events`: the training source "events" — closed events with a category, labelled with the
  category code the dispatcher finally chose (title + description as the text). An event whose
  suggestion the dispatcher corrected counts `CORRECTION_WEIGHT` times: it is where the last model
  was wrong. Registered with textintel when this module is imported (the events app imports it
  through the intake at start-up).
* `suggestions_from_model`: the active model's labels → active categories, for the intake.
* `note_category_decision`: called when a dispatcher fixes the category (register / dispatch):
  records a correction when it differs from the model's suggestion and takes the case out of the
  classification queue.
"""

from __future__ import annotations

from civicgrid.textintel import services as text_services
from civicgrid.textintel.models import TextCorrection
from civicgrid.textintel.training import Example, register_training_source

from .models import Category, EventDetails

SOURCE_NAME = "events"
CORRECTION_WEIGHT = 2.0
CHUNK = 2000


def closed_events(since=None, until=None):
    """Examples from closed, categorised events (closed within [since, until) when given)."""
    qs = EventDetails.objects.filter(case__closed_at__isnull=False, category__isnull=False)
    if since is not None:
        qs = qs.filter(case__closed_at__gte=since)
    if until is not None:
        qs = qs.filter(case__closed_at__lt=until)
    corrected = set(TextCorrection.objects.values_list("case_id", flat=True))
    rows = qs.order_by("case_id").values_list(
        "case_id", "case__title", "case__description", "category__code", "case__opened_at"
    )
    for case_id, title, description, code, opened_at in rows.iterator(chunk_size=CHUNK):
        weight = CORRECTION_WEIGHT if case_id in corrected else 1.0
        yield Example(title or "", description or "", code, weight, opened_at)


def category_terms() -> dict[str, list[str]]:
    """Each active category's name and keywords: the taxonomy as extra features of the model."""
    terms: dict[str, list[str]] = {}
    for code, name, keywords in Category.objects.filter(is_active=True).values_list(
        "code", "name", "keywords"
    ):
        words = [name] + [item["word"] if isinstance(item, dict) else str(item) for item in keywords or ()]
        terms[code] = [w for w in words if w]
    return terms


def register() -> None:
    register_training_source(SOURCE_NAME, closed_events, category_terms)


register()


def suggestions_from_model(predictions, limit: int = 3) -> list[tuple[Category, float]]:
    """(label, confidence) best first → (active leaf category, confidence) for the labels that are
    one (a model trained on another label set gives nothing); one query."""
    codes = [label for label, _conf in predictions]
    leaves = {
        c.code: c
        for c in Category.objects.filter(code__in=codes, is_active=True)
        .exclude(children__is_active=True)
        .exclude(parent__is_active=False)
        .distinct()
    }
    found = [(leaves[label], conf) for label, conf in predictions if label in leaves]
    return found[:limit]


def note_category_decision(case, details: EventDetails, *, actor=None) -> None:
    """The dispatcher's final category for `case` (call after it is set): never raises."""
    category = getattr(details, "category", None)
    if category is not None:
        text_services.do_record_correction(case, chosen=category.code, actor=actor)
