"""Where a report is: coordinates from Chinese map SDKs and addresses typed by people.

- Coordinates are stored in WGS84. Map SDKs used in China (高德/AMap, 腾讯/Tencent, and the
  phone's map when it is one of them) give GCJ-02 (国测局坐标, "Mars coordinates"), offset from
  WGS84 by a few hundred metres. A client says so with `coordinate_system=gcj02`; the point is
  converted here. The forward transform is the published GCJ-02 algorithm; the inverse is
  found by fixed-point iteration to under a millimetre. Outside mainland China GCJ-02 equals
  WGS84.
- An address string is looked up in the district's address table (门牌地址库): spaces, full-width
  digits and the province/city/district prefix are ignored; an exact entry wins, then the
  longest entry the address starts with (建设路88号附近 → 建设路88号), then the road alone.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

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
