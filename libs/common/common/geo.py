"""Geometry every service shares: distances on the ground between WGS84 points, and the district's
grids (网格) indexed for "which grid holds this point"."""

from __future__ import annotations

import math
from dataclasses import dataclass

from shapely import STRtree
from shapely.geometry import Point, shape

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
