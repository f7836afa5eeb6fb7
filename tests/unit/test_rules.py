"""Domain rules, framework-free."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from cases.domain.lifecycle import case_number
from common.auth import Role, TokenVerifier, issue_token
from common.logging import configure_logging, mask_phone, redact_phones
from common.settings import AuthSettings
from dispatch.domain.routing import GridArea, GridMap
from intake.domain.incidents import channel_for
from ledger.domain.colour import Colour, colour_after_violation

SEED = json.loads((Path(__file__).resolve().parents[2] / "services/dispatch/dispatch/seed/zhongyuan.json").read_text())


def test_colour_moves_up_with_repeated_violations_of_a_category():
    assert colour_after_violation(Colour.blue, 0) == Colour.yellow
    assert colour_after_violation(Colour.yellow, 1) == Colour.orange
    assert colour_after_violation(Colour.orange, 2) == Colour.red
    assert colour_after_violation(Colour.orange, 0) == Colour.orange  # a new category never lowers it
    assert colour_after_violation(Colour.red, 0) == Colour.red


def test_case_numbers_can_be_read_out():
    assert case_number("410102", 2026, 42) == "410102-2026-000042"


def test_point_decides_grid_and_squad():
    grids = GridMap(
        [
            GridArea(
                grid_id=f["properties"]["grid_id"],
                name=f["properties"]["name"],
                squad_id=f["properties"]["squad_id"],
                squad_name=f["properties"]["squad_name"],
                geometry=f["geometry"],
            )
            for f in SEED["grids"]["features"]
        ]
    )
    assert grids.grid_for(113.62, 34.75).squad_name == "汝河中队"
    assert grids.grid_for(113.64, 34.77).squad_name == "林山寨中队"
    assert grids.grid_for(113.53, 34.76).squad_name == "须水中队"
    assert grids.grid_for(116.40, 39.90) is None
    assert GridMap([]).grid_for(113.62, 34.75) is None


def test_phone_numbers_are_masked_and_redacted_from_logs(capsys):
    assert mask_phone("13812345678") == "138****5678"
    assert (
        redact_phones("caller 13812345678 and +86 139-0000-1111 and 0371-67891234")
        == "caller 138****5678 and 139****1111 and 037****1234"
    )
    configure_logging("test")
    logging.getLogger("t").warning("call from %s", "13812345678")
    out = capsys.readouterr().out
    assert "13812345678" not in out and "138****5678" in out and json.loads(out)["service"] == "test"


def test_channels_follow_roles():
    assert channel_for(Role.hotline_operator, None) == "hotline_12319"
    assert channel_for(Role.hotline_operator, "transfer_12345") == "transfer_12345"
    with pytest.raises(ValueError):
        channel_for(Role.field_monitor, "transfer_110")


async def test_tokens_are_verified():
    settings = AuthSettings()
    verifier = TokenVerifier(settings)
    p = await verifier.verify(issue_token(settings, Role.squad_leader, "l-1", "sq-ruhe"))
    assert (p.role, p.subject, p.squad_id) == (Role.squad_leader, "l-1", "sq-ruhe")
    from common.refusals import Unauthenticated

    with pytest.raises(Unauthenticated) as e:
        await verifier.verify(issue_token(settings, Role.admin, ttl=timedelta(seconds=-5)))
    assert e.value.status == 401 and "expired" in e.value.detail
    other = AuthSettings(jwt_secret="another-secret-of-enough-length-0123456789")
    with pytest.raises(Unauthenticated):
        await verifier.verify(issue_token(other, Role.admin))


def test_a_squad_member_sees_only_the_squads_own():
    from common.auth import Principal

    leader = Principal("l-1", Role.squad_leader, "sq-ruhe")
    assert leader.sees_squad("sq-ruhe") and not leader.sees_squad("sq-xushui") and not leader.sees_squad(None)
    assert leader.squad_scope == "sq-ruhe"
    no_squad = Principal("o-1", Role.squad_officer, None)
    assert not no_squad.sees_squad(None) and no_squad.squad_scope == ""
    dispatcher = Principal("d-1", Role.dispatcher)
    assert dispatcher.sees_squad("sq-xushui") and dispatcher.sees_squad(None) and dispatcher.squad_scope is None
