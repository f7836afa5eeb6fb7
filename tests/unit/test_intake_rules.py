"""Intake's rules without a database: which earlier report a new one repeats, the locks that
keep two simultaneous reports of one spot apart, when a report may be rated, the signed photo
links, the time a photo was taken, and who the client is behind the gateway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PIL import Image
from starlette.requests import Request

from common.geo import distance_m
from common.photos import inspect, taken_at
from common.ratelimit import client_address, submitter_of
from intake.domain.incidents import duplicate_search, may_rate, nearest_within
from intake.handlers.media import signature_valid, signed_query
from tests.helpers import photo_bytes

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_a_report_repeats_the_nearest_open_one_inside_the_radius():
    search = duplicate_search(113.62, 34.75, NOW, radius_m=50, window_hours=12)
    assert search.since == NOW - timedelta(hours=12)
    east_30m, east_60m = (113.62 + 0.00033, 34.75), (113.62 + 0.00066, 34.75)
    assert 25 < distance_m(113.62, 34.75, *east_30m) < 35 and distance_m(113.62, 34.75, *east_60m) > 55
    assert nearest_within(search, [("far", *east_60m), ("near", *east_30m)])[0] == "near"
    assert nearest_within(search, [("far", *east_60m)]) is None
    assert nearest_within(search, []) is None
    x0, x1, y0, y1 = search.bounds()  # the index box holds the whole circle
    # 50 m is 0.000547° of longitude and 0.000449° of latitude here
    assert x0 < 113.62 - 0.000545 < 113.62 + 0.000545 < x1 and y0 < 34.75 - 0.000448 < 34.75 + 0.000448 < y1
    assert x1 - x0 < 0.0011 and y1 - y0 < 0.0009  # and not much more
    assert duplicate_search(113.62, 34.75, NOW, radius_m=0, window_hours=12) is None  # the category never merges
    assert duplicate_search(113.62, 34.75, NOW, radius_m=50, window_hours=0) is None


def test_two_reports_of_one_spot_lock_the_same_cells_in_the_same_order():
    inside = duplicate_search(113.6245, 34.7545, NOW, 50, 12).cells()
    assert inside == [(11362, 3475)]
    on_the_line = duplicate_search(113.62, 34.75, NOW, 50, 12).cells()  # the circle straddles four cells
    assert on_the_line == sorted(on_the_line) and len(on_the_line) == 4
    neighbour = duplicate_search(113.62 + 0.0003, 34.75, NOW, 50, 12).cells()
    assert set(on_the_line) & set(neighbour)  # reports that could repeat each other share a lock


def test_only_a_closed_case_is_rated_once_per_closure():
    assert "once it is closed" in may_rate("dispatched", "case-1", None)
    assert "once it is closed" in may_rate("closed", None, None)  # no case: nothing to rate
    assert may_rate("closed", "case-1", None) is None
    assert "already rated (满意)" in may_rate("closed", "case-1", "satisfied")


def test_signed_photo_links_expire_and_cannot_be_moved_to_another_photo():
    key = b"k" * 32
    query = dict(p.split("=") for p in signed_query(key, "photo-1", NOW, 3600).split("&"))
    expires, sig = int(query["expires"]), query["sig"]
    assert signature_valid(key, "photo-1", expires, sig, NOW)
    assert signature_valid(key, "photo-1", expires, sig, NOW + timedelta(seconds=3600))
    assert not signature_valid(key, "photo-1", expires, sig, NOW + timedelta(seconds=3601))
    assert not signature_valid(key, "photo-2", expires, sig, NOW)
    assert not signature_valid(key, "photo-1", expires + 86400, sig, NOW)  # a longer life is not granted
    assert not signature_valid(b"other" * 8, "photo-1", expires, sig, NOW)
    assert not signature_valid(key, "photo-1", None, None, NOW)


def _exif(**tags) -> bytes:
    exif = Image.Exif()
    ifd = exif.get_ifd(0x8769)
    for tag, value in tags.items():
        ifd[{"original": 0x9003, "offset": 0x9011}[tag]] = value
    return exif.tobytes()


def test_the_time_a_photo_was_taken_comes_from_its_exif():
    beijing = inspect(photo_bytes(exif=_exif(original="2026:11:23 08:41:07")))
    assert taken_at(beijing) == datetime(2026, 11, 23, 0, 41, 7, tzinfo=UTC)  # no offset: Beijing time
    tokyo = inspect(photo_bytes(exif=_exif(original="2026:11:23 09:41:07", offset="+09:00")))
    assert taken_at(tokyo) == datetime(2026, 11, 23, 0, 41, 7, tzinfo=UTC)
    assert taken_at(inspect(photo_bytes())) is None
    assert taken_at(inspect(photo_bytes(exif=_exif(original="not a time")))) is None


def _request(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 5000), "headers": headers})


def test_the_client_behind_the_gateway_is_the_last_address_it_did_not_add_itself():
    gateway = frozenset({"10.0.0.2"})
    assert client_address(_request("198.51.100.7"), gateway) == "198.51.100.7"
    assert client_address(_request("198.51.100.7", "203.0.113.9"), gateway) == "198.51.100.7"  # not our proxy
    assert client_address(_request("10.0.0.2", "203.0.113.9"), gateway) == "203.0.113.9"
    # a client sending its own X-Forwarded-For cannot hide behind it
    assert client_address(_request("10.0.0.2", "1.2.3.4, 203.0.113.9"), gateway) == "203.0.113.9"
    assert client_address(_request("10.0.0.2"), gateway) == "10.0.0.2"
    docker = frozenset({"172.16.0.0/12"})  # a network: the gateway's replicas, wherever they land
    assert client_address(_request("172.18.0.5", "203.0.113.9, 172.18.0.4"), docker) == "203.0.113.9"
    assert client_address(_request("172.18.0.5", "garbage"), docker) == "garbage"  # counted as its own client
    one, other = submitter_of("ip", "203.0.113.9", b"p"), submitter_of("ip", "203.0.113.10", b"p")
    assert one != other and "203.0.113" not in one  # the address itself is not kept
