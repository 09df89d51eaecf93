"""Readable event numbers: year + county code + serial, e.g. "2026-338001-000123".

The kernel draws the serial per (kind, prefix) under a row lock (`cases.services.next_serial`), so
numbers are unique under concurrency; this module only gives the prefix, registered with the kind.
The year is the local (Asia/Shanghai) year of opening, so an event reported at 00:30 on 1 January
counts in the new year; the county is the first six digits of the event's area code.
"""

from __future__ import annotations

from civicgrid.core.deadlines import LOCAL_TZ

SERIAL_WIDTH = 6


def event_number_prefix(case) -> str:
    year = case.opened_at.astimezone(LOCAL_TZ).year
    return f"{year}-{case.area.code[:6]}-"
