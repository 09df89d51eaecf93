"""Urgency flags on real messages: precision and recall per kind on a hand-labelled sample (issue 5 §5).

    .venv/bin/python bench/urgency.py

The sample (civicgrid/textintel/data/urgency_sample.json) holds message ids and labels only; the
texts are read at run time from ../shared/data/tipdm2020_c_gov_messages (the project ships no copy).
Two parts: "dev", on which the default rules were refined, and "holdout", drawn and labelled after
the rules were frozen; the JSON reports both together ("all") and the table shows each part.
The rules are the shipped defaults (civicgrid/textintel/data/urgency_rules.json), matched exactly as
at intake (`textintel.urgency.match`). How the sample was drawn and labelled: docs/text-intelligence.md.
Baseline: a naive rule set made of the single characters/words "杀 打 死 自杀 聚集 上访" (what a first
attempt with a substring search would look like), measured in the same run.
The last line printed is one JSON object: {"results": [{name, value, unit, baseline, ratio}, ...]}.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from civicgrid.textintel import urgency  # noqa: E402  (pure module: no Django setup needed)

DATA = ROOT.parent / "shared" / "data" / "tipdm2020_c_gov_messages"
SAMPLE = ROOT / "civicgrid" / "textintel" / "data" / "urgency_sample.json"
FILES = {
    "a2": ["attachment2_sample495_labeled.csv", "attachment2_subset921_labeled_with_team_predictions.csv"],
    "a3": ["attachment3_hot_issue_messages.csv"],
    "a4": ["attachment4_messages_with_replies.csv"],
}
NAIVE = [
    {"kind": "violence", "name": "naive-v", "reason": "-", "words": ["杀", "打"]},
    {"kind": "self_harm", "name": "naive-s", "reason": "-", "words": ["死", "自杀"]},
    {"kind": "gathering", "name": "naive-g", "reason": "-", "words": ["聚集", "上访"]},
]


def texts(data: Path) -> dict[tuple[str, str], tuple[str, str]]:
    found = {}
    for key, names in FILES.items():
        for name in names:
            with open(data / name, newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    found.setdefault((key, row["留言编号"]), (row["留言主题"], row["留言详情"]))
    return found


def scores(rules, sample, corpus, kinds):
    out = {}
    flagged = {}
    for item in sample:
        title, body = corpus[(item["file"], item["id"])]
        flagged[(item["file"], item["id"])] = {h.kind for h in urgency.match(rules, title, body)}
    for kind in [*kinds, "any"]:
        tp = fp = fn = 0
        for item in sample:
            truth = bool(item["labels"]) if kind == "any" else kind in item["labels"]
            got = flagged[(item["file"], item["id"])]
            said = bool(got) if kind == "any" else kind in got
            tp += truth and said
            fp += said and not truth
            fn += truth and not said
        out[kind] = {
            "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None,
            "tp": tp,
            "fp": fp,
            "fn": fn,
        }
    return out, flagged


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--show", action="store_true", help="list the misses and false alarms by id")
    args = parser.parse_args()
    data = Path(args.data)
    if not data.is_dir():
        sys.exit(f"shared data not found at {data}")
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    kinds = doc["kinds"]
    corpus = texts(data)
    rules = urgency.compile_rules(urgency.default_rules())
    for name in ("dev", "holdout", "all"):
        part = [m for m in doc["messages"] if name in ("all", m["set"])]
        ours, flagged = scores(rules, part, corpus, kinds)
        naive, _flagged = scores(urgency.compile_rules(NAIVE), part, corpus, kinds)
        positives = {k: sum(k in m["labels"] for m in part) for k in kinds}
        print(f"{name}: {len(part)} messages, positives {positives}")
        for kind in [*kinds, "any"]:
            print(f"  {kind:10s} rules {ours[kind]}   naive {naive[kind]}")
    sample = doc["messages"]
    if args.show:
        for item in sample:
            got, want = flagged[(item["file"], item["id"])], set(item["labels"])
            if got != want:
                print(item["file"], item["id"], "labelled", sorted(want), "flagged", sorted(got))
    results = []
    for kind in [*kinds, "any"]:
        for metric in ("precision", "recall"):
            value, base = ours[kind][metric], naive[kind][metric]
            results.append(
                {
                    "name": f"urgency_{kind}_{metric}",
                    "value": value,
                    "unit": "ratio",
                    "baseline": base,
                    "ratio": round(value / base, 3) if value is not None and base else None,
                }
            )
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
