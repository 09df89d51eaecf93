"""Hot-issue mining on the 4,326 messages of the 2020 TipDM Cup problem C, attachment 3 (issue 5 §4).

    .venv/bin/python bench/hot_issues.py [--data ../shared/data/tipdm2020_c_gov_messages]

Clusters the messages with `civicgrid.textintel.hot_issues` (place + topic, heat index) and prints
the top 10, then the ranks of the two issues the task statement names:
  meili  — cooking fume and noise at 魅力之城小区 (2019-08-18 to 09-04; messages 360104, 360105 …)
  jingji — students forced into internships by 经济学院 (2017-06-08 to 2019-11-22; 360111 … 360114)
A named issue's rank is the rank of the first cluster that holds one of its example messages and
whose titles mostly (more than half) name its place — a catch-all cluster does not count as found. Baselines in the
same run: plain (mini-batch) k-means (k = 400) on the same TF-IDF vectors ranked by message count, and our
clusters ranked by message count alone. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from civicgrid.textintel.hot_issues import Message, _vectors, cluster, heat_of, hot_issues  # noqa: E402

NAMED = {"meili": (("360104", "360105"), "魅力之城"), "jingji": (("360112", "360114"), "经济学院")}


def load(data: Path) -> list[Message]:
    with (data / "attachment3_hot_issue_messages.csv").open(newline="", encoding="utf-8") as f:
        return [
            Message(
                id=row["留言编号"],
                title=row["留言主题"],
                body=row["留言详情"],
                at=dt.datetime.fromisoformat(row["留言时间"]),
                reporter=row["留言用户"],
                likes=int(row["点赞数"] or 0),
            )
            for row in csv.DictReader(f)
        ]


TITLES: dict = {}


def rank_of(ranked_ids: list[list], named) -> int | None:
    ids, place = named
    for rank, members in enumerate(ranked_ids, start=1):
        if any(i in members for i in ids):
            naming = sum(1 for m in members if place in TITLES[m])
            return rank if naming * 2 > len(members) else None
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/tipdm2020_c_gov_messages"))
    args = parser.parse_args()
    messages = load(Path(args.data))
    TITLES.update({m.id: m.title for m in messages})
    started = time.perf_counter()
    issues = hot_issues(messages, top=None)
    seconds = time.perf_counter() - started
    print(f"{len(messages)} messages, {len(issues)} clusters of 2 or more, {seconds:.2f} s")
    for issue in issues[:10]:
        print(
            f"{issue.rank:2d}  heat {issue.heat:5.2f}  {issue.messages:3d} messages  {issue.reporters:3d} reporters"
            f"  {issue.likes:5d} likes  {issue.start:%Y-%m-%d} – {issue.end:%Y-%m-%d}  {issue.name}"
        )
    # Clustering alone (no naming), for the time; peak memory so far (before the baselines).
    started = time.perf_counter()
    cluster(messages)
    cluster_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"clustering alone {cluster_seconds:.2f} s; peak memory {peak_mb:.0f} MB")
    ours = [issue.message_ids for issue in issues]
    ranks = {name: rank_of(ours, named) for name, named in NAMED.items()}
    for name, rank in ranks.items():
        print(f"{name}: rank {rank}")

    # Baseline 1: our clusters ranked by message count alone.
    by_count = sorted(issues, key=lambda i: (-i.messages, str(i.message_ids[0])))
    count_ranks = {name: rank_of([i.message_ids for i in by_count], named) for name, named in NAMED.items()}
    # Baseline 2: plain k-means on the same vectors, clusters ranked by count.
    from sklearn.cluster import MiniBatchKMeans

    started = time.perf_counter()
    vectors = _vectors(messages)
    labels = MiniBatchKMeans(n_clusters=400, n_init=1, random_state=0).fit_predict(vectors)
    kmeans_seconds = time.perf_counter() - started
    members: dict[int, list] = {}
    for message, label in zip(messages, labels, strict=True):
        members.setdefault(int(label), []).append(message.id)
    kmeans = sorted(members.values(), key=lambda ids: (-len(ids), str(ids[0])))
    kmeans_ranks = {name: rank_of(kmeans, named) for name, named in NAMED.items()}
    # Baseline 3: k-means clusters ranked by our heat index.
    by_id = {m.id: m for m in messages}
    period = (min(m.at for m in messages), max(m.at for m in messages))
    kmeans_heat = sorted(kmeans, key=lambda ids: -heat_of([by_id[i] for i in ids], period)[0])
    kmeans_heat_ranks = {name: rank_of(kmeans_heat, named) for name, named in NAMED.items()}
    result = {
        "results": [
            {
                "name": "place+topic clusters, heat index",
                "ranks": ranks,
                "both_in_top5": all(r is not None and r <= 5 for r in ranks.values()),
                "seconds": round(seconds, 3),
                "cluster_seconds": round(cluster_seconds, 3),
                "peak_memory_mb": round(peak_mb),
                "top10": [issue.name for issue in issues[:10]],
                "top10_sizes": [issue.messages for issue in issues[:10]],
            },
            {"name": "baseline: same clusters ranked by count", "ranks": count_ranks},
            {
                "name": "baseline: k-means k=400 on the same TF-IDF, ranked by count",
                "ranks": kmeans_ranks,
                "seconds": round(kmeans_seconds, 3),
            },
            {"name": "baseline: k-means k=400, ranked by the heat index", "ranks": kmeans_heat_ranks},
        ]
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
