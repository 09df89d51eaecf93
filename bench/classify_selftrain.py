"""Self-training with the unlabelled messages (issue 5 §2: "the unlabelled messages may be used"):
does adding confident pseudo-labels help the classifier?

    .venv/bin/python bench/classify_selftrain.py               # thresholds 0.95 and 0.9
    .venv/bin/python bench/classify_selftrain.py --size 600    # a stratified subset of the labelled

The same stratified 5 folds (random_state 0) as bench/classify.py. In each fold the classifier
trained on the four training folds labels the unlabelled messages of 附件3 and 附件4 (those whose
留言编号 is not among the labelled ones); the messages it is at least `t` sure of are added with
their guessed label (weight `w`) and the classifier is trained again; the test fold's labels are
never seen. The baseline is the same classifier without the added messages, in the same run.
Prints one JSON object last, ratio = macro-F1 with / without.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import classify as bench
import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from civicgrid.textintel import classifier as clf

UNLABELLED = ["attachment3_hot_issue_messages.csv", "attachment4_messages_with_replies.csv"]


def unlabelled(data: Path) -> tuple[list[str], list[str]]:
    known = {row["留言编号"] for name in bench.LABELLED for row in bench.read(data / name)}
    titles, bodies = [], []
    for name in UNLABELLED:
        for row in bench.read(data / name):
            if row["留言编号"] not in known:
                titles.append(row["留言主题"])
                bodies.append(row["留言详情"])
    return titles, bodies


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=None, help="labelled messages to use (default: all)")
    parser.add_argument("--data", default=str(bench.DATA))
    parser.add_argument("--thresholds", default="0.95,0.9", help="confidence thresholds, comma-separated")
    parser.add_argument("--weight", type=float, default=1.0, help="weight of a pseudo-labelled message")
    args = parser.parse_args()
    data = Path(args.data)
    titles, bodies, labels, terms = bench.load(data)
    if args.size and args.size < len(labels):
        index, _ = train_test_split(
            np.arange(len(labels)), train_size=args.size, stratify=labels, random_state=0
        )
        titles, bodies, labels = [titles[i] for i in index], [bodies[i] for i in index], labels[index]
    extra_titles, extra_bodies = unlabelled(data)
    thresholds = [float(t) for t in args.thresholds.split(",") if t.strip()]
    n = len(labels)
    print(f"labelled: {n}, unlabelled: {len(extra_titles)}, thresholds: {thresholds}, weight {args.weight}")
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(np.zeros(n), labels))
    plain = np.empty(n, dtype=object)
    selftrained = {t: np.empty(n, dtype=object) for t in thresholds}
    added = {t: [] for t in thresholds}
    for train, test in folds:
        fold_titles, fold_bodies = [titles[i] for i in train], [bodies[i] for i in train]
        fold_labels = labels[train].tolist()
        test_titles, test_bodies = [titles[i] for i in test], [bodies[i] for i in test]
        model = clf.TextClassifier.fit(fold_titles, fold_bodies, fold_labels, terms=terms)
        plain[test] = model.predict(test_titles, test_bodies)
        probs = model.probabilities(extra_titles, extra_bodies)
        guessed = np.array(model.labels, dtype=object)[probs.argmax(axis=1)]
        for t in thresholds:
            keep = np.flatnonzero(probs.max(axis=1) >= t)
            added[t].append(len(keep))
            grown = clf.TextClassifier.fit(
                fold_titles + [extra_titles[i] for i in keep],
                fold_bodies + [extra_bodies[i] for i in keep],
                fold_labels + guessed[keep].tolist(),
                weights=[1.0] * len(fold_labels) + [args.weight] * len(keep),
                terms=terms,
            )
            selftrained[t][test] = grown.predict(test_titles, test_bodies)
    base = f1_score(labels, plain.astype(str), average="macro")
    print(f"without: macro-F1 {base:.4f}")
    results = []
    for t in thresholds:
        score = f1_score(labels, selftrained[t].astype(str), average="macro")
        print(f"pseudo-labels >= {t}: added {added[t]} per fold, macro-F1 {score:.4f}")
        results.append(
            {
                "name": f"classify_selftrain_{t}_macro_f1",
                "value": round(score, 4),
                "unit": "ratio",
                "baseline": round(base, 4),
                "ratio": round(score / base, 4),
            }
        )
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
