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
