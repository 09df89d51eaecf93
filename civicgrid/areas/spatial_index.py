"""The in-memory spatial index that `locate` answers from.

One `SpatialIndex` holds three kinds of polygon, each in a shapely 2 STRtree:
- the active grids of the master layer (综治网格),
- the boundaries of areas (for points outside every grid),
- the cells of each specialised layer (城管, 应急 …), one tree per layer.

Each process builds its index lazily from the database on first use and keeps it. Services that
change a geometry call `mark_changed()` after commit (`transaction.on_commit(mark_changed)`, or
`mark_changed_on_commit()`), which bumps the `SpatialIndexVersion` row; every process compares that
row with the version its index was built from at most once a second (`CHECK_INTERVAL`), so the hot
path is not a query per point, and rebuilds when it moved. The process that made the change drops
its own index at once.

A process that locates inside a transaction which itself changed geometries would build its index
from rows that may yet be rolled back; services therefore change geometries and leave locating to
later requests (the index is rebuilt at the next bump in any case).

The index can also be built from plain records without a database (`SpatialIndex(...)`), which is
what the benchmark does.

Ties are resolved by construction order, so answers never depend on tree internals:
- grids are ordered dedicated (专属网格) before base, then by code; the first covering grid wins,
  so a point inside a school's dedicated grid resolves to it rather than to the base grid around it,
  and a point on a border shared by two grids resolves to the lower grid code, every time;
- areas are ordered deepest first, then by code; the first covering area is the smallest one;
- cells of a layer are ordered by code; the lowest covering code wins.
"Covering" includes the boundary (shapely `intersects`), so border points are never lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import transaction
from django.db.models import F
from shapely.geometry import shape

log = logging.getLogger(__name__)

VERSION_NAME = "locate"  # the SpatialIndexVersion row this index follows
CHECK_INTERVAL = 1.0  # seconds between looks at the version row (per process)


@dataclass(frozen=True, slots=True)
class AreaRecord:
    """What locate reports about an area: enough to show and link it without a query."""

    id: int
    code: str
    name: str
    level: str
    path: str
    parent_id: int | None = None

    @property
    def pk(self) -> int:  # reads like a model instance in views and serializers
        return self.id


@dataclass(frozen=True, slots=True)
class GridRecord:
    """What locate reports about a master-layer grid."""

    id: int
    code: str
    name: str
    kind: str
    village_id: int
    path: str

    @property
    def pk(self) -> int:
        return self.id


@dataclass(frozen=True, slots=True)
class CellRecord:
    """What locate reports about a specialised layer's cell."""

    id: int
    code: str
    name: str
    layer_code: str
    path: str = ""
    area_id: int | None = None

    @property
    def pk(self) -> int:
        return self.id


def _to_shape(geometry):
    """GeoJSON dict or shapely geometry → polygonal shapely geometry, or None when unusable."""
    if geometry is None:
        return None
    try:
        if isinstance(geometry, shapely.Geometry):
            geom = geometry
        elif geometry.get("type") == "Polygon":
            # Straight from the coordinate arrays: shapely.geometry.shape() spends most of its time
            # in per-vertex Python checks, which dominated building an index of 50,000 grids.
            rings = [np.asarray(ring, dtype=float)[:, :2] for ring in geometry["coordinates"]]
            geom = shapely.polygons(rings[0], holes=rings[1:] or None)
        else:
            geom = shape(geometry)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, shapely.errors.GEOSException):
        return None
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    return geom


def _to_shapes(geometries: list) -> list:
    """Many geometries at once (same answers as `_to_shape`). Plain one-ring polygons — nearly every
    grid — are made in one vectorised call from a single coordinate array; anything else, or a
    batch that GEOS refuses, goes one by one."""
    simple = [
        i
        for i, g in enumerate(geometries)
        if isinstance(g, dict)
        and g.get("type") == "Polygon"
        and isinstance(g.get("coordinates"), list)
        and len(g["coordinates"]) == 1
    ]
    out: list = [None] * len(geometries)
    if simple:
        try:
            rings = [geometries[i]["coordinates"][0] for i in simple]
            coords = np.asarray([position for ring in rings for position in ring], dtype=float)
            lengths = np.fromiter((len(ring) for ring in rings), dtype=np.intp, count=len(rings))
            if coords.ndim != 2 or coords.shape[1] < 2 or lengths.min() < 4:
                raise ValueError("not a plain batch")
            ring_index = np.repeat(np.arange(len(rings)), lengths)
            polygons = shapely.polygons(shapely.linearrings(coords[:, :2], indices=ring_index))
        except (TypeError, ValueError, IndexError, shapely.errors.GEOSException):
            simple = []
        else:
            for i, polygon in zip(simple, polygons.tolist(), strict=True):
                out[i] = None if polygon.is_empty else polygon
    done = set(simple)
    for i, geometry in enumerate(geometries):
        if i not in done:
            out[i] = _to_shape(geometry)
    return out


# Polygons with more vertices than this are prepared (GEOS builds an indexed point-in-area locator
# for each): district and township boundaries have thousands of vertices, where a plain test walks
# every edge, and `STRtree.query(..., predicate=...)` would not use the preparation at all. Grids
# have a dozen or so; preparing them would only cost memory.
PREPARE_ABOVE_VERTICES = 64


class _Layer:
    """Records and their polygons, in tie-break order, with an STRtree over the polygons."""

    __slots__ = ("geoms", "has_large", "records", "tree")

    def __init__(self, pairs: list[tuple[object, object]]):
        self.records = [record for record, _geom in pairs]
        self.geoms = np.empty(len(pairs), dtype=object)
        self.geoms[:] = [geom for _record, geom in pairs]
        large = shapely.get_num_coordinates(self.geoms) > PREPARE_ABOVE_VERTICES
        self.has_large = bool(large.any())
        if self.has_large:
            shapely.prepare(self.geoms[large])
        self.tree = shapely.STRtree(self.geoms)

    def __len__(self):
        return len(self.records)

    def first_at(self, point, lon: float, lat: float) -> int:
        """Index of the first record (in tie-break order) whose polygon covers the point, or -1."""
        if self.has_large:
            # Envelope candidates from the tree, then each polygon's own point test (indexed where
            # prepared).
            candidates = self.tree.query(point)
            if candidates.size == 0:
                return -1
            hits = candidates[shapely.intersects_xy(self.geoms[candidates], lon, lat)]
        else:
            # Small polygons only: the tree tests the predicate itself, in one C loop.
            hits = self.tree.query(point, predicate="intersects")
        if hits.size == 1:
            return int(hits[0])
        return int(hits.min()) if hits.size else -1

    def first_many(self, points: np.ndarray) -> np.ndarray:
        """For each point, the index of the first covering record, or -1 (vectorised)."""
        result = np.full(len(points), -1, dtype=np.int64)
        if len(self.records) == 0 or len(points) == 0:
            return result
        if self.has_large:
            inputs, found = self.tree.query(points)
            if inputs.size:
                xy = shapely.get_coordinates(points)[inputs]
                keep = shapely.intersects_xy(self.geoms[found], xy[:, 0], xy[:, 1])
                inputs, found = inputs[keep], found[keep]
        else:
            inputs, found = self.tree.query(points, predicate="intersects")
        if inputs.size:
            none = np.iinfo(np.int64).max
            best = np.full(len(points), none, dtype=np.int64)
            np.minimum.at(best, inputs, found)
            hit = best != none
            result[hit] = best[hit]
        return result

    def bounds(self):
        if len(self.records) == 0:
            return None
        return shapely.total_bounds(self.geoms)


class SpatialIndex:
    """An immutable snapshot of grids, area boundaries and layer cells for point lookups.

    `areas`: (AreaRecord, geometry or None) for every area (those without a boundary still appear
    in area chains). `grids`: (GridRecord, geometry) for active master grids. `cells`:
    (CellRecord, geometry) for specialised layers. Geometries are GeoJSON dicts or shapely objects;
    unusable ones are skipped and counted in `skipped` (imports validate them, so this is a guard).
    """

    def __init__(
        self,
        areas: Iterable[tuple[AreaRecord, object]] = (),
        grids: Iterable[tuple[GridRecord, object]] = (),
        cells: Iterable[tuple[CellRecord, object]] = (),
        version: int | None = None,
    ):
        self.version = version
        self.skipped = 0
        self.area_by_id: dict[int, AreaRecord] = {}
        with_boundary = []
        for record, geometry in areas:
            self.area_by_id[record.id] = record
            if geometry is not None:
                with_boundary.append((record, geometry))
        area_shapes = self._shapes(with_boundary, lambda r: r.code)
        self._chains: dict[int, tuple[AreaRecord, ...]] = {}
        for area_id in self.area_by_id:
            self.chain(area_id)
        area_shapes.sort(key=lambda pair: (-pair[0].path.count("/"), pair[0].code))
        self.areas = _Layer(area_shapes)

        grid_shapes = self._shapes(list(grids), lambda r: r.code)
        grid_shapes.sort(key=lambda pair: (pair[0].kind != "dedicated", pair[0].code))
        self.grids = _Layer(grid_shapes)
        self.grid_chains = [self.chain(record.village_id) for record in self.grids.records]

        by_layer: dict[str, list] = {}
        for record, geom in self._shapes(list(cells), lambda r: f"{r.layer_code}:{r.code}"):
            by_layer.setdefault(record.layer_code, []).append((record, geom))
        self.layers: dict[str, _Layer] = {}
        for layer_code in sorted(by_layer):
            pairs = sorted(by_layer[layer_code], key=lambda pair: pair[0].code)
            self.layers[layer_code] = _Layer(pairs)

        boxes = [
            b
            for b in (layer.bounds() for layer in (self.areas, self.grids, *self.layers.values()))
            if b is not None
        ]
        if boxes:
            stacked = np.array(boxes)
            self.extent = (
                float(stacked[:, 0].min()),
                float(stacked[:, 1].min()),
                float(stacked[:, 2].max()),
                float(stacked[:, 3].max()),
            )
        else:
            self.extent = None

    def _shapes(self, pairs: list, label) -> list:
        """(record, geometry) pairs → (record, shapely geometry) pairs, skipping unusable ones."""
        kept = []
        for (record, _geometry), geom in zip(pairs, _to_shapes([g for _r, g in pairs]), strict=True):
            if geom is None:
                self.skipped += 1
                log.warning("spatial index: skipped unusable geometry of %s", label(record))
            else:
                kept.append((record, geom))
        return kept

    def chain(self, area_id: int | None) -> tuple[AreaRecord, ...]:
        """The areas from the top of the tree down to `area_id` (empty when unknown)."""
        if area_id is None:
            return ()
        cached = self._chains.get(area_id)
        if cached is not None:
            return cached
        walk = []
        seen = set()
        current = self.area_by_id.get(area_id)
        while current is not None and current.id not in seen:  # `seen` guards against a corrupt cycle
            seen.add(current.id)
            walk.append(current)
            current = self.area_by_id.get(current.parent_id) if current.parent_id is not None else None
        chain = tuple(reversed(walk))
        self._chains[area_id] = chain
        return chain

    def is_empty(self) -> bool:
        return self.extent is None

    def cells_at(self, point, lon: float, lat: float) -> dict[str, CellRecord]:
        found = {}
        for layer_code, layer in self.layers.items():
            i = layer.first_at(point, lon, lat)
            if i >= 0:
                found[layer_code] = layer.records[i]
        return found


# --- the per-process index -----------------------------------------------------------------------

_lock = threading.Lock()
_current: SpatialIndex | None = None
_checked_at = 0.0
_stale = True


def read_version() -> int:
    from .models import SpatialIndexVersion

    version = SpatialIndexVersion.objects.filter(name=VERSION_NAME).values_list("version", flat=True).first()
    return int(version or 0)


def build_from_database(version: int | None = None) -> SpatialIndex:
    """Read active grids, all areas and specialised layers' cells and build an index."""
    from .models import Area, Grid, LayerCell

    areas = (
        (AreaRecord(pk, code, name, level, path, parent_id), boundary if active else None)
        for pk, code, name, level, path, parent_id, boundary, active in Area.objects.values_list(
            "id", "code", "name", "level", "path", "parent_id", "boundary", "is_active"
        ).iterator(chunk_size=2000)
    )
    grids = (
        (GridRecord(pk, code, name, kind, village_id, path), boundary)
        for pk, code, name, kind, village_id, path, boundary in Grid.objects.filter(is_active=True)
        .exclude(boundary=None)
        .values_list("id", "code", "name", "kind", "village_id", "path", "boundary")
        .iterator(chunk_size=2000)
    )
    cells = (
        (CellRecord(pk, code, name, layer_code, path, area_id), boundary)
        for pk, code, name, layer_code, path, area_id, boundary in LayerCell.objects.filter(
            layer__is_master=False
        )
        .exclude(boundary=None)
        .values_list("id", "code", "name", "layer__code", "path", "area_id", "boundary")
        .iterator(chunk_size=2000)
    )
    started = time.perf_counter()
    index = SpatialIndex(areas=areas, grids=grids, cells=cells, version=version)
    log.info(
        "spatial index v%s built: %d grids, %d area boundaries, %d layers in %.2fs",
        version,
        len(index.grids),
        len(index.areas),
        len(index.layers),
        time.perf_counter() - started,
    )
    return index


def get_index() -> SpatialIndex:
    """This process's index, rebuilt when the version row has moved (looked at ≤ once a second)."""
    global _current, _checked_at, _stale
    index = _current
    if index is not None and not _stale and time.monotonic() - _checked_at < CHECK_INTERVAL:
        return index
    with _lock:
        index = _current
        now = time.monotonic()
        if index is not None and not _stale and now - _checked_at < CHECK_INTERVAL:
            return index  # another thread refreshed it while we waited
        # Read the version before the data: a change committed in between is either in the data or
        # shows up as a newer version on the next look, never lost.
        version = read_version()
        if index is None or _stale or index.version != version:
            index = build_from_database(version)
            _current = index
            _stale = False
        _checked_at = now
        return index


def use_index(index: SpatialIndex | None) -> None:
    """Install a ready-made index in this process (benchmarks, tests); None drops it."""
    global _current, _checked_at, _stale
    with _lock:
        _current = index
        _stale = index is None
        # An installed index without a version is kept until something marks it changed.
        _checked_at = float("inf") if index is not None and index.version is None else time.monotonic()


def reset() -> None:
    """Drop this process's index; the next lookup rebuilds it from the database."""
    use_index(None)


def mark_changed() -> None:
    """Record that grid, area or cell geometries changed: bump the shared version row (other
    processes rebuild within CHECK_INTERVAL) and drop this process's index at once.

    Call it after the change is committed — `transaction.on_commit(mark_changed)` — so that no
    process rebuilds from data that is then rolled back."""
    from .models import SpatialIndexVersion

    with transaction.atomic():
        bumped = SpatialIndexVersion.objects.filter(name=VERSION_NAME).update(version=F("version") + 1)
        if not bumped:
            _row, created = SpatialIndexVersion.objects.get_or_create(
                name=VERSION_NAME, defaults={"version": 1}
            )
            if not created:  # another process created it meanwhile
                SpatialIndexVersion.objects.filter(name=VERSION_NAME).update(version=F("version") + 1)
    reset()


def mark_changed_on_commit() -> None:
    """Schedule `mark_changed` for when the current transaction commits (services call this)."""
    transaction.on_commit(mark_changed)
