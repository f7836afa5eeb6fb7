"""The identity provider as the pages speak to it (OpenID Connect): its discovery document and keys,
the ID token checked (Authlib's client makes the code flow with PKCE; joserfc checks the
signature, issuer, audience, nonce and times), a refresh that asks whether the person may still be
signed in, and the back-channel logout token (OpenID Connect Back-Channel Logout 1.0, §2.4 and
§2.6), with which the provider ends a person's sessions here at once."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from common.settings import AuthSettings

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ALGORITHMS = ["RS256", "ES256", "PS256"]


class LogoutTokenRefused(ValueError):
    """A back-channel logout token that does not hold: why."""


class ProviderRefused(Exception):
    """The provider says the person may no longer be signed in (disabled, signed out there)."""


class Provider:
    """The identity provider's discovery document and keys, read once and kept for an hour."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._config: dict | None = None
        self._keys: KeySet | None = None
        self._read_at = 0.0

    async def config(self) -> dict:
        if self._config is None or time.monotonic() - self._read_at > 3600:
            async with httpx.AsyncClient(timeout=10) as client:
                r = await client.get(str(self.settings.oidc_issuer).rstrip("/") + "/.well-known/openid-configuration")
                r.raise_for_status()
                config = r.json()
                keys = await client.get(config["jwks_uri"])
                keys.raise_for_status()
                self._keys = KeySet.import_key_set(keys.json())
                self._config = config
            self._read_at = time.monotonic()
        return self._config

    async def _decode(self, token: str) -> tuple[dict, dict]:
        """The token's claims checked against the provider's keys, and the provider's configuration."""
        config = await self.config()
        try:
            return dict(jose_jwt.decode(token, self._key_set(), algorithms=ALGORITHMS).claims), config
        except JoseError:
            self._config = None  # the provider may have turned its keys over: read them again once
            config = await self.config()
            return dict(jose_jwt.decode(token, self._key_set(), algorithms=ALGORITHMS).claims), config

    def _key_set(self) -> KeySet:
        if self._keys is None:  # config() reads them: a provider without keys signs nothing we accept
            raise JoseError("the identity provider published no keys")
        return self._keys

    async def id_token_claims(self, id_token: str, nonce: str) -> dict:
        """The ID token's claims once its signature, issuer, audience, nonce and times hold."""
        claims, config = await self._decode(id_token)
        jose_jwt.JWTClaimsRegistry(
            leeway=30,
            iss={"essential": True, "value": config["issuer"]},
            aud={"essential": True, "value": self.settings.oidc_client_id},
            nonce={"essential": True, "value": nonce},
            exp={"essential": True},
        ).validate(claims)
        return claims

    async def logout_token_claims(self, token: str) -> dict:
        """A back-channel logout token's claims once it holds (§2.6): signed by the provider, for
        our client, with the logout event, naming a subject or a session, and no nonce."""
        try:
            claims, config = await self._decode(token)
            jose_jwt.JWTClaimsRegistry(
                leeway=60,
                iss={"essential": True, "value": config["issuer"]},
                aud={"essential": True, "value": self.settings.oidc_client_id},
                iat={"essential": True},
            ).validate(claims)
        except (JoseError, ValueError) as exc:
            raise LogoutTokenRefused(f"the logout token does not hold: {exc}") from exc
        events = claims.get("events")
        if not isinstance(events, dict) or BACKCHANNEL_LOGOUT_EVENT not in events:
            raise LogoutTokenRefused("the logout token has no back-channel logout event")
        if not claims.get("sub") and not claims.get("sid"):
            raise LogoutTokenRefused("the logout token names neither a subject nor a session")
        if "nonce" in claims:
            raise LogoutTokenRefused("a logout token carries no nonce")
        return claims

    async def refresh(self, refresh_token: str) -> str | None:
        """Ask the provider whether the person may still be signed in; the new refresh token it
        turns over, if any. Raises ProviderRefused when it says no (a disabled account, a session it
        ended), httpx.HTTPError when it cannot be asked."""
        return (await self.access(refresh_token))[2]

    async def access(self, refresh_token: str) -> tuple[str, int, str | None]:
        """The refresh grant: a fresh access token for the person's session (the field app calls
        every service's API with it), its lifetime in seconds, and the refresh token the provider
        turns over, if any. Raises as `refresh`."""
        config = await self.config()
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(
                config["token_endpoint"],
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": self.settings.oidc_client_id,
                    "client_secret": self.settings.oidc_client_secret or "",
                },
            )
        if r.status_code in (400, 401):
            raise ProviderRefused(r.json().get("error_description") or r.json().get("error") or r.text[:200])
        r.raise_for_status()
        answer = r.json()
        return answer["access_token"], int(answer.get("expires_in", 300)), answer.get("refresh_token")


def unverified_claims(token: str | None) -> dict[str, Any]:
    """The access token's claims, for the role and squad claims a provider may put there only. It
    came from the token endpoint over the back channel just now, for our client; its signature is
    checked by the APIs that accept it, and the ID token, whose signature is checked, is what
    says who signed in."""
    if not token or token.count(".") != 2:
        return {}
    try:
        body = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return {}
