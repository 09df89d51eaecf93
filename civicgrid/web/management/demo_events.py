"""Demo work for the command centre: the default taxonomy, a dispatch catalogue for every county and
a few dozen events in every stage of the loop, written through the real services (intake pipeline,
workflow actions, audit) so the demo shows what an office will see.

Deterministic: the events, places and steps come from a seeded random generator.
"""

from __future__ import annotations

import random
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from civicgrid.accounts.models import Unit, User
from civicgrid.areas.models import Area, Grid
from civicgrid.cases.models import Case
from civicgrid.events.intake import report_event
from civicgrid.events.models import Category, DispatchRule
from civicgrid.events.services import do_add_photo, do_callback_event, do_event_action
from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import do_create_dispatch_rule, do_load_taxonomy

# 大类 → the county department (demo_names.COUNTY_DEPARTMENTS slug) that leads its events.
LEAD_DEPARTMENT = {
    "01": "chengguan",
    "02": "chengguan",
    "03": "zhujian",
    "04": "yingji",
    "05": "chengguan",
    "06": "chengguan",
    "07": "zhujian",
    "08": "chengguan",
    "09": "sifa",
    "10": "gongan",
    "11": "yingji",
    "12": "minzheng",
    "13": "minzheng",
    "14": "chengguan",
    "15": "shichang",
}
# Ordinary reports a grid worker files on patrol: (小类, title, description).
# Answers to the typed questions those categories ask (photos are attached to every report).
ANSWERS = {"0301": {"night_work": True}, "0901": {"parties": 2, "escalation_risk": False}}
REPORTS = [
    ("0101", "{place}路边暴露垃圾", "路边堆放生活垃圾约两立方，有异味。"),
    ("0201", "{place}电线杆上小广告", "多根电线杆被张贴办证小广告。"),
    ("0301", "{place}工地夜间施工扰民", "晚上十点后仍在施工，噪声很大。"),
    ("0501", "{place}门口占道经营", "水果摊占用人行道经营，行人需绕行。"),
    ("0701", "{place}井盖破损", "人行道井盖破损，存在安全隐患。"),
    ("0702", "{place}路灯不亮", "连续三晚路灯不亮，夜间出行不便。"),
    ("0901", "{place}邻里漏水纠纷", "楼上漏水至楼下，双方多次争执。"),
    ("1101", "{place}楼道堆放杂物", "楼道堆放纸箱和电动车，堵塞消防通道。"),
    ("1201", "{place}停水未通知", "小区突然停水，物业未提前通知。"),
    ("1501", "{place}无证餐饮", "小吃店无营业执照，卫生条件差。"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
# Reports the demo 城管 handler can take all the way to callback.
CHENGGUAN_REPORTS = [r for r in REPORTS if LEAD_DEPARTMENT[r[0][:2]] == "chengguan"]


def _png(rgb=(46, 125, 50), size=8) -> bytes:
    """A small real PNG (a plain colour square) to stand for a photo of the scene."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


def load_catalogue() -> int:
    """The default taxonomy and, for every county, one rule per 大类 to the county department."""
    do_load_taxonomy(read_taxonomy_file(), actor=None, source="taxonomy_zh.json", prune=False)
    created = 0
    roots = {c.code: c for c in Category.objects.filter(parent__isnull=True)}
    units = {u.code: u for u in Unit.objects.filter(kind="department")}
    for county in Area.objects.filter(level="county", code__startswith="3380"):
        for code, slug in LEAD_DEPARTMENT.items():
            lead = units.get(f"c{county.code[:6]}-{slug}")
            if lead is None or code not in roots:
                continue
            if DispatchRule.objects.filter(category=roots[code], area=county).exists():
                continue
            do_create_dispatch_rule(actor=None, category=roots[code], area=county, lead_unit=lead)
            created += 1
    return created


def _act(case, action, actor, **payload):
    case.refresh_from_db()
    return do_event_action(case, action, actor=actor, expected_version=case.version, **payload)


@transaction.atomic
def create_events(count: int = 40, seed: int = 2026) -> int:
    """`count` events reported by the demo grid worker's colleagues across the city, then moved
    along the loop by the demo dispatcher and handler: some waiting to be registered, some
    dispatched, handled, closed and called back."""
    if Case.objects.filter(kind="event").exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    grids = list(Grid.objects.filter(code__startswith="3380", kind="base").select_related("village"))
    centre = User.objects.get(username="city")
    handler = User.objects.select_related("unit__area").get(username="handler")
    handler_grids = [g for g in grids if g.path.startswith(handler.unit.area.path)]
    created = 0
    for i in range(count):
        stage = i % 5  # 0 reported, 1 registered, 2 dispatched, 3 handled, 4 closed + called back
        grid = rng.choice(handler_grids if stage >= 3 else grids)
        ring = grid.boundary["coordinates"][0]
        lon = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
        lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
        category, title, description = rng.choice(CHENGGUAN_REPORTS if stage >= 3 else REPORTS)
        with transaction.atomic():
            case = report_event(
                actor=None,
                title=title.format(place=grid.village.name),
                description=description,
                channel=rng.choice(["grid_patrol", "hotline_12345", "web", "app"]),
                category=category,
                lon=lon,
                lat=lat,
                reporter_name=rng.choice(SURNAMES) + rng.choice("先生女士") if i % 3 else "",
                reporter_phone=f"1390000{rng.randrange(10000):04d}" if i % 3 else "",
                answers=ANSWERS.get(category, {}),
                photos=[SimpleUploadedFile("scene.png", _png((200, 120, 40)), "image/png")],
                idempotency_key=f"demo-event-{seed}-{i}",
            ).case
        if stage >= 1:
            case = _act(case, "register", centre)
        if stage >= 2:
            case = _act(case, "dispatch", centre)
        if stage >= 3:
            case = _act(case, "accept", handler)
            photo = do_add_photo(
                case, SimpleUploadedFile("after.png", _png(), "image/png"), actor=handler, stage="evidence"
            )
            case = _act(
                case, "handle", handler, result="已现场处置完毕，恢复原状。", evidence_photos=[photo.pk]
            )
        if stage >= 4:
            case = _act(case, "verify", centre)
            case = _act(case, "close", centre)
            case.refresh_from_db()
            do_callback_event(
                case,
                actor=centre,
                expected_version=case.version,
                contacted=True,
                resolved=True,
                satisfaction=rng.choice(["satisfied", "satisfied", "basically"]),
            )
        created += 1
    return created


def load_scheme() -> bool:
    """The demo city's assessment scheme (临江市三率考核): the model's formula, with units ranked
    from 3 assessed cases, so 40 demo events already give a ranking. Once: skipped when any exists."""
    import datetime as dt

    from civicgrid.assessment.models import AssessmentScheme
    from civicgrid.assessment.services import do_create_scheme

    if AssessmentScheme.objects.exists():
        return False
    do_create_scheme(
        actor=None,
        code="linjiang",
        name="临江市三率考核",
        effective_from=dt.date(2020, 1, 1),
        min_sample=3,
    )
    return True
