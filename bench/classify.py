"""The learned classifier on real citizen messages (issue 5 §2).

    .venv/bin/python bench/classify.py              # all 1,377 labelled messages
    .venv/bin/python bench/classify.py --size 600   # a stratified subset

Data: ../shared/data/tipdm2020_c_gov_messages (read at run time; the project ships no copy): the
495-row official sample and the 921-row subset of 附件2, de-duplicated by 留言编号 (first occurrence
kept) → 1,377 messages, label 一级标签 (7 classes); the 517-row label taxonomy (附件1) supplies the
label terms (its 二级/三级 names under each 一级 label).

Stratified 5-fold cross-validation (shuffle, random_state 0), the same folds for both models:
  * baseline: character 1–3-gram TF-IDF over title + body + LinearSVC (C=1);
  * ours: `civicgrid.textintel.classifier.TextClassifier` exactly as the platform trains it
    (title and body char 1–3-gram and jieba-word TF-IDF blocks, taxonomy terms, calibrated LinearSVC).
Reported: macro-F1 and accuracy of both, the calibration of ours (expected calibration error of the
top confidence, Brier score), the time to train ours on all N messages, its prediction throughput
(messages/s with two worker processes — the 2-core figure — and in one process, beside the
baseline's one-process figure; batches of 250–500 messages) and its
memory (the size of the model file and the Python heap the loaded model holds after its first
prediction, look-up tables included, via tracemalloc).
The last line printed is one JSON object: {"results": [{name, value, unit, baseline, ratio}, ...]}.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from civicgrid.textintel import classifier as clf  # noqa: E402
from civicgrid.textintel import training  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tipdm2020_c_gov_messages"
LABELLED = ["attachment2_sample495_labeled.csv", "attachment2_subset921_labeled_with_team_predictions.csv"]


def read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load(data: Path):
    rows: dict[str, dict] = {}
    for name in LABELLED:
        for row in read(data / name):
            rows.setdefault(row["留言编号"], row)
    titles = [r["留言主题"] for r in rows.values()]
    bodies = [r["留言详情"] for r in rows.values()]
    labels = np.array([r["一级标签"] for r in rows.values()])
    terms: dict[str, list[str]] = {}
    for row in read(data / "attachment1_label_taxonomy.csv"):
        words = terms.setdefault(row["一级分类"], [])
        for key in ("二级分类", "三级分类"):
            if row[key].strip() and row[key].strip() not in words:
                words.append(row[key].strip())
    return titles, bodies, labels, terms


def baseline_model():
    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC(C=1.0))


def joined(titles, bodies, index):
    return [f"{titles[i]} {bodies[i]}" for i in index]


_POOL_MODEL = {}


def _pool_predict(bounds):
    lo, hi = bounds
    model, titles, bodies = _POOL_MODEL["model"], _POOL_MODEL["titles"], _POOL_MODEL["bodies"]
    model.probabilities(titles[lo:hi], bodies[lo:hi])
    return hi - lo


def throughput_processes(
    model, titles, bodies, processes: int = 2, batch: int = 250, rounds: int = 3
) -> float:
    """Messages/s with `processes` worker processes (forked with the model loaded), as a web server
    with two workers would classify; the time includes handing out the batches."""
    import multiprocessing

    _POOL_MODEL.update(model=model, titles=titles, bodies=bodies)
    n = len(titles)
    jobs = [(lo, min(n, lo + batch)) for lo in range(0, n, batch)] * rounds
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_pool_predict, jobs[:processes])  # warm up each worker
        start = time.perf_counter()
        done = sum(pool.map(_pool_predict, jobs, chunksize=1))
        return done / (time.perf_counter() - start)


def throughput(predict, n: int, batch: int = 500, min_seconds: float = 3.0) -> float:
    done, start = 0, time.perf_counter()
    while True:
        for lo in range(0, n, batch):
            predict(lo, min(n, lo + batch))
        done += n
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=None, help="messages to use (default: all 1,377)")
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument(
        "--profile", choices=clf.PROFILES, default="accurate", help="the classifier's profile"
    )
    args = parser.parse_args()
    data = Path(args.data)
    if not data.is_dir():
        sys.exit(f"shared data not found at {data}")
    titles, bodies, labels, terms = load(data)
    index = np.arange(len(labels))
    if args.size and args.size < len(labels):
        index, _rest = train_test_split(index, train_size=args.size, stratify=labels, random_state=0)
        index = np.sort(index)
    titles = [titles[i] for i in index]
    bodies = [bodies[i] for i in index]
    labels = labels[index]
    n = len(labels)
    names, counts = np.unique(labels, return_counts=True)
    print(f"profile: {args.profile}")
    print(f"messages: {n}, labels: {dict(zip(names.tolist(), counts.tolist(), strict=True))}")
    clf.words("预热")  # load jieba's dictionary before any timing

    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(np.zeros(n), labels))
    base_pred = np.empty(n, dtype=object)
    ours_pred = np.empty(n, dtype=object)
    confidence = np.zeros(n)
    brier = 0.0
    for train, test in folds:
        base = baseline_model().fit(joined(titles, bodies, train), labels[train])
        base_pred[test] = base.predict(joined(titles, bodies, test))
        model = clf.TextClassifier.fit(
            [titles[i] for i in train],
            [bodies[i] for i in train],
            labels[train].tolist(),
            terms=terms,
            profile=args.profile,
        )
        probs = model.probabilities([titles[i] for i in test], [bodies[i] for i in test])
        names = np.array(model.labels, dtype=object)
        ours_pred[test] = names[probs.argmax(axis=1)]
        confidence[test] = probs.max(axis=1)
        brier += float(((probs - (names[None, :] == labels[test][:, None])) ** 2).sum())
    base_pred, ours_pred = base_pred.astype(str), ours_pred.astype(str)
    scores = {
        "baseline_macro_f1": f1_score(labels, base_pred, average="macro"),
        "baseline_accuracy": accuracy_score(labels, base_pred),
        "macro_f1": f1_score(labels, ours_pred, average="macro"),
        "accuracy": accuracy_score(labels, ours_pred),
    }
    calib = training.calibration(confidence, ours_pred == labels)
    print(json.dumps({k: round(v, 4) for k, v in scores.items()}))
    per_label = f1_score(labels, ours_pred, average=None, labels=sorted(set(labels)))
    print(
        "per-label F1:", {k: round(float(v), 3) for k, v in zip(sorted(set(labels)), per_label, strict=True)}
    )
    print(f"calibration: ECE {calib['ece']}, Brier {brier / n:.4f}")
    for row in calib["reliability"]:
        print(
            f"  confidence {row['bin']}: n={row['n']:4d} mean confidence {row['confidence']:.3f} accuracy {row['accuracy']:.3f}"
        )

    start = time.perf_counter()
    model = clf.TextClassifier.fit(titles, bodies, labels.tolist(), terms=terms, profile=args.profile)
    train_seconds = time.perf_counter() - start
    base = baseline_model().fit(joined(titles, bodies, range(n)), labels)
    ours_rate = throughput(lambda lo, hi: model.probabilities(titles[lo:hi], bodies[lo:hi]), n)
    texts = joined(titles, bodies, range(n))
    base_rate = throughput(lambda lo, hi: base.predict(texts[lo:hi]), n)
    ours_rate2 = throughput_processes(model, titles, bodies, processes=2)
    blob = model.to_bytes()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loaded = clf.TextClassifier(__import__("pickle").loads(blob.partition(b"\n")[2]))
    # After a first prediction: the look-up tables the blocks build on first use count too.
    loaded.probabilities(titles[:10], bodies[:10])
    held = (tracemalloc.get_traced_memory()[0] - before) / 1e6
    tracemalloc.stop()
    assert loaded.labels == model.labels
    print(
        f"train on {n}: {train_seconds:.1f} s; predict {ours_rate:.0f} msg/s (baseline {base_rate:.0f}); "
        f"model file {len(blob) / 1e6:.1f} MB, heap {held:.1f} MB"
    )

    def result(name, value, unit, baseline=None):
        ratio = round(value / baseline, 4) if baseline else None
        return {
            "name": name,
            "value": round(value, 4),
            "unit": unit,
            "baseline": None if baseline is None else round(baseline, 4),
            "ratio": ratio,
        }

    print(
        json.dumps(
            {
                "results": [
                    result("classify_macro_f1", scores["macro_f1"], "ratio", scores["baseline_macro_f1"]),
                    result("classify_accuracy", scores["accuracy"], "ratio", scores["baseline_accuracy"]),
                    result("classify_ece", calib["ece"], "ratio"),
                    result("classify_train_seconds", train_seconds, "s"),
                    result("classify_predict_throughput_2proc", ours_rate2, "msg/s"),
                    result("classify_predict_throughput_1proc", ours_rate, "msg/s", base_rate),
                    result("classify_model_memory", max(held, len(blob) / 1e6), "MB"),
                ]
            }
        )
    )


if __name__ == "__main__":
    main()
