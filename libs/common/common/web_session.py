"""Staff sign-in for the pages (/console, /ledger, /reports): the platform is an OpenID Connect
relying party of the city's identity provider (authorization code flow with PKCE, through
Authlib), and a signed-in person holds a server-side session.

- The session lives in the page's service's own schema (`web_sessions`); the browser holds only
  its random id, in an HttpOnly, SameSite=Lax cookie (Secure outside development), one cookie per
  page (`cgzf_console`, ...). It ends after AUTH_SESSION_TTL_S, or after AUTH_SESSION_IDLE_S unused.
- Role and squad come from the provider's claims through the claim mapping of AuthSettings
  (common.claims); a person with no role of ours, or a squad role with no squad, is refused with
  a page that says why.
- A page's own API calls carry the session cookie; a state-changing one must also send the
  session's CSRF token (`X-CSRF-Token`), or it is refused. Programs keep bearer tokens.
- Signing out ends the session here and at the provider (RP-initiated logout).
- `make run` has no provider: in development its built-in demo sign-in lets a person pick one of
  the demo staff (refused outside development); picking once signs them in on every page, as a
  provider's single sign-on would.
- Each sign-in tells the directory (dispatch) who signed in (StaffSignedIn), which creates or
  updates the person from the claims."""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, delete, insert, select, update

from common.auth import Principal, Role
from common.claims import ClaimsRefused, principal_from_claims
from common.messaging.contracts import StaffSignedIn
from common.settings import AuthSettings

log = logging.getLogger(__name__)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "x-csrf-token"


def session_tables(metadata: MetaData) -> tuple[Table, Table]:
    sessions = Table(
        "web_sessions", metadata,
        Column("id_sha256", String(64), primary_key=True),
        Column("subject", String(100), nullable=False),
        Column("name", String(100), nullable=False),
        Column("role", String(32), nullable=False),
        Column("squad_id", String(64)),
        Column("csrf", String(64), nullable=False),
        Column("id_token", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("last_seen_at", DateTime(timezone=True), nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
    )
    logins = Table(
        "web_logins", metadata,
        Column("state", String(64), primary_key=True),
        Column("code_verifier", String(128), nullable=False),
        Column("nonce", String(64), nullable=False),
        Column("next_url", String(500), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )
    return sessions, logins


@dataclass(frozen=True)
class Session:
    principal: Principal
    name: str
    csrf: str
    id_token: str | None
    expires_at: datetime


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def new_session(principal: Principal, name: str, *, now: datetime, ttl_s: int,
                id_token: str | None = None) -> tuple[str, dict]:
    """A new session id (the cookie's value) and the `web_sessions` row that keeps it (only the
    id's digest is stored, so the table's contents sign nobody in)."""
    session_id = secrets.token_urlsafe(32)
    return session_id, dict(
        id_sha256=_digest(session_id), subject=principal.subject, name=name[:100], role=principal.role.value,
        squad_id=principal.squad_id, csrf=secrets.token_urlsafe(24), id_token=id_token, created_at=now,
        last_seen_at=now, expires_at=now + timedelta(seconds=ttl_s))


def _safe_next(next_url: str | None, default: str) -> str:
    """Only a path on this site: never an open redirect."""
    if not next_url:
        return default
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not next_url.startswith("/") or next_url.startswith("//"):
        return default
    return next_url


class Provider:
    """The identity provider's discovery document and keys, read once and kept."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._config: dict | None = None
        self._keys = None
        self._read_at = 0.0

    async def config(self) -> dict:
        if self._config is None or time.monotonic() - self._read_at > 3600:
            async with httpx.AsyncClient(timeout=10) as client:
                r = await client.get(self.settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration")
                r.raise_for_status()
                self._config = r.json()
                keys = await client.get(self._config["jwks_uri"])
                keys.raise_for_status()
                self._keys = KeySet.import_key_set(keys.json())
            self._read_at = time.monotonic()
        return self._config

    async def id_token_claims(self, id_token: str, nonce: str) -> dict:
        """The ID token's claims once its signature, issuer, audience, nonce and times hold."""
        await self.config()
        token = jose_jwt.decode(id_token, self._keys, algorithms=["RS256", "ES256", "PS256"])
        jose_jwt.JWTClaimsRegistry(
            leeway=30, iss={"essential": True, "value": self._config["issuer"]},
            aud={"essential": True, "value": self.settings.oidc_client_id},
            nonce={"essential": True, "value": nonce}, exp={"essential": True}).validate(token.claims)
        return dict(token.claims)


class PageSessions:
    """Sign-in for one service's page (`/console`), with its routes under `{page}/auth/`."""

    def __init__(self, service, *, page: str, title: str, settings: AuthSettings | None = None) -> None:
        self.service = service
        self.page = page
        self.title = title
        self.cookie = "cgzf_" + page.strip("/").replace("/", "_")
        self.settings = settings or AuthSettings()
        self.provider = Provider(self.settings) if self.settings.oidc_issuer else None
        self.sessions, self.logins = service.tables.web_sessions, service.tables.web_logins

    @property
    def secure(self) -> bool:
        return self.service.settings.environment != "development"

    # -- the session store -------------------------------------------------------------------------
    async def open(self, request: Request, principal: Principal, name: str, id_token: str | None) -> str:
        """A new session for a person just signed in; the directory is told (StaffSignedIn)."""
        now = self.service.clock.now()
        session_id, row = new_session(principal, name, now=now, ttl_s=self.settings.session_ttl_s, id_token=id_token)
        async with self.service.uow() as uow:
            await uow.session.execute(insert(self.sessions).values(**row))
            await uow.session.execute(delete(self.sessions).where(self.sessions.c.expires_at < now))
            uow.publish(StaffSignedIn(subject=principal.subject, name=name[:100], role=principal.role.value,
                                      squad_id=principal.squad_id, page=self.page, at=now))
            await uow.commit()
        log.info("%s signed in to %s as %s", principal.subject, self.page, principal.role.value)
        return session_id

    async def find(self, session_id: str | None) -> Session | None:
        if not session_id or len(session_id) > 100:
            return None
        now = self.service.clock.now()
        t = self.sessions
        async with self.service.session_factory() as db:
            row = (await db.execute(select(t).where(t.c.id_sha256 == _digest(session_id)))).first()
            if row is None or row.expires_at <= now or \
                    row.last_seen_at + timedelta(seconds=self.settings.session_idle_s) <= now:
                return None
            if now - row.last_seen_at > timedelta(seconds=60):  # seen: written at most once a minute
                await db.execute(update(t).where(t.c.id_sha256 == row.id_sha256).values(last_seen_at=now))
                await db.commit()
        return Session(principal=Principal(subject=row.subject, role=Role(row.role), squad_id=row.squad_id),
                       name=row.name, csrf=row.csrf, id_token=row.id_token, expires_at=row.expires_at)

    async def close(self, session_id: str | None) -> Session | None:
        found = await self.find(session_id)
        if session_id:
            async with self.service.session_factory() as db:
                await db.execute(delete(self.sessions).where(self.sessions.c.id_sha256 == _digest(session_id)))
                await db.commit()
        return found

    async def principal(self, request: Request) -> Principal | None:
        """The person of this page's session cookie, if any; a state-changing request must also
        carry the session's CSRF token."""
        session = await self.find(request.cookies.get(self.cookie))
        if session is None:
            return None
        if request.method in UNSAFE and not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), session.csrf):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this request changes something and must carry the "
                                "session's CSRF token (X-CSRF-Token): reload the page")
        return session.principal

    def _set_cookie(self, response, session_id: str) -> None:
        response.set_cookie(self.cookie, session_id, max_age=self.settings.session_ttl_s, httponly=True,
                            secure=self.secure, samesite="lax", path="/")

    # -- the routes --------------------------------------------------------------------------------
    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        page, auth = self.page, f"{self.page}/auth"

        @router.get(f"{auth}/login")
        async def login(request: Request, next: str | None = None):
            target = _safe_next(next, page)
            if self.provider is not None:
                return await self._to_provider(request, target)
            if self._demo_allowed(request):
                return RedirectResponse(f"{auth}/demo?{urlencode({'next': target})}", status_code=303)
            return self._page("无法登录", "本平台没有配置统一身份认证 (AUTH_OIDC_ISSUER)。请联系系统管理员。", 503)

        @router.get(f"{auth}/callback")
        async def callback(request: Request, state: str = "", code: str = "", error: str = "",
                           error_description: str = ""):
            if error:
                return self._page("登录未完成", f"统一身份认证返回: {error_description or error}", 400)
            t = self.logins
            async with self.service.session_factory() as db:
                pending = (await db.execute(select(t).where(t.c.state == state[:64]))).first()
                await db.execute(delete(t).where(t.c.state == state[:64]))
                await db.commit()
            if pending is None or not code or \
                    self.service.clock.now() - pending.created_at > timedelta(minutes=10):
                return self._page("登录已过期", f"请重新<a href='{auth}/login'>登录</a>。", 400)
            config = await self.provider.config()
            async with self._client(request) as client:
                try:
                    token = await client.fetch_token(config["token_endpoint"], code=code,
                                                     code_verifier=pending.code_verifier)
                    claims = await self.provider.id_token_claims(token["id_token"], pending.nonce)
                except (JoseError, KeyError, httpx.HTTPError, ValueError) as exc:
                    log.warning("sign-in refused at %s: %s", page, exc)
                    return self._page("登录失败", "统一身份认证的答复无法核实, 请重新登录。", 400)
            access = _unverified_claims(token.get("access_token"))
            return await self._signed_in(request, {**access, **claims}, token["id_token"], pending.next_url)

        @router.post(f"{auth}/logout")
        async def logout(request: Request, csrf: str = Form("")):
            session_id = request.cookies.get(self.cookie)
            session = await self.find(session_id)
            if session is not None and not hmac.compare_digest(csrf or request.headers.get(CSRF_HEADER, ""),
                                                               session.csrf):
                raise HTTPException(status.HTTP_403_FORBIDDEN, "sign-out needs the session's CSRF token")
            await self.close(session_id)
            signed_out = f"{self._base(request)}{auth}/signed-out"
            target = f"{auth}/signed-out"
            if self.provider is not None and session is not None:
                config = await self.provider.config()
                if config.get("end_session_endpoint"):
                    target = config["end_session_endpoint"] + "?" + urlencode({
                        "client_id": self.settings.oidc_client_id, "post_logout_redirect_uri": signed_out,
                        **({"id_token_hint": session.id_token} if session.id_token else {})})
            response = RedirectResponse(target, status_code=303)
            response.delete_cookie(self.cookie, path="/")
            response.delete_cookie(DEMO_SSO_COOKIE, path="/")
            return response

        @router.get(f"{auth}/signed-out")
        async def signed_out():
            return self._page("已退出", f"您已退出{html.escape(self.title)}。<p><a href='{page}'>重新登录</a></p>", 200)

        @router.get(f"{auth}/session")
        async def current(request: Request):
            session = await self.find(request.cookies.get(self.cookie))
            if session is None:
                return JSONResponse({"detail": "not signed in", "login": f"{auth}/login?next={page}"}, status_code=401)
            p = session.principal
            return {"subject": p.subject, "name": session.name, "role": p.role.value, "squad_id": p.squad_id,
                    "csrf": session.csrf, "expires_at": session.expires_at.isoformat(),
                    "logout": f"{auth}/logout"}

        @router.get(f"{auth}/demo")
        async def demo(request: Request, next: str | None = None):
            if not self._demo_allowed(request):
                raise HTTPException(status.HTTP_404_NOT_FOUND, "no demo sign-in outside development")
            target = _safe_next(next, page)
            remembered = self._demo_remembered(request)
            if remembered is not None:  # signed in on another page already: single sign-on
                return await self._demo_sign_in(request, remembered, target)
            people = request.app.state.demo_people
            rows = "".join(
                f"<li><form method='post' action='{auth}/demo'><input type='hidden' name='next' "
                f"value='{html.escape(target)}'><input type='hidden' name='username' value='{html.escape(p.username)}'>"
                f"<button type='submit'><b>{html.escape(p.name)}</b> <span>{html.escape(p.title)}</span></button>"
                f"</form></li>" for p in people)
            return self._page("演示登录", "开发环境的演示账号 (正式部署使用统一身份认证)。请选择登录身份:"
                                        f"<ul class='people'>{rows}</ul>", 200)

        @router.post(f"{auth}/demo")
        async def demo_pick(request: Request, username: str = Form(...), next: str = Form("")):
            if not self._demo_allowed(request):
                raise HTTPException(status.HTTP_404_NOT_FOUND, "no demo sign-in outside development")
            person = next_person(request.app.state.demo_people, username)
            if person is None:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"no demo person {username!r}")
            return await self._demo_sign_in(request, person, _safe_next(next, page))

        return router

    # -- the pieces --------------------------------------------------------------------------------
    async def page_principal(self, request: Request) -> Principal | HTMLResponse | RedirectResponse:
        """For the page itself: the signed-in person, or where to go instead."""
        session = await self.find(request.cookies.get(self.cookie))
        if session is None:
            return RedirectResponse(f"{self.page}/auth/login?{urlencode({'next': request.url.path})}", status_code=303)
        return session.principal

    async def serve(self, request: Request, page: str, roles: frozenset[Role], refusal: str,
                    img_src: str = "") -> HTMLResponse | RedirectResponse:
        """A staff page: the sign-in for a stranger; for a signed-in role not in `roles`, a page
        saying why (`refusal`, where `{role}` is the person's role); else the page itself, with
        scripts and styles from this origin only (`img_src`: further image sources)."""
        signed_in = await self.page_principal(request)
        if not isinstance(signed_in, Principal):
            return signed_in  # to the sign-in
        if signed_in.role not in roles:
            return await self.refusal(request, refusal.format(role=signed_in.role.value))
        return HTMLResponse(page, headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                       f"script-src 'self' 'unsafe-inline'; img-src 'self' data:{img_src}"})

    async def refusal(self, request: Request, why: str) -> HTMLResponse:
        """The page for a signed-in person whose role does not use this page, with a way out."""
        session = await self.find(request.cookies.get(self.cookie))
        csrf = html.escape(session.csrf) if session else ""
        return self._page("无法进入" + self.title, html.escape(why) + f"<form method='post' action='{self.page}/auth/"
                          f"logout'><input type='hidden' name='csrf' value='{csrf}'><p><button type='submit'>"
                          "退出登录</button></p></form>", 403)

    def _client(self, request: Request) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(client_id=self.settings.oidc_client_id, client_secret=self.settings.oidc_client_secret,
                                 scope="openid profile", redirect_uri=f"{self._base(request)}{self.page}/auth/callback",
                                 code_challenge_method="S256", timeout=15)

    async def _to_provider(self, request: Request, target: str) -> RedirectResponse:
        config = await self.provider.config()
        verifier, nonce = secrets.token_urlsafe(64), secrets.token_urlsafe(24)
        async with self._client(request) as client:
            url, state = client.create_authorization_url(config["authorization_endpoint"], code_verifier=verifier,
                                                         nonce=nonce)
        async with self.service.session_factory() as db:
            now = self.service.clock.now()
            await db.execute(delete(self.logins).where(self.logins.c.created_at < now - timedelta(minutes=10)))
            await db.execute(insert(self.logins).values(state=state, code_verifier=verifier, nonce=nonce,
                                                        next_url=target, created_at=now))
            await db.commit()
        return RedirectResponse(url, status_code=303)

    async def _signed_in(self, request: Request, claims: dict, id_token: str | None, target: str):
        try:
            principal, name = principal_from_claims(claims, self.settings)
        except ClaimsRefused as refused:
            log.warning("sign-in to %s refused: %s", self.page, refused)
            return self._page("无法进入" + self.title, html.escape(refused.page), 403)
        session_id = await self.open(request, principal, name, id_token)
        response = RedirectResponse(target, status_code=303)
        self._set_cookie(response, session_id)
        return response

    def _demo_allowed(self, request: Request) -> bool:
        return bool(self.settings.demo_sign_in and self.service.settings.environment == "development"
                    and getattr(request.app.state, "demo_people", None))

    def _demo_remembered(self, request: Request):
        value = request.cookies.get(DEMO_SSO_COOKIE, "")
        username, _, signature = value.partition(".")
        if not username or not hmac.compare_digest(signature, _demo_signature(self.settings, username)):
            return None
        return next_person(request.app.state.demo_people, username)

    async def _demo_sign_in(self, request: Request, person, target: str):
        claims = {"sub": person.username, "role": person.role, "name": person.name,
                  **({"squad_id": person.squad_id} if person.squad_id else {})}
        try:
            principal, name = principal_from_claims(claims, self.settings, builtin=True)
        except ClaimsRefused as refused:
            return self._page("无法进入" + self.title, html.escape(refused.page), 403)
        session_id = await self.open(request, principal, name, None)
        response = RedirectResponse(target, status_code=303)
        self._set_cookie(response, session_id)
        response.set_cookie(DEMO_SSO_COOKIE, f"{person.username}.{_demo_signature(self.settings, person.username)}",
                            httponly=True, samesite="lax", path="/", secure=self.secure)
        return response

    def _base(self, request: Request) -> str:
        configured = self.settings.public_base_url
        return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")

    def _page(self, heading: str, body_html: str, code: int) -> HTMLResponse:
        return HTMLResponse(SIGN_IN_PAGE.format(title=html.escape(heading), service=html.escape(self.title),
                                                body=body_html), status_code=code,
                            headers={"Cache-Control": "no-store", "Content-Security-Policy":
                                     "default-src 'self'; style-src 'unsafe-inline'; form-action 'self'"})


DEMO_SSO_COOKIE = "cgzf_demo"


def _demo_signature(settings: AuthSettings, username: str) -> str:
    return hmac.new(settings.jwt_secret.encode(), f"demo-sso:{username}".encode(), hashlib.sha256).hexdigest()[:32]


def next_person(people, username: str):
    return next((p for p in people if p.username == username), None)


def _unverified_claims(token: str | None) -> dict[str, Any]:
    """The access token's claims, for the role and squad claims a provider may put there only. It
    came from the token endpoint over the back channel just now, for our client; its signature is
    checked by the APIs that accept it, and the ID token, whose signature is checked here, is what
    says who signed in."""
    if not token or token.count(".") != 2:
        return {}
    try:
        body = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, TypeError):
        return {}


SIGN_IN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {service}</title>
<style>
 body {{ font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif; background: #eef2f6; margin: 0; color: #1d2733; }}
 main {{ max-width: 560px; margin: 8vh auto; background: #fff; border-radius: 8px; padding: 28px 32px;
        box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
 h1 {{ font-size: 20px; margin: 0 0 4px; }} .service {{ color: #5b6b7b; margin-bottom: 18px; }}
 ul.people {{ list-style: none; padding: 0; }} ul.people li {{ margin: 6px 0; }}
 ul.people button {{ width: 100%; text-align: left; padding: 10px 14px; border: 1px solid #c8d3df; border-radius: 6px;
   background: #f8fafc; cursor: pointer; font-size: 15px; }}
 ul.people button span {{ color: #5b6b7b; margin-left: 8px; font-size: 13px; }}
 ul.people button:hover {{ background: #e3edf7; }}
</style></head>
<body><main><h1>{title}</h1><div class="service">{service}</div>{body}</main></body></html>"""
