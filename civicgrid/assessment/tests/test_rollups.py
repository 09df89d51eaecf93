"""The per-day rollups (rollups.py, rollup_reads.py): for a randomised history of events driven
through the services over three months — every transition the users may take, late callbacks in
another month, reopen, escalation, merge, extensions, exclusions, the worker's deadline sweep and
partial rollup rebuilds at random moments — the figures and the density map read from the rollups
equal the live computation, for every scope, grouping, area, category and period. Plus: a rebuild
that dies half-way leaves its days dirty and the figures right; a change during a rebuild keeps
its day dirty; the rollup is really read once built."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from civicgrid.assessment import rollups
from civicgrid.assessment.density import event_density
from civicgrid.assessment.models import DensityRollup, Exclusion, FigureRollup, RollupDirtyDay
from civicgrid.assessment.queries import figures, make_period, parse_period
from civicgrid.assessment.services import do_create_scheme, do_decide_exclusion, do_request_exclusion
from civicgrid.cases.models import Case
from civicgrid.cases.timers import sweep_deadlines
from civicgrid.core.errors import ServiceError
from civicgrid.events.models import Category
from civicgrid.events.services import available_event_actions, do_add_photo, do_event_action, do_report_event
from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import do_load_taxonomy
from civicgrid.events.tests.test_bulk import bulk_world  # noqa: F401 - the import's fixtures
from civicgrid.events.tests.test_event_workflow import events_world  # noqa: F401

from .conftest import CHANNELS, PLACES, TZ, png

ACTORS = ("county", "township", "handler", "outsider", "city")
READERS = ("leader", "township", "outsider", "county")
SKIPPED = {"summon", "report_in", "supervise", "urge", "transfer"}
FAILURES = (ServiceError, PermissionDenied)


def moment(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=TZ)


class History:
    """A random history: events opened on random days, random available actions by the users who
    may take them, exclusions, the deadline sweep and, now and then, the rollup worker."""

    def __init__(self, world, traveller, seed: int):
        self.w = world
        self.t = traveller
        self.rng = random.Random(seed)
        self.cases: list[int] = []
        # Two of one 大类 and two of another (their only required answer is a photo).
        self.categories = ["0101", "0102", "0501", "0502"]

    def report(self, when):
        self.t.move_to(when)
        place = self.rng.choice(sorted(PLACES))
        lon, lat = PLACES[place]
        case = do_report_event(
            actor=self.w.user("outsider" if place == "B1" else "county"),
            title="随机事件",
            description="路边有一堆生活垃圾",
            channel=CHANNELS[self.rng.choice(sorted(CHANNELS))],
            category=self.rng.choice(self.categories),
            lon=lon,
            lat=lat,
            photos=[png()],
            reporter_name="张三",
            reporter_phone="13912345678",
        ).case
        self.cases.append(case.pk)

    def payload(self, case: Case, action: str, actor) -> dict | None:
        rng = self.rng
        if action in ("dispatch", "designate"):
            return {"lead_unit": rng.choice(list(self.w.units.values())).pk, "co_units": []}
        if action in ("handle", "self_handle"):
            photo = do_add_photo(case, png("after.png"), actor=actor, stage="evidence")
            return {"result": "已处理", "evidence_photos": [photo.pk]}
        if action in ("callback", "reopen"):
            satisfaction = "dissatisfied" if action == "reopen" else rng.choice(["satisfied", "basically"])
            return {
                "satisfaction": satisfaction,
                "contacted": rng.random() < 0.8,
                "resolved": rng.random() < 0.7,
            }
        if action == "merge":
            others = [pk for pk in self.cases if pk != case.pk]
            return {"into": rng.choice(others)} if others else None
        if action == "request_extension":
            return {"clock": "handling", "amount": 2, "reason": "需要协调"}
        if action == "decide_extension":
            return {"clock": "handling", "approve": rng.random() < 0.5}
        return {}

    def step(self, when):
        self.t.move_to(when)
        if not self.cases:
            return
        case = Case.objects.get(pk=self.rng.choice(self.cases))
        options = []
        for name in ACTORS:
            user = self.w.user(name)
            for found in available_event_actions(case, user):
                if found["action"] not in SKIPPED:
                    options.append((found["action"], user))
        if not options:
            return
        action, actor = self.rng.choice(options)
        try:
            data = self.payload(case, action, actor)
            if data is None:
                return
            do_event_action(case, action, actor=actor, expected_version=case.version, note="说明", **data)
        except FAILURES:
            pass

    def exclusion(self, when):
        self.t.move_to(when)
        if not self.cases:
            return
        case = Case.objects.get(pk=self.rng.choice(self.cases))
        try:
            existing = Exclusion.objects.filter(case=case).first()
            if existing is None or existing.status == "rejected":
                do_request_exclusion(
                    case,
                    actor=self.w.user("township"),
                    reason=self.rng.choice(["unreasonable", "not_duty", "unreachable"]),
                    note="说明",
                )
            elif existing.status == "pending":
                do_decide_exclusion(
                    existing, actor=self.w.user("county"), approve=self.rng.random() < 0.7, note="意见"
                )
        except FAILURES:
            pass


def run_history(world, seed: int, first: dt.date, days: int, end: dt.datetime):
    do_load_taxonomy(read_taxonomy_file(), actor=None)
    do_create_scheme(
        actor=world.user("admin"),
        code="city",
        name="临江市三率考核",
        effective_from=dt.date(2026, 1, 1),
        min_sample=2,
    )
    with time_machine.travel(moment(first, 8), tick=False) as traveller:
        h = History(world, traveller, seed)
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            for _ in range(h.rng.randint(0, 2)):
                h.report(moment(day, 9))
            for hour in sorted(h.rng.sample(range(10, 20), 4)):
                h.step(moment(day, hour))
            if h.rng.random() < 0.2:
                h.exclusion(moment(day, 20))
            traveller.move_to(moment(day, 21))
            sweep_deadlines()
            if h.rng.random() < 0.3:  # the worker, now and then
                rollups.rebuild_dirty(limit=h.rng.randint(1, 5))
        traveller.move_to(end)
    return h


PERIODS = (
    ("2026-10", None),
    ("2026-11", None),
    ("2026-12", None),
    ("2026-Q4", None),
    ("2026", None),
    (None, (dt.date(2026, 10, 20), dt.date(2026, 11, 10))),  # custom: counted live
    (None, (dt.date(2026, 10, 15), dt.date(2026, 12, 1))),  # custom, ends on a month start
)
GROUPINGS = (("unit", None), ("area", None), ("area", "county"), ("area", "village"))


def periods():
    for text, custom in PERIODS:
        yield parse_period(text) if text else make_period(*custom)


def assert_rollup_equals_live(world, scheme, categories):
    areas = [None, world.areas["338001000000"], world.areas["338001001000"], world.areas["338001001001"]]
    compared = 0
    for reader in READERS:
        user = world.user(reader)
        for period in periods():
            for group_by, level in GROUPINGS:
                for category in (None, *categories):
                    args = {
                        "period_start": period.start,
                        "period_end": period.end,
                        "group_by": group_by,
                        "level": level,
                        "category": category,
                        "user": user,
                    }
                    live = figures(scheme, source="live", **args)
                    assert figures(scheme, **args) == live, (reader, period, group_by, level, category)
                    compared += 1
            for area in areas:
                for category in (None, categories[0]):
                    live = event_density(user, period, area, category, source="live")
                    assert event_density(user, period, area, category) == live, (reader, period, area)
                live = event_density(user, period, area, channels=["web"], source="live")
                assert event_density(user, period, area, channels=["web"]) == live
    return compared


@pytest.fixture
def history(world, media):
    end = moment(dt.date(2026, 12, 12), 15)
    h = run_history(world, seed=20261128, first=dt.date(2026, 9, 25), days=75, end=end)
    return h, end


def scheme_variants():
    from civicgrid.assessment.models import AssessmentScheme

    base = AssessmentScheme.objects.get(code="city")
    narrowed = AssessmentScheme.objects.get(pk=base.pk)
    narrowed.channels = ["hotline_12345", "web"]
    narrowed.excluded_reasons = ["not_duty"]
    narrowed.response_source = "any_response"
    return [base, narrowed]


def test_rollup_equals_live_through_a_random_history(world, history):
    h, end = history
    categories = [Category.objects.get(code=h.categories[0]), Category.objects.get(code=h.categories[0][:2])]
    assert FigureRollup.objects.exists()  # the worker ran during the history
    with time_machine.travel(end, tick=False):
        assert RollupDirtyDay.objects.exists()  # … and some days are still dirty
        for scheme in scheme_variants():
            assert_rollup_equals_live(world, scheme, categories)
        rollups.rebuild_dirty()
        assert not RollupDirtyDay.objects.filter(day__lt=dt.date(2026, 12, 12)).exists()
        assert_rollup_equals_live(world, scheme_variants()[1], categories)
        rollups.rebuild_all()
        assert_rollup_equals_live(world, scheme_variants()[0], categories)
    # The history touched every kind of fact the figures count.
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"done", "merged", "accepted"} <= statuses, statuses
    assert Case.objects.filter(event__reopened_count__gt=0).exists()
    assert Exclusion.objects.filter(status="approved").exists()
    assert Case.objects.filter(closed_at__isnull=False, opened_at__month=10, closed_at__month=11).exists()


def test_a_rebuild_that_dies_leaves_the_day_dirty_and_the_figures_right(world, history, monkeypatch):
    _h, end = history
    scheme = scheme_variants()[0]
    with time_machine.travel(end, tick=False):
        rollups.rebuild_all()
        case = (
            Case.objects.filter(opened_at__month=10, closed_at__isnull=True).first() or Case.objects.first()
        )
        day = rollups.day_of(case.opened_at)
        # A late change to an October case: its opening day is dirty at once.
        Case.objects.get(pk=case.pk).save()
        assert RollupDirtyDay.objects.filter(day=day).exists()
        before = list(FigureRollup.objects.filter(day=day).values_list("n", flat=True))
        real = rollups._insert_select

        def dies(model, qs):
            real(model, qs)
            if model is DensityRollup:
                raise RuntimeError("killed")

        monkeypatch.setattr(rollups, "_insert_select", dies)
        with pytest.raises(RuntimeError):
            rollups.rebuild_dirty()
        assert RollupDirtyDay.objects.filter(day=day).exists()
        assert list(FigureRollup.objects.filter(day=day).values_list("n", flat=True)) == before
        oct_ = parse_period("2026-10")
        reader = world.user("leader")
        args = {"period_start": oct_.start, "period_end": oct_.end, "user": reader}
        assert figures(scheme, **args) == figures(scheme, source="live", **args)
        monkeypatch.setattr(rollups, "_insert_select", real)
        assert rollups.rebuild_dirty() >= 1
        assert not RollupDirtyDay.objects.filter(day=day).exists()
        assert figures(scheme, **args) == figures(scheme, source="live", **args)


def test_a_change_during_a_rebuild_keeps_its_day_dirty(world, history, monkeypatch):
    _h, end = history
    with time_machine.travel(end, tick=False):
        rollups.rebuild_all()
        case = Case.objects.filter(opened_at__month=11).first()
        day = rollups.day_of(case.opened_at)
        rollups.mark_days_dirty([day])
        real = rollups._insert_select

        def with_a_change(model, qs):
            count = real(model, qs)
            if model is DensityRollup:
                rollups.mark_days_dirty([case.opened_at])  # another change, after the rows were read
            return count

        monkeypatch.setattr(rollups, "_insert_select", with_a_change)
        rollups.rebuild_dirty()
        assert RollupDirtyDay.objects.filter(day=day).exists()


def test_built_rollup_is_read_and_today_is_live(world, history):
    h, end = history
    scheme = scheme_variants()[0]
    with time_machine.travel(end, tick=False):
        rollups.rebuild_all()
        assert not RollupDirtyDay.objects.filter(day__lt=end.date()).exists()
        reader = world.user("leader")
        period = parse_period("2026-12")
        args = {"period_start": period.start, "period_end": period.end, "user": reader}
        with CaptureQueriesContext(connection) as ctx:
            rows = figures(scheme, **args)
        assert any(FigureRollup._meta.db_table in q["sql"] for q in ctx.captured_queries)
        # A case opened today is counted (live) although the worker never saw today.
        h.t = None
        lon, lat = PLACES["A1"]
        do_report_event(
            actor=world.user("county"),
            title="今天的事件",
            description="路边有一堆生活垃圾",
            channel="web",
            category=h.categories[0],
            lon=lon,
            lat=lat,
            photos=[png()],
            reporter_name="张三",
            reporter_phone="13912345678",
        )
        assert figures(scheme, **args) == figures(scheme, source="live", **args)
        assert sum(event_density(reader, period).values()) == sum(
            event_density(reader, period, source="live").values()
        )
        assert rows is not None


def test_mark_days_dirty_takes_moments_and_days(db):
    moment_ = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # 1 December in Shanghai
    assert rollups.mark_days_dirty([moment_, dt.date(2026, 11, 2), None]) == 2
    assert set(RollupDirtyDay.objects.values_list("day", flat=True)) == {
        dt.date(2026, 12, 1),
        dt.date(2026, 11, 2),
    }
    token = RollupDirtyDay.objects.get(day=dt.date(2026, 11, 2)).token
    rollups.mark_days_dirty([dt.date(2026, 11, 2)])
    assert RollupDirtyDay.objects.get(day=dt.date(2026, 11, 2)).token != token


def test_the_command_rebuilds_everything(world, history):
    from io import StringIO

    from django.core.management import call_command

    _h, end = history
    with time_machine.travel(end, tick=False):
        FigureRollup.objects.all().delete()
        out = StringIO()
        call_command("rebuild_figure_rollups", stdout=out)
        assert "figure_rows" in out.getvalue()
        assert FigureRollup.objects.exists() and DensityRollup.objects.exists()
        assert not FigureRollup.objects.filter(day__gte=end.date()).exists()  # today stays live


def test_the_worker_job_is_registered_and_rebuilds_dirty_days(db):
    from civicgrid.assessment.tasks import PERIODIC_NAME, rebuild_dirty_rollups
    from civicgrid.core.periodic import registered_jobs

    assert PERIODIC_NAME in [job.name for job in registered_jobs()]
    past = rollups.local_today() - dt.timedelta(days=3)
    rollups.mark_days_dirty([past, rollups.local_today()])
    assert rebuild_dirty_rollups.call() == {"days": 1}
    # Today stays dirty (and counted live) until it is over.
    assert list(RollupDirtyDay.objects.values_list("day", flat=True)) == [rollups.local_today()]


def test_the_bulk_import_marks_its_days_and_figures_stay_right(request, tmp_path):
    """The import writes through the cursor (no model signals); its batch signal marks the days."""
    imported_world = request.getfixturevalue("bulk_world")
    from civicgrid.assessment.models import AssessmentScheme
    from civicgrid.events.tests.test_bulk import run, write_csv
    from civicgrid.events.tests.test_bulk_workers import mixed_rows

    march = parse_period("2026-03")
    leader = imported_world.user("leader")
    scheme = AssessmentScheme(code="default", name="默认", version=0)
    rollups.rebuild_all()  # an empty, clean rollup: nothing dirty
    assert not RollupDirtyDay.objects.exists()
    report = run(write_csv(tmp_path / "import.csv", mixed_rows()), batch_size=3)
    assert report.imported == 8
    opened = set(Case.objects.values_list("opened_at", flat=True))
    assert set(RollupDirtyDay.objects.values_list("day", flat=True)) == {rollups.day_of(m) for m in opened}
    args = {"period_start": march.start, "period_end": march.end, "user": leader}
    live = figures(scheme, source="live", **args)
    assert sum(r["assessed"] for r in live) >= 1
    assert figures(scheme, **args) == live
    assert event_density(leader, march) == event_density(leader, march, source="live")
    rollups.rebuild_dirty()
    assert figures(scheme, **args) == live
    assert FigureRollup.objects.exists()
