"""Locate: a point → its master grid, the whole area chain and each specialised layer's cell.

The rules (issue 2 §2):
- the input declares its coordinate system (WGS-84, GCJ-02, BD-09); the answer is in WGS-84;
- a malformed, swapped or far-away point raises CoordinateError — it is reported, never stored;
- a point inside a grid resolves to that grid ("grid"); on a border shared by several grids, or
  where grids overlap, the rule is fixed: a dedicated grid (专属网格) before a base grid, then the
  lowest grid code — so the same point gives the same grid every time;
- a point outside every grid falls back to the smallest (deepest, then lowest code) area whose
  boundary covers it ("area");
- otherwise it is "unlocated", with a reason. Nothing is ever guessed from the nearest polygon.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .coords import CoordinateError, check_in_jurisdiction, check_point, to_wgs84
from .spatial_index import AreaRecord, CellRecord, GridRecord, SpatialIndex, get_index


class LocateStatus:
    GRID = "grid"  # inside a master grid
    AREA = "area"  # outside every grid, inside an area boundary
    UNLOCATED = "unlocated"  # neither


@dataclass(frozen=True, slots=True)
class LocateResult:
    """Where a point lies. `lon`/`lat` are WGS-84; `areas` runs from the top of the tree to the
    deepest area (the grid's village for "grid"); `cells` maps a specialised layer's code to its
    cell; `reason` explains "unlocated" (empty otherwise)."""

    status: str
    lon: float
    lat: float
    grid: GridRecord | None = None
    areas: tuple[AreaRecord, ...] = ()
    cells: dict[str, CellRecord] = field(default_factory=dict)
    reason: str = ""

    @property
    def area(self) -> AreaRecord | None:
        """The deepest area of the chain."""
        return self.areas[-1] if self.areas else None

    def as_dict(self) -> dict:
        """JSON-ready form for the API."""

        def area_dict(a: AreaRecord):
            return {"id": a.id, "code": a.code, "name": a.name, "level": a.level}

        grid = self.grid
        return {
            "status": self.status,
            "lon": self.lon,
            "lat": self.lat,
            "grid": None
            if grid is None
            else {"id": grid.id, "code": grid.code, "name": grid.name, "kind": grid.kind},
            "areas": [area_dict(a) for a in self.areas],
            "cells": {
                layer: {"id": c.id, "code": c.code, "name": c.name} for layer, c in sorted(self.cells.items())
            },
            "reason": self.reason,
        }


_reasons: dict[tuple[str | None, bool], str] = {}


def _unlocated_reason(index: SpatialIndex) -> str:
    # Translated once per language: a catalogue lookup per unlocated point is measurable.
    key = (get_language(), index.is_empty())
    reason = _reasons.get(key)
    if reason is None:
        if key[1]:
            reason = _("尚未导入任何网格或区划边界，无法定位")
        else:
            reason = _("该点不在任何网格内，也不在任何有边界的区划内")
        _reasons[key] = reason
    return reason


def _resolve(index: SpatialIndex, lon: float, lat: float) -> LocateResult:
    point = shapely.Point(lon, lat)
    cells = index.cells_at(point, lon, lat) if index.layers else {}
    i = index.grids.first_at(point, lon, lat)
    if i >= 0:
        return LocateResult(LocateStatus.GRID, lon, lat, index.grids.records[i], index.grid_chains[i], cells)
    j = index.areas.first_at(point, lon, lat)
    if j >= 0:
        return LocateResult(LocateStatus.AREA, lon, lat, None, index.chain(index.areas.records[j].id), cells)
    return LocateResult(LocateStatus.UNLOCATED, lon, lat, None, (), cells, _unlocated_reason(index))


def locate(lon, lat, crs: str = "wgs84", index: SpatialIndex | None = None) -> LocateResult:
    """Locate one point given in `crs`. Raises CoordinateError (with `field`) for non-numbers,
    out-of-range or swapped coordinates, an unknown crs, and points further than
    JURISDICTION_MARGIN_KM outside the extent of all boundaries. `index` defaults to this
    process's index from the database."""
    if (
        type(lon) is not float
        or type(lat) is not float
        or not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0)
    ):
        lon, lat = check_point(lon, lat)  # the full checks, with their messages (NaN fails the test above)
    if crs != "wgs84":
        lon, lat = to_wgs84(lon, lat, crs)
    if index is None:
        index = get_index()
    extent = index.extent
    # Inside the extent there is nothing to check; only points outside it need the distance.
    if extent is None or not (extent[0] <= lon <= extent[2] and extent[1] <= lat <= extent[3]):
        check_in_jurisdiction(lon, lat, extent)
    return _resolve(index, lon, lat)


def _checked_points(points) -> np.ndarray:
    """An (n, 2) float array of the points after `check_point`'s checks. All numbers in range is
    the common case and is checked in one vectorised pass; otherwise the points are checked one by
    one for the message, and the CoordinateError carries the bad point's position as `index`."""
    try:
        array = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is not None and array.ndim == 2 and array.shape[1] == 2:
        good = np.isfinite(array).all(axis=1) & (np.abs(array[:, 0]) <= 180) & (np.abs(array[:, 1]) <= 90)
        if good.all():
            return array
    checked = []
    for position, pair in enumerate(points):
        try:
            lon, lat = pair
            checked.append(check_point(lon, lat))
        except CoordinateError as exc:
            exc.index = position
            raise
        except (TypeError, ValueError):
            exc = CoordinateError(_("第 %(n)d 个点应为 [经度, 纬度]") % {"n": position + 1})
            exc.index = position
            raise exc from None
    return np.array(checked, dtype=float).reshape(-1, 2)


def locate_many(points, crs: str = "wgs84", index: SpatialIndex | None = None) -> list[LocateResult]:
    """Locate many (lon, lat) pairs at once, with one vectorised tree query per layer. Same rules
    and answers as `locate`; a bad point raises CoordinateError whose `index` attribute is its
    position in `points` (and nothing is returned for the others)."""
    if index is None:
        index = get_index()
    array = _checked_points(points)
    if len(array) == 0:
        return []
    lons, lats = array[:, 0], array[:, 1]
    if crs != "wgs84":
        lons, lats = to_wgs84(lons, lats, crs)
    extent = index.extent
    if extent is not None:
        outside = ~((lons >= extent[0]) & (lons <= extent[2]) & (lats >= extent[1]) & (lats <= extent[3]))
        for position in np.flatnonzero(outside).tolist():
            try:
                check_in_jurisdiction(float(lons[position]), float(lats[position]), extent)
            except CoordinateError as exc:
                exc.index = position
                raise
    geoms = shapely.points(lons, lats)
    grid_of = index.grids.first_many(geoms)
    need_area = grid_of < 0
    area_of = np.full(len(geoms), -1, dtype=np.int64)
    if need_area.any():
        area_of[need_area] = index.areas.first_many(geoms[need_area])
    layer_hits = {
        code: (index.layers[code].records, layer.first_many(geoms).tolist())
        for code, layer in index.layers.items()
    }
    grid_records, grid_chains = index.grids.records, index.grid_chains
    area_records = index.areas.records
    reason = _unlocated_reason(index)
    results = []
    for k, (lon, lat, g, a) in enumerate(
        zip(lons.tolist(), lats.tolist(), grid_of.tolist(), area_of.tolist(), strict=True)
    ):
        cells = {code: records[hits[k]] for code, (records, hits) in layer_hits.items() if hits[k] >= 0}
        if g >= 0:
            results.append(LocateResult(LocateStatus.GRID, lon, lat, grid_records[g], grid_chains[g], cells))
        elif a >= 0:
            results.append(
                LocateResult(LocateStatus.AREA, lon, lat, None, index.chain(area_records[a].id), cells)
            )
        else:
            results.append(LocateResult(LocateStatus.UNLOCATED, lon, lat, None, (), cells, reason))
    return results
