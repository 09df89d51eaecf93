"""Areas and grids as GeoJSON FeatureCollections, for `manage.py export_geojson`, the web and the API.

Properties are what identifies and links a place and what `import_geojson` reads back, so an export
re-imports into another installation unchanged: areas carry code, name, level, parent (code of the
level above), urban_rural and vintage; grids carry code, name, kind, village (code), parent_grid
(code of the base grid of a dedicated grid), supervision_phone and notice. Grid workers' names and
phones are left out on purpose (personal data; the public notice is on the grid page).
Geometries are WGS-84 (RFC 7946); a place without a boundary has `"geometry": null`.
`write_feature_collection` streams, one feature per line, so exporting 50,000 grids needs no more
memory than one page of rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from .codes import area_path, normalise, parent_code
from .models import Area, Grid

PAGE = 2000


def area_feature(area: Area) -> dict:
    return {
        "type": "Feature",
        "id": area.code,
        "geometry": area.boundary or None,
        "properties": {
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "parent": parent_code(area.code) if area.parent_id else None,
            "urban_rural": area.urban_rural,
            "vintage": area.vintage,
        },
    }


def grid_feature(grid: Grid, parent_codes: dict[int, str] | None = None) -> dict:
    parent = None
    if grid.parent_grid_id:
        parent = parent_codes.get(grid.parent_grid_id) if parent_codes is not None else grid.parent_grid.code
    return {
        "type": "Feature",
        "id": grid.code,
        "geometry": grid.boundary or None,
        "properties": {
            "code": grid.code,
            "name": grid.name,
            "kind": grid.kind,
            "village": grid.code[:12],  # a grid code starts with its village's 12-digit code
            "parent_grid": parent,
            "supervision_phone": grid.supervision_phone,
            "notice": grid.notice,
        },
    }


def areas_queryset(under: str | None = None, active_only: bool = True):
    """Areas at and below the area `under` (a code, short forms accepted), in code order."""
    qs = Area.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    if under:
        qs = qs.filter(path__startswith=_path_of(under))
    return qs.order_by("code")


def grids_queryset(under: str | None = None, active_only: bool = True):
    qs = Grid.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    if under:
        qs = qs.filter(path__startswith=_path_of(under))
    return qs.order_by("code")


def _path_of(code: str) -> str:
    code = normalise(code)
    area = Area.objects.filter(code=code).only("path").first()
    return area.path if area is not None else area_path(code)


def iter_area_features(queryset) -> Iterator[dict]:
    for area in queryset.iterator(chunk_size=PAGE):
        yield area_feature(area)


def iter_grid_features(queryset) -> Iterator[dict]:
    # Parent base grids by id, fetched once per page rather than once per dedicated grid.
    parents = dict(
        Grid.objects.filter(kind="base", dedicated_grids__isnull=False).values_list("pk", "code").distinct()
    )
    for grid in queryset.iterator(chunk_size=PAGE):
        yield grid_feature(grid, parents)


def feature_collection(features: Iterable[dict]) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def export_areas(under: str | None = None) -> dict:
    """A FeatureCollection of the active areas under `under` (all when None)."""
    return feature_collection(iter_area_features(areas_queryset(under)))


def export_grids(under: str | None = None) -> dict:
    """A FeatureCollection of the active grids under the area `under` (all when None)."""
    return feature_collection(iter_grid_features(grids_queryset(under)))


def write_feature_collection(features: Iterable[dict], fh) -> int:
    """Stream a FeatureCollection to a text file, one feature per line; returns the feature count."""
    fh.write('{"type":"FeatureCollection","features":[\n')
    count = 0
    for feature in features:
        fh.write(
            ("" if count == 0 else ",\n") + json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
        )
        count += 1
    fh.write("\n]}\n")
    return count
