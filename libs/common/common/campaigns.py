"""Which things fall in a campaign (专项整治, 联合行动, 示范创建): its categories, its area (grids, a polygon, or
named streets; none: the district) and its period. One rule for the cases that cases tags and for the
field app's 劝导 that reporting counts in a campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shapely.geometry import Point, shape

RUNNING, CLOSED = "running", "closed"


@dataclass(frozen=True)
class CampaignArea:
    """What decides whether a case falls in a campaign."""

    campaign_id: str
    starts_on: date
    ends_on: date
    categories: frozenset[str] = frozenset()  # empty: every category
    grids: frozenset[str] = frozenset()
    area: dict | None = None  # a GeoJSON polygon
    streets: tuple[str, ...] = ()
    status: str = RUNNING

    @property
    def whole_district(self) -> bool:
        return not (self.grids or self.area or self.streets)

    def covers(
        self, *, category: str, grid_id: str | None, lon: float, lat: float, address: str | None, on: date
    ) -> bool:
        """A case reported on `on` falls in the campaign: in its period, of its categories, and in its
        area (a grid of it, inside its polygon, or on one of its streets; no area: the district)."""
        if self.status != RUNNING or not (self.starts_on <= on <= self.ends_on):
            return False
        if self.categories and category not in self.categories:
            return False
        if self.whole_district:
            return True
        if grid_id is not None and grid_id in self.grids:
            return True
        if self.area is not None and shape(self.area).covers(Point(lon, lat)):
            return True
        return address is not None and any(s in address for s in self.streets if s)


def tags(campaigns: list[CampaignArea], **case: Any) -> list[str]:
    """The ids of the campaigns a case falls in, in a stable order."""
    return sorted(c.campaign_id for c in campaigns if c.covers(**case))
