"""Import throughput: (1) the Zhejiang village file (25,547 rows, after its parents) through
import_divisions; (2) a generated city of --size grids through import_geojson --kind grid. Each beside
a baseline in the same run: the same rows read from the same file and written with a bare
bulk_create (no validation, no audit), so the ratio is what the checks and the audit cost.

Runs on a throwaway SQLite database (DATABASE_URL is set to a temp file and migrated here).
Usage: .venv/bin/python bench/import_areas.py --size 10000
Last line: {"results": [{"name", "value", "unit", "baseline", "ratio"}, ...]}
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CIVICGRID_SHARED_DATA", ROOT.parent / "shared" / "data"))


def setup(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def filtered(source: Path, target: Path, prefix: str) -> Path:
    with open(source, encoding="utf-8") as fh, open(target, "w", encoding="utf-8") as out:
        lines = iter(fh)
        out.write(next(lines))
        out.writelines(line for line in lines if line.startswith(prefix) or line.startswith(f'"{prefix}'))
    return target


def rate(rows: int, seconds: float) -> float:
    return round(rows / seconds, 1) if seconds > 0 else 0.0


def bench_villages(workdir: Path) -> list[dict]:
    from django.db import transaction

    from civicgrid.areas import codes
    from civicgrid.areas.importers.divisions import import_divisions
    from civicgrid.areas.models import Area

    source = SHARED / "cn_admin_divisions"
    villages = source / "villages_33_zhejiang.csv"
    if not villages.exists():
        print(f"skipping the Zhejiang benchmark: {villages} is absent", file=sys.stderr)
        return []
    for name in ("provinces", "cities", "areas", "streets"):
        import_divisions(filtered(source / f"{name}.csv", workdir / f"{name}_33.csv", "33"), vintage=2022)

    start = time.perf_counter()
    report = import_divisions(villages, vintage=2022)
    project = time.perf_counter() - start
    assert report.created == 25_547 and report.rejected == 0, report.summary()

    start = time.perf_counter()
    rerun = import_divisions(villages, vintage=2022)
    rerun_seconds = time.perf_counter() - start
    assert rerun.unchanged == 25_547

    Area.objects.filter(level="village", code__startswith="33").delete()
    start = time.perf_counter()
    townships = dict(Area.objects.filter(level="township").values_list("code", "pk"))
    with transaction.atomic(), open(villages, encoding="utf-8") as fh:
        rows = [
            Area(
                code=r["code"],
                name=r["name"],
                vintage=2022,
                level="village",
                path=codes.area_path(r["code"]),
                parent_id=townships[r["code"][:9] + "000"],
            )
            for r in csv.DictReader(fh)
        ]
        Area.objects.bulk_create(rows, batch_size=1000)
    baseline = time.perf_counter() - start
    return [
        {
            "name": "import_divisions zhejiang villages",
            "value": rate(25_547, project),
            "unit": "rows/s",
            "baseline": rate(25_547, baseline),
            "ratio": round(baseline / project, 3),
        },
        {
            "name": "import_divisions zhejiang villages re-run (all unchanged)",
            "value": rate(25_547, rerun_seconds),
            "unit": "rows/s",
            "baseline": rate(25_547, baseline),
            "ratio": round(baseline / rerun_seconds, 3),
        },
    ]


def bench_grids(workdir: Path, size: int) -> list[dict]:
    from django.db import transaction

    from civicgrid.areas import codes
    from civicgrid.areas.demo import generate_city, write_files
    from civicgrid.areas.importers.divisions import import_divisions
    from civicgrid.areas.importers.geojson import import_area_boundaries, import_grids
    from civicgrid.areas.models import Area, Grid

    city = generate_city(7, grids=size)
    paths = write_files(city, workdir / "city")
    import_divisions(paths["divisions"], vintage=2024)
    import_area_boundaries(paths["areas"])

    start = time.perf_counter()
    report = import_grids(paths["grids"])
    project = time.perf_counter() - start
    rows = report.created
    assert report.rejected == 0 and rows == len(city.grids), (report.summary(), report.sorted_errors()[:5])

    Grid.objects.filter(kind="dedicated").delete()
    Grid.objects.all().delete()
    start = time.perf_counter()
    villages = dict(Area.objects.filter(level="village").values_list("code", "pk"))
    paths_of = dict(Area.objects.filter(level="village").values_list("code", "path"))
    with transaction.atomic(), open(paths["grids"], encoding="utf-8") as fh:
        features = json.load(fh)["features"]
        for kind in ("base", "dedicated"):
            parents = (
                dict(Grid.objects.filter(kind="base").values_list("code", "pk"))
                if kind == "dedicated"
                else {}
            )
            batch = [
                Grid(
                    code=p["code"],
                    name=p["name"],
                    kind=kind,
                    village_id=villages[p["village_code"]],
                    path=codes.grid_path(paths_of[p["village_code"]], p["code"]),
                    boundary=f["geometry"],
                    parent_grid_id=parents.get(p.get("parent_grid_code")),
                )
                for f in features
                if (p := f["properties"])["kind"] == kind
            ]
            Grid.objects.bulk_create(batch, batch_size=1000)
    baseline = time.perf_counter() - start
    return [
        {
            "name": f"import_geojson grids (generated city, {rows} grids)",
            "value": rate(rows, project),
            "unit": "rows/s",
            "baseline": rate(rows, baseline),
            "ratio": round(baseline / project, 3),
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="grids in the generated city")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="civicgrid-bench-") as tmp:
        workdir = Path(tmp)
        setup(workdir)
        results = bench_villages(workdir) + bench_grids(workdir, args.size)
    for r in results:
        print(f"{r['name']}: {r['value']} {r['unit']} (baseline {r['baseline']}, ratio {r['ratio']})")
    print(json.dumps({"results": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
