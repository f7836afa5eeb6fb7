"""A case's enforcement track as kept (cases.domain.enforcement.Track, as JSON in its row)."""

from __future__ import annotations

from pydantic import TypeAdapter

from cases.domain import enforcement as enf
from cases.tables import EnforcementTrack

TRACK = TypeAdapter(enf.Track)


async def load_track(session, case_id: str) -> enf.Track:
    row = await session.get(EnforcementTrack, case_id)
    return TRACK.validate_python(row.state) if row else enf.Track()
