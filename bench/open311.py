"""Open311 reads at scale: GET requests (the default 90-day window, 1,000 rows; and an app's page of
50), GET one request and GET servicerequestupdates, for a client bound to the whole city and one
bound to a township, each beside a baseline measured in the same run; and POST requests beside the
events API's POST of the same report (both rolled back, so the bench database is not changed).

    .venv/bin/python bench/open311.py --size 200000
    DATABASE_URL=postgres://civicgrid_ci:civicgrid_ci@127.0.0.1:5432/civicgrid_ci \
        .venv/bin/python bench/open311.py --size 5000000

The database is bench/inbox.py's (built once per size and database, reused; pending migrations
are applied). Baselines: for a list, a raw `SELECT * FROM cases_case WHERE id IN (…)` of the same
rows; for one request, an authenticated GET of one small API row; for POST, the events API's
intake (`POST /api/v1/events/`). Latencies are printed as rates (1000 / p95 ms, higher is better),
so that ratio = value / baseline as every bench does; the p50/p95 in ms are in each row's name
and on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import inbox  # noqa: E402 - the bench database and the timing helpers

log, pct, timed = inbox.log, inbox.pct, inbox.timed


class Rollback(Exception):
    pass


def measure(args) -> list[dict]:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client as HttpClient

    from civicgrid.accounts.models import User
    from civicgrid.areas.models import Area
    from civicgrid.cases.models import Case
    from civicgrid.open311.models import Client
    from civicgrid.open311.services import do_create_client, do_rotate_key

    settings.ALLOWED_HOSTS = ["*"]
    rows: list[dict] = []

    def record(name: str, ms: list[float], base_ms: list[float] | None, note: str = "") -> None:
        p50, p95 = pct(ms, 50), pct(ms, 95)
        value = round(1000 / p95, 2)
        baseline = round(1000 / pct(base_ms, 95), 2) if base_ms else None
        log(
            f"{name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms"
            + (f" (baseline p95 {pct(base_ms, 95):.1f} ms)" if base_ms else "")
            + (f" {note}" if note else "")
        )
        rows.append(
            {
                "name": f"{name} (p50 {p50:.1f} ms, p95 {p95:.1f} ms{', ' + note if note else ''})",
                "value": value,
                "unit": "1/p95 s",
                "baseline": baseline,
                "ratio": round(value / baseline, 3) if baseline else None,
            }
        )

    city = Area.objects.filter(parent__isnull=True).order_by("code").first()
    township = Area.objects.filter(level="township").order_by("code").first()
    keys = {}
    for label, area in (("city", city), ("township", township)):
        name = f"bench-{label}"
        client = Client.objects.filter(name=name, revoked_at__isnull=True).first()
        if client is None:
            client, key = do_create_client(actor=None, name=name, area=area, requests_per_minute=100_000)
        else:
            key = do_rotate_key(client, actor=None)
        keys[label] = key
    http = HttpClient()
    staff = HttpClient()
    staff.force_login(User.objects.get(username="city"))
    table = Case._meta.db_table

    def raw_rows(ids):
        def run():
            with connection.cursor() as cur:
                cur.execute(f"SELECT * FROM {table} WHERE id IN ({','.join(['%s'] * len(ids))})", ids)  # noqa: S608
                cur.fetchall()

        return run

    for label, key in keys.items():
        for size in (1000, 50):

            def get_list(key=key, size=size):
                response = http.get("/open311/v2/requests.json", {"api_key": key, "page_size": size})
                assert response.status_code == 200, response.content[:300]
                return json.loads(response.content)

            found = get_list()
            numbers = [r["service_request_id"] for r in found]
            ids = list(Case.objects.filter(number__in=numbers).values_list("pk", flat=True)) or [0]
            record(
                f"{label}.requests.page{size}",
                timed(get_list, args.repeat),
                timed(raw_rows(ids), args.repeat),
                f"{len(found)} rows",
            )
        if numbers:

            def get_one(key=key, number=numbers[0]):
                assert http.get(f"/open311/v2/requests/{number}.xml", {"api_key": key}).status_code == 200

            record(
                f"{label}.request.one",
                timed(get_one, args.repeat),
                timed(lambda: staff.get("/api/v1/event-categories/1/"), args.repeat),
            )

        def get_updates(key=key):
            response = http.get("/open311/v2/servicerequestupdates.json", {"api_key": key})
            assert response.status_code == 200, response.content[:300]
            return json.loads(response.content)

        updates = get_updates()
        update_ids = list(
            Case.objects.filter(number__in={u["service_request_id"] for u in updates}).values_list(
                "pk", flat=True
            )
        ) or [0]
        record(
            f"{label}.updates.page1000",
            timed(get_updates, args.repeat),
            timed(raw_rows(update_ids[:1000]), args.repeat),
            f"{len(updates)} rows",
        )

    # POST: Open311 beside the events API, both rolled back.
    sample = (
        Case.objects.filter(kind="event", lat__isnull=False, path__startswith=city.path)
        .order_by("-id")
        .values("lat", "lon")
        .first()
    )
    report = {
        "service_code": "0107",
        "lat": sample["lat"],
        "long": sample["lon"],
        "description": "路边有动物尸体，气味很大",
    }

    def rolled_back(fn):
        def run():
            try:
                with transaction.atomic():
                    fn()
                    raise Rollback
            except Rollback:
                pass

        return run

    def post_open311():
        response = http.post("/open311/v2/requests.json", {"api_key": keys["city"], **report})
        assert response.status_code == 200, response.content[:300]

    def post_api():
        response = staff.post(
            "/api/v1/events/",
            {
                "title": "动物尸体",
                "description": report["description"],
                "channel": "web",
                "category": "0107",
                "lon": report["long"],
                "lat": report["lat"],
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content[:300]

    record(
        "city.post.request",
        timed(rolled_back(post_open311), args.repeat),
        timed(rolled_back(post_api), args.repeat),
    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=200_000, help="events in the database")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each item")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("CIVICGRID_LOG_LEVEL", "WARNING")
    os.chdir(ROOT)
    where, _marker = inbox.ensure(args.size)
    env = dict(os.environ, DATABASE_URL=where["url"], CIVICGRID_VAR_DIR=str(where["var"]))
    inbox._manage(env, "migrate", "--no-input")
    inbox._manage(env, "createcachetable")
    os.environ["DATABASE_URL"] = where["url"]
    os.environ["CIVICGRID_VAR_DIR"] = str(where["var"])
    print(json.dumps({"results": measure(args)}))


if __name__ == "__main__":
    main()
