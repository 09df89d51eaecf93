"""Helpers for the petition tests: the 2026 holiday schedule (Spring Festival 2026-02-15…23, make-up
workdays 02-14 and 02-28) and a registration shortcut in the seeded world."""

from __future__ import annotations

import datetime as dt

import pytest

TZ = dt.timezone(dt.timedelta(hours=8))
# Valid GB 11643 numbers (check characters computed).
ID_A = "11010519491231002X"
ID_B = "440524188001010014"


def at(y, m, d, h=9, minute=0):
    return dt.datetime(y, m, d, h, minute, tzinfo=TZ)


@pytest.fixture
def calendar_2026(db):
    from civicgrid.calendars import store
    from civicgrid.calendars.services import chinese_calendar_schedules, do_enter_year_schedule

    do_enter_year_schedule(actor=None, year=2026, days=chinese_calendar_schedules()[2026], source="测试")
    store.reset()


@pytest.fixture
def register(world):
    from civicgrid.petitions.services import do_register_petition

    def make(actor="petition", **overrides):
        data = {
            "title": "小区旁工地夜间施工噪音扰民",
            "description": "东湖社区旁工地连续一个月夜间施工，严重影响居民休息，多次反映未解决。",
            "area": world.area("338001001001"),
            "channel": "visit",
            "petition_class": "claim",
            "parties": [{"role": "petitioner", "name": "张三", "id_card": ID_A, "phone": "13912345678"}],
        }
        data.update(overrides)
        return do_register_petition(actor=world.user(actor) if isinstance(actor, str) else actor, **data)

    return make
