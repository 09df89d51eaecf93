"""Polygon validation and conversion between GeoJSON and shapely.

Boundaries of areas, grids and layer cells are stored as GeoJSON geometry dicts in WGS-84. Every
boundary that enters the database passes `parse_polygon`, which refuses anything a spatial index
could not answer for reliably (open or short rings, non-finite or out-of-range numbers,
self-intersections, holes outside their shell), naming the problem and where it is in Chinese.
"""

from __future__ import annotations

import math
import re

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from .coords import EARTH_RADIUS_KM


class GeometryError(ValueError):
    """A boundary that cannot be accepted; the message is translated Chinese and says why/where."""

    def __init__(self, message, code: str = "invalid_geometry"):
        self.message = message
        self.code = code
        self.field = "boundary"
        super().__init__(str(message))


# explain_validity's reasons (GEOS TopologyValidationError texts) → translated Chinese.
def _reason_text(reason: str) -> str:
    reasons = {
        "Self-intersection": _("边界自相交"),
        "Ring Self-intersection": _("环自相交"),
        "Hole lies outside shell": _("内环（洞）位于外环之外"),
        "Nested holes": _("内环（洞）相互嵌套"),
        "Interior is disconnected": _("多边形内部不连通"),
        "Nested shells": _("多面的外环相互嵌套"),
        "Duplicate Rings": _("存在重复的环"),
        "Too few points": _("点数过少"),
        "Invalid Coordinate": _("坐标无效"),
        "Ring is not closed": _("环未闭合"),
    }
    return reasons.get(reason, reason)


_EXPLANATION = re.compile(r"^(?P<reason>[^\[]+)\[(?P<x>[-+0-9.eE]+) (?P<y>[-+0-9.eE]+)\]")


def _where(prefix: str) -> str:
    return _("（%(where)s）") % {"where": prefix} if prefix else ""


def _ring_positions(ring, where: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list | tuple):
        raise GeometryError(_("环必须是坐标数组%(where)s") % {"where": _where(where)})
    points = []
    for index, position in enumerate(ring):
        if not isinstance(position, list | tuple) or len(position) < 2:
            raise GeometryError(
                _("第 %(n)d 个坐标格式错误，应为 [经度, 纬度]%(where)s")
                % {"n": index + 1, "where": _where(where)}
            )
        lon, lat = position[0], position[1]
        if (
            isinstance(lon, bool)
            or isinstance(lat, bool)
            or not isinstance(lon, int | float)
            or not isinstance(lat, int | float)
        ):
            raise GeometryError(
                _("第 %(n)d 个坐标不是数字%(where)s") % {"n": index + 1, "where": _where(where)},
                code="not_a_number",
            )
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise GeometryError(
                _("第 %(n)d 个坐标不是有限的数字%(where)s") % {"n": index + 1, "where": _where(where)},
                code="not_a_number",
            )
        if abs(lon) > 180 or abs(lat) > 90:
            raise GeometryError(
                _("第 %(n)d 个坐标 (%(lon)s, %(lat)s) 超出经纬度范围%(where)s")
                % {"n": index + 1, "lon": lon, "lat": lat, "where": _where(where)},
                code="out_of_range",
            )
        points.append((float(lon), float(lat)))
    if len(points) < 4:
        raise GeometryError(
            _("环至少需要 4 个坐标（首尾相同），实际 %(n)d 个%(where)s")
            % {"n": len(points), "where": _where(where)},
            code="too_few_points",
        )
    if points[0] != points[-1]:
        raise GeometryError(
            _("环未闭合：首坐标 %(first)s 与末坐标 %(last)s 不同%(where)s")
            % {"first": list(points[0]), "last": list(points[-1]), "where": _where(where)},
            code="ring_not_closed",
        )
    return points


def _polygon(rings, where: str) -> Polygon:
    if not isinstance(rings, list | tuple) or not rings:
        raise GeometryError(_("多边形至少需要一个外环%(where)s") % {"where": _where(where)})
    parsed = []
    for index, ring in enumerate(rings):
        label = _("外环") if index == 0 else _("第 %(n)d 个内环") % {"n": index}
        parsed.append(_ring_positions(ring, f"{where}{label}"))
    return Polygon(parsed[0], parsed[1:])


def parse_polygon(geojson) -> Polygon | MultiPolygon:
    """Validate a GeoJSON Polygon or MultiPolygon geometry dict and return it as shapely.

    Rejected with GeometryError: anything but a Polygon/MultiPolygon geometry (a Feature too: pass
    its "geometry"), rings that are not closed or have fewer than 4 positions, non-numeric,
    non-finite or out-of-range coordinates, empty or zero-area shapes, and everything GEOS calls
    invalid (self-intersections, holes outside the shell …), with the location GEOS reports.

    A clockwise exterior (or counter-clockwise hole) is accepted: ring order is not a validity
    question, and many Chinese GIS exports write clockwise shells. The result is re-oriented to
    RFC 7946 order — exterior counter-clockwise, holes clockwise — so that `to_geojson` of the
    result is always RFC 7946 conformant.
    """
    if not isinstance(geojson, dict):
        raise GeometryError(_("边界必须是 GeoJSON 几何对象"), code="wrong_type")
    kind = geojson.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise GeometryError(
            _("边界类型必须是 Polygon 或 MultiPolygon，收到“%(type)s”") % {"type": kind}, code="wrong_type"
        )
    coordinates = geojson.get("coordinates")
    if kind == "Polygon":
        geom = _polygon(coordinates, "")
    else:
        if not isinstance(coordinates, list | tuple) or not coordinates:
            raise GeometryError(_("MultiPolygon 至少需要一个多边形"))
        geom = MultiPolygon(
            [
                _polygon(part, _("第 %(n)d 个多边形的") % {"n": i + 1} if len(coordinates) > 1 else "")
                for i, part in enumerate(coordinates)
            ]
        )
    if not geom.is_valid:
        explanation = explain_validity(geom)
        match = _EXPLANATION.match(explanation)
        if match:
            raise GeometryError(
                _("多边形无效：%(reason)s，位置约在 (%(x)s, %(y)s)")
                % {"reason": _reason_text(match["reason"].strip()), "x": match["x"], "y": match["y"]},
                code="self_intersection" if "intersection" in match["reason"] else "invalid_polygon",
            )
        raise GeometryError(_("多边形无效：%(reason)s") % {"reason": _reason_text(explanation)})
    if geom.is_empty or geom.area <= 0:
        raise GeometryError(_("多边形面积为零"), code="zero_area")
    return orient(geom)


def orient(geom):
    """RFC 7946 ring order: exterior counter-clockwise, holes clockwise."""
    return shapely.orient_polygons(geom, exterior_cw=False)


def _ring_coords(ring) -> list[list[float]]:
    return shapely.get_coordinates(ring).tolist()


def to_geojson(geom) -> dict:
    """A shapely Polygon or MultiPolygon → a GeoJSON geometry dict with lists (JSON-ready)."""
    if isinstance(geom, Polygon):
        return {
            "type": "Polygon",
            "coordinates": [_ring_coords(geom.exterior), *(_ring_coords(r) for r in geom.interiors)],
        }
    if isinstance(geom, MultiPolygon):
        return {
            "type": "MultiPolygon",
            "coordinates": [to_geojson(part)["coordinates"] for part in geom.geoms],
        }
    return shapely.geometry.mapping(geom)


def _sinusoidal(coords: np.ndarray) -> np.ndarray:
    # The sinusoidal projection is equal-area, so planar area in it is the spherical area (up to
    # edges being straight in the projection rather than on the sphere: negligible for grids).
    lon = np.radians(coords[:, 0])
    lat = np.radians(coords[:, 1])
    return np.column_stack((EARTH_RADIUS_KM * lon * np.cos(lat), EARTH_RADIUS_KM * lat))


def area_km2(geom) -> float:
    """Approximate area of a WGS-84 polygon in km² (equal-area sinusoidal projection)."""
    if isinstance(geom, dict):
        geom = shapely.geometry.shape(geom)
    return float(shapely.transform(geom, _sinusoidal).area)
