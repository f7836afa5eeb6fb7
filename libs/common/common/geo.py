"""Geometry every service shares: distances on the ground between WGS84 points, and the district's
grids (网格) indexed for "which grid holds this point"."""

from __future__ import annotations

import math
from dataclasses import dataclass

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.validation import explain_validity

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def parse_point(value: str, name: str = "near") -> tuple[float, float]:
    """`lon,lat` (WGS84) from a query parameter; ValueError saying what was wrong."""
    try:
        lon, lat = (float(v) for v in value.split(","))
    except ValueError:
        raise ValueError(f"{name}={value!r}: give lon,lat (WGS84), e.g. {name}=113.6185,34.7432") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"{name}={value!r}: not a WGS84 position")
    return lon, lat


# -- GCJ-02 (国测局坐标): the published forward transform; the inverse by fixed-point iteration to
# under a millimetre. Outside mainland China GCJ-02 equals WGS84.

A = 6378245.0  # Krasovsky 1940 semi-major axis, as the algorithm uses
EE = 0.00669342162296594323


def out_of_china(lon: float, lat: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if out_of_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """The WGS84 point whose GCJ-02 is the one given (iterated until it is within 1e-9°)."""
    if out_of_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        if abs(dlon) < 1e-9 and abs(dlat) < 1e-9:
            break
        wlon, wlat = wlon - dlon, wlat - dlat
    return wlon, wlat


@dataclass(frozen=True)
class GridArea:
    grid_id: str
    name: str
    squad_id: str
    squad_name: str
    geometry: dict
    version: int = 1
    """the grid's version in force (a bureau redraws grids: PUT /v1/grids/{id})"""
    office: str | None = None
    """the 办事处 the grid belongs to"""
    office_id: str | None = None
    keeper_name: str | None = None
    """the grid's 责任人"""


class GridMap:
    """All grids, indexed for point lookups. Grids do not overlap; on a shared border the grid
    listed first wins."""

    def __init__(self, grids: list[GridArea]) -> None:
        self.grids = grids
        self._shapes = [shape(g.geometry) for g in grids]
        self._index = STRtree(self._shapes) if grids else None

    def grid_for(self, lon: float, lat: float) -> GridArea | None:
        if self._index is None:
            return None
        point = Point(lon, lat)
        hits = sorted(int(i) for i in self._index.query(point, predicate="intersects"))
        return self.grids[hits[0]] if hits else None


def polygon_problem(geometry: dict) -> str | None:
    """Why `geometry` is not a grid's area (a GeoJSON Polygon in WGS84, closed, not crossing
    itself), or None."""
    if geometry.get("type") != "Polygon":
        return f"polygon: a GeoJSON Polygon is expected, not {geometry.get('type')!r}"
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings:
        return "polygon: coordinates must be a list of rings"
    for i, ring in enumerate(rings):
        if not isinstance(ring, list) or len(ring) < 4:
            return f"polygon: ring {i} needs at least 4 positions (the first repeated last)"
        for p in ring:
            if not (isinstance(p, list | tuple) and len(p) >= 2 and all(isinstance(v, int | float) for v in p[:2])):
                return f"polygon: ring {i} has a position that is not [lon, lat]: {p!r}"
            if not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
                return f"polygon: ring {i} has {p!r}, outside WGS84 [lon, lat]"
        if list(ring[0][:2]) != list(ring[-1][:2]):
            return f"polygon: ring {i} is not closed (its last position must repeat the first)"
    shp = shape(geometry)
    if not shp.is_valid:
        return f"polygon: not a valid polygon ({explain_validity(shp)})"
    if shp.area == 0:
        return "polygon: it encloses no area"
    return None
