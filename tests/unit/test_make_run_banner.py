"""What `make run` prints first: where to open, who can sign in, and tokens that work."""

from __future__ import annotations

import re

from common.auth import TokenVerifier
from common.settings import AuthSettings
from devstack.people import DEMO_PEOPLE
from monolith.__main__ import banner


async def test_the_banner_says_where_to_open_who_signs_in_and_gives_working_tokens():
    text = banner(8123)
    assert "http://127.0.0.1:8123/console" in text and "http://127.0.0.1:8123/docs" in text
    for person in DEMO_PEOPLE:
        assert person.name in text and person.username in text
    tokens = dict(re.findall(r"^  (\S+)\s+(eyJ\S+)$", text, re.M))
    assert set(tokens) == {p.username for p in DEMO_PEOPLE}
    verifier = TokenVerifier(AuthSettings(), accept_dev_tokens=True)
    for person in DEMO_PEOPLE:
        principal = await verifier.verify(tokens[person.username])
        assert (principal.subject, principal.role.value, principal.squad_id) == (
            person.username,
            person.role,
            person.squad_id,
        )
    assert "eyJ" not in banner(8123, tokens=False)
