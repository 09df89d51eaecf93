"""Likely duplicates by text (issue 5 §3): precision and recall of `textintel.similarity` on a
labelled sample of message pairs from the 2020 TipDM Cup problem C, attachment 3.

    .venv/bin/python bench/text_duplicates.py [--data ../shared/data/tipdm2020_c_gov_messages]

The sample (PAIRS below: message ids and labels only, the texts are read from the data at run time).
The messages carry no coordinates, so the place-and-time rule of events.duplicates is simulated:
a candidate pair is two messages naming the same place (`hot_issues.place_of`, merged as the
clustering merges them) within 30 days of each other — 2,987 such pairs. 200 were drawn at random
(random.seed(0); at most 2 pairs per place, so that the three largest campaigns do not fill the
sample) and labelled by hand from title and body: 1 = the same matter at the same place, which
staff would merge (魅力之城 fumes and noise from the same ground-floor shops: 1); 0 = the same place
but another matter (a housing estate's leaking walls vs. its parking sales). 132 are 1, 68 are 0.

Every pair is a candidate of the place rule, so that rule alone flags all of them (recall 1 by
construction, precision = the share of true duplicates): it is the baseline, with exact-title
match. The text rule keeps a candidate when its similarity reaches the threshold (default 0.2;
on the platform a candidate within CIVICGRID_DUPLICATE_NEAR_M is kept whatever its words). Also
measured: the cost of one comparison as intake makes it (profile of the candidate + cosine).
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from civicgrid.textintel.similarity import cosine, profile  # noqa: E402

DEFAULT_THRESHOLD = 0.2
SWEEP = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)
# (message id, message id, 1 = duplicate / 0 = same place, another matter)
PAIRS = [
    ("270497", "286068", 1),
    ("205613", "214350", 1),
    ("198659", "241892", 1),
    ("231607", "343985", 1),
    ("239737", "264088", 1),
    ("191062", "245799", 1),
    ("203369", "225357", 1),
    ("227960", "262190", 0),
    ("191337", "254101", 1),
    ("225194", "239407", 0),
    ("208844", "289653", 1),
    ("215834", "278781", 0),
    ("190802", "247160", 1),
    ("203393", "255276", 1),
    ("235362", "283482", 1),
    ("226576", "281748", 1),
    ("255054", "262924", 1),
    ("247368", "273845", 1),
    ("230131", "237799", 1),
    ("205544", "263876", 0),
    ("197240", "271369", 0),
    ("200586", "257255", 1),
    ("207281", "257255", 1),
    ("239223", "279472", 0),
    ("202622", "247361", 0),
    ("247361", "269696", 1),
    ("189856", "201751", 0),
    ("190218", "211202", 0),
    ("198247", "205046", 1),
    ("214725", "227187", 1),
    ("198153", "216785", 0),
    ("223555", "284828", 1),
    ("195881", "280504", 0),
    ("274997", "275789", 1),
    ("242474", "253253", 1),
    ("199386", "244333", 1),
    ("260595", "276043", 0),
    ("242530", "247523", 1),
    ("206087", "270539", 1),
    ("270539", "272373", 1),
    ("201067", "263525", 1),
    ("207246", "283327", 1),
    ("199229", "199338", 0),
    ("211978", "264693", 1),
    ("260310", "268005", 1),
    ("199639", "270330", 1),
    ("264231", "287485", 1),
    ("245237", "249455", 0),
    ("246915", "255615", 0),
    ("216768", "283751", 0),
    ("221077", "241805", 0),
    ("200225", "276267", 0),
    ("200225", "247239", 0),
    ("210760", "215733", 0),
    ("215733", "280150", 0),
    ("188074", "197561", 0),
    ("192702", "205217", 1),
    ("192873", "235248", 1),
    ("262482", "271899", 1),
    ("198911", "223409", 1),
    ("223409", "230813", 1),
    ("283972", "285540", 0),
    ("205574", "216587", 0),
    ("238293", "287566", 0),
    ("221684", "286897", 1),
    ("200085", "283901", 1),
    ("225479", "283901", 1),
    ("195223", "252212", 1),
    ("252212", "255161", 1),
    ("219699", "250764", 1),
    ("243737", "271727", 1),
    ("253725", "260342", 1),
    ("207741", "262339", 1),
    ("245447", "265692", 0),
    ("212558", "261286", 1),
    ("257839", "280883", 1),
    ("211895", "281526", 1),
    ("209339", "244202", 1),
    ("212832", "226334", 1),
    ("218303", "284215", 1),
    ("194216", "224264", 1),
    ("232319", "251734", 0),
    ("227100", "282746", 1),
    ("282746", "321736", 1),
    ("218648", "269306", 0),
    ("212300", "220816", 0),
    ("220052", "242809", 1),
    ("257868", "267154", 0),
    ("246157", "261499", 1),
    ("192427", "203345", 1),
    ("233836", "257573", 1),
    ("238230", "250368", 0),
    ("230541", "287897", 0),
    ("224840", "227190", 0),
    ("227190", "287076", 1),
    ("203236", "268018", 1),
    ("233542", "256358", 1),
    ("260039", "285601", 1),
    ("210000", "281654", 0),
    ("229083", "254501", 1),
    ("241929", "260119", 0),
    ("254868", "275575", 0),
    ("254865", "268250", 1),
    ("245722", "288445", 0),
    ("226008", "269143", 1),
    ("227223", "230183", 1),
    ("215247", "230571", 1),
    ("244815", "253636", 1),
    ("204005", "248617", 1),
    ("229036", "271228", 0),
    ("207597", "209518", 1),
    ("228018", "243963", 1),
    ("220627", "282528", 1),
    ("191154", "196659", 1),
    ("225574", "237116", 0),
    ("256999", "262507", 0),
    ("256999", "265569", 0),
    ("219833", "283211", 1),
    ("247227", "249301", 1),
    ("196249", "287544", 0),
    ("190077", "274826", 1),
    ("246785", "268920", 1),
    ("195252", "256073", 1),
    ("226753", "273925", 1),
    ("226753", "229903", 1),
    ("212601", "237504", 1),
    ("191794", "262172", 0),
    ("199390", "228876", 0),
    ("190033", "267135", 0),
    ("212725", "217295", 1),
    ("263780", "272795", 1),
    ("228317", "251051", 1),
    ("194879", "254980", 1),
    ("216689", "258787", 1),
    ("228948", "233543", 0),
    ("192337", "209032", 1),
    ("248375", "251666", 1),
    ("221187", "233385", 0),
    ("218844", "239102", 1),
    ("231885", "248759", 1),
    ("190192", "212432", 1),
    ("188396", "198874", 1),
    ("188396", "273805", 1),
    ("188416", "323149", 1),
    ("198372", "265159", 0),
    ("198372", "283025", 0),
    ("190694", "278979", 1),
    ("212349", "252786", 0),
    ("212349", "271488", 0),
    ("242179", "278563", 1),
    ("193859", "267525", 0),
    ("191792", "236842", 1),
    ("234210", "241561", 0),
    ("245613", "279130", 1),
    ("242062", "266368", 1),
    ("200193", "284561", 1),
    ("201290", "244744", 0),
    ("203012", "214164", 0),
    ("217186", "265864", 0),
    ("251268", "252960", 0),
    ("203775", "271715", 1),
    ("207988", "250773", 0),
    ("208715", "274703", 1),
    ("202247", "280035", 1),
    ("189113", "282241", 0),
    ("211394", "253547", 1),
    ("203670", "209488", 1),
    ("194022", "258186", 1),
    ("210107", "258186", 1),
    ("221782", "254028", 1),
    ("208182", "240895", 0),
    ("192652", "243792", 1),
    ("205960", "233743", 1),
    ("209742", "233743", 1),
    ("258164", "261827", 1),
    ("198227", "228244", 1),
    ("214147", "214543", 1),
    ("232362", "280718", 0),
    ("218776", "259744", 1),
    ("207467", "252504", 0),
    ("284171", "286539", 0),
    ("197131", "205795", 1),
    ("272117", "280269", 1),
    ("280269", "282074", 1),
    ("245891", "273234", 1),
    ("196832", "286445", 1),
    ("228616", "258450", 1),
    ("272738", "272979", 1),
    ("207062", "271916", 0),
    ("283571", "284344", 1),
    ("284344", "288492", 0),
    ("261103", "270086", 1),
    ("249382", "275071", 0),
    ("222668", "275019", 1),
    ("242792", "360102", 1),
    ("210905", "223025", 0),
    ("199667", "282329", 1),
    ("245482", "271621", 1),
    ("194946", "221764", 0),
    ("207217", "239394", 1),
]


def load(data: Path) -> dict[str, tuple[str, str]]:
    with (data / "attachment3_hot_issue_messages.csv").open(newline="", encoding="utf-8") as f:
        return {row["留言编号"]: (row["留言主题"], row["留言详情"]) for row in csv.DictReader(f)}


def scores(predicted: list[bool], truth: list[int]) -> dict:
    tp = sum(1 for p, t in zip(predicted, truth, strict=True) if p and t)
    fp = sum(1 for p, t in zip(predicted, truth, strict=True) if p and not t)
    fn = sum(1 for p, t in zip(predicted, truth, strict=True) if not p and t)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "tp": tp,
        "fp": fp,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared/data/tipdm2020_c_gov_messages"))
    args = parser.parse_args()
    texts = load(Path(args.data))
    truth = [label for _a, _b, label in PAIRS]
    similarity = [cosine(profile(*texts[a]), profile(*texts[b])) for a, b, _label in PAIRS]
    results = [
        {"name": "baseline: place-and-time rule alone", **scores([True] * len(PAIRS), truth)},
        {
            "name": "baseline: exact title match",
            **scores([texts[a][0].strip() == texts[b][0].strip() for a, b, _l in PAIRS], truth),
        },
    ]
    for threshold in SWEEP:
        row = {"name": f"place rule + text similarity >= {threshold}", "threshold": threshold}
        row.update(scores([s >= threshold for s in similarity], truth))
        if threshold == DEFAULT_THRESHOLD:
            row["default"] = True
        results.append(row)
    for row in results:
        print(
            f"{row['name']:<45} precision {row['precision']:.3f}  recall {row['recall']:.3f}  F1 {row['f1']:.3f}"
        )
    # Cost of one comparison as intake makes it: the candidate's profile, then the cosine.
    probe = profile(*texts[PAIRS[0][0]])
    candidates = [texts[b] for _a, b, _l in PAIRS]
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        for title, body in candidates:
            cosine(probe, profile(title, body))
    per_comparison_us = (time.perf_counter() - started) / (rounds * len(candidates)) * 1e6
    print(
        f"one comparison (profile + cosine): {per_comparison_us:.1f} µs; 50 candidates: {per_comparison_us * 50 / 1000:.2f} ms"
    )
    print(
        json.dumps(
            {
                "pairs": len(PAIRS),
                "duplicates": sum(truth),
                "comparison_us": round(per_comparison_us, 1),
                "results": results,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
