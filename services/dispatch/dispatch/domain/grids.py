"""Grids a bureau redraws: what a valid grid polygon is, when a version comes into force, and what a
changed seed file may still change (a seed is an initial load; a bureau's edit wins over it)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum

from shapely.geometry import shape

from common.geo import polygon_problem  # noqa: F401 (a campaign's area is checked alike)


def overlapping(geometry: dict, others: dict[str, dict]) -> list[str]:
    """The grids (id -> geometry) whose area `geometry` overlaps (a shared border is not an overlap)."""
    shp = shape(geometry)
    return sorted(gid for gid, g in others.items() if shp.overlaps(shape(g)) or shp.within(shape(g)))


def in_force(effective_from: datetime, now: datetime) -> bool:
    return effective_from <= now


def seed_digest(feature: dict) -> str:
    """What a seed file says of one grid, as a digest: a change of the seed is a change of this."""
    p = feature["properties"]
    said = {k: p.get(k) for k in ("name", "squad_id", "office", "office_id", "keeper_id")}
    said["geometry"] = feature["geometry"]
    return hashlib.sha256(json.dumps(said, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class SeedStep(StrEnum):
    load = "load"  # a grid the platform does not hold yet
    redraw = "redraw"  # the seed changed and nobody edited the grid since: a new version from the seed
    keep_edit = "keep_edit"  # the seed changed but a bureau's edit wins (told in the log)
    same = "same"


def seed_step(held_digest: str | None, exists: bool, edited: bool, digest: str) -> SeedStep:
    if not exists:
        return SeedStep.load
    if held_digest == digest:
        return SeedStep.same
    return SeedStep.keep_edit if edited else SeedStep.redraw
