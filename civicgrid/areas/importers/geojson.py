"""Import boundaries and grids from GeoJSON: the engine behind `manage.py import_geojson`.

The file is a FeatureCollection, read feature by feature with ijson (a file of any size streams). A
property mapping says which feature property holds the code, name, village, kind and parent grid.
Coordinates are declared WGS-84, GCJ-02 or BD-09 and stored in WGS-84; every polygon passes
`geometry.parse_polygon` (self-intersections, open rings …) and is stored in RFC 7946 ring order.

kind "area": sets the boundary of areas that already exist (import their codes first with
import_divisions); 6-digit adcodes (GB/T 2260, as DataV exports carry) are normalised to 12 digits.

kind "grid": creates or updates master-layer grids. Each must belong to an existing village, carry a
code that starts with it, lie inside the village polygon (tolerance services.tolerance_m(), for
digitising noise) and overlap no other active grid, in the file or in the database; a dedicated grid
(专属网格) lies inside its base grid, named by a property or found as the base grid that contains it.
Overlaps are found with an STRtree over the file's grids and one over the database's, never by
comparing every pair. The file's geometries are held in memory for that check (a few hundred bytes
per grid); the rest streams.

Both kinds are all-or-nothing unless `skip_bad_rows`, idempotent (a re-run reports every feature as
unchanged and writes nothing), and write one audit row per batch (see report.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ijson
import shapely
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from civicgrid.core.errors import ServiceError

from .. import codes, services
from ..choices import AreaLevel, Crs, GridKind
from ..coords import transform_geometry
from ..error_codes import AreaErrorCode as E
from ..geometry import to_geojson
from ..models import Area, Grid
from .report import BatchAudit, ImportAborted, ImportReport, boundary_digest, file_sha256

BATCH_SIZE = 1000
QUERY_CHUNK = 900  # stays under SQLite's host-parameter limit


@dataclass
class PropertyMap:
    """Which feature property holds each field; a tuple means "the first of these that is present"."""

    code: tuple[str, ...] = ("code", "adcode")
    name: tuple[str, ...] = ("name",)
    village: tuple[str, ...] = ("village", "village_code")
    kind: tuple[str, ...] = ("kind",)
    parent: tuple[str, ...] = ("parent_grid", "parent_grid_code")

    @staticmethod
    def get(properties: dict, names: tuple[str, ...]):
        for name in names:
            if name in properties and properties[name] not in (None, ""):
                return properties[name]
        return None


def iter_features(path: Path) -> Iterator[tuple[int, dict]]:
    """(1-based feature number, feature) for each feature of a FeatureCollection, streamed."""
    if path.stat().st_size == 0:
        raise ImportAborted(E.EMPTY_FILE, _("文件为空"))
    number = 0
    with open(path, "rb") as fh:
        try:
            for feature in ijson.items(fh, "features.item", use_float=True):
                number += 1
                yield number, feature
        except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
            raise ImportAborted(
                E.MALFORMED_FILE,
                _("第 %(n)d 个要素之后 JSON 格式错误：%(error)s") % {"n": number, "error": str(exc)[:200]},
            ) from None
    if number == 0:
        raise ImportAborted(E.EMPTY_FILE, _("文件中没有要素（应为含 features 的 GeoJSON FeatureCollection）"))


def _properties(feature) -> dict:
    props = feature.get("properties") if isinstance(feature, dict) else None
    return props if isinstance(props, dict) else {}


def _geometry(feature):
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    if geometry is None:
        raise ServiceError(E.INVALID_GEOMETRY, _("要素没有几何（geometry 为空）"), field="boundary")
    return geometry


def clean_boundary(geometry, crs: str, repair: bool, report: ImportReport, number: int):
    """services.clean_boundary; with `repair`, an invalid polygon (typically a simplified published
    outline whose parts touch or cross) is mended with shapely.make_valid, keeping its polygonal
    parts, validated again, and the feature is listed as repaired."""
    try:
        return services.clean_boundary(geometry, crs)
    except ServiceError as exc:
        if not repair or exc.code != E.INVALID_GEOMETRY:
            raise
        try:
            wgs84 = geometry if crs == Crs.WGS84 else transform_geometry(geometry, crs)
            fixed = shapely.make_valid(shape(wgs84))
        except Exception:  # anything unparseable keeps the original, clearer error
            raise exc from None
        parts = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
        if not parts:
            raise
        geom = services.clean_boundary(to_geojson(shapely.union_all(parts)), Crs.WGS84)
        report.repaired.append(number)
        return geom


def _raw(value) -> str:
    return "" if value is None else str(value).strip()


def _chunks(items: list, size: int = QUERY_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _finish(report: ImportReport, *, skip_bad_rows: bool, dry_run: bool) -> bool:
    """True when the run may write."""
    return not dry_run and (skip_bad_rows or not report.errors)


# --- area boundaries --------------------------------------------------------------------------------


def import_area_boundaries(
    path,
    *,
    actor=None,
    crs="wgs84",
    props: PropertyMap | None = None,
    skip_bad_rows=False,
    dry_run=False,
    repair=False,
) -> ImportReport:
    """Set the boundaries of existing areas from a FeatureCollection (see the module docstring)."""
    path = Path(path)
    props = props or PropertyMap()
    report = ImportReport(source=path.name, row_label=_("个要素"))
    audit = BatchAudit(actor=actor, model=Area, source=path.name, sha256=file_sha256(path))
    seen: dict[str, int] = {}
    pending: list[tuple[int, str, dict]] = []
    writes = []

    def flush():
        areas = {a.code: a for a in Area.objects.filter(code__in=[code for _n, code, _g in pending])}
        changed, log = [], []
        for number, code, boundary in pending:
            area = areas.get(code)
            if area is None:
                report.reject(
                    number,
                    code,
                    ServiceError(
                        E.UNKNOWN_AREA,
                        _("区划 %(code)s 不存在，请先用 import_divisions 导入区划代码") % {"code": code},
                    ),
                )
                continue
            if area.boundary == boundary:
                report.unchanged += 1
                continue
            before = boundary_digest(area.boundary)
            area.boundary = boundary
            area.updated_at = timezone.now()
            changed.append(area)
            log.append(
                {
                    "code": code,
                    "before": {"boundary": before},
                    "after": {"boundary": boundary_digest(boundary)},
                }
            )
        writes.append((changed, log))
        pending.clear()

    with transaction.atomic():
        for number, feature in iter_features(path):
            raw = PropertyMap.get(_properties(feature), props.code)
            try:
                code = services.clean_area_code(raw)
                if code in seen:
                    raise ServiceError(E.DUPLICATE_CODE, _("代码与第 %(n)d 个要素重复") % {"n": seen[code]})
                seen[code] = number
                geom = clean_boundary(_geometry(feature), crs, repair, report, number)
            except ServiceError as exc:
                report.reject(number, _raw(raw), exc)
                continue
            pending.append((number, code, to_geojson(geom)))
            if len(pending) >= BATCH_SIZE:
                flush()
        if pending:
            flush()
        if _finish(report, skip_bad_rows=skip_bad_rows, dry_run=dry_run):
            for changed, log in writes:
                if changed:
                    Area.objects.bulk_update(changed, ["boundary", "updated_at"])
                    report.updated += len(changed)
                    audit.record(created=[], updated=log)
            report.committed = True
            if report.updated:
                services.geometry_changed()
        else:
            report.unchanged = 0
    return report


# --- grids ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class GridRow:
    number: int
    code: str
    name: str
    village_code: str
    kind: str
    parent_code: str  # "" for base grids, and for dedicated grids whose base grid is to be found
    geom: object
    extra: dict = field(default_factory=dict)  # supervision_phone / notice when the feature has them
    shrunk: object = None
    village_id: int | None = None
    village_path: str = ""


def _read_grid(
    number: int, feature, crs: str, props: PropertyMap, repair: bool, report: ImportReport
) -> GridRow:
    properties = _properties(feature)
    code = _raw(PropertyMap.get(properties, props.code))
    if not code:
        raise ServiceError(E.INVALID_GRID_CODE, _("缺少网格编码"), field="code")
    village_code = _raw(PropertyMap.get(properties, props.village)) or code[:12]
    village_code = codes.normalise(village_code)
    services.clean_grid_code(code, village_code)
    name = services.clean_name(PropertyMap.get(properties, props.name))
    kind = services.clean_kind(PropertyMap.get(properties, props.kind) or GridKind.BASE)
    parent_code = _raw(PropertyMap.get(properties, props.parent))
    if kind == GridKind.BASE and parent_code:
        raise ServiceError(E.INVALID_PARENT_GRID, _("基础网格不能有所在基础网格"), field="parent_grid")
    extra = {}
    for key in ("supervision_phone", "notice"):
        if key in properties:
            extra[key] = _raw(properties[key])
    if len(extra.get("supervision_phone", "")) > services.PHONE_MAX:
        raise ServiceError(E.PHONE_TOO_LONG, _("电话号码过长"), field="supervision_phone")
    geom = clean_boundary(_geometry(feature), crs, repair, report, number)
    return GridRow(number, code, name, village_code, kind, parent_code, geom, extra, services.shrink(geom))


class _GridCheck:
    """The whole-file checks that need every grid of the file: villages, parents, overlaps."""

    def __init__(self, rows: list[GridRow], report: ImportReport):
        self.rows = rows
        self.report = report
        self.rejected: dict[str, int] = {}

    def reject(self, row: GridRow, error: ServiceError) -> None:
        self.report.reject(row.number, row.code, error)
        self.rejected[row.code] = row.number

    def valid(self) -> list[GridRow]:
        return [r for r in self.rows if r.code not in self.rejected]

    def villages(self) -> None:
        wanted = sorted({r.village_code for r in self.rows})
        found = {}
        for chunk in _chunks(wanted):
            for area in Area.objects.filter(code__in=chunk).only(
                "pk", "code", "level", "is_active", "path", "boundary"
            ):
                found[area.code] = (area, services.shape_of(area.boundary))
        for geom in (g for _a, g in found.values() if g is not None):
            shapely.prepare(geom)
        for row in self.rows:
            area, geom = found.get(row.village_code, (None, None))
            if area is None or area.level != AreaLevel.VILLAGE or not area.is_active:
                message = (
                    _("所属村/社区 %(code)s 不存在或已撤销，请先导入区划代码")
                    if area is None or area.level == AreaLevel.VILLAGE
                    else _("%(code)s 不是村/社区，网格只能属于村/社区")
                )
                self.reject(
                    row, ServiceError(E.NOT_A_VILLAGE, message % {"code": row.village_code}, field="village")
                )
                continue
            row.village_id, row.village_path = area.pk, area.path
            error = services.grid_placement_error(
                row.shrunk, village_code=area.code, village_geom=geom, kind=GridKind.BASE
            )
            if error is not None:
                self.reject(row, error)

    def parents(self, db_grids: dict[str, tuple]) -> None:
        """Resolve and check each dedicated grid's base grid: from the file or the database."""
        file_bases = {r.code: r for r in self.valid() if r.kind == GridKind.BASE}
        base_rows = list(file_bases.values())
        base_tree = shapely.STRtree([r.geom for r in base_rows]) if base_rows else None
        db_bases = {code: g for code, g in db_grids.items() if g[1] == GridKind.BASE}
        db_base_codes = list(db_bases)
        db_tree = shapely.STRtree([db_bases[c][0] for c in db_base_codes]) if db_base_codes else None
        for row in self.valid():
            if row.kind != GridKind.DEDICATED:
                continue
            if not row.parent_code:
                candidates = []
                if base_tree is not None:
                    candidates += [base_rows[i].code for i in base_tree.query(row.shrunk, predicate="within")]
                if db_tree is not None:
                    candidates += [db_base_codes[i] for i in db_tree.query(row.shrunk, predicate="within")]
                candidates = [c for c in candidates if c[:12] == row.village_code]
                if not candidates:
                    self.reject(
                        row,
                        ServiceError(
                            E.PARENT_GRID_REQUIRED,
                            _("专属网格必须位于同一村/社区的某个基础网格之内"),
                            field="parent_grid",
                        ),
                    )
                    continue
                row.parent_code = sorted(candidates)[0]
            if row.parent_code in self.rejected:
                self.reject(
                    row,
                    ServiceError(
                        E.INVALID_PARENT_GRID,
                        _("所在基础网格 %(parent)s 在第 %(n)d 个要素被拒绝")
                        % {"parent": row.parent_code, "n": self.rejected[row.parent_code]},
                        field="parent_grid",
                    ),
                )
                continue
            parent = file_bases.get(row.parent_code)
            parent_geom = parent.geom if parent else (db_bases.get(row.parent_code) or (None,))[0]
            if parent_geom is None or row.parent_code[:12] != row.village_code:
                self.reject(
                    row,
                    ServiceError(
                        E.INVALID_PARENT_GRID,
                        _("所在基础网格 %(parent)s 不存在或不属于同一村/社区") % {"parent": row.parent_code},
                        field="parent_grid",
                    ),
                )
                continue
            error = services.grid_placement_error(
                row.shrunk,
                village_code=row.village_code,
                village_geom=None,
                kind=row.kind,
                parent_code=row.parent_code,
                parent_geom=parent_geom,
            )
            if error is not None:
                self.reject(row, error)

    def overlaps_in_file(self) -> None:
        """Pairs of the file's grids that overlap beyond the tolerance; the later feature is rejected."""
        rows = self.valid()
        if len(rows) < 2:
            return
        tree = shapely.STRtree([r.geom for r in rows])
        left, right = tree.query([r.shrunk for r in rows], predicate="intersects")
        pairs = sorted(
            {(max(i, j), min(i, j)) for i, j in zip(left.tolist(), right.tolist(), strict=True) if i != j}
        )
        for later, earlier in pairs:
            a, b = rows[later], rows[earlier]
            if a.code in self.rejected or b.code in self.rejected:
                continue
            if services.exempt_from_overlap(a.code, a.parent_code, b.code, b.parent_code):
                continue
            self.reject(a, services.overlap_error(b.code, _("第 %(n)d 个要素的") % {"n": b.number}))

    def orphans(self) -> None:
        """Dedicated grids whose base grid of the same file was rejected by a later check."""
        for row in self.valid():
            if row.kind == GridKind.DEDICATED and row.parent_code in self.rejected:
                self.reject(
                    row,
                    ServiceError(
                        E.INVALID_PARENT_GRID,
                        _("所在基础网格 %(parent)s 在第 %(n)d 个要素被拒绝")
                        % {"parent": row.parent_code, "n": self.rejected[row.parent_code]},
                        field="parent_grid",
                    ),
                )

    def overlaps_with_database(self, db_grids: dict[str, tuple]) -> None:
        rows = self.valid()
        if not rows or not db_grids:
            return
        db_codes = list(db_grids)
        tree = shapely.STRtree([db_grids[c][0] for c in db_codes])
        left, right = tree.query([r.shrunk for r in rows], predicate="intersects")
        for i, j in sorted(zip(left.tolist(), right.tolist(), strict=True)):
            row, other = rows[i], db_codes[j]
            if row.code in self.rejected:
                continue
            if services.exempt_from_overlap(row.code, row.parent_code, other, db_grids[other][2]):
                continue
            self.reject(row, services.overlap_error(other, _("数据库中的")))


def _database_grids(exclude: set[str]) -> dict[str, tuple]:
    """Active grids with a boundary that the file does not replace: code → (geom, kind, parent code)."""
    codes_all = Grid.objects.filter(is_active=True, boundary__isnull=False).values_list("code", flat=True)
    keep = [c for c in codes_all.iterator(chunk_size=5000) if c not in exclude]
    found = {}
    for chunk in _chunks(keep):
        for code, boundary, kind, parent in Grid.objects.filter(code__in=chunk).values_list(
            "code", "boundary", "kind", "parent_grid__code"
        ):
            found[code] = (services.shape_of(boundary), kind, parent or "")
    return found


def import_grids(
    path,
    *,
    actor=None,
    crs="wgs84",
    props: PropertyMap | None = None,
    skip_bad_rows=False,
    dry_run=False,
    repair=False,
) -> ImportReport:
    """Create or update master-layer grids from a FeatureCollection (see the module docstring)."""
    path = Path(path)
    props = props or PropertyMap()
    report = ImportReport(source=path.name, row_label=_("个要素"))
    rows: list[GridRow] = []
    seen: dict[str, int] = {}
    for number, feature in iter_features(path):
        raw = PropertyMap.get(_properties(feature), props.code)
        try:
            row = _read_grid(number, feature, crs, props, repair, report)
            if row.code in seen:
                raise ServiceError(
                    E.DUPLICATE_CODE, _("网格编码与第 %(n)d 个要素重复") % {"n": seen[row.code]}
                )
            seen[row.code] = number
        except ServiceError as exc:
            report.reject(number, _raw(raw), exc)
            continue
        rows.append(row)

    check = _GridCheck(rows, report)
    check.villages()
    db_grids = _database_grids(set(seen))
    check.parents(db_grids)
    check.overlaps_in_file()
    check.overlaps_with_database(db_grids)
    check.orphans()
    if not _finish(report, skip_bad_rows=skip_bad_rows, dry_run=dry_run):
        return report
    audit = BatchAudit(actor=actor, model=Grid, source=path.name, sha256=file_sha256(path))
    valid = check.valid()
    with transaction.atomic():
        parent_ids: dict[str, int] = {}
        # base grids first, so that dedicated grids can point at their parents' ids
        for kind in (GridKind.BASE, GridKind.DEDICATED):
            of_kind = [r for r in valid if r.kind == kind]
            if kind == GridKind.DEDICATED:
                wanted = sorted({r.parent_code for r in of_kind} - set(parent_ids))
                for chunk in _chunks(wanted):
                    parent_ids.update(Grid.objects.filter(code__in=chunk).values_list("code", "pk"))
            for batch in _chunks(of_kind, BATCH_SIZE):
                _write_grids(batch, parent_ids, report, audit)
        report.committed = True
        if report.created or report.updated:
            services.geometry_changed()
    return report


GRID_COMPARED = ("name", "village_id", "kind", "parent_grid_id", "boundary", "is_active")


def _write_grids(batch: list[GridRow], parent_ids: dict[str, int], report: ImportReport, audit: BatchAudit):
    existing = {g.code: g for g in Grid.objects.filter(code__in=[r.code for r in batch])}
    new, changed, created_log, updated_log = [], [], [], []
    fields: set[str] = set()
    for row in batch:
        wanted = {
            "name": row.name,
            "village_id": row.village_id,
            "kind": row.kind,
            "parent_grid_id": parent_ids.get(row.parent_code) if row.parent_code else None,
            "boundary": to_geojson(row.geom),
            "is_active": True,
            **row.extra,
        }
        grid = existing.get(row.code)
        if grid is None:
            grid = Grid(code=row.code, path=codes.grid_path(row.village_path, row.code), **wanted)
            new.append(grid)
            created_log.append(
                {
                    "code": row.code,
                    "name": row.name,
                    "village": row.village_code,
                    "kind": row.kind,
                    "parent_grid": row.parent_code,
                    "boundary": boundary_digest(wanted["boundary"]),
                }
            )
            continue
        before, after = {}, {}
        for key, value in wanted.items():
            if getattr(grid, key) != value:
                before[key], after[key] = getattr(grid, key), value
                setattr(grid, key, value)
        if not after:
            report.unchanged += 1
            continue
        if "boundary" in after:
            before["boundary"], after["boundary"] = (
                boundary_digest(before["boundary"]),
                boundary_digest(after["boundary"]),
            )
        fields.update(after)
        grid.updated_at = timezone.now()
        changed.append(grid)
        updated_log.append({"code": row.code, "before": before, "after": after})
    if new:
        Grid.objects.bulk_create(new, batch_size=BATCH_SIZE)
        for grid in new:
            if grid.pk is not None:
                parent_ids[grid.code] = grid.pk
    if changed:
        Grid.objects.bulk_update(changed, sorted(fields | {"updated_at"}))
    report.created += len(new)
    report.updated += len(changed)
    audit.record(created=created_log, updated=updated_log)
    for grid in (g for g in existing.values() if g.kind == GridKind.BASE):
        parent_ids.setdefault(grid.code, grid.pk)
