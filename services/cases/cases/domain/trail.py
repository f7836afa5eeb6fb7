"""痕迹化: the case's history as a hash chain. Each entry holds the hash of the entry before it,
so changing, removing or reordering any stored entry breaks every hash after it, and
`verify` names the first entry that no longer fits. Pure functions: no framework here."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64


@dataclass(frozen=True)
class TrailEntry:
    case_id: str
    seq: int
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict
    prev_hash: str
    hash: str = ""


def entry_hash(e: TrailEntry) -> str:
    body = {
        "case_id": e.case_id,
        "seq": e.seq,
        "at": e.at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "from": e.from_status,
        "to": e.to_status,
        "reason": e.reason,
        "data": e.data,
        "prev": e.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Verdict:
    intact: bool
    entries: int
    first_broken_seq: int | None = None
    reason: str | None = None


def verify(entries: list[TrailEntry]) -> Verdict:
    prev = GENESIS
    for expected_seq, e in enumerate(sorted(entries, key=lambda x: x.seq), start=1):
        if e.seq != expected_seq:
            return Verdict(False, len(entries), expected_seq, f"entry {expected_seq} is missing")
        if e.prev_hash != prev:
            return Verdict(False, len(entries), e.seq, "does not chain to the entry before it")
        if entry_hash(e) != e.hash:
            return Verdict(False, len(entries), e.seq, "its content does not match its hash")
        prev = e.hash
    return Verdict(True, len(entries))
