"""Areas and grids as RFC 7946 GeoJSON Features, for the map, the API and exports.

Properties carry only what identifies and links a place (id, code, name, level or kind, the code of
the place above, the page URL). Grid workers' names and phones are deliberately absent: the public
notice (公示) is shown on the grid page, not shipped in bulk in map data.
Geometries are stored as WGS-84 GeoJSON dicts already, so they are passed through; a place without a
boundary becomes a Feature with `"geometry": null`, which RFC 7946 §3.2 allows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.urls import reverse

from .codes import parent_code

# A village code is always the first 12 digits of a grid code (GLOSSARY: village code + serial), so
# the village's code is known without loading the village row — no extra query per grid.
VILLAGE_CODE_DIGITS = 12


# Reversing a URL costs ~60 µs; a map of thousands of grids reverses one template and fills it in.
_CODE_SLOT = "__code__"


def area_url(code: str) -> str:
    return reverse("areas:detail", kwargs={"code": code})


def grid_url(code: str) -> str:
    return reverse("areas:grid", kwargs={"code": code})


def grid_url_template() -> str:
    """The grid page URL with a slot for the code; fill with `.replace("__code__", code)`."""
    return grid_url(_CODE_SLOT)


def area_feature(area) -> dict:
    """One `Area` as a Feature; `parent` is the code of the level directly above (None at the top)."""
    return {
        "type": "Feature",
        "id": area.code,
        "geometry": area.boundary or None,
        "properties": {
            "id": area.pk,
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "parent": parent_code(area.code) if area.parent_id else None,
            "url": area_url(area.code),
        },
    }


def grid_feature(grid, url_template: str | None = None) -> dict:
    """One `Grid` as a Feature; `village` is the code of the village/community it belongs to.
    `grid` may be a model instance or any row with pk, code, name, kind and boundary attributes
    (such as `values_list(..., named=True)`); `url_template` comes from `grid_url_template()`."""
    url = url_template.replace(_CODE_SLOT, grid.code) if url_template else grid_url(grid.code)
    return {
        "type": "Feature",
        "id": grid.code,
        "geometry": grid.boundary or None,
        "properties": {
            "id": grid.pk,
            "code": grid.code,
            "name": grid.name,
            "kind": grid.kind,
            "village": grid.code[:VILLAGE_CODE_DIGITS],
            "url": url,
        },
    }


def grid_features(grids: Iterable) -> list[dict]:
    """Features for many grids, reversing the page URL once."""
    template = grid_url_template()
    return [grid_feature(grid, template) for grid in grids]


def feature_collection(features: Iterable[dict]) -> dict:
    """Wrap Features in a FeatureCollection (coordinates are WGS-84 lon/lat, RFC 7946 §4)."""
    return {"type": "FeatureCollection", "features": list(features)}


def grid_collection_json(rows: Iterable, extra: dict | None = None) -> str:
    """The FeatureCollection of `grid_features(rows)` as JSON text, built without decoding and
    re-encoding each boundary: `rows` carry `boundary_json`, the stored GeoJSON geometry as text
    (or None). For a township map this halves the server's time. `extra` adds foreign members."""
    template = grid_url_template()
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    parts = []
    for row in rows:
        properties = {
            "id": row.pk,
            "code": row.code,
            "name": row.name,
            "kind": row.kind,
            "village": row.code[:VILLAGE_CODE_DIGITS],
            "url": template.replace(_CODE_SLOT, row.code),
        }
        geometry = row.boundary_json if row.boundary_json and row.boundary_json != "null" else "null"
        parts.append(
            f'{{"type":"Feature","id":{dumps(row.code)},"geometry":{geometry},"properties":{dumps(properties)}}}'
        )
    members = "".join(f",{dumps(k)}:{dumps(v)}" for k, v in (extra or {}).items())
    return f'{{"type":"FeatureCollection","features":[{",".join(parts)}]{members}}}'
