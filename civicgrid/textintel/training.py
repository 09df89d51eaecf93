"""Training data and evaluation for the classifier.

Where examples come from:
* a **training source** registered by a layer above (the events app registers "events": its closed
  events, labelled with the category the dispatcher finally chose); textintel never imports events,
  the registry is how it reaches them;
* a CSV file with a text column (and optionally a title column) and a label column.

`cross_validate` is the one evaluation used by `train_classifier`, `evaluate_classifier` and the
bench: stratified k-fold (random_state 0), macro-F1, accuracy, per-label F1 and calibration
(expected calibration error and Brier score of the calibrated confidences, with a reliability table).
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _

from civicgrid.core.errors import ServiceError

from .classifier import TextClassifier, clean_text, has_chinese
from .error_codes import TextErrorCode

MIN_EXAMPLES = 20
MIN_PER_LABEL = 2


@dataclass(frozen=True)
class Example:
    title: str
    body: str
    label: str
    weight: float = 1.0
    at: dt.datetime | None = None


# --- the registry of training sources ----------------------------------------------------------

_SOURCES: dict[str, Callable[..., Iterable[Example]]] = {}
_TERMS: dict[str, Callable[[], dict[str, list[str]]]] = {}


def register_training_source(
    name: str,
    source: Callable[..., Iterable[Example]],
    terms: Callable[[], dict[str, list[str]]] | None = None,
) -> None:
    """`source(since=None, until=None)` yields Examples; `terms()` gives each label's taxonomy
    words (names, keywords), used as extra features. Registering a name again replaces it."""
    _SOURCES[name] = source
    if terms is not None:
        _TERMS[name] = terms
    else:
        _TERMS.pop(name, None)


def training_sources() -> dict[str, Callable[..., Iterable[Example]]]:
    return dict(_SOURCES)


def terms_of_source(name: str) -> dict[str, list[str]] | None:
    terms = _TERMS.get(name)
    return terms() if terms is not None else None


def examples_for(
    *, csv_path=None, text_col=None, label_col=None, title_col=None, source=None, since=None, until=None
):
    """(source name, examples, label terms) from a CSV file or a registered source: what the
    train and evaluate commands read."""
    if csv_path:
        if not text_col or not label_col:
            raise ServiceError(
                TextErrorCode.MISSING_COLUMN,
                _("使用 --csv 时必须给出 --text-col 和 --label-col"),
                field="csv",
            )
        examples = examples_from_csv(csv_path, text_col=text_col, label_col=label_col, title_col=title_col)
        return f"csv:{csv_path}", examples, None
    source = source or "events"
    return source, examples_from_source(source, since, until), terms_of_source(source)


def examples_from_source(name: str, since=None, until=None) -> list[Example]:
    source = _SOURCES.get(name)
    if source is None:
        raise ServiceError(
            TextErrorCode.UNKNOWN_SOURCE,
            _("训练数据来源“%(name)s”不存在，可选：%(names)s")
            % {"name": name, "names": "、".join(sorted(_SOURCES)) or "-"},
            field="source",
        )
    return list(source(since=since, until=until))


# --- CSV ---------------------------------------------------------------------------------------


def examples_from_csv(path, *, text_col: str, label_col: str, title_col: str | None = None) -> list[Example]:
    """Rows of a UTF-8 CSV with a header. A missing column is an error naming it; rows with an
    empty text or label are skipped."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ServiceError(
            TextErrorCode.BAD_CSV, _("无法打开 CSV 文件：%(error)s") % {"error": exc.strerror}, field="csv"
        ) from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            for field, column in (("text_col", text_col), ("label_col", label_col), ("title_col", title_col)):
                if column is not None and column not in header:
                    raise ServiceError(
                        TextErrorCode.MISSING_COLUMN,
                        _("CSV 文件中没有列“%(column)s”（现有列：%(columns)s）")
                        % {"column": column, "columns": "、".join(header) or "-"},
                        field=field,
                    )
            examples = []
            for row in reader:
                text, label = (row.get(text_col) or "").strip(), (row.get(label_col) or "").strip()
                title = (row.get(title_col) or "").strip() if title_col else ""
                if (text or title) and label:
                    examples.append(Example(title, text, label))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ServiceError(
                TextErrorCode.BAD_CSV,
                _("CSV 文件无法读取（须为 UTF-8 编码、逗号分隔、带表头）：%(error)s") % {"error": exc},
                field="csv",
            ) from None
    return examples


def check_examples(examples: list[Example]) -> dict[str, int]:
    """Enough examples, at least two labels with MIN_PER_LABEL each; returns counts per label."""
    counts: dict[str, int] = {}
    for example in examples:
        counts[example.label] = counts.get(example.label, 0) + 1
    if len(examples) < MIN_EXAMPLES or len(counts) < 2:
        raise ServiceError(
            TextErrorCode.TOO_FEW_EXAMPLES,
            _("训练数据太少：需要至少 %(n)s 条、至少 2 个分类（现有 %(got)s 条、%(labels)s 个分类）")
            % {"n": MIN_EXAMPLES, "got": len(examples), "labels": len(counts)},
            field="source",
        )
    return dict(sorted(counts.items()))


def summarise(examples: list[Example], source: str) -> dict:
    dates = [e.at for e in examples if e.at is not None]
    return {
        "source": source,
        "examples": len(examples),
        "counts": check_examples(examples),
        "period": [min(dates).date().isoformat(), max(dates).date().isoformat()] if dates else None,
        "weighted": sum(1 for e in examples if e.weight != 1.0),
    }


# --- checking one message ----------------------------------------------------------------------


def check_message(title: str, body: str) -> str:
    """The cleaned text of a message to classify; ServiceError for empty or non-Chinese text."""
    text = clean_text(f"{title or ''} {body or ''}")
    if not text:
        raise ServiceError(TextErrorCode.EMPTY_TEXT, _("留言标题和内容不能都为空"), field="body")
    if not has_chinese(text):
        raise ServiceError(
            TextErrorCode.NOT_CHINESE, _("留言中没有中文，无法自动分类，请人工分类"), field="body"
        )
    return text


# --- evaluation --------------------------------------------------------------------------------


def calibration(confidences, correct, bins: int = 10) -> dict:
    """Expected calibration error of the top label's confidence, with the reliability table."""
    confidences, correct = np.asarray(confidences, float), np.asarray(correct, float)
    table, ece = [], 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    for low, high in itertools.pairwise(edges):
        inside = (confidences > low) & (confidences <= high)
        if inside.any():
            conf, acc = float(confidences[inside].mean()), float(correct[inside].mean())
            ece += inside.mean() * abs(conf - acc)
            table.append(
                {
                    "bin": f"{low:.1f}-{high:.1f}",
                    "n": int(inside.sum()),
                    "confidence": round(conf, 3),
                    "accuracy": round(acc, 3),
                }
            )
    return {"ece": round(float(ece), 4), "reliability": table}


def cross_validate(
    examples: list[Example],
    *,
    folds: int = 5,
    c: float = 1.0,
    terms: dict | None = None,
    profile: str = "accurate",
    fit=None,
) -> dict:
    """Stratified k-fold (random_state 0) metrics of the classifier trained on `examples`.
    `fit(titles, bodies, labels, weights)` → object with `probabilities` and `labels` (default:
    TextClassifier.fit)."""
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    fit = fit or (lambda t, b, y, w: TextClassifier.fit(t, b, y, w, c=c, terms=terms, profile=profile))
    labels = np.array([e.label for e in examples])
    counts = check_examples(examples)
    folds = max(2, min(folds, min(counts.values())))
    predicted = np.empty(len(examples), dtype=object)
    confidence = np.zeros(len(examples))
    brier = 0.0
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train, test in splitter.split(np.zeros(len(labels)), labels):
        model = fit(
            [examples[i].title for i in train],
            [examples[i].body for i in train],
            labels[train].tolist(),
            [examples[i].weight for i in train],
        )
        probs = model.probabilities([examples[i].title for i in test], [examples[i].body for i in test])
        names = np.array(model.labels, dtype=object)
        predicted[test] = names[probs.argmax(axis=1)]
        confidence[test] = probs.max(axis=1)
        truth = (names[None, :] == labels[test][:, None]).astype(float)
        brier += float(((probs - truth) ** 2).sum())
    correct = predicted == labels
    per_label = f1_score(labels, predicted.astype(str), average=None, labels=sorted(counts))
    return {
        "folds": folds,
        "examples": len(examples),
        "macro_f1": round(float(f1_score(labels, predicted.astype(str), average="macro")), 4),
        "accuracy": round(float(accuracy_score(labels, predicted.astype(str))), 4),
        "per_label_f1": {
            label: round(float(v), 4) for label, v in zip(sorted(counts), per_label, strict=True)
        },
        "brier": round(brier / len(examples), 4),
        "calibration": calibration(confidence, correct),
    }
