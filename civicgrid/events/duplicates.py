"""Likely duplicates at intake: open events of the same category reported near the same place
within a recent window (CIVICGRID_DUPLICATE_RADIUS_M, default 100 m; CIVICGRID_DUPLICATE_WINDOW_HOURS,
default 72 h). They are only shown (`possible_duplicates`); staff merge with one click (the "merge"
action), and the duplicate then counts as +1 on the original.

A bounding box on lon/lat narrows the candidates in the database; the exact great-circle distance
decides. Events without coordinates are never duplicates by place.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings

from civicgrid.areas.coords import haversine_km
from civicgrid.cases.models import Case

DEFAULT_RADIUS_M = 100.0
DEFAULT_WINDOW_HOURS = 72.0
METRES_PER_DEGREE = 111_320.0
MAX_SHOWN = 10  # the nearest ones kept on the event and shown to staff


def radius_m() -> float:
    return float(getattr(settings, "CIVICGRID_DUPLICATE_RADIUS_M", DEFAULT_RADIUS_M))


def window_hours() -> float:
    return float(getattr(settings, "CIVICGRID_DUPLICATE_WINDOW_HOURS", DEFAULT_WINDOW_HOURS))


def find_possible_duplicates(category, lon, lat, at: dt.datetime, exclude_id=None) -> list[Case]:
    """Open events of `category` within the radius of (lon, lat) opened in the window before `at`,
    nearest first (ties: oldest first), at most MAX_SHOWN."""
    if category is None or lon is None or lat is None:
        return []
    radius = radius_m()
    d_lat = radius / METRES_PER_DEGREE
    d_lon = radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    candidates = Case.objects.filter(
        kind="event",
        closed_at__isnull=True,
        event__category=category,
        opened_at__gte=at - dt.timedelta(hours=window_hours()),
        opened_at__lte=at,
        lon__range=(lon - d_lon, lon + d_lon),
        lat__range=(lat - d_lat, lat + d_lat),
    )
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    # Distances on plain tuples; whole rows only for the nearest few (a busy corner may hold dozens).
    found = []
    for pk, c_lon, c_lat in candidates.order_by("opened_at", "id").values_list("id", "lon", "lat")[:50]:
        metres = haversine_km(lon, lat, c_lon, c_lat) * 1000.0
        if metres <= radius:
            found.append((metres, pk))
    found.sort(key=lambda pair: pair[0])
    nearest = [pk for _metres, pk in found[:MAX_SHOWN]]
    if not nearest:
        return []
    rows = Case.objects.in_bulk(nearest)
    return [rows[pk] for pk in nearest if pk in rows]
