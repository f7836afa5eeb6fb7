"""What a grid's polygon must be, and what a changed seed file may still redraw."""

from __future__ import annotations

import pytest

from dispatch.domain.grids import SeedStep, overlapping, polygon_problem, seed_digest, seed_step

BOX = {"type": "Polygon", "coordinates": [[[113.6, 34.7], [113.7, 34.7], [113.7, 34.8], [113.6, 34.8], [113.6, 34.7]]]}


@pytest.mark.parametrize(
    ("geometry", "named"),
    [
        ({"type": "Point", "coordinates": [113.6, 34.7]}, "Polygon is expected"),
        ({"type": "Polygon", "coordinates": []}, "list of rings"),
        ({"type": "Polygon", "coordinates": [[[113.6, 34.7], [113.7, 34.7], [113.6, 34.7]]]}, "at least 4"),
        (
            {"type": "Polygon", "coordinates": [[[113.6, 34.7], [113.7, 34.7], [113.7, 34.8], [113.6, 34.8]]]},
            "not closed",
        ),
        ({"type": "Polygon", "coordinates": [[[413.6, 34.7], [113.7, 34.7], [113.7, 34.8], [413.6, 34.7]]]}, "WGS84"),
        ({"type": "Polygon", "coordinates": [[["a", 34.7], [113.7, 34.7], [113.7, 34.8], ["a", 34.7]]]}, "[lon, lat]"),
        (  # a bow tie crosses itself
            {
                "type": "Polygon",
                "coordinates": [[[113.6, 34.7], [113.7, 34.8], [113.7, 34.7], [113.6, 34.8], [113.6, 34.7]]],
            },
            "not a valid polygon",
        ),
    ],
)
def test_a_polygon_that_is_not_a_grid_is_refused_by_name(geometry, named):
    problem = polygon_problem(geometry)
    assert problem is not None and named in problem


def test_a_proper_polygon_passes_and_overlaps_are_named_but_borders_are_not():
    assert polygon_problem(BOX) is None
    neighbour = {
        "type": "Polygon",
        "coordinates": [[[113.7, 34.7], [113.8, 34.7], [113.8, 34.8], [113.7, 34.8], [113.7, 34.7]]],
    }
    inside = {"type": "Polygon", "coordinates": [[[113.62, 34.72], [113.65, 34.72], [113.65, 34.75], [113.62, 34.72]]]}
    assert overlapping(BOX, {"n": neighbour, "i": inside}) == []
    assert overlapping(inside, {"b": BOX, "n": neighbour}) == ["b"]


def test_a_changed_seed_redraws_a_grid_unless_the_bureau_edited_it():
    feature = {"properties": {"grid_id": "g", "name": "网格", "squad_id": "s"}, "geometry": BOX}
    digest = seed_digest(feature)
    changed = seed_digest({**feature, "properties": {**feature["properties"], "name": "新网格"}})
    assert digest != changed
    assert seed_step(None, False, False, digest) is SeedStep.load
    assert seed_step(digest, True, False, digest) is SeedStep.same
    assert seed_step(digest, True, True, digest) is SeedStep.same
    assert seed_step(digest, True, False, changed) is SeedStep.redraw
    assert seed_step(digest, True, True, changed) is SeedStep.keep_edit
