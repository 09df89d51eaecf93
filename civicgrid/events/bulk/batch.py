"""One batch of checked rows through the rest of the pipeline: locate (one vectorised STRtree query
per batch), repeated idempotency keys, classify, route by the catalogue, likely duplicates — and,
when writing, numbers, deadlines, timeline and the rows of every table, as the interactive path
writes them (docs/bulk-import.md lists what each status writes).

Row errors found here (a point outside the jurisdiction, no grid and no area code, no catalogue
rule) are returned like the per-row checks' errors; nothing is written for a batch until every
row in it has been decided.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict

from django.db import connection
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from civicgrid.areas.coords import CoordinateError, check_in_jurisdiction, haversine_km
from civicgrid.areas.locate import LocateStatus, locate_many
from civicgrid.cases.clocks import warn_share
from civicgrid.cases.error_codes import CaseErrorCode
from civicgrid.cases.models import Case
from civicgrid.core.deadlines import DAY_UNITS, LOCAL_TZ
from civicgrid.core.errors import ServiceError

from ..duplicates import (
    DESCRIPTION_CHARS,
    MAX_SHOWN,
    METRES_PER_DEGREE,
    radius_m,
    rank_candidates,
    window_hours,
)
from ..intake import _PRIORITY, EventErrorCode
from ..models import EventDetails
from .checks import CLOSED, DISPATCHED, DONE, REPORTED, Reference, Row, handling_level

PRIORITY_LOW = "low"
EMPTY_LIST, EMPTY_DICT = json.dumps([]), json.dumps({})
NO_EVIDENCE = json.dumps({"evidence_photos": []})


def locate_rows(rows: list[Row], ref: Reference, errors: list) -> list[Row]:
    """Fill in area, grid and path (as `intake.resolve_place`); rows that cannot be placed go to
    `errors` as (line, field, message, code)."""
    index = ref.index
    extent = index.extent
    placed: list[Row] = []
    with_point: list[Row] = []
    for row in rows:
        if row.lon is None:
            try:
                _place_by_code(row, ref)
                placed.append(row)
            except ServiceError as exc:
                errors.append((row.line, exc.field or "", str(exc.message), exc.code))
            continue
        if extent is not None and not (
            extent[0] <= row.lon <= extent[2] and extent[1] <= row.lat <= extent[3]
        ):
            try:
                check_in_jurisdiction(row.lon, row.lat, extent)
            except CoordinateError as exc:
                errors.append((row.line, exc.field or "", str(exc.message), exc.code))
                continue
        with_point.append(row)
    if with_point:
        found = locate_many([(r.lon, r.lat) for r in with_point], "wgs84", index)
        for row, result in zip(with_point, found, strict=True):
            try:
                if result.status == LocateStatus.GRID:
                    row.area, row.grid_id, row.path = result.areas[-1], result.grid.id, result.grid.path
                elif result.status == LocateStatus.AREA:
                    row.area, row.path = result.areas[-1], result.areas[-1].path
                elif row.area_code:
                    _place_by_code(row, ref)
                else:
                    raise ServiceError(EventErrorCode.UNLOCATED, result.reason, field="location")
                placed.append(row)
            except ServiceError as exc:
                errors.append((row.line, exc.field or "", str(exc.message), exc.code))
    placed.sort(key=lambda r: r.line)
    return placed


def _place_by_code(row: Row, ref: Reference) -> None:
    area = ref.area_by_code(row.area_code)
    row.area, row.grid_id, row.path = area, None, area.path


def classify_and_route(rows: list[Row], ref: Reference, errors: list) -> list[Row]:
    """Suggestions for rows without a category (a case past "reported" takes the best one as its
    category: dispatch needs one), then lead and co-handler units for cases past "reported"."""
    kept = []
    for row in rows:
        try:
            if row.category is None and row.status != REPORTED:
                row.suggestions = ref.classifier.suggest(row.title, row.description)
                if not row.suggestions:
                    raise ServiceError(EventErrorCode.REQUIRED, _("派遣前请确定事件分类"), field="category")
                row.category = row.suggestions[0].category
            if row.status != REPORTED:
                _route(row, ref)
            kept.append(row)
        except ServiceError as exc:
            errors.append((row.line, exc.field or "", str(exc.message), exc.code))
    return kept


def _route(row: Row, ref: Reference) -> None:
    if row.lead_code:
        row.lead_id = ref.unit(row.lead_code, "lead_unit")
        row.co_ids = tuple(ref.unit(code, "co_units") for code in row.co_codes)
        if len({row.lead_id, *row.co_ids}) != 1 + len(row.co_ids):
            raise ServiceError(CaseErrorCode.UNIT_TWICE, _("同一单位不能重复派遣"), field="co_units")
        return
    decision = ref.route(row.category, row.area.path)
    if decision is None:
        raise ServiceError(
            CaseErrorCode.NO_UNIT,
            _("派单目录中没有适用的规则，请在 lead_unit 列给出主办单位代码"),
            field="lead_unit",
        )
    row.lead_id, row.co_ids, row.rule_id = decision


def repeated_keys(rows: list[Row], seen_in_batch: set) -> tuple[list[Row], list[tuple[int, str]]]:
    """Rows whose idempotency key was imported before (or earlier in this batch) are not imported
    again — as intake returns the original for a repeated submission. Returns (new rows,
    [(line, number of the original)])."""
    keys = [r.key for r in rows if r.key]
    if not keys:
        return rows, []
    # Through the cursor: the ORM would resolve each of the batch's keys as an expression.
    details, cases = EventDetails._meta.db_table, Case._meta.db_table
    marks = ", ".join(["%s"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT d.idempotency_key, c.number FROM "{details}" d JOIN "{cases}" c ON c.id = d.case_id '  # noqa: S608 - our tables
            f"WHERE d.idempotency_key IN ({marks})",
            keys,
        )
        existing = dict(cursor.fetchall())
    fresh, repeated = [], []
    for row in rows:
        if row.key and (row.key in existing or row.key in seen_in_batch):
            repeated.append((row.line, existing.get(row.key, "")))
            continue
        if row.key:
            seen_in_batch.add(row.key)
        fresh.append(row)
    return fresh, repeated


# --- likely duplicates ---------------------------------------------------------------------------


class DuplicateFinder:
    """`duplicates.find_possible_duplicates` for a batch in file order: the open events of the same
    category within the radius, opened in the window before the row — those already in the
    database (one query per batch) and the open rows earlier in this batch."""

    def __init__(self, rows: list[Row]):
        self.radius, self.window = radius_m(), dt.timedelta(hours=window_hours())
        candidates = [r for r in rows if r.category is not None and r.lon is not None]
        self.cells: dict[tuple, list] = defaultdict(list)
        if not candidates:
            return
        max_lat = max(abs(r.lat) for r in candidates)
        self.cell = self.radius / (METRES_PER_DEGREE * max(math.cos(math.radians(max_lat)), 0.01))
        pad_lat = self.radius / METRES_PER_DEGREE
        lons = [r.lon for r in candidates]
        lats = [r.lat for r in candidates]
        # Open cases by the opening window only: the category (and so the kind: only events have
        # details) is checked here. Given the category or the kind, SQLite (no statistics) walks
        # every event of those categories, or every open case (cost growing with the database),
        # instead of the window on the open-case index.
        categories = {r.category.id for r in candidates}
        existing = (
            Case.objects.filter(
                closed_at__isnull=True,
                opened_at__gte=min(r.opened_at for r in candidates) - self.window,
                opened_at__lte=max(r.opened_at for r in candidates),
                lon__range=(min(lons) - self.cell, max(lons) + self.cell),
                lat__range=(min(lats) - pad_lat, max(lats) + pad_lat),
            )
            .order_by()
            .annotate(head=Substr("description", 1, DESCRIPTION_CHARS))
            .values_list("event__category_id", "opened_at", "id", "lon", "lat", "title", "head")
        )
        for category_id, opened_at, pk, lon, lat, title, head in existing.iterator(chunk_size=5000):
            if category_id in categories:
                self._add(category_id, (opened_at, pk, lon, lat, title, head))

    def _add(self, category_id, item):
        lon, lat = item[2], item[3]
        self.cells[(category_id, math.floor(lon / self.cell), math.floor(lat / self.cell))].append(item)

    def add(self, row: Row) -> None:
        if row.category is not None and row.lon is not None:
            head = (row.description or "")[:DESCRIPTION_CHARS]
            self._add(row.category.id, (row.opened_at, row.case_id, row.lon, row.lat, row.title, head))

    def find(self, row: Row) -> list[int]:
        if row.category is None or row.lon is None or not self.cells:
            return []
        lon, lat, at = row.lon, row.lat, row.opened_at
        d_lat = self.radius / METRES_PER_DEGREE
        d_lon = self.radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        since, cell = at - self.window, self.cell
        near = []
        for cx in range(math.floor((lon - d_lon) / cell), math.floor((lon + d_lon) / cell) + 1):
            for cy in range(math.floor((lat - d_lat) / cell), math.floor((lat + d_lat) / cell) + 1):
                for item in self.cells.get((row.category.id, cx, cy), ()):
                    if (
                        since <= item[0] <= at
                        and lon - d_lon <= item[2] <= lon + d_lon
                        and lat - d_lat <= item[3] <= lat + d_lat
                    ):
                        near.append(item)
        if not near:
            return []
        near.sort(key=lambda item: (item[0], item[1]))
        found = []
        for item in near[:50]:
            metres = haversine_km(lon, lat, item[2], item[3]) * 1000.0
            if metres <= self.radius:
                found.append((metres, item[1], item[4], item[5]))
        # Kept and ordered as intake does (place, then text similarity): oldest first in, stable.
        return rank_candidates(row.title, row.description, found, self.radius)[:MAX_SHOWN]


# --- the rows each table receives ----------------------------------------------------------------


class Tables:
    """The rows of one batch, per table, as tuples in the column order of `store.COLUMNS`.
    `ts(value)` and `day(value)` adapt datetimes and dates for the database (text, UTC, on SQLite,
    as Django stores them). JSON is written as Django's JSONField writes it (`json.dumps`)."""

    def __init__(self, ts, day, ref: Reference):
        self.ts, self.day, self.ref, self.share = ts, day, ref, warn_share()
        self.case: list[tuple] = []
        self.details: list[tuple] = []
        self.deadline: list[tuple] = []
        self.assignment: list[tuple] = []
        self.case_unit: list[tuple] = []  # (case id, unit id) of open cases (store.CaseUnit)
        self.timeline: list[tuple] = []
        self._notes: dict[str, str] = {}
        self._dues: dict[tuple, tuple] = {}
        self._json: dict[tuple, str] = {}

    def __len__(self):
        return sum(
            len(getattr(self, t))
            for t in ("case", "details", "deadline", "assignment", "case_unit", "timeline")
        )

    def _due(self, limit, start, start_day):
        """(due_at, due_at adapted, due_date adapted, provisional, unknown years JSON), cached per
        limit and start day for day units (per start for hour units)."""
        key = (limit, start_day) if limit.unit in DAY_UNITS else (limit, start)
        found = self._dues.get(key)
        if found is None:
            due = self.ref.due(limit, start)
            unknown = json.dumps(list(due.unknown_years)) if due.unknown_years else EMPTY_LIST
            found = (due.due_at, self.ts(due.due_at), self.day(due.due_date), due.provisional, unknown)
            if len(self._dues) > 100_000:
                self._dues.clear()
            self._dues[key] = found
        return found

    def _clock(self, row, name, limit, started, stop_at, stop_ts) -> tuple:
        """A clock started at dispatch (`started`: the time, adapted, its local day, adapted);
        stopped (met/missed) at `stop_at`, or running."""
        start, start_ts, start_day, start_day_db = started
        due_at, due_ts, due_day, provisional, unknown = self._due(limit, start, start_day)
        warn_at = start + (due_at - start) * self.share
        state = "running" if stop_at is None else ("met" if stop_at < due_at else "missed")
        self.deadline.append(
            (
                row.case_id,
                name,
                limit.amount,
                limit.unit.value,
                limit.max_extension,
                start_ts,
                start_day_db,
                EMPTY_LIST,
                0,
                None,
                "",
                EMPTY_LIST,
                due_ts,
                due_day,
                provisional,
                unknown,
                state,
                stop_ts,
                self.ts(warn_at),
                None,
                None,
            )
        )
        return due_at, warn_at

    def _cached_json(self, key: tuple, value) -> str:
        found = self._json.get(key)
        if found is None:
            found = self._json[key] = json.dumps(value)
        return found

    def _transfer_note(self, category) -> str:
        target = category.emergency_transfer
        if target not in self._notes:
            self._notes[target] = _("紧急事件，已转 %(target)s") % {
                "target": category.get_emergency_transfer_display()
            }
        return self._notes[target]

    def add(self, row: Row, duplicates: list[int]) -> None:
        ts, category, status, case_id = self.ts, row.category, row.status, row.case_id
        timeline = self.timeline.append
        final = status
        closed_ts = lead_id = due_ts = warn_ts = accepted_ts = handled_ts = callback_ts = None
        version = 1
        transfer = ""
        opened_ts = ts(row.opened_at)
        code = category.code if category is not None else None
        opened = self._cached_json(("opened", row.channel, code), {"channel": row.channel, "category": code})
        timeline((case_id, "opened", "", None, "", "reported", "", opened, opened_ts))
        if status == REPORTED:
            if category is not None and category.emergency_transfer:
                final, closed_ts, version, transfer = "transferred", opened_ts, 2, category.emergency_transfer
                data = json.dumps({"target": transfer})
                note = self._transfer_note(category)
                timeline(
                    (
                        case_id,
                        "transition",
                        "transfer",
                        None,
                        "reported",
                        "transferred",
                        note,
                        data,
                        opened_ts,
                    )
                )
        else:
            lead_id = row.lead_id
            done = status in (CLOSED, DONE)
            start = row.dispatched_at
            start_ts = ts(start)
            start_day = start.astimezone(LOCAL_TZ).date()
            started, clock = (start, start_ts, start_day, self.day(start_day)), self._clock
            accepted_ts = ts(row.accepted_at) if done else None
            closed_ts = ts(row.closed_at) if done else None
            self._route_rows(row, code, start_ts, accepted_ts, closed_ts)
            response, handling = self.ref.limits[category.id]
            if status == DISPATCHED:
                version = 3
                running = [
                    clock(row, "response", response, started, None, None),
                    clock(row, "handling", handling, started, None, None),
                    clock(row, "objection", self.ref.objection, started, None, None),
                ]
                due_ts = ts(min(r[0] for r in running))
                warn_ts = ts(min(r[1] for r in running))
            else:
                version = 7 if status == CLOSED else 8
                handled_ts = ts(row.handled_at)
                if status == DONE:
                    callback_ts = ts(row.callback_at)
                clock(row, "response", response, started, row.accepted_at, accepted_ts)
                clock(row, "handling", handling, started, row.handled_at, handled_ts)
                clock(row, "objection", self.ref.objection, started, row.accepted_at, accepted_ts)
                self._finish_rows(row, accepted_ts, handled_ts, closed_ts, callback_ts)
        done = status == DONE
        area = row.area
        self.case.append(
            (
                case_id,
                "event",
                row.number,
                row.title,
                row.description,
                final,
                _PRIORITY.get(category.priority, PRIORITY_LOW) if category is not None else PRIORITY_LOW,
                area.id,
                row.grid_id,
                row.path,
                row.lon,
                row.lat,
                handling_level(area),
                lead_id,
                None,
                opened_ts,
                closed_ts,
                version,
                "none",
                0,
                None,
                None,
                0,
                due_ts,
                warn_ts,
                False,  # confidential: an imported event never is
            )
        )
        suggestions = EMPTY_LIST
        if row.suggestions:
            suggestions = json.dumps(
                [
                    {"id": s.category.id, "code": s.category.code, "name": s.category.name, "score": s.score}
                    for s in row.suggestions
                ]
            )
        self.details.append(
            (
                case_id,
                row.channel,
                category.id if category is not None else None,
                suggestions,
                json.dumps(duplicates) if duplicates else EMPTY_LIST,
                row.reporter_name,
                row.reporter_phone,
                json.dumps(row.answers) if row.answers else EMPTY_DICT,
                row.key,
                row.address,
                transfer,
                row.result,
                handled_ts,
                accepted_ts,
                True if done else None,
                row.resolved if done else None,
                row.satisfaction,
                callback_ts,
                None,
                0,
                False,
            )
        )

    def _route_rows(self, row: Row, code, at_ts, accepted_ts, closed_ts) -> None:
        """register → dispatch (assignments and their timeline), as `services.on_dispatch`."""
        case_id, timeline = row.case_id, self.timeline.append
        done = closed_ts is not None
        registered = self._cached_json(("registered", code), {"category": code})
        timeline((case_id, "transition", "register", None, "reported", "registered", "", registered, at_ts))
        for unit_id in (row.lead_id, *row.co_ids):
            self.assignment.append(
                (
                    case_id,
                    unit_id,
                    "lead" if unit_id == row.lead_id else "co",
                    "done" if done else "pending",
                    False,
                    None,
                    at_ts,
                    accepted_ts,
                    closed_ts,
                    "",
                )
            )
        if not done:  # open: every unit's assignment is pending, so each one sees the case
            self.case_unit.extend((case_id, unit_id) for unit_id in (row.lead_id, *row.co_ids))
        units = f'"lead_unit": {int(row.lead_id)}, "co_units": [{", ".join(str(int(u)) for u in row.co_ids)}]'
        assigned = "{" + units + ', "designated": false}'
        rule = "null" if row.rule_id is None else str(int(row.rule_id))
        dispatched = "{" + units + f', "rule": {rule}' + "}"
        timeline((case_id, "assigned", "assign", None, "", "", "", assigned, at_ts))
        timeline((case_id, "transition", "dispatch", None, "registered", "dispatched", "", dispatched, at_ts))

    def _finish_rows(self, row: Row, accepted_ts, handled_ts, closed_ts, callback_ts) -> None:
        """accept → handle → verify → close (→ callback), as the loop's services write them."""
        case_id, timeline = row.case_id, self.timeline.append
        timeline(
            (case_id, "transition", "accept", None, "dispatched", "accepted", "", EMPTY_DICT, accepted_ts)
        )
        timeline((case_id, "transition", "handle", None, "accepted", "handled", "", NO_EVIDENCE, handled_ts))
        timeline((case_id, "transition", "verify", None, "handled", "verified", "", EMPTY_DICT, closed_ts))
        timeline((case_id, "transition", "close", None, "verified", "closed", "", EMPTY_DICT, closed_ts))
        if row.status == DONE:
            callback = json.dumps(
                {"contacted": True, "resolved": row.resolved, "satisfaction": row.satisfaction}
            )
            timeline(
                (
                    case_id,
                    "transition",
                    "callback",
                    None,
                    "closed",
                    "done",
                    "",
                    callback,
                    callback_ts,
                )
            )


def is_open_after(row: Row) -> bool:
    """Whether the imported case is open (a candidate duplicate for later rows)."""
    if row.status == DISPATCHED:
        return True
    return row.status == REPORTED and not (row.category is not None and row.category.emergency_transfer)
