"""Who the provider's claims say a person is (the documented claim mapping), which tokens are
accepted where, and the session cookie's and the sign-in's own rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.responses import Response

from common.auth import Role, TokenVerifier, issue_token
from common.claims import ClaimsRefused, principal_from_claims
from common.refusals import Unauthenticated
from common.settings import AuthSettings, ServiceSettings
from common.web_session import PageSessions, safe_next

KEYCLOAK = {
    "role_claim": "realm_access.roles",
    "squad_claim": "groups",
    "squad_prefix": "/squads/",
    "office_prefix": "/offices/",
    "subject_claim": "preferred_username",
    "name_claim": "given_name",
}


def keycloak_claims(roles, groups=(), **more):
    return {
        "sub": "f3a1-uuid",
        "preferred_username": "sq-ruhe-o1",
        "given_name": "朱婷",
        "realm_access": {"roles": ["offline_access", "uma_authorization", *roles]},
        "groups": list(groups),
        **more,
    }


def test_keycloak_claims_through_the_mapping():
    settings = AuthSettings(**KEYCLOAK)
    principal, name = principal_from_claims(keycloak_claims(["squad_officer"], ["/squads/sq-ruhe"]), settings)
    assert (principal.subject, principal.role, principal.squad_id, name) == (
        "sq-ruhe-o1",
        Role.squad_officer,
        "sq-ruhe",
        "朱婷",
    )
    # of several roles, the one of highest precedence; groups that are not squads are ignored
    principal, _ = principal_from_claims(
        keycloak_claims(["squad_officer", "dispatcher"], ["/staff", "/squads/sq-ruhe"]), settings
    )
    assert principal.role == Role.dispatcher


def test_an_office_person_is_of_their_office_and_needs_one():
    settings = AuthSettings(**KEYCLOAK)
    principal, _ = principal_from_claims(
        keycloak_claims(["office_staff"], ["/squads/sq-ruhe", "/offices/of-ruhelu"]), settings
    )
    assert (principal.role, principal.office_id, principal.squad_scope) == (Role.office_staff, "of-ruhelu", None)
    with pytest.raises(ClaimsRefused, match="must name the office"):
        principal_from_claims(keycloak_claims(["office_staff"], ["/squads/sq-ruhe"]), settings)
    officer, _ = principal_from_claims(keycloak_claims(["squad_officer"], ["/squads/sq-ruhe"]), settings)
    assert officer.office_id is None


def test_a_prefix_and_a_plain_string_claim():
    settings = AuthSettings(role_claim="cgzf_role", role_prefix="cgzf-", squad_claim="dept", name_claim="name")
    principal, name = principal_from_claims(
        {"sub": "u-1", "cgzf_role": "cgzf-squad_leader", "dept": "sq-xushui", "name": "郑凯"}, settings
    )
    assert (principal.role, principal.squad_id, name) == (Role.squad_leader, "sq-xushui", "郑凯")


def test_no_role_or_a_squad_role_without_a_squad_is_refused_saying_why():
    settings = AuthSettings(**KEYCLOAK)
    with pytest.raises(ClaimsRefused, match="realm_access.roles") as refused:
        principal_from_claims(keycloak_claims([]), settings)
    assert "没有角色" in refused.value.page
    with pytest.raises(ClaimsRefused) as refused:
        principal_from_claims(keycloak_claims(["squad_leader"], ["/staff"]), settings)
    assert "中队" in refused.value.page


def _rsa_token(key, **claims) -> str:
    now = datetime.now(UTC)
    body = {
        "iss": "http://idp/realms/zhongyuan",
        "aud": "cgzf",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def provider(monkeypatch):
    """A verifier that trusts one RSA key as the provider's JWKS would give it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings = AuthSettings(jwks_url="http://idp/jwks", issuer="http://idp/realms/zhongyuan", **KEYCLOAK)

    def build(accept_dev_tokens: bool) -> TokenVerifier:
        verifier = TokenVerifier(settings, accept_dev_tokens=accept_dev_tokens)
        monkeypatch.setattr(
            verifier._jwks, "get_signing_key_from_jwt", lambda token: SimpleNamespace(key=key.public_key())
        )
        return verifier

    return SimpleNamespace(key=key, settings=settings, build=build)


async def test_the_providers_tokens_are_read_through_the_mapping(provider):
    verifier = provider.build(accept_dev_tokens=False)
    program = _rsa_token(
        provider.key,
        sub="svc-uuid",
        preferred_username="service-account-cgzf-hotline-system",
        realm_access={"roles": ["hotline_operator"]},
    )
    principal = await verifier.verify(program)
    assert principal.role == Role.hotline_operator
    assert principal.subject == "service-account-cgzf-hotline-system"
    wrong_audience = _rsa_token(
        provider.key, aud="someone-else", preferred_username="x", realm_access={"roles": ["admin"]}
    )
    with pytest.raises(Unauthenticated) as refused:
        await verifier.verify(wrong_audience)
    assert refused.value.status == 401
    no_role = _rsa_token(provider.key, preferred_username="x", realm_access={"roles": ["offline_access"]})
    with pytest.raises(Unauthenticated, match="no role"):
        await verifier.verify(no_role)


async def test_development_tokens_only_where_development_allows_them(provider):
    dev = issue_token(provider.settings, Role.admin, "admin")
    with pytest.raises(Unauthenticated, match="shared secret"):
        await provider.build(accept_dev_tokens=False).verify(dev)
    assert (await provider.build(accept_dev_tokens=True).verify(dev)).role == Role.admin


def test_the_demo_sign_in_is_refused_outside_development(monkeypatch):
    monkeypatch.setenv("AUTH_DEMO_SIGN_IN", "true")
    monkeypatch.setenv("AUTH_JWT_SECRET", "a-strong-production-secret-0123456789abcdef")
    with pytest.raises(ValueError, match="AUTH_DEMO_SIGN_IN"):
        ServiceSettings(environment="production")
    assert ServiceSettings(environment="development").environment == "development"


def _pages(environment: str) -> PageSessions:
    tables = SimpleNamespace(web_sessions=None, web_logins=None)
    service = SimpleNamespace(settings=SimpleNamespace(environment=environment), tables=tables)
    return PageSessions(service, page="/console", title="派遣台", settings=AuthSettings())


@pytest.mark.parametrize("environment, secure", [("development", False), ("production", True), ("test", True)])
def test_the_session_cookie(environment, secure):
    response = Response()
    _pages(environment)._set_cookie(response, "session-id")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("cgzf_console=session-id;")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert ("Secure" in cookie) is secure


@pytest.mark.parametrize(
    "asked, went",
    [
        ("/console?squad=sq-ruhe", "/console?squad=sq-ruhe"),
        ("https://evil.example/", "/console"),
        ("//evil.example/x", "/console"),
        ("javascript:alert(1)", "/console"),
        (None, "/console"),
    ],
)
def test_after_sign_in_only_a_path_of_this_site(asked, went):
    assert safe_next(asked, "/console") == went
