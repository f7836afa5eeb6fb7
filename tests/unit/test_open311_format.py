"""Open311 wire format and the location rules, without a server."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from common.geo import distance_m, gcj02_to_wgs84, out_of_china, wgs84_to_gcj02
from intake.domain import open311 as o
from intake.domain.geo import Geocoder, normalise


def test_xml_names_list_items_as_the_specification_does():
    raw = o.to_xml(
        "service_requests",
        [
            {
                "service_request_id": "1",
                "status": "open",
                "lat": 34.75,
                "media_url": None,
                "extended_attributes": {"photos": ["a", "b"], "notes": [{"text": "n"}]},
            }
        ],
    )
    root = ET.fromstring(raw)
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert root.find("request/service_request_id").text == "1" and root.find("request/lat").text == "34.75"
    assert root.find("request/media_url").text is None
    assert [p.text for p in root.findall("request/extended_attributes/photos/photo")] == ["a", "b"]
    assert root.find("request/extended_attributes/notes/note/text").text == "n"
    errors = ET.fromstring(o.to_xml("errors", o.errors([o.Open311Error(403, "api_key is not valid")])))
    assert (errors.find("error/code").text, errors.find("error/description").text) == ("403", "api_key is not valid")


def test_form_fields_are_checked_by_name():
    ok = o.parse_request_form(
        {
            "service_code": ["noise"],
            "lat": ["34.7"],
            "long": ["113.6"],
            "attribute[period]": ["night"],
            "attribute[tags][]": ["a", "b"],
            "unknown_extra": ["ignored"],
        },
        2000,
    )
    assert ok.attributes == {"period": "night", "tags": ["a", "b"]} and ok.lat == 34.7
    for form, message in [
        ({"lat": ["1"], "long": ["2"]}, "service_code is required"),
        ({"service_code": ["x"], "lat": ["north"], "long": ["2"]}, "decimal degrees"),
        ({"service_code": ["x"], "lat": ["91"], "long": ["2"]}, "within ±90"),
        ({"service_code": ["x"], "address_string": ["路"], "email": ["no"]}, "e-mail"),
        ({"service_code": ["x"], "address_string": ["路"], "media_url": ["ftp://x"]}, "http"),
        ({"service_code": ["x"], "address_string": ["路"], "description": ["长" * 11]}, "longer"),
    ]:
        with pytest.raises(o.Open311Error, match=message) as err:
            o.parse_request_form(form, 10)
        assert err.value.code == 400
    definition = [
        {"code": "n", "datatype": "number", "description": "数量"},
        {"code": "when", "datatype": "datetime", "description": "时间"},
    ]
    with pytest.raises(o.Open311Error, match=r"attribute\[n\] must be a number"):
        o.check_attributes(definition, {"n": "many"})
    with pytest.raises(o.Open311Error, match=r"attribute\[when\] must carry a time zone"):
        o.check_attributes(definition, {"when": "2026-11-22T08:00:00"})
    with pytest.raises(o.Open311Error, match="not an attribute"):
        o.check_attributes(definition, {"colour": "red"})


def test_gcj02_round_trip_and_offset():
    wgs = (113.62, 34.75)
    gcj = wgs84_to_gcj02(*wgs)
    shift = distance_m(*wgs, *gcj)
    assert 200 < shift < 800  # the published offset in Zhengzhou is a few hundred metres
    back = gcj02_to_wgs84(*gcj)
    assert back == pytest.approx(wgs, abs=1e-8)
    assert out_of_china(2.35, 48.85) and wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_addresses_are_found_exactly_by_prefix_or_by_road():
    g = Geocoder([("建设路88号", 113.64, 34.74), ("建设路8号", 113.63, 34.735), ("汝河路小学", 113.61, 34.735)])
    assert normalise(" 河南省郑州市中原区 建设路８８号") == "建设路88号"
    assert g.locate("郑州市中原区建设路88号").precision == "address"
    hit = g.locate("建设路88号附近")
    assert (hit.address, hit.precision) == ("建设路88号", "prefix")  # the longest entry, not 建设路8号
    road = g.locate("建设路300号")
    assert (road.address, road.precision) == ("建设路", "road")
    assert g.locate("火星路1号") is None and g.locate("  ") is None
