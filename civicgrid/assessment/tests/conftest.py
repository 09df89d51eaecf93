"""A realistic month of events for the assessment tests, built through the events services at
fixed times (time-machine): 12 events in November 2026 and one left over from October, handled by
three units. Every expected figure in the tests follows from the table below.

| case | unit      | channel    | place      | what happens                                            |
|------|-----------|------------|------------|---------------------------------------------------------|
| C0   | chengguan | hotline    | 东湖 A1    | opened 20 Oct, accepted, still open (backlog only)        |
| C1   | chengguan | hotline    | 东湖 A1    | full loop on time, satisfied, resolved                  |
| C2   | chengguan | web        | 东湖 A1    | handled late (handling clock missed), 基本满意, resolved |
| C3   | chengguan | hotline    | 东湖 A1    | accepted late (response missed), dissatisfied → reopen, then 基本满意, not resolved |
| C4   | chengguan | grid       | 西湖 A2    | accepted, still open                                    |
| C5   | chengguan | hotline    | 东湖 A1    | full loop, satisfied; exclusion 非职责范围 approved       |
| D1   | donghu    | hotline    | 东湖 A1    | full loop, satisfied, resolved                          |
| D2   | donghu    | web        | 东湖 A1    | full loop; callback could not reach the citizen         |
| D3   | donghu    | grid       | 东湖 A1    | full loop, satisfied, not resolved                      |
| D4   | donghu    | hotline    | 东湖 A1    | dispatched, never accepted (response clock running)     |
| B1   | beishan   | hotline    | 北山 B1    | full loop, satisfied, resolved                          |
| B2   | beishan   | hotline    | 北山 B1    | handled late, satisfied, resolved                       |
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.assessment.services import do_create_scheme, do_decide_exclusion, do_request_exclusion
from civicgrid.events.services import do_add_photo, do_event_action, do_report_event
from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import do_load_taxonomy

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PLACES = {"A1": (120.01, 30.02), "A2": (120.11, 30.02), "B1": (120.21, 30.02)}
CHANNELS = {"hotline": "hotline_12345", "web": "web", "grid": "grid_patrol"}


def png(name="scene.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def at(day: int, hour: int = 9, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


class Story:
    """Drives events through the services as the right people, at chosen times."""

    def __init__(self, world, traveller):
        self.w = world
        self.t = traveller
        self.cases = {}

    def when(self, moment):
        self.t.move_to(moment)

    def act(self, name, action, user, **payload):
        case = self.cases[name]
        case.refresh_from_db()
        self.cases[name] = do_event_action(
            case, action, actor=self.w.user(user), expected_version=case.version, note="说明", **payload
        )

    def open(self, name, unit, channel, place, moment, centre):
        self.when(moment)
        lon, lat = PLACES[place]
        reporter = "outsider" if place == "B1" else "county"
        self.cases[name] = do_report_event(
            actor=self.w.user(reporter),
            title=f"事件{name}",
            description="路边有一堆生活垃圾",
            channel=CHANNELS[channel],
            category="0101",
            lon=lon,
            lat=lat,
            photos=[png()],
            reporter_name="张三",
            reporter_phone="13912345678",
        ).case
        self.act(name, "register", centre)
        self.act(name, "dispatch", centre, lead_unit=self.w.units[unit].pk, co_units=[])

    def handle(self, name, user, moment):
        self.when(moment)
        photo = do_add_photo(self.cases[name], png("after.png"), actor=self.w.user(user), stage="evidence")
        self.act(name, "handle", user, result="已处理", evidence_photos=[photo.pk])

    def finish(self, name, centre, moment, satisfaction, resolved=True, contacted=True):
        self.when(moment)
        self.act(name, "verify", centre)
        self.act(name, "close", centre)
        self.callback(name, centre, satisfaction, resolved, contacted)

    def callback(self, name, centre, satisfaction, resolved=True, contacted=True):
        self.act(name, "callback", centre, satisfaction=satisfaction, resolved=resolved, contacted=contacted)


def build_month(world) -> SimpleNamespace:
    do_load_taxonomy(read_taxonomy_file(), actor=None)
    with time_machine.travel(at(20, month=10), tick=False) as traveller:
        s = Story(world, traveller)
        # C0: left over from October.
        s.open("C0", "chengguan", "hotline", "A1", at(20, month=10), "county")
        s.when(at(20, 10, month=10))
        s.act("C0", "accept", "handler")
        # Chengguan (handler accepts and handles; the county centre verifies, closes, calls back).
        for name, channel, place in (
            ("C1", "hotline", "A1"),
            ("C2", "web", "A1"),
            ("C3", "hotline", "A1"),
            ("C4", "grid", "A2"),
            ("C5", "hotline", "A1"),
        ):
            s.open(name, "chengguan", channel, place, at(2), "county")
        s.when(at(2, 10))
        for name in ("C1", "C2", "C4", "C5"):
            s.act(name, "accept", "handler")
        s.handle("C1", "handler", at(3))
        s.finish("C1", "county", at(4), "satisfied")
        s.handle("C2", "handler", at(25))  # 5 working days from 2 Nov ended long before
        s.finish("C2", "county", at(25, 11), "basically")
        s.handle("C5", "handler", at(3))
        s.finish("C5", "county", at(4), "satisfied")
        s.when(at(20))  # 1 working day to respond, 18 days late
        s.act("C3", "accept", "handler")
        s.handle("C3", "handler", at(20, 10))
        s.finish("C3", "county", at(20, 11), "dissatisfied", resolved=False)
        s.handle("C3", "handler", at(21))
        s.finish("C3", "county", at(21, 11), "basically", resolved=False)
        # Donghu office (the township officer belongs to it and runs the township's centre).
        for name, channel in (("D1", "hotline"), ("D2", "web"), ("D3", "grid"), ("D4", "hotline")):
            s.open(name, "donghu_office", channel, "A1", at(5), "county")
        s.when(at(5, 10))
        for name in ("D1", "D2", "D3"):
            s.act(name, "accept", "township")
            s.handle(name, "township", at(6))
        s.finish("D1", "county", at(7), "satisfied")
        s.finish("D2", "county", at(7), "basically", contacted=False)
        s.finish("D3", "county", at(7), "satisfied", resolved=False)
        # Beishan (the outsider is the township officer there and runs its centre).
        for name in ("B1", "B2"):
            s.open(name, "beishan_office", "hotline", "B1", at(9), "outsider")
            s.when(at(9, 10))
            s.act(name, "accept", "outsider")
        s.handle("B1", "outsider", at(10))
        s.finish("B1", "outsider", at(11), "satisfied")
        s.handle("B2", "outsider", at(27))
        s.finish("B2", "outsider", at(27, 11), "satisfied")
        # C5 is not the unit's duty: asked by the township, approved by the county dispatcher.
        s.when(at(12))
        exclusion = do_request_exclusion(
            s.cases["C5"], actor=world.user("township"), reason="not_duty", note="属燃气公司产权"
        )
        exclusion = do_decide_exclusion(exclusion, actor=world.user("county"), approve=True, note="同意")
    scheme = do_create_scheme(
        actor=world.user("admin"),
        code="city",
        name="临江市三率考核",
        effective_from=dt.date(2026, 1, 1),
        min_sample=3,
    )
    for case in s.cases.values():
        case.refresh_from_db()
    return SimpleNamespace(world=world, cases=s.cases, scheme=scheme, exclusion=exclusion)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def month(world, media):
    return build_month(world)


NOVEMBER = {"period_start": dt.date(2026, 11, 1), "period_end": dt.date(2026, 12, 1)}
