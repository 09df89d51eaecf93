"""Likely duplicates at intake: open events of the same category reported near the same place
within a recent window (CIVICGRID_DUPLICATE_RADIUS_M, default 100 m; CIVICGRID_DUPLICATE_WINDOW_HOURS,
default 72 h). They are only shown (`possible_duplicates`); staff merge with one click (the "merge"
action), and the duplicate then counts as +1 on the original.

A bounding box on lon/lat narrows the candidates in the database; the exact great-circle distance
decides. Events without coordinates are never duplicates by place.

Text (issue 5 §3): given the new event's title and description, each candidate in the radius is also
compared by text (`textintel.similarity`: character-bigram cosine over title + description). It stays
a likely duplicate when the text similarity reaches CIVICGRID_DUPLICATE_TEXT_THRESHOLD (default
0.2; 0 turns the text test off) or when it lies within CIVICGRID_DUPLICATE_NEAR_M (default 25 m:
two reports of one spot are the same thing however they are worded), and the kept ones are ranked
by the combined score (`similarity.duplicate_score`: 0.7 text + 0.3 nearness), highest first. The
same single query fetches the candidates (their description's head among the columns): the query
count of intake does not change. Without text (title and description None) the rule is place and
time alone, nearest first. docs/hot-issues.md gives the precision and recall measured.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db.models.functions import Substr

from civicgrid.areas.coords import haversine_km
from civicgrid.cases.models import Case
from civicgrid.core.prepared import SENTINEL_TIME, Prepared, instance_from
from civicgrid.textintel.similarity import DESCRIPTION_CHARS, cached_profile, cosine, duplicate_score, profile

DEFAULT_RADIUS_M = 100.0
DEFAULT_WINDOW_HOURS = 72.0
DEFAULT_TEXT_THRESHOLD = 0.2
DEFAULT_NEAR_M = 25.0
METRES_PER_DEGREE = 111_320.0
MAX_SHOWN = 10  # the nearest ones kept on the event and shown to staff
CANDIDATES = 50  # the oldest ones in the bounding box whose distance is measured


def radius_m() -> float:
    return float(getattr(settings, "CIVICGRID_DUPLICATE_RADIUS_M", DEFAULT_RADIUS_M))


def window_hours() -> float:
    return float(getattr(settings, "CIVICGRID_DUPLICATE_WINDOW_HOURS", DEFAULT_WINDOW_HOURS))


def text_threshold() -> float:
    return float(getattr(settings, "CIVICGRID_DUPLICATE_TEXT_THRESHOLD", DEFAULT_TEXT_THRESHOLD))


def near_m() -> float:
    return float(getattr(settings, "CIVICGRID_DUPLICATE_NEAR_M", DEFAULT_NEAR_M))


def find_possible_duplicates(
    category, lon, lat, at: dt.datetime, exclude_id=None, *, title=None, description=None
) -> list[Case]:
    """Open events of `category` within the radius of (lon, lat) opened in the window before `at`,
    at most MAX_SHOWN. Without text: nearest first (ties: oldest first). With the new event's
    `title`/`description`: those similar enough in text or very near, best combined score first."""
    if category is None or lon is None or lat is None:
        return []
    radius = radius_m()
    d_lat = radius / METRES_PER_DEGREE
    d_lon = radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    window_start = at - dt.timedelta(hours=window_hours())
    found = []
    for row in _CANDIDATES.rows(
        category=category.pk if hasattr(category, "pk") else category,
        start=window_start,
        end=at,
        west=lon - d_lon,
        east=lon + d_lon,
        south=lat - d_lat,
        north=lat + d_lat,
    ):
        if exclude_id is not None and row[0] == exclude_id:
            continue
        metres = haversine_km(lon, lat, row[-2], row[-1]) * 1000.0
        if metres <= radius:
            found.append((metres, row))
    title_at = SHOWN.index("title")
    kept = rank_candidates(
        title, description, [(metres, row, row[title_at], row[len(SHOWN)]) for metres, row in found], radius
    )
    # Instances for the few kept, with the columns intake shows and checks (the rest deferred).
    return [
        instance_from(Case, **dict(zip(SHOWN, row[: len(SHOWN)], strict=True)), lon=row[-2], lat=row[-1])
        for row in kept[:MAX_SHOWN]
    ]


def rank_candidates(title, description, candidates, radius: float) -> list:
    """The place rule's candidates kept and ordered (see the module docstring). `candidates` are
    (metres, key, title, description) tuples, oldest first; the keys come back. Also for callers
    that gather candidates their own way (a bulk import's batch)."""
    # No text (or none left after normalising): place and time alone, nearest first.
    text = profile(title, description) if title is not None or description is not None else None
    if not text:
        return [key for _m, key, _t, _d in sorted(candidates, key=lambda c: c[0])]  # stable: oldest first
    threshold, near = text_threshold(), near_m()
    scored = []
    for metres, key, candidate_title, candidate_description in candidates:
        similarity = cosine(
            text, cached_profile(candidate_title or "", (candidate_description or "")[:DESCRIPTION_CHARS])
        )
        if threshold <= 0 or similarity >= threshold or (near > 0 and metres <= near):
            scored.append((-duplicate_score(similarity, metres, radius), metres, key))
    scored.sort(key=lambda item: (item[0], item[1]))  # stable: ties stay oldest first
    return [key for _score, _metres, key in scored]


# What intake shows of a possible duplicate and needs to check the reader's scope (lon/lat last);
# the query adds the head of the description (for the text test) before lon/lat.
SHOWN = ("id", "kind", "number", "title", "status", "path", "confidential")


def _candidates(category, start, end, west, east, south, north):
    # The oldest CANDIDATES in the box (a busy corner may hold dozens), as plain rows.
    return (
        Case.objects.filter(
            kind="event",
            closed_at__isnull=True,
            event__category_id=category,
            opened_at__gte=start,
            opened_at__lte=end,
            lon__range=(west, east),
            lat__range=(south, north),
        )
        .order_by("opened_at", "id")
        .annotate(head=Substr("description", 1, DESCRIPTION_CHARS))
        .values_list(*SHOWN, "head", "lon", "lat")[:CANDIDATES]
    )


# Intake asks this for every located event: compiled once (core.prepared).
_CANDIDATES = Prepared(
    _candidates,
    # Without statistics SQLite would walk every open case of the window (thousands in a busy
    # city) by opening time; the lat/lon box of the partial place index holds a handful.
    sqlite_indexes={"cases_case": "case_open_place"},
    category=-7_770_101,
    start=SENTINEL_TIME,
    end=SENTINEL_TIME + dt.timedelta(seconds=1),
    west=-7_770_201.5,
    east=-7_770_202.5,
    south=-7_770_203.5,
    north=-7_770_204.5,
)
