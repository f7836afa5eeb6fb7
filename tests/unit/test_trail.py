"""The hash chain of a case's history (痕迹化)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cases.domain.trail import GENESIS, TrailEntry, entry_hash, verify

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def chain(n: int) -> list[TrailEntry]:
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        e = TrailEntry(
            case_id="c-1",
            seq=seq,
            at=T0 + timedelta(minutes=seq),
            actor="a",
            action=f"step{seq}",
            from_status=None,
            to_status="x",
            reason=None,
            data={"n": seq},
            prev_hash=prev,
        )
        e = replace(e, hash=entry_hash(e))
        out.append(e)
        prev = e.hash
    return out


def test_an_untouched_chain_is_intact():
    assert verify(chain(4)).intact and verify(chain(4)).entries == 4
    assert verify([]).intact


def test_a_changed_entry_is_named():
    entries = chain(4)
    entries[1] = replace(entries[1], reason="改过了")
    v = verify(entries)
    assert not v.intact and v.first_broken_seq == 2 and "hash" in v.reason


def test_a_changed_entry_with_a_recomputed_hash_breaks_the_next_link():
    entries = chain(4)
    forged = replace(entries[1], data={"n": 99})
    entries[1] = replace(forged, hash=entry_hash(forged))
    v = verify(entries)
    assert not v.intact and v.first_broken_seq == 3 and "chain" in v.reason


def test_a_removed_entry_is_named():
    entries = chain(4)
    del entries[2]
    v = verify(entries)
    assert not v.intact and v.first_broken_seq == 3 and "missing" in v.reason
