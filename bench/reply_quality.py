"""Reply quality (issue 5 §6) on the 2,816 message–reply pairs of the 2020 TipDM Cup problem C,
attachment 4, with `civicgrid.textintel.reply_quality.score_reply`.

    .venv/bin/python bench/reply_quality.py [--data ../shared/data/tipdm2020_c_gov_messages]

Prints the distribution of each score over all pairs and the reasons most often given; then,
on the 100 pairs one competing team labelled by hand (attachment4_rollbear_manual_quality_labels100:
完整性指标 and 可解释性指标, 0/1; not official), the ROC AUC of our completeness against 完整性
and of our relevance and overall score against 可解释性, beside the baseline of the reply's length
alone. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from civicgrid.textintel.reply_quality import score_reply  # noqa: E402


def parse(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def auc(scores: list[float], labels: list[int]) -> float | None:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(labels, scores)), 3) if len(set(labels)) == 2 else None


def quantiles(values: list[float]) -> dict:
    values = sorted(values)
    return {f"p{q}": round(values[int((len(values) - 1) * q / 100)], 3) for q in (10, 25, 50, 75, 90)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/tipdm2020_c_gov_messages"))
    args = parser.parse_args()
    data = Path(args.data)
    with (data / "attachment4_messages_with_replies.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    started = time.perf_counter()
    scored = {
        row["留言编号"]: (
            score_reply(
                row["留言主题"],
                row["留言详情"],
                parse(row["留言时间"]),
                row["答复意见"],
                parse(row["答复时间"]),
            ),
            len(row["答复意见"]),
        )
        for row in rows
    }
    per_reply_ms = (time.perf_counter() - started) / len(rows) * 1000
    names = ("relevance", "completeness", "timeliness", "overall")
    distribution = {name: quantiles([getattr(s, name) for s, _n in scored.values()]) for name in names}
    reasons = Counter(reason for s, _n in scored.values() for reason in s.reasons)
    print(f"{len(rows)} replies scored, {per_reply_ms:.2f} ms each")
    for name in names:
        print(f"{name:<13} {distribution[name]}")
    print("reasons:", dict(reasons.most_common()))
    with (data / "attachment4_rollbear_manual_quality_labels100.csv").open(newline="", encoding="utf-8") as f:
        labels = [row for row in csv.DictReader(f) if row["留言编号"] in scored]
    complete = [int(row["完整性指标"]) for row in labels]
    explained = [int(row["可解释性指标"]) for row in labels]
    ours = [scored[row["留言编号"]][0] for row in labels]
    length = [float(scored[row["留言编号"]][1]) for row in labels]
    results = [
        {
            "name": "completeness vs 完整性指标",
            "auc": auc([s.completeness for s in ours], complete),
            "baseline_length_auc": auc(length, complete),
        },
        {
            "name": "relevance vs 可解释性指标",
            "auc": auc([s.relevance for s in ours], explained),
            "baseline_length_auc": auc(length, explained),
        },
        {
            "name": "overall vs 可解释性指标",
            "auc": auc([s.overall for s in ours], explained),
            "baseline_length_auc": auc(length, explained),
        },
        {
            "name": "overall vs both labels (sum)",
            "spearman_like_mean_by_label": {
                str(k): round(
                    statistics.mean(
                        s.overall for s, c, e in zip(ours, complete, explained, strict=True) if c + e == k
                    ),
                    3,
                )
                for k in sorted({c + e for c, e in zip(complete, explained, strict=True)})
            },
        },
    ]
    for row in results:
        print(row)
    print(
        json.dumps(
            {
                "pairs": len(rows),
                "labelled": len(labels),
                "ms_per_reply": round(per_reply_ms, 3),
                "distribution": distribution,
                "results": results,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
