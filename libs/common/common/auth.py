"""Bearer JWTs: who is calling, in which role, for which squad.

Verification uses a configured key: an HS256 secret in development, or the identity
provider's RS256 keys from its JWKS URL. Object-level checks (a squad officer sees only the
squad's own cases) are made by the services with `Principal.squad_id`."""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, cast

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from common.clock import Clock, SystemClock
from common.principal import Principal, Role
from common.refusals import Refused, Unauthenticated
from common.settings import AuthSettings

if TYPE_CHECKING:
    from jwt.types import Options


class TokenVerifier:
    """Verifies a bearer token once: a program (the hotline's call-centre system) sends the same
    token with every call until it expires, so a verified token is remembered, with its expiry,
    in a small bounded map keyed by the whole token; a token that was refused is checked again."""

    CACHE_SIZE = 4096

    LEEWAY_S = 0
    """Play for the clocks of the provider and the services when a token's expiry and not-before
    are read (none, as PyJWT's default: an expired token is refused at once)."""

    def __init__(self, settings: AuthSettings, *, accept_dev_tokens: bool = False, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        self.accept_dev_tokens = accept_dev_tokens and settings.dev_tokens
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None and known[1] > self._now():
            return known[0]
        principal, expires = await self._verify(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self.CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        """The provider's RS256 tokens (JWKS) through the claim mapping; the platform's own HS256
        tokens where they are accepted (no provider configured, or development beside it)."""
        from common.claims import ClaimsRefused, principal_from_claims

        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
            if self._jwks is not None and algorithm != "HS256":
                # PyJWKClient fetches and caches over blocking HTTP: keep it off the event loop.
                key = (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=["RS256", "ES256", "PS256"],
                    audience=self.settings.audience,
                    issuer=self.settings.issuer,
                    options=cast("Options", {"require": ["exp", "iss", "aud"], **self._times_ours}),
                )
                self._check_times(claims)
                principal, _ = principal_from_claims(claims, self.settings)
            elif self._jwks is None or self.accept_dev_tokens:
                claims = jwt.decode(
                    token,
                    self.settings.jwt_secret,
                    algorithms=["HS256"],
                    audience=self.settings.audience,
                    issuer=self.settings.dev_issuer if self._jwks is not None else self.settings.issuer,
                    options=cast("Options", {"require": ["exp", "sub", "role"], **self._times_ours}),
                )
                self._check_times(claims)
                principal, _ = principal_from_claims(claims, self.settings, builtin=True)
            else:
                raise jwt.InvalidAlgorithmError("tokens signed with a shared secret are not accepted here")
        except ClaimsRefused as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc
        return principal, float(claims["exp"])

    _times_ours: ClassVar[dict[str, Any]] = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}
    """The token's times are read on the service's clock (`_check_times`), not PyJWT's wall clock."""

    def _check_times(self, claims: dict) -> None:
        now = self._now()
        try:
            expires = float(claims["exp"])
            not_before = float(claims.get("nbf", 0))
        except (TypeError, ValueError) as exc:
            raise jwt.InvalidTokenError("exp and nbf must be numbers") from exc
        if expires <= now - self.LEEWAY_S:
            raise jwt.ExpiredSignatureError("Signature has expired")
        if not_before > now + self.LEEWAY_S:
            raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")


def issue_token(
    settings: AuthSettings,
    role: Role | str,
    subject: str | None = None,
    squad_id: str | None = None,
    ttl: timedelta = timedelta(hours=12),
    name: str | None = None,
    scopes: tuple[str, ...] = (),
) -> str:
    """Development tokens (HS256). Production tokens come from the city identity provider."""
    now = datetime.now(UTC)
    claims = {
        "sub": subject or f"{Role(role).value}-demo",
        "role": Role(role).value,
        "iss": settings.dev_issuer if settings.jwks_url else settings.issuer,
        "aud": settings.audience,
        "iat": now,
        "exp": now + ttl,
        "jti": str(uuid.uuid4()),
    }
    if squad_id:
        claims["squad_id"] = squad_id
    if name:
        claims["name"] = name
    if scopes:
        claims["scope"] = " ".join(scopes)
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


_bearer = HTTPBearer(auto_error=False)


async def signed_in(request: Request) -> Principal | None:
    """The person of the process's staff session cookie (common.web_session), if there is one:
    the pages of one process share one session store, so one person has one session across them."""
    pages = getattr(request.app.state, "page_sessions", None)
    if pages is None or pages.cookie not in request.cookies:
        return None
    return await pages.principal(request)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """A program's bearer token, or a staff page's signed-in session (with its CSRF token on a
    request that changes something)."""
    if credentials is not None:
        return await request.app.state.token_verifier.verify(credentials.credentials)
    principal = await signed_in(request)
    if principal is None:
        raise Unauthenticated("missing bearer token (or sign in)")
    return principal


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """For endpoints that anyone may call but staff see more of (a public photo, a private one)."""
    if credentials is None:
        return await signed_in(request)
    return await request.app.state.token_verifier.verify(credentials.credentials)


async def stream_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """For Server-Sent Events: a browser's EventSource cannot send headers, so the token may
    come as `?access_token=` (RFC 6750 §2.3) on stream endpoints only; access logs drop it."""
    token = credentials.credentials if credentials else request.query_params.get("access_token")
    if not token:
        principal = await signed_in(request)
        if principal is None:
            raise Unauthenticated("missing bearer token (header or access_token)")
        return principal
    return await request.app.state.token_verifier.verify(token)


def require_roles(*roles: Role | str, query_token: bool = False, program_scope: str | None = None):
    """A dependency admitting these roles (and admin). `program_scope`: an `external_system` is
    admitted only with this scope in its token, a client given it on purpose."""
    allowed = {Role(r) for r in roles} | {Role.admin}
    source = stream_principal if query_token else current_principal

    async def dependency(principal: Principal = Depends(source)) -> Principal:  # noqa: B008 (a closure)
        if principal.role not in allowed:
            raise Refused(
                f"role {principal.role.value} may not do this; needs one of {sorted(r.value for r in allowed)}",
            )
        if program_scope and principal.role is Role.external_system and program_scope not in principal.scopes:
            raise Refused(
                f"this partner system's client lacks the scope "
                f"{program_scope!r}, which is given on purpose to the clients that need it",
            )
        return principal

    return dependency


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
