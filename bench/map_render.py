"""How fast the area map of one township draws its grids in a real browser (issue 2 §6: under 1 s
for 500 grids).

Builds a township of N grids in a throwaway SQLite database, serves the app on 127.0.0.1 from a
thread, signs in as the township officer through the login form and opens /areas/<township>/ in
Debian's chromium. The figure is the time from navigation start to the page's performance mark
"grids-drawn" (set by static/js/grid_map.js two animation frames after the last grid is added, so
the canvas has painted). Baseline, in the same run: the same GeoJSON bytes drawn by a bare Leaflet
page with no app code (no Django page, no tree, no table), served as static files.

    .venv/bin/python bench/map_render.py --size 500 [--runs 7]

Prints the medians in milliseconds, then one JSON line; value and baseline are renders per second
(1000 / median ms), so higher is better and ratio = value / baseline.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CIVICGRID_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = secrets.token_urlsafe(16)  # a throwaway account in a throwaway database
CITY, COUNTY, TOWNSHIP = "338000000000", "338001000000", "338001001000"
CELL = 0.005  # degrees, about 500 m: a typical urban grid
POINTS_PER_EDGE = 10  # real grid boundaries follow streets; 40 vertices is a modest polygon

BARE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="leaflet.css">
<style>html,body{margin:0}#map{height:60vh;min-height:320px}</style></head>
<body><div id="map"></div><script src="leaflet.js"></script><script>
var map = L.map("map", {preferCanvas: true});
fetch("grids.geojson", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (data) {
  var layer = L.geoJSON(data).addTo(map);
  map.fitBounds(layer.getBounds(), {animate: false});
  requestAnimationFrame(function () { requestAnimationFrame(function () {
    document.getElementById("map").setAttribute("data-grids-drawn", String(data.features.length));
    performance.mark("grids-drawn");
  }); });
});
</script></body></html>
"""


def setup_django(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["CIVICGRID_VAR_DIR"] = str(workdir)
    os.environ.setdefault("CIVICGRID_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # Playwright's sync API keeps an event loop on this thread; the ORM calls here are synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def cell_polygon(lon: float, lat: float) -> dict:
    """A CELL-sized square with its edges densified to POINTS_PER_EDGE points each."""
    corners = [(lon, lat), (lon + CELL, lat), (lon + CELL, lat + CELL), (lon, lat + CELL)]
    ring = []
    for k in range(4):
        (x0, y0), (x1, y1) = corners[k], corners[(k + 1) % 4]
        for s in range(POINTS_PER_EDGE):
            t = s / POINTS_PER_EDGE
            ring.append([round(x0 + (x1 - x0) * t, 7), round(y0 + (y1 - y0) * t, 7)])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def build_township(size: int) -> None:
    """City → county → township → villages tiled by a lattice of `size` grids; one township officer.
    Written straight to the models: this is a throwaway database, not a path users take."""
    from civicgrid.accounts.models import Role, RoleAssignment, User
    from civicgrid.accounts.roles import sync_system_roles
    from civicgrid.areas.codes import area_path, grid_path
    from civicgrid.areas.models import Area, Grid

    sync_system_roles()
    cols = math.ceil(math.sqrt(size))
    per_village = max(25, math.ceil(size / 399))
    city = Area.objects.create(code=CITY, vintage=2024, level="city", name="临江市", path=area_path(CITY))
    county = Area.objects.create(
        code=COUNTY, vintage=2024, level="county", name="江东区", parent=city, path=area_path(COUNTY)
    )
    township = Area.objects.create(
        code=TOWNSHIP,
        vintage=2024,
        level="township",
        name="东湖街道",
        parent=county,
        path=area_path(TOWNSHIP),
    )
    villages: dict[int, Area] = {}
    grids = []
    for i in range(size):
        v = i // per_village + 1
        if v not in villages:
            code = f"{TOWNSHIP[:9]}{v:03d}"
            villages[v] = Area.objects.create(
                code=code,
                vintage=2024,
                level="village",
                name=f"第{v}社区",
                parent=township,
                path=area_path(code),
            )
        village = villages[v]
        gcode = f"{village.code}{i % per_village + 1:03d}"
        lon, lat = 120.0 + (i % cols) * CELL, 30.0 + (i // cols) * CELL
        grids.append(
            Grid(
                code=gcode,
                name=f"{village.name}第{i % per_village + 1}网格",
                village=village,
                path=grid_path(village.path, gcode),
                boundary=cell_polygon(lon, lat),
            )
        )
    Grid.objects.bulk_create(grids, batch_size=500)
    user = User.objects.create_user(username="township", password=PASSWORD, display_name="李综治")
    RoleAssignment.objects.create(
        user=user, role=Role.objects.get(code="township_officer"), area=township, scope_path=township.path
    )


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_app() -> tuple[object, str]:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietWSGIHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietWSGIHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def serve_bare(directory: Path, geojson: bytes) -> tuple[object, str]:
    dist = ROOT / "node_modules" / "leaflet" / "dist"
    shutil.copytree(dist, directory, dirs_exist_ok=True)
    (directory / "grids.geojson").write_bytes(geojson)
    (directory / "index.html").write_text(BARE_PAGE, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


BREAKDOWN_JS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const geo = performance.getEntriesByType('resource').find(e => e.name.includes('grids.geojson'));
    return {
        drawn: performance.getEntriesByName('grids-drawn')[0].startTime,
        html: nav.responseEnd,
        dom: nav.domContentLoadedEventEnd,
        geojson: geo ? geo.responseEnd : null,
    };
}"""
BREAKDOWN: dict[str, list[dict]] = {}


def time_load(page, url: str, size: int) -> float:
    """Milliseconds from navigation start to the "grids-drawn" mark for one page load; where the
    time went (HTML received, DOMContentLoaded, GeoJSON received) is kept in BREAKDOWN."""
    page.goto(url)
    page.wait_for_selector(f"[data-grids-drawn='{size}']", timeout=60_000)
    timing = page.evaluate(BREAKDOWN_JS)
    BREAKDOWN.setdefault(url, []).append(timing)
    return timing["drawn"]


def describe_breakdown(url: str) -> str:
    rows = BREAKDOWN.get(url, [])[1:]  # without the warm-up
    parts = []
    for key, label in (("html", "HTML"), ("dom", "DOMContentLoaded"), ("geojson", "GeoJSON")):
        values = [r[key] for r in rows if r[key] is not None]
        if values:
            parts.append(f"{label} {statistics.median(values):.0f}")
    return ", ".join(parts)


def time_pages(page, urls: list[str], size: int, runs: int) -> list[list[float]]:
    """Load each page `runs` times, alternating between them so that both see the same machine
    load (other processes share the cores); one untimed warm-up load of each first."""
    for url in urls:
        time_load(page, url, size)
    times: list[list[float]] = [[] for _ in urls]
    for _ in range(runs):
        for i, url in enumerate(urls):
            times[i].append(time_load(page, url, size))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500, help="grids in the township (default 500)")
    parser.add_argument("--runs", type=int, default=7, help="timed page loads per page (default 7)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is absent: apt-get install chromium")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="civicgrid-map-bench-") as tmp:
        workdir = Path(tmp)
        setup_django(workdir)
        build_township(args.size)
        app_server, app_url = serve_app()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{app_url}/accounts/login/")
            page.fill("#id_username", "township")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit].button--primary")
            page.wait_for_url(f"{app_url}/")
            geojson = context.request.get(f"{app_url}/areas/{TOWNSHIP}/grids.geojson").body()
            bare_server, bare_url = serve_bare(workdir / "bare", geojson)

            urls = [f"{app_url}/areas/{TOWNSHIP}/", f"{bare_url}/index.html"]
            app_ms, bare_ms = time_pages(page, urls, args.size, args.runs)
            browser.close()
        app_server.shutdown()
        bare_server.shutdown()

    app_median, bare_median = statistics.median(app_ms), statistics.median(bare_ms)
    print(
        f"map_render: {args.size} grids, {args.runs} runs each, GeoJSON {len(geojson) / 1024:.0f} KiB; "
        f"area map median {app_median:.0f} ms (min {min(app_ms):.0f}, max {max(app_ms):.0f}); "
        f"bare Leaflet page median {bare_median:.0f} ms (min {min(bare_ms):.0f}, max {max(bare_ms):.0f}); "
        f"target < 1000 ms: {'met' if app_median < 1000 else 'NOT met'}"
    )
    print(f"  area map medians, ms after navigation start: {describe_breakdown(urls[0])}")
    print(f"  bare page medians, ms after navigation start: {describe_breakdown(urls[1])}")
    value, baseline = 1000 / app_median, 1000 / bare_median
    result = {
        "name": f"map_render_{args.size}_grids",
        "value": round(value, 3),
        "unit": "renders/s",
        "baseline": round(baseline, 3),
        "ratio": round(value / baseline, 3),
    }
    print(json.dumps({"results": [result]}))


if __name__ == "__main__":
    main()
