"""Coordinates: the three reference systems an input may declare, and the checks every point passes.

Everything is stored in WGS-84. Chinese web maps publish coordinates in two obfuscated systems:
GCJ-02 (国测局坐标, used by 高德 and 腾讯) and BD-09 (百度), which is a further shift of GCJ-02.

GCJ-02 is defined only forwards (WGS-84 → GCJ-02) by the published polynomial on the Krasovsky
ellipsoid; the inverse has no closed form, so `to_wgs84` inverts it by fixed-point iteration until
the forward image of the estimate matches the input to 1e-9°, which leaves the WGS-84 result
within ~1e-7° of the true one. The offset applies only inside China's bounding box; outside it
GCJ-02 is WGS-84. BD-09 goes through GCJ-02, and its inverse is iterated the same way (the usual
closed-form "inverse" is off by up to ~1e-5°).

All transforms accept floats or numpy arrays, so a polygon's ring is converted in one pass.
"""

from __future__ import annotations

import decimal
import math
import numbers

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from .choices import Crs

# Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it.
_A = 6378245.0
_EE = 0.00669342162296594323
# BD-09's rotation constant.
_X_PI = math.pi * 3000.0 / 180.0
# China's bounding box as used by the GCJ-02 formula's published implementations.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
# Iteration bounds for the inverses: converges in 3–5 rounds; the cap only guards odd inputs.
_INVERSE_TOLERANCE = 1e-9
_INVERSE_MAX_ROUNDS = 30
EARTH_RADIUS_KM = 6371.0088


class CoordinateError(ValueError):
    """A coordinate that cannot be accepted. `field` is "lon", "lat", "crs" or "coordinates"
    (the pair as a whole); `code` is stable for machines; the message is translated Chinese."""

    def __init__(self, message, field: str = "coordinates", code: str = "invalid_coordinates"):
        self.message = message
        self.field = field
        self.code = code
        super().__init__(str(message))


# --- GCJ-02 and BD-09 ---------------------------------------------------------------------------


def _in_china(lon, lat):
    """True (elementwise) where the GCJ-02 offset applies."""
    return (lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1]) & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1])


def _gcj_delta(lon, lat):
    """The GCJ-02 offset (dlon, dlat) in degrees at a WGS-84 point; numpy in, numpy out."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    t_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + common
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    t_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + common
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (t_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (t_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, d_lon, 0.0), np.where(inside, d_lat, 0.0)


def wgs84_to_gcj02(lon, lat):
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lon, d_lat = _gcj_delta(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon, lat):
    """Iterative inverse: find w with wgs84_to_gcj02(w) == (lon, lat)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = lon.copy(), lat.copy()
    for _round in range(_INVERSE_MAX_ROUNDS):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = g_lon - lon, g_lat - lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if (
            np.max(np.abs(e_lon), initial=0.0) < _INVERSE_TOLERANCE
            and np.max(np.abs(e_lat), initial=0.0) < _INVERSE_TOLERANCE
        ):
            break
    return w_lon, w_lat


def gcj02_to_bd09(lon, lat):
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat):
    """The published closed-form step, then fixed-point refinement against the forward formula."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    g_lon, g_lat = z * np.cos(theta), z * np.sin(theta)
    for _round in range(_INVERSE_MAX_ROUNDS):
        b_lon, b_lat = gcj02_to_bd09(g_lon, g_lat)
        e_lon, e_lat = b_lon - lon, b_lat - lat
        g_lon = g_lon - e_lon
        g_lat = g_lat - e_lat
        if (
            np.max(np.abs(e_lon), initial=0.0) < _INVERSE_TOLERANCE
            and np.max(np.abs(e_lat), initial=0.0) < _INVERSE_TOLERANCE
        ):
            break
    return g_lon, g_lat


def _check_crs(crs) -> str:
    if crs not in Crs.values:
        raise CoordinateError(
            _("坐标系“%(crs)s”无效，应为 %(choices)s 之一") % {"crs": crs, "choices": "、".join(Crs.values)},
            field="crs",
            code="invalid_crs",
        )
    return crs


def _scalar_pair(lon, lat):
    if np.ndim(lon) == 0:
        return float(lon), float(lat)
    return lon, lat


def to_wgs84(lon, lat, crs="wgs84"):
    """Convert a point (floats) or many points (numpy arrays) from `crs` to WGS-84."""
    crs = _check_crs(crs)
    if crs == Crs.WGS84:
        return _scalar_pair(lon, lat)
    if crs == Crs.BD09:
        lon, lat = bd09_to_gcj02(lon, lat)
    return _scalar_pair(*gcj02_to_wgs84(lon, lat))


def from_wgs84(lon, lat, crs="wgs84"):
    """Convert a WGS-84 point (or numpy arrays of points) to `crs`, e.g. to hand to a Chinese web map."""
    crs = _check_crs(crs)
    if crs == Crs.WGS84:
        return _scalar_pair(lon, lat)
    lon, lat = wgs84_to_gcj02(lon, lat)
    if crs == Crs.BD09:
        lon, lat = gcj02_to_bd09(lon, lat)
    return _scalar_pair(lon, lat)


def _transform_positions(positions, crs):
    """A list of [lon, lat(, alt)] positions → the same in WGS-84 (altitude kept)."""
    try:
        array = np.array([[p[0], p[1]] for p in positions], dtype=float)
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise CoordinateError(_("坐标格式错误：每个位置应为 [经度, 纬度]"), field="coordinates") from exc
    if array.size == 0:
        return []
    lon, lat = to_wgs84(array[:, 0], array[:, 1], crs)
    out = []
    for i, position in enumerate(positions):
        out.append([float(lon[i]), float(lat[i]), *position[2:]])
    return out


def _transform_coordinates(coordinates, depth, crs):
    if not isinstance(coordinates, list | tuple):
        raise CoordinateError(_("坐标格式错误：coordinates 应为数组"), field="coordinates")
    if depth == 0:
        return _transform_positions([coordinates], crs)[0]
    if depth == 1:
        return _transform_positions(coordinates, crs)
    return [_transform_coordinates(part, depth - 1, crs) for part in coordinates]


_NESTING = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def transform_geometry(geometry: dict, crs="wgs84") -> dict:
    """A GeoJSON geometry in `crs` → a new GeoJSON geometry in WGS-84 (the input is not modified)."""
    _check_crs(crs)
    if not isinstance(geometry, dict):
        raise CoordinateError(_("几何格式错误：应为 GeoJSON 几何对象"), field="coordinates")
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        return {
            "type": kind,
            "geometries": [transform_geometry(g, crs) for g in geometry.get("geometries") or []],
        }
    if kind not in _NESTING:
        raise CoordinateError(
            _("几何类型“%(type)s”无法识别") % {"type": kind}, field="coordinates", code="invalid_geometry"
        )
    coordinates = geometry.get("coordinates")
    converted = _transform_coordinates(coordinates, _NESTING[kind], crs)
    return {**geometry, "coordinates": converted}


# --- checks -------------------------------------------------------------------------------------


def _number(value, field: str) -> float:
    if isinstance(value, bool) or value is None:
        raise CoordinateError(
            _("%(name)s必须是数字") % {"name": _label(field)}, field=field, code="not_a_number"
        )
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise CoordinateError(
                _("%(name)s必须是数字，收到“%(value)s”") % {"name": _label(field), "value": value[:40]},
                field=field,
                code="not_a_number",
            ) from None
    elif not isinstance(value, numbers.Real | decimal.Decimal):
        raise CoordinateError(
            _("%(name)s必须是数字") % {"name": _label(field)}, field=field, code="not_a_number"
        )
    value = float(value)
    if not math.isfinite(value):
        raise CoordinateError(
            _("%(name)s必须是有限的数字") % {"name": _label(field)}, field=field, code="not_a_number"
        )
    return value


def _label(field: str) -> str:
    return _("经度") if field == "lon" else _("纬度")


def check_point(lon, lat) -> tuple[float, float]:
    """Raise CoordinateError unless (lon, lat) is a pair of finite numbers in range; return them as
    floats. Numeric strings (query parameters) are accepted. A latitude beyond ±90 whose longitude
    would be a valid latitude is reported as a probable swap."""
    lon = _number(lon, "lon")
    lat = _number(lat, "lat")
    if abs(lat) > 90 and abs(lat) <= 180 and abs(lon) <= 90:
        raise CoordinateError(
            _("纬度 %(lat)s 超出 −90～90，经纬度可能颠倒（应为 经度, 纬度 的顺序）") % {"lat": lat},
            field="coordinates",
            code="coordinates_swapped",
        )
    if abs(lon) > 180:
        raise CoordinateError(
            _("经度 %(lon)s 超出 −180～180") % {"lon": lon}, field="lon", code="out_of_range"
        )
    if abs(lat) > 90:
        raise CoordinateError(_("纬度 %(lat)s 超出 −90～90") % {"lat": lat}, field="lat", code="out_of_range")
    return lon, lat


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d_lat = p2 - p1
    d_lon = math.radians(lon2 - lon1)
    h = math.sin(d_lat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_to_extent_km(lon: float, lat: float, extent) -> float:
    """Distance from a point to a (minx, miny, maxx, maxy) box: 0 inside, else to the nearest edge
    point (clamping is exact enough at the scale of a jurisdiction margin)."""
    minx, miny, maxx, maxy = extent
    near_lon = min(max(lon, minx), maxx)
    near_lat = min(max(lat, miny), maxy)
    if near_lon == lon and near_lat == lat:
        return 0.0
    return haversine_km(lon, lat, near_lon, near_lat)


def jurisdiction_margin_km() -> float:
    return float(settings.CIVICGRID["JURISDICTION_MARGIN_KM"])


_FROM_INDEX = object()  # default of check_in_jurisdiction's `extent`: ask the spatial index


def check_in_jurisdiction(lon: float, lat: float, extent=_FROM_INDEX) -> None:
    """Raise CoordinateError when the WGS-84 point lies further than JURISDICTION_MARGIN_KM from the
    extent of all area and grid boundaries (taken from the spatial index, so this costs no query).
    With no boundaries at all there is nothing to compare with, so every point passes. When the
    swapped pair would lie inside, the message says the coordinates are probably swapped.
    `extent` (minx, miny, maxx, maxy), or None for "no boundaries", overrides the index's."""
    if extent is _FROM_INDEX:
        from .spatial_index import get_index  # the index imports nothing from here; late to keep it so

        extent = get_index().extent
    if extent is None:
        return
    margin = jurisdiction_margin_km()
    distance = distance_to_extent_km(lon, lat, extent)
    if distance <= margin:
        return
    if abs(lon) <= 90 and distance_to_extent_km(lat, lon, extent) <= margin:
        raise CoordinateError(
            _("坐标 (%(lon)s, %(lat)s) 远在辖区之外，经纬度可能颠倒（应为 经度, 纬度 的顺序）")
            % {"lon": lon, "lat": lat},
            field="coordinates",
            code="coordinates_swapped",
        )
    raise CoordinateError(
        _("坐标 (%(lon)s, %(lat)s) 距辖区范围约 %(km).0f 公里，超出允许的 %(margin).0f 公里")
        % {"lon": lon, "lat": lat, "km": distance, "margin": margin},
        field="coordinates",
        code="out_of_jurisdiction",
    )
