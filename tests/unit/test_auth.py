"""Bearer tokens: verified once and remembered until they expire, never past it; a refused
token is never remembered; squad tokens must name their squad."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from common.auth import Role, TokenVerifier, issue_token
from common.clock import FixedClock
from common.refusals import Unauthenticated
from common.settings import AuthSettings


async def test_a_verified_token_is_remembered_until_it_expires(monkeypatch):
    settings = AuthSettings()
    clock = FixedClock(datetime.now(UTC))
    verifier = TokenVerifier(settings, clock=clock)
    token = issue_token(settings, Role.hotline_operator, "op-1", ttl=timedelta(seconds=60))
    calls = []
    real = verifier._verify

    async def counted(t):
        calls.append(t)
        return await real(t)

    monkeypatch.setattr(verifier, "_verify", counted)
    first = await verifier.verify(token)
    assert await verifier.verify(token) == first and len(calls) == 1
    clock.advance(timedelta(seconds=60 + TokenVerifier.LEEWAY_S))  # past its expiry (and the leeway)
    with pytest.raises(Unauthenticated) as refused:
        await verifier.verify(token)
    assert refused.value.status == 401 and len(calls) == 2


async def test_a_refused_token_is_never_remembered():
    verifier = TokenVerifier(AuthSettings())
    forged = issue_token(AuthSettings(jwt_secret="someone-elses-secret-0123456789abcdef"), Role.admin, "x")
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            await verifier.verify(forged)
    assert forged not in verifier._verified
    headless = issue_token(AuthSettings(), Role.squad_officer, "o-1")
    with pytest.raises(Unauthenticated, match="squad_id"):
        await verifier.verify(headless)
