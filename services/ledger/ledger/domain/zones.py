"""禁犬区: the places a dog may not be walked into (schools, parks, hospitals, squares, markets), as an
admin draws them. A zone is a GeoJSON Polygon in WGS84 (common.geo says what a valid one is); what
judges a dog tag's position reads them from DogZoneDefined."""

from __future__ import annotations

from typing import Literal

from common.geo import polygon_problem
from common.refusals import Unprocessable

ZoneKind = Literal["school", "park", "hospital", "square", "market", "other"]
NAMES = {"school": "学校", "park": "公园", "hospital": "医院", "square": "广场", "market": "集市", "other": "其他"}


def check_polygon(polygon: dict) -> None:
    problem = polygon_problem(polygon)
    if problem is not None:
        raise Unprocessable.field("polygon", problem)
