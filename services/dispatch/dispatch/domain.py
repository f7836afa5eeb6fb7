"""Dispatch's rules: a point decides the grid, the grid decides the squad (网格化管理)."""
from __future__ import annotations

from dataclasses import dataclass

from shapely import STRtree
from shapely.geometry import Point, shape


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
