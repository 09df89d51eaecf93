"""Query parameters of the GET methods: empty means absent (the spec's "optional argument" rule),
dates in W3C/ISO 8601, the 90-day window and paging."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area

from .errors import Open311Error
from .settings import open311_setting

WINDOW = dt.timedelta(days=90)
MAX_ROWS = 1000


def param(data, name: str) -> str | None:
    value = data.get(name)
    value = value.strip() if isinstance(value, str) else value
    return value or None


def comma_list(data, name: str) -> list[str]:
    values = []
    for raw in data.getlist(name):
        values.extend(v.strip() for v in raw.split(","))
    return [v for v in values if v]


def moment(data, name: str) -> dt.datetime | None:
    value = param(data, name)
    if value is None:
        return None
    try:
        parsed = parse_datetime(value.replace(" ", "+", 1) if " " in value and "T" in value else value)
    except ValueError:
        parsed = None
    if parsed is None:
        day = None
        with contextlib.suppress(ValueError):
            day = parse_date(value)
        if day is None:
            raise Open311Error(
                400,
                _("%(name)s：应为 ISO 8601 日期时间，如 2026-11-01T00:00:00+08:00") % {"name": name},
                "invalid_date",
            )
        parsed = dt.datetime.combine(day, dt.time.min)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@dataclass
class Window:
    start: dt.datetime
    end: dt.datetime


def window(data) -> Window:
    """start_date/end_date; a missing end is 90 days after the start (or now), a missing start 90
    days before the end; a span over 90 days or an end before the start is a 400."""
    start, end = moment(data, "start_date"), moment(data, "end_date")
    now = timezone.now()
    if start is None and end is None:
        end = now
    if start is None:
        start = end - WINDOW
    if end is None:
        end = min(start + WINDOW, max(now, start))
    if end < start:
        raise Open311Error(400, _("end_date：结束时间早于开始时间"), "invalid_window")
    if end - start > WINDOW:
        raise Open311Error(400, _("start_date/end_date：查询时间跨度不能超过 90 天"), "window_too_long")
    return Window(start, end)


@dataclass
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page(data) -> Page:
    """The page/page_size extension: pages of at most 1,000 rows (the spec's cap), page 1 first."""
    values = {}
    for name, default, top in (("page", 1, 1_000_000), ("page_size", MAX_ROWS, MAX_ROWS)):
        value = param(data, name)
        if value is None:
            values[name] = default
            continue
        if not value.isdigit() or not 1 <= int(value) <= top:
            raise Open311Error(
                400, _("%(name)s：应为 1 到 %(top)s 的整数") % {"name": name, "top": top}, "invalid_page"
            )
        values[name] = int(value)
    return Page(values["page"], values["page_size"])


def jurisdiction(data) -> Area | None:
    """jurisdiction_id: optional (this endpoint serves one city). The configured id means the whole
    city; an area code of the tree narrows the answer to that area. Anything else is a 404."""
    value = param(data, "jurisdiction_id")
    if value is None or value == open311_setting("JURISDICTION_ID"):
        return None
    area = Area.objects.filter(code=value, is_active=True).first()
    if area is None:
        raise Open311Error(
            404, _("jurisdiction_id：辖区“%(id)s”不存在") % {"id": value}, "unknown_jurisdiction"
        )
    return area
