"""便民疏导点 (designated points for vendors): breakfast points, shoe repair, loading points, night
markets, farmers selling their own produce (seed 002: 190+ loading points approved on a
merchant's application after a joint survey, 182 breakfast points, 27 shoe-repair points).

A point is applied for, surveyed jointly by several departments (each records its opinion), then
approved or refused with a reason. Rules of ours, each a setting: no point within
`LEDGER_POINT_SCHOOL_DISTANCE_M` (100) of a school gate, refused with the distance; approval
needs the opinions of at least `LEDGER_POINT_SURVEY_DEPARTMENTS` (2) departments and none
against. A stall is assigned to a registered vendor, one stall each, and is not transferred: the
office releases it, then assigns it anew."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from shapely.geometry import Point, Polygon, shape

from common.refusals import Conflict

KINDS = {
    "breakfast": "早餐点",
    "shoe_repair": "修鞋点",
    "loading": "装卸规范点",
    "night_market": "夜市",
    "farmers": "农户自产自销点",
}


class PointStatus(StrEnum):
    applied = "applied"  # 已申请
    surveying = "surveying"  # 联合踏勘中
    approved = "approved"  # 已批准
    refused = "refused"  # 不予批准
    withdrawn = "withdrawn"  # 已撤销


class PointRefused(Conflict):
    """A step the rules do not allow, saying why."""


@dataclass(frozen=True)
class SurveyRule:
    school_distance_m: float = 100.0
    departments: int = 2


def area(geometry: dict) -> Polygon:
    """The point's place: a GeoJSON Polygon of WGS84 positions, closed and valid."""
    if geometry.get("type") != "Polygon":
        raise PointRefused("the place is a GeoJSON Polygon")
    polygon = shape(geometry)
    if not polygon.is_valid or polygon.area == 0:
        raise PointRefused("the place's polygon is not a valid area (closed ring, no self-crossing)")
    return polygon


def _metres(polygon: Polygon, lon: float, lat: float) -> float:
    """Distance from a position to the polygon in metres, on a local flat projection (good to a
    fraction of a metre over a district)."""
    lat0 = math.radians(polygon.centroid.y)
    kx, ky = 111_320.0 * math.cos(lat0), 110_540.0

    def flat(x: float, y: float) -> tuple[float, float]:
        return (x * kx, y * ky)

    projected = Polygon([flat(x, y) for x, y in polygon.exterior.coords])
    return projected.distance(Point(flat(lon, lat)))


@dataclass(frozen=True)
class SchoolGate:
    id: str
    name: str
    lon: float
    lat: float


def nearest_school(polygon: Polygon, gates: list[SchoolGate]) -> tuple[SchoolGate, float] | None:
    found = [(g, _metres(polygon, g.lon, g.lat)) for g in gates]
    return min(found, key=lambda f: f[1]) if found else None


def refuse_near_school(polygon: Polygon, gates: list[SchoolGate], rule: SurveyRule) -> None:
    near = nearest_school(polygon, gates)
    if near is not None and near[1] < rule.school_distance_m:
        gate, metres = near
        raise PointRefused(
            f"the point is {metres:.0f} m from the gate of {gate.name}; no point within "
            f"{rule.school_distance_m:.0f} m of a school gate"
        )


def can_approve(opinions: dict[str, bool], rule: SurveyRule) -> None:
    """`opinions`: each department's, agree or not. Raises PointRefused saying what is missing."""
    against = sorted(d for d, agree in opinions.items() if not agree)
    if against:
        raise PointRefused(
            f"the joint survey has opinions against it ({', '.join(against)}): refuse it, with the reason"
        )
    if len(opinions) < rule.departments:
        raise PointRefused(
            f"the joint survey needs the opinions of {rule.departments} departments; {len(opinions)} recorded"
        )
