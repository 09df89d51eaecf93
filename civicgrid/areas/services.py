"""The only writers of areas, grids, grid layers and layer cells.

Each `do_<verb>_<noun>` opens a transaction, validates, saves, writes the audit row (snapshot before
and after) and, when a boundary or a grid changes, tells the spatial index after commit. Bad input
raises `ServiceError(code, Chinese message, field=...)`; nothing is half-written. `actor` is the user
acting, or None for management commands (the audit row then says "system"). Permission checks are
the caller's (views load objects through `restrict`); services enforce the data's own rules.

The validators (`clean_*`, `grid_placement_error`, `shrink`) are shared with the bulk importers so
that a row imported from a file passes exactly the rules an interactive edit does.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from shapely.geometry import shape

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.core.errors import ServiceError

from . import codes, spatial_index
from .choices import AreaLevel, Crs, GridKind, UrbanRural
from .coords import CoordinateError, check_point, transform_geometry
from .error_codes import AreaErrorCode as E
from .geometry import GeometryError, parse_polygon, to_geojson
from .models import Area, AreaCodeChange, Grid, GridLayer, LayerCell

# One degree of latitude in metres: tolerances are given in metres and applied in degrees (in the
# east–west direction a degree is shorter, so the tolerance there is a little tighter, never looser).
METRES_PER_DEGREE = 111_320.0
NAME_MAX = 100
PHONE_MAX = 30


def tolerance_m() -> float:
    """How far (metres) a grid may stick out of its village or into a neighbour: digitising noise."""
    return float(settings.CIVICGRID["GRID_TOLERANCE_M"])


def tolerance_degrees() -> float:
    return tolerance_m() / METRES_PER_DEGREE


# --- validators shared with the importers ---------------------------------------------------------


def clean_area_code(value, field: str = "code") -> str:
    """A 2/4/6/9/12-digit code → the structurally valid 12-digit code, or ServiceError."""
    code = codes.normalise(str(value) if value is not None else "")
    try:
        codes.validate_structure(code)
    except codes.CodeError as exc:
        raise ServiceError(E.INVALID_CODE, str(exc), field=field) from None
    return code


def clean_name(value, field: str = "name") -> str:
    name = (value or "").strip() if isinstance(value, str) else ""
    if not name:
        raise ServiceError(E.EMPTY_NAME, _("名称不能为空"), field=field)
    if len(name) > NAME_MAX:
        raise ServiceError(
            E.NAME_TOO_LONG,
            _("名称不能超过 %(n)d 个字：“%(name)s…”") % {"n": NAME_MAX, "name": name[:20]},
            field=field,
        )
    return name


def clean_urban_rural(value, field: str = "urban_rural") -> str:
    value = (str(value) if value is not None else "").strip()
    if value and value not in UrbanRural.values:
        raise ServiceError(
            E.INVALID_URBAN_RURAL,
            _("城乡分类代码“%(value)s”无效，应为 %(choices)s 之一")
            % {"value": value, "choices": "、".join(UrbanRural.values)},
            field=field,
        )
    return value


def clean_vintage(value, field: str = "vintage") -> int:
    try:
        vintage = int(value)
    except (TypeError, ValueError):
        vintage = 0
    if not 1980 <= vintage <= 2100:
        raise ServiceError(
            E.INVALID_VINTAGE,
            _("代码版本年份“%(value)s”无效，应为 1980–2100 的年份") % {"value": value},
            field=field,
        )
    return vintage


def clean_kind(value, field: str = "kind") -> str:
    aliases = {str(label): kind for kind, label in GridKind.choices}
    kind = aliases.get(value, value)
    if kind not in GridKind.values:
        raise ServiceError(
            E.INVALID_KIND,
            _("网格类型“%(value)s”无效，应为 base（基础网格）或 dedicated（专属网格）") % {"value": value},
            field=field,
        )
    return kind


def clean_grid_code(value, village_code: str, field: str = "code") -> str:
    code = (str(value) if value is not None else "").strip()
    try:
        codes.validate_grid_code(code, village_code)
    except codes.CodeError as exc:
        raise ServiceError(E.INVALID_GRID_CODE, str(exc), field=field) from None
    return code


def _swap_hint(geometry: dict) -> CoordinateError | None:
    """The first position that looks like a swapped (lat, lon) pair, as a CoordinateError."""

    def positions(coords):
        if isinstance(coords, list | tuple) and coords and isinstance(coords[0], int | float):
            yield coords
        elif isinstance(coords, list | tuple):
            for part in coords:
                yield from positions(part)

    for position in positions(geometry.get("coordinates") if isinstance(geometry, dict) else None):
        try:
            check_point(position[0], position[1] if len(position) > 1 else None)
        except CoordinateError as exc:
            if exc.code == "coordinates_swapped":
                return exc
    return None


def clean_boundary(boundary, crs: str = Crs.WGS84, field: str = "boundary"):
    """A GeoJSON Polygon/MultiPolygon in `crs` → a valid shapely geometry in WGS-84 (RFC 7946 ring
    order), or ServiceError naming the problem. None stays None."""
    if boundary is None:
        return None
    try:
        # WGS-84 needs no transform; parse_polygon checks the structure either way.
        wgs84 = boundary if crs == Crs.WGS84 else transform_geometry(boundary, crs)
    except CoordinateError as exc:
        code = E.INVALID_CRS if exc.field == "crs" else E.INVALID_COORDINATE
        raise ServiceError(code, exc.message, field="crs" if exc.field == "crs" else field) from None
    try:
        return parse_polygon(wgs84)
    except GeometryError as exc:
        swapped = _swap_hint(boundary) if exc.code == "out_of_range" else None
        if swapped is not None:
            raise ServiceError(E.INVALID_COORDINATE, swapped.message, field=field) from None
        raise ServiceError(E.INVALID_GEOMETRY, exc.message, field=field) from None


def shape_of(boundary: dict | None):
    """A stored (already valid, WGS-84) boundary as shapely, without re-validating it."""
    if not boundary:
        return None
    return shape(boundary)


def shrink(geom):
    """The geometry pulled in by the tolerance: what must lie inside a container, and what another
    grid must not reach. A grid thinner than twice the tolerance shrinks to nothing; its
    representative point stands in for it."""
    shrunk = geom.buffer(-tolerance_degrees())
    return shrunk if not shrunk.is_empty else geom.representative_point()


def grid_placement_error(
    shrunk, *, village_code: str, village_geom, kind: str, parent_code: str = "", parent_geom=None
):
    """ServiceError when a grid (given `shrink(geom)`) leaves its village or, if dedicated, its
    parent base grid by more than the tolerance; None when it fits. Polygons missing → no check."""
    if village_geom is not None and not village_geom.covers(shrunk):
        return ServiceError(
            E.OUTSIDE_VILLAGE,
            _("网格超出所属村/社区 %(village)s 的边界（允许误差 %(m)s 米）")
            % {"village": village_code, "m": tolerance_m()},
            field="boundary",
        )
    if kind == GridKind.DEDICATED and parent_geom is not None and not parent_geom.covers(shrunk):
        return ServiceError(
            E.OUTSIDE_PARENT_GRID,
            _("专属网格超出其所在基础网格 %(parent)s 的边界") % {"parent": parent_code},
            field="boundary",
        )
    return None


def overlap_error(other_code: str, where: str = "") -> ServiceError:
    return ServiceError(
        E.GRID_OVERLAP,
        _("网格与%(where)s网格 %(other)s 重叠（超出允许误差 %(m)s 米）")
        % {"where": where, "other": other_code, "m": tolerance_m()},
        field="boundary",
    )


def exempt_from_overlap(code: str, parent_code: str, other_code: str, other_parent_code: str) -> bool:
    """A dedicated grid lies inside its parent base grid by design: that pair never overlaps."""
    return (parent_code and parent_code == other_code) or (other_parent_code and other_parent_code == code)


# --- helpers --------------------------------------------------------------------------------------


def geometry_changed() -> None:
    """Other processes rebuild their in-memory index when the version moves; only after commit, so a
    rolled-back write never invalidates anything."""
    mark = getattr(spatial_index, "mark_changed", None)
    if mark is not None:
        transaction.on_commit(mark)


IDENTITY_FIELDS = {"code", "village", "level", "parent", "path", "layer", "area"}


def _check_changes(changes: dict, allowed: set[str], identity_message) -> None:
    """Refuse keys that are not editable; identity fields get the message saying what to do instead."""
    for key in changes:
        if key not in allowed:
            message = (
                identity_message if key in IDENTITY_FIELDS else _("字段“%(field)s”不能修改") % {"field": key}
            )
            raise ServiceError(E.UNKNOWN_FIELD, message, field=key)


def _locked(model, pk):
    return model.objects.select_for_update().get(pk=pk)


# --- areas ----------------------------------------------------------------------------------------


def find_parent(code: str, level: str) -> Area | None:
    """The area directly above `code`. Required below city level; a city may stand at the top of the
    tree when its province is not loaded (the province level is optional)."""
    upper = codes.parent_code(code)
    if upper is None:
        return None
    parent = Area.objects.filter(code=upper).first()
    if parent is None and level != AreaLevel.CITY:
        raise ServiceError(
            E.UNKNOWN_PARENT,
            _("上级区划 %(parent)s 不存在，请先导入或新建上级区划") % {"parent": upper},
            field="code",
        )
    return parent


def adopt_orphan_cities(province: Area, *, actor) -> int:
    """Cities created before their province stood at the top; hang them under it now."""
    adopted = 0
    prefix = province.code[:2]
    for city in Area.objects.select_for_update().filter(
        level=AreaLevel.CITY, parent__isnull=True, code__startswith=prefix
    ):
        before = snapshot(city)
        city.parent = province
        city.save(update_fields=["parent", "updated_at"])
        record_change(
            actor=actor, action=ChangeAction.UPDATE, instance=city, before=before, after=snapshot(city)
        )
        adopted += 1
    return adopted


@transaction.atomic
def do_create_area(*, actor, code, name, vintage, urban_rural="", boundary=None, crs="wgs84") -> Area:
    """Create one division. The level, parent and path follow from the code (codes.py); the parent
    must exist except at the top of the tree. The boundary, if any, is stored in WGS-84."""
    code = clean_area_code(code)
    level = codes.level_of(code)
    name = clean_name(name)
    vintage = clean_vintage(vintage)
    urban_rural = clean_urban_rural(urban_rural)
    geom = clean_boundary(boundary, crs)
    if Area.objects.filter(code=code).exists():
        raise ServiceError(E.DUPLICATE_CODE, _("区划代码 %(code)s 已存在") % {"code": code}, field="code")
    parent = find_parent(code, level)
    area = Area.objects.create(
        code=code,
        name=name,
        vintage=vintage,
        level=level,
        urban_rural=urban_rural,
        parent=parent,
        path=codes.area_path(code),
        boundary=to_geojson(geom) if geom is not None else None,
    )
    record_change(actor=actor, action=ChangeAction.CREATE, instance=area, before=None, after=snapshot(area))
    if level == AreaLevel.PROVINCE:
        adopt_orphan_cities(area, actor=actor)
    if geom is not None:
        geometry_changed()
    return area


AREA_FIELDS = {"name", "vintage", "urban_rural", "boundary", "crs", "is_active"}


@transaction.atomic
def do_update_area(area: Area, *, actor, **changes) -> Area:
    """Change an area's name, vintage, urban–rural code, boundary (in `crs`, default WGS-84) or
    active flag. The code (and with it level, parent and path) never changes: a recoded division is
    a new area. A rename is also kept in AreaCodeChange, the history between vintages."""
    _check_changes(changes, AREA_FIELDS, _("区划代码、层级和上级由代码决定，不能修改；代码变更请新建区划"))
    area = _locked(Area, area.pk)
    before = snapshot(area)
    old_name = area.name
    fields = []
    if "name" in changes:
        area.name = clean_name(changes["name"])
        fields.append("name")
    if "vintage" in changes:
        area.vintage = clean_vintage(changes["vintage"])
        fields.append("vintage")
    if "urban_rural" in changes:
        area.urban_rural = clean_urban_rural(changes["urban_rural"])
        fields.append("urban_rural")
    geometry_changed = False
    if "boundary" in changes:
        geom = clean_boundary(changes["boundary"], changes.get("crs", Crs.WGS84))
        new = to_geojson(geom) if geom is not None else None
        geometry_changed = new != area.boundary
        area.boundary = new
        fields.append("boundary")
    if "is_active" in changes:
        active = bool(changes["is_active"])
        if not active and area.is_active:
            if area.children.filter(is_active=True).exists():
                raise ServiceError(E.HAS_CHILDREN, _("该区划还有有效的下级区划，不能撤销"), field="is_active")
            if area.grids.filter(is_active=True).exists():
                raise ServiceError(E.HAS_GRIDS, _("该区划还有有效的网格，不能撤销"), field="is_active")
        geometry_changed = geometry_changed or (active != area.is_active and area.boundary is not None)
        area.is_active = active
        fields.append("is_active")
    if not fields:
        return area
    area.save(update_fields=[*fields, "updated_at"])
    after = snapshot(area)
    record_change(actor=actor, action=ChangeAction.UPDATE, instance=area, before=before, after=after)
    if area.name != old_name:
        AreaCodeChange.objects.create(
            area=area,
            vintage=area.vintage,
            old_code=area.code,
            new_code=area.code,
            old_name=old_name,
            new_name=area.name,
        )
    if geometry_changed:
        geometry_changed()
    return area


@transaction.atomic
def do_delete_area(area: Area, *, actor) -> None:
    """Delete an area entered by mistake. Refused while it has children, grids or layer cells, or while
    other records point at it (those keep history: deactivate it with do_update_area instead)."""
    area = _locked(Area, area.pk)
    if area.children.exists():
        raise ServiceError(E.HAS_CHILDREN, _("该区划还有下级区划，不能删除"), field="code")
    if area.grids.exists():
        raise ServiceError(E.HAS_GRIDS, _("该区划还有网格，不能删除"), field="code")
    before = snapshot(area)
    had_boundary = area.boundary is not None
    try:
        with transaction.atomic():
            AreaCodeChange.objects.filter(area=area).delete()
            area.delete()
    except ProtectedError:
        raise ServiceError(
            E.IN_USE, _("该区划仍被其他记录引用，不能删除，请改为撤销"), field="code"
        ) from None
    area.pk = before["id"]
    record_change(actor=actor, action=ChangeAction.DELETE, instance=area, before=before, after=None)
    if had_boundary:
        geometry_changed()


# --- grids ----------------------------------------------------------------------------------------


def _village_for_grid(village) -> Area:
    if not isinstance(village, Area):
        raise ServiceError(E.NOT_A_VILLAGE, _("请选择所属村/社区"), field="village")
    village = _locked(Area, village.pk)  # serialises grid edits within one village
    if village.level != AreaLevel.VILLAGE:
        raise ServiceError(
            E.NOT_A_VILLAGE,
            _("网格只能属于村/社区，%(name)s 是%(level)s")
            % {"name": village.name, "level": village.get_level_display()},
            field="village",
        )
    if not village.is_active:
        raise ServiceError(
            E.NOT_A_VILLAGE, _("村/社区 %(name)s 已撤销") % {"name": village.name}, field="village"
        )
    return village


def _clean_parent_grid(kind: str, parent_grid, village: Area, own_pk=None) -> Grid | None:
    if kind == GridKind.BASE:
        if parent_grid is not None:
            raise ServiceError(E.INVALID_PARENT_GRID, _("基础网格不能有所在基础网格"), field="parent_grid")
        return None
    if parent_grid is None:
        raise ServiceError(E.PARENT_GRID_REQUIRED, _("专属网格必须指定所在的基础网格"), field="parent_grid")
    parent = Grid.objects.filter(pk=getattr(parent_grid, "pk", parent_grid)).first()
    if parent is None or parent.pk == own_pk or parent.kind != GridKind.BASE or not parent.is_active:
        raise ServiceError(E.INVALID_PARENT_GRID, _("所在基础网格必须是有效的基础网格"), field="parent_grid")
    if parent.village_id != village.pk:
        raise ServiceError(E.INVALID_PARENT_GRID, _("所在基础网格必须属于同一村/社区"), field="parent_grid")
    return parent


def _clean_phone(value, field: str = "supervision_phone") -> str:
    value = (value or "").strip()
    if len(value) > PHONE_MAX:
        raise ServiceError(
            E.PHONE_TOO_LONG, _("电话号码不能超过 %(n)d 个字符") % {"n": PHONE_MAX}, field=field
        )
    return value


def _overlap_candidates(village: Area, exclude_pk=None):
    """Active grids that might overlap a grid of `village`. A grid lies inside its village, so when
    the village has a polygon only grids of the same county can reach it (across a county line,
    only through broken village polygons); without a polygon, every grid is a candidate."""
    qs = Grid.objects.filter(is_active=True, boundary__isnull=False).select_related("parent_grid")
    if village.boundary:
        county_path = "/".join(village.path.split("/")[:3]) + "/"
        qs = qs.filter(path__startswith=county_path)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.only("pk", "code", "boundary", "parent_grid__code")


def check_grid_geometry(
    geom, *, code: str, village: Area, kind: str, parent: Grid | None, own_pk=None
) -> None:
    """Raise ServiceError when the grid leaves its village (or parent base grid) or overlaps another
    active master-layer grid by more than the tolerance."""
    shrunk = shrink(geom)
    error = grid_placement_error(
        shrunk,
        village_code=village.code,
        village_geom=shape_of(village.boundary),
        kind=kind,
        parent_code=parent.code if parent else "",
        parent_geom=shape_of(parent.boundary) if parent else None,
    )
    if error is not None:
        raise error
    parent_code = parent.code if parent else ""
    minx, miny, maxx, maxy = shrunk.bounds
    for other in _overlap_candidates(village, exclude_pk=own_pk):
        other_parent = other.parent_grid.code if other.parent_grid_id else ""
        if exempt_from_overlap(code, parent_code, other.code, other_parent):
            continue
        other_geom = shape_of(other.boundary)
        ox1, oy1, ox2, oy2 = other_geom.bounds
        if ox1 > maxx or ox2 < minx or oy1 > maxy or oy2 < miny:
            continue
        if shrunk.intersects(other_geom):
            raise overlap_error(other.code)


@transaction.atomic
def do_create_grid(
    *,
    actor,
    village,
    code,
    name,
    kind="base",
    boundary=None,
    crs="wgs84",
    parent_grid=None,
    supervision_phone="",
    notice="",
) -> Grid:
    """Create a master-layer grid in a village. The code is the village code plus a serial of
    GRID_SERIAL_WIDTH digits; a dedicated grid (专属网格) names its parent base grid and lies inside
    it; the polygon must be valid, inside the village and clear of other active grids."""
    village = _village_for_grid(village)
    code = clean_grid_code(code, village.code)
    name = clean_name(name)
    kind = clean_kind(kind)
    parent = _clean_parent_grid(kind, parent_grid, village)
    supervision_phone = _clean_phone(supervision_phone)
    if Grid.objects.filter(code=code).exists():
        raise ServiceError(E.DUPLICATE_CODE, _("网格编码 %(code)s 已存在") % {"code": code}, field="code")
    geom = clean_boundary(boundary, crs)
    if geom is not None:
        check_grid_geometry(geom, code=code, village=village, kind=kind, parent=parent)
    grid = Grid.objects.create(
        code=code,
        name=name,
        village=village,
        path=codes.grid_path(village.path, code),
        kind=kind,
        parent_grid=parent,
        boundary=to_geojson(geom) if geom is not None else None,
        supervision_phone=supervision_phone,
        notice=(notice or "").strip(),
    )
    record_change(actor=actor, action=ChangeAction.CREATE, instance=grid, before=None, after=snapshot(grid))
    geometry_changed()
    return grid


GRID_FIELDS = {"name", "kind", "parent_grid", "boundary", "crs", "supervision_phone", "notice", "is_active"}


@transaction.atomic
def do_update_grid(grid: Grid, *, actor, **changes) -> Grid:
    """Change a grid's name, kind and parent base grid, boundary, public notice or active flag. The
    placement rules are checked again whenever the shape, kind, parent or active flag changes. Code
    and village never change: renumbering is a new grid (cases keep pointing at the old one)."""
    _check_changes(changes, GRID_FIELDS, _("网格编码和所属村/社区不能修改，请新建网格并停用旧网格"))
    grid = _locked(Grid, grid.pk)
    village = _village_for_grid(grid.village)
    before = snapshot(grid)
    fields = []
    if "name" in changes:
        grid.name = clean_name(changes["name"])
        fields.append("name")
    if "kind" in changes:
        grid.kind = clean_kind(changes["kind"])
        fields.append("kind")
    if "kind" in changes or "parent_grid" in changes:
        requested = changes.get("parent_grid", grid.parent_grid if grid.kind == GridKind.DEDICATED else None)
        grid.parent_grid = _clean_parent_grid(grid.kind, requested, village, own_pk=grid.pk)
        if grid.kind == GridKind.DEDICATED and grid.dedicated_grids.exists():
            raise ServiceError(E.INVALID_KIND, _("该网格内还有专属网格，不能改为专属网格"), field="kind")
        fields.append("parent_grid")
    if "boundary" in changes:
        geom = clean_boundary(changes["boundary"], changes.get("crs", Crs.WGS84))
        grid.boundary = to_geojson(geom) if geom is not None else None
        fields.append("boundary")
    for key in ("supervision_phone", "notice"):
        if key in changes:
            setattr(
                grid,
                key,
                _clean_phone(changes[key]) if key == "supervision_phone" else (changes[key] or "").strip(),
            )
            fields.append(key)
    if "is_active" in changes:
        active = bool(changes["is_active"])
        if not active and grid.dedicated_grids.filter(is_active=True).exists():
            raise ServiceError(E.HAS_GRIDS, _("请先停用该网格内的专属网格"), field="is_active")
        grid.is_active = active
        fields.append("is_active")
    if not fields:
        return grid
    placement = {"boundary", "kind", "parent_grid", "is_active"} & set(fields)
    if placement and grid.is_active and grid.boundary is not None:
        check_grid_geometry(
            shape_of(grid.boundary),
            code=grid.code,
            village=village,
            kind=grid.kind,
            parent=grid.parent_grid,
            own_pk=grid.pk,
        )
    grid.save(update_fields=[*fields, "updated_at"])
    record_change(actor=actor, action=ChangeAction.UPDATE, instance=grid, before=before, after=snapshot(grid))
    if placement:
        geometry_changed()
    return grid


@transaction.atomic
def do_delete_grid(grid: Grid, *, actor) -> None:
    """Delete a grid entered by mistake. Refused while dedicated grids lie in it or other records
    (cases, assignments) point at it; deactivate it instead, which keeps history."""
    grid = _locked(Grid, grid.pk)
    if grid.dedicated_grids.exists():
        raise ServiceError(E.HAS_GRIDS, _("该网格内还有专属网格，不能删除"), field="code")
    before = snapshot(grid)
    try:
        with transaction.atomic():
            grid.workers.clear()
            grid.layer_cells.clear()
            grid.delete()
    except ProtectedError:
        raise ServiceError(
            E.IN_USE, _("该网格仍被其他记录引用，不能删除，请改为停用"), field="code"
        ) from None
    grid.pk = before["id"]
    record_change(actor=actor, action=ChangeAction.DELETE, instance=grid, before=before, after=None)
    geometry_changed()


@transaction.atomic
def do_set_grid_workers(grid: Grid, users, *, actor) -> Grid:
    """Replace the grid's workers (网格员), whose names and phones are the grid's public notice."""
    grid = _locked(Grid, grid.pk)
    users = list(users)
    for user in users:
        if not getattr(user, "is_active", False) or user.pk is None:
            raise ServiceError(
                E.INACTIVE_USER, _("用户 %(user)s 已停用，不能担任网格员") % {"user": user}, field="workers"
            )
    before = snapshot(grid, fields=["workers"])
    grid.workers.set(users)
    record_change(
        actor=actor,
        action=ChangeAction.UPDATE,
        instance=grid,
        before=before,
        after=snapshot(grid, fields=["workers"]),
    )
    return grid


# --- layers and cells (多网合一) -------------------------------------------------------------------


@transaction.atomic
def do_create_layer(*, actor, code, name, is_master=False, description="") -> GridLayer:
    """A grid layer. The master (综治网格) holds `Grid`s; there is exactly one; specialised layers
    (城管, 应急, 市场监管 …) hold cells mapped onto master grids."""
    code = (code or "").strip()
    try:
        validate_slug(code)
    except ValidationError:
        raise ServiceError(
            E.INVALID_LAYER_CODE, _("图层代码只能由字母、数字、下划线和连字符组成"), field="code"
        ) from None
    name = clean_name(name)
    if GridLayer.objects.filter(code=code).exists():
        raise ServiceError(E.DUPLICATE_CODE, _("图层代码 %(code)s 已存在") % {"code": code}, field="code")
    if is_master and GridLayer.objects.filter(is_master=True).exists():
        raise ServiceError(E.MASTER_LAYER_EXISTS, _("主图层已存在，只能有一个"), field="is_master")
    layer = GridLayer.objects.create(
        code=code, name=name, is_master=bool(is_master), description=description or ""
    )
    record_change(actor=actor, action=ChangeAction.CREATE, instance=layer, before=None, after=snapshot(layer))
    return layer


def _master_grids_for(cell_geom, area: Area) -> list[Grid]:
    """Active master grids under the cell's area that the cell covers more than the tolerance of."""
    shrunk = shrink(cell_geom)
    found = []
    for grid in Grid.objects.filter(is_active=True, boundary__isnull=False, path__startswith=area.path):
        if shrunk.intersects(shape_of(grid.boundary)):
            found.append(grid)
    return found


def _clean_master_grids(master_grids, area: Area) -> list[Grid]:
    grids = list(master_grids)
    for grid in grids:
        if not isinstance(grid, Grid) or not grid.is_active or not grid.path.startswith(area.path):
            raise ServiceError(
                E.INVALID_PARENT_GRID,
                _("对应主网格必须是所属区划内的有效网格：%(grid)s") % {"grid": grid},
                field="master_grids",
            )
    return grids


@transaction.atomic
def do_create_cell(
    *, actor, layer, code, name, area, boundary=None, crs="wgs84", master_grids=None
) -> LayerCell:
    """A cell of a specialised layer. Its master grids are given, or (with a boundary) computed as the
    active master grids under its area that it overlaps beyond the tolerance."""
    if layer.is_master:
        raise ServiceError(E.MASTER_LAYER_CELL, _("主图层的单元就是网格，请新建网格"), field="layer")
    code = (str(code) if code is not None else "").strip()
    if not code or len(code) > 32:
        raise ServiceError(E.INVALID_CODE, _("单元编码不能为空且不超过 32 个字符"), field="code")
    name = clean_name(name)
    if LayerCell.objects.filter(layer=layer, code=code).exists():
        raise ServiceError(
            E.DUPLICATE_CODE, _("单元编码 %(code)s 在该图层已存在") % {"code": code}, field="code"
        )
    geom = clean_boundary(boundary, crs)
    if master_grids is not None:
        grids = _clean_master_grids(master_grids, area)
    else:
        grids = _master_grids_for(geom, area) if geom is not None else []
    cell = LayerCell.objects.create(
        layer=layer,
        code=code,
        name=name,
        area=area,
        path=area.path,
        boundary=to_geojson(geom) if geom is not None else None,
    )
    cell.master_grids.set(grids)
    record_change(actor=actor, action=ChangeAction.CREATE, instance=cell, before=None, after=snapshot(cell))
    return cell


@transaction.atomic
def do_update_cell(cell: LayerCell, *, actor, **changes) -> LayerCell:
    """Rename a cell, redraw it (its master grids are recomputed unless given) or remap it."""
    _check_changes(
        changes, {"name", "boundary", "crs", "master_grids"}, _("单元的图层、编码和所属区划不能修改")
    )
    cell = _locked(LayerCell, cell.pk)
    before = snapshot(cell)
    fields = []
    if "name" in changes:
        cell.name = clean_name(changes["name"])
        fields.append("name")
    grids = None
    if "boundary" in changes:
        geom = clean_boundary(changes["boundary"], changes.get("crs", Crs.WGS84))
        cell.boundary = to_geojson(geom) if geom is not None else None
        fields.append("boundary")
        if "master_grids" not in changes:
            grids = _master_grids_for(geom, cell.area) if geom is not None else []
    if "master_grids" in changes:
        grids = _clean_master_grids(changes["master_grids"], cell.area)
    if fields:
        cell.save(update_fields=[*fields, "updated_at"])
    if grids is not None:
        cell.master_grids.set(grids)
    record_change(actor=actor, action=ChangeAction.UPDATE, instance=cell, before=before, after=snapshot(cell))
    return cell
