"""Where a report is: coordinates from Chinese map SDKs and addresses typed by people.

- Coordinates are stored in WGS84. Map SDKs used in China (高德/AMap, 腾讯/Tencent, and the
  phone's map when it is one of them) give GCJ-02 (国测局坐标, "Mars coordinates"), offset from
  WGS84 by a few hundred metres. A client says so with `coordinate_system=gcj02`; the point is
  converted (common.geo, which ledger's device readings use too).
- An address string is looked up in the district's address table (门牌地址库): spaces, full-width
  digits and the province/city/district prefix are ignored; an exact entry wins, then the
  longest entry the address starts with (建设路88号附近 → 建设路88号), then the road alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# -- the address table ------------------------------------------------------------------------------

PREFIX = re.compile(r"^(河南省)?(郑州市)?(中原区)?")
ROAD = re.compile(r"^(.+?(路|街|大道|巷|胡同|广场))")


def normalise(address: str) -> str:
    text = unicodedata.normalize("NFKC", address)
    text = re.sub(r"\s+", "", text)
    return PREFIX.sub("", text)


@dataclass(frozen=True)
class Place:
    address: str
    lon: float
    lat: float
    precision: str  # address | prefix | road


class Geocoder:
    def __init__(self, rows: list[tuple[str, float, float]]) -> None:
        self._exact = {normalise(a): (a, lon, lat) for a, lon, lat in rows}
        self._by_length = sorted(self._exact, key=len, reverse=True)
        self._roads: dict[str, tuple[str, float, float]] = {}
        for key, row in self._exact.items():
            m = ROAD.match(key)
            if m:
                self._roads.setdefault(m.group(1), row)

    def __len__(self) -> int:
        return len(self._exact)

    def locate(self, address: str) -> Place | None:
        key = normalise(address)
        if not key:
            return None
        if key in self._exact:
            a, lon, lat = self._exact[key]
            return Place(a, lon, lat, "address")
        for known in self._by_length:
            if key.startswith(known):
                a, lon, lat = self._exact[known]
                return Place(a, lon, lat, "prefix")
        m = ROAD.match(key)
        if m and m.group(1) in self._roads:
            a, lon, lat = self._roads[m.group(1)]
            return Place(m.group(1), lon, lat, "road")
        return None
