"""Sign-in for one staff page (`/console`), with its routes under `{page}/auth/`.

- `login` sends the person to the provider (code flow with PKCE). The login is bound to the
  browser that started it: the `state` the provider returns is the digest of a secret kept in a
  short-lived HttpOnly cookie, so a callback URL minted in another browser (login CSRF: signing a
  clerk in as the attacker) is refused.
- `callback` checks the ID token and opens the session (common.web_session.store).
- `logout` ends every session of the person, here and on the other pages (StaffSignedOut), and
  at the provider (RP-initiated logout).
- `backchannel-logout` is where the provider ends a session itself (OpenID Connect Back-Channel
  Logout): an administrator signing a person out, a session ended at the provider.
- Once a minute at most (AUTH_SESSION_RECHECK_S) a session in use asks the provider whether the
  person may still be signed in (a refresh): a person disabled at the provider is out at their
  next request after that.
- `demo`: make run's demo sign-in, development only."""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import secrets
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from joserfc.errors import JoseError
from sqlalchemy import delete, insert, select

from common.auth import Principal, Role, issue_token
from common.claims import ClaimsRefused, principal_from_claims
from common.refusals import NotFound, Refused, Unauthenticated, Unprocessable
from common.settings import AuthSettings
from common.web_session import demo
from common.web_session.oidc import LogoutTokenRefused, Provider, ProviderRefused, unverified_claims
from common.web_session.pages import Html, button_form, link, page
from common.web_session.store import ProviderTokens, Session, SessionStore

log = logging.getLogger(__name__)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_TOKEN_TTL_S = 900
"""A page's bearer token (`{page}/auth/token`) without a provider: as long as Keycloak's access tokens."""
CSRF_HEADER = "x-csrf-token"


def safe_next(next_url: str | None, default: str) -> str:
    """Only a path on this site: never an open redirect."""
    if not next_url:
        return default
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not next_url.startswith("/") or next_url.startswith("//"):
        return default
    return next_url


def _state_of(browser_secret: str) -> str:
    return hashlib.sha256(f"login-state:{browser_secret}".encode()).hexdigest()


class PageSessions:
    """Sign-in for one service's page, on the process's session store (`store`, which `create_app`
    shares among the pages of one process)."""

    def __init__(self, service, *, page: str, title: str, settings: AuthSettings | None = None) -> None:
        self.service = service
        self.page = page
        self.title = title
        self.settings = settings or AuthSettings()
        self.provider = Provider(self.settings) if self.settings.oidc_issuer else None
        self.store = SessionStore(
            service,
            cookie="cgzf_" + page.strip("/").replace("/", "_"),
            ttl_s=self.settings.session_ttl_s,
            idle_s=self.settings.session_idle_s,
            street_idle_s=self.settings.street_session_idle_s,
        )
        self.login_cookie = "cgzf_login_" + page.strip("/").replace("/", "_")

    @property
    def cookie(self) -> str:
        return self.store.cookie

    @property
    def secure(self) -> bool:
        return self.service.settings.environment != "development"

    # -- who is signed in --------------------------------------------------------------------------
    async def session(self, request: Request) -> Session | None:
        """The session of this request's cookie, still in force here and at the provider."""
        session = await self.store.find(request.cookies.get(self.cookie))
        if session is None or self.provider is None or not session.refresh_token:
            return session
        now = self.store.clock.now()
        if session.checked_at and now - session.checked_at < timedelta(seconds=self.settings.session_recheck_s):
            return session
        try:
            turned = await self.provider.refresh(session.refresh_token)
        except ProviderRefused as refused:
            log.info("the provider ended %s's session: %s", session.principal.subject, refused)
            await self.store.sign_out(session.principal.subject, None, "provider_refused")
            return None
        except (httpx.HTTPError, ValueError, KeyError) as exc:  # the provider away for a moment: not the person's fault
            log.warning("could not ask the provider about %s's session: %s", session.principal.subject, exc)
            return session
        await self.store.checked(session, turned)
        return session

    async def principal(self, request: Request) -> Principal | None:
        """The person of the session cookie, if any; a state-changing request must also carry the
        session's CSRF token."""
        session = await self.session(request)
        if session is None:
            return None
        if request.method in UNSAFE and not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), session.csrf):
            raise Refused(
                "this request changes something and must carry the "
                "session's CSRF token (X-CSRF-Token): reload the page",
            )
        return session.principal

    async def page_principal(self, request: Request) -> Principal | RedirectResponse:
        """For the page itself: the signed-in person, or where to go instead."""
        session = await self.session(request)
        if session is None:
            return RedirectResponse(f"{self.page}/auth/login?{urlencode({'next': request.url.path})}", status_code=303)
        return session.principal

    async def serve(
        self, request: Request, html_page: str, roles: frozenset[Role], refusal: str, img_src: str = ""
    ) -> HTMLResponse | RedirectResponse:
        """A staff page: the sign-in for a stranger; for a signed-in role not in `roles`, a page
        saying why (`refusal`, where `{role}` is the person's role); else the page itself, with
        scripts and styles from this origin only (`img_src`: further image sources)."""
        signed_in = await self.page_principal(request)
        if not isinstance(signed_in, Principal):
            return signed_in  # to the sign-in
        if signed_in.role not in roles:
            return await self.refusal(request, refusal.format(role=signed_in.role.value))
        return HTMLResponse(
            html_page,
            headers={
                "Cache-Control": "no-cache",
                "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                f"script-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{img_src}",
            },
        )

    async def refusal(self, request: Request, why: str) -> HTMLResponse:
        """The page for a signed-in person whose role does not use this page, with a way out."""
        session = await self.store.find(request.cookies.get(self.cookie))
        out = button_form(f"{self.page}/auth/logout", "退出登录", {"csrf": session.csrf if session else ""})
        return self._page("无法进入" + self.title, Html(html.escape(why) + out), 403)

    # -- the routes --------------------------------------------------------------------------------
    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        auth = f"{self.page}/auth"

        @router.get(f"{auth}/login")
        async def login(request: Request, next: str | None = None):
            target = safe_next(next, self.page)
            if self.provider is not None:
                return await self._to_provider(request, target)
            if self._demo_allowed(request):
                return RedirectResponse(f"{auth}/demo?{urlencode({'next': target})}", status_code=303)
            return self._page("无法登录", "本平台没有配置统一身份认证 (AUTH_OIDC_ISSUER)。请联系系统管理员。", 503)

        @router.get(f"{auth}/callback")
        async def callback(
            request: Request, state: str = "", code: str = "", error: str = "", error_description: str = ""
        ):
            if error:  # the provider's words come through the query string: anyone can write them
                return self._page("登录未完成", f"统一身份认证返回: {(error_description or error)[:200]}", 400)
            again = Html("请重新" + link(f"{auth}/login", "登录") + "。")
            browser = request.cookies.get(self.login_cookie, "")
            if not browser or not hmac.compare_digest(_state_of(browser), state[:64]):
                log.warning("sign-in to %s refused: the callback's state is not this browser's login", self.page)
                return self._page("登录已过期", again, 400)
            t = self.store.logins
            async with self.service.session_factory() as db:
                pending = (await db.execute(select(t).where(t.c.state == state[:64]))).first()
                await db.execute(delete(t).where(t.c.state == state[:64]))
                await db.commit()
            if pending is None or not code or self.store.clock.now() - pending.created_at > timedelta(minutes=10):
                return self._page("登录已过期", again, 400)
            provider = self._oidc()
            config = await provider.config()
            async with self._client(request) as client:
                try:
                    token = await client.fetch_token(
                        config["token_endpoint"], code=code, code_verifier=pending.code_verifier
                    )
                    claims = await provider.id_token_claims(token["id_token"], pending.nonce)
                except (JoseError, KeyError, httpx.HTTPError, ValueError) as exc:
                    log.warning("sign-in refused at %s: %s", self.page, exc)
                    return self._page("登录失败", "统一身份认证的答复无法核实, 请重新登录。", 400)
            tokens = ProviderTokens(
                id_token=token["id_token"], refresh_token=token.get("refresh_token"), sid=claims.get("sid")
            )
            response = await self._signed_in(
                {**unverified_claims(token.get("access_token")), **claims}, tokens, pending.next_url
            )
            response.delete_cookie(self.login_cookie, path=auth)
            return response

        @router.post(f"{auth}/logout")
        async def logout(request: Request, csrf: str = Form("")):
            session = await self.store.find(request.cookies.get(self.cookie))
            if session is not None and not hmac.compare_digest(
                csrf or request.headers.get(CSRF_HEADER, ""), session.csrf
            ):
                raise Refused("sign-out needs the session's CSRF token")
            if session is not None:  # every session of the person, on every page
                await self.store.sign_out(session.principal.subject, None, "signed_out")
            target = f"{auth}/signed-out"
            if self.provider is not None and session is not None:
                config = await self.provider.config()
                if config.get("end_session_endpoint"):
                    target = (
                        config["end_session_endpoint"]
                        + "?"
                        + urlencode(
                            {
                                "client_id": self.settings.oidc_client_id,
                                "post_logout_redirect_uri": f"{self._base(request)}{auth}/signed-out",
                                **({"id_token_hint": session.id_token} if session.id_token else {}),
                            }
                        )
                    )
            response = RedirectResponse(target, status_code=303)
            response.delete_cookie(self.cookie, path="/")
            response.delete_cookie(demo.DEMO_SSO_COOKIE, path="/")
            return response

        @router.post(f"{auth}/backchannel-logout")
        async def backchannel_logout(logout_token: str = Form("")):
            if self.provider is None:
                raise NotFound("no identity provider is configured")
            try:
                claims = await self.provider.logout_token_claims(logout_token)
            except LogoutTokenRefused as refused:
                log.warning("back-channel logout refused at %s: %s", self.page, refused)
                return JSONResponse(
                    {"error": "invalid_request", "error_description": str(refused)},
                    400,
                    headers={"Cache-Control": "no-store"},
                )
            # the session the provider names; the person too when the subject is the provider's `sub`
            subject = claims.get("sub") if self.settings.subject_claim == "sub" else None
            await self.store.sign_out(subject, claims.get("sid"), "provider_logout")
            return Response(status_code=200, headers={"Cache-Control": "no-store"})

        @router.get(f"{auth}/signed-out")
        async def signed_out():
            return self._page(
                "已退出", Html(f"您已退出{html.escape(self.title)}。<p>{link(self.page, '重新登录')}</p>"), 200
            )

        @router.get(f"{auth}/session")
        async def current(request: Request, token: bool = False):
            """Who is signed in, and the session's CSRF token; with `token=true` also the bearer token
            `{page}/auth/token` gives (the field app's first load saves a round trip on a weak signal:
            a page of another site can read neither, as it cannot read the CSRF token)."""
            session = await self.session(request)
            if session is None:
                return JSONResponse(
                    {"detail": "not signed in", "login": f"{auth}/login?next={self.page}"}, status_code=401
                )
            p = session.principal
            answer: dict[str, object] = {
                "subject": p.subject,
                "name": session.name,
                "role": p.role.value,
                "squad_id": p.squad_id,
                "csrf": session.csrf,
                "expires_at": session.expires_at.isoformat(),
                "logout": f"{auth}/logout",
            }
            if token:
                answer["token"] = await self._api_token(session)
            return JSONResponse(answer, headers={"Cache-Control": "no-store"})

        @router.post(f"{auth}/token")
        async def api_token(request: Request):
            """A bearer token for the page's calls to every service (under `make up` each service
            is its own process and knows only its own sessions); needs the session and its CSRF token."""
            session = await self.session(request)
            if session is None:
                raise Unauthenticated("not signed in")
            if not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), session.csrf):
                raise Refused("the token is given to the page that holds the session's CSRF token")
            return JSONResponse(await self._api_token(session), headers={"Cache-Control": "no-store"})

        @router.get(f"{auth}/demo")
        async def demo_page(request: Request, next: str | None = None):
            if not self._demo_allowed(request):
                raise NotFound("no demo sign-in outside development")
            target = safe_next(next, self.page)
            person = demo.remembered(
                self.settings, request.app.state.demo_people, request.cookies.get(demo.DEMO_SSO_COOKIE, "")
            )
            if person is not None:  # signed in on another page already: single sign-on
                return await self._demo_sign_in(person, target)
            return self._page("演示登录", demo.picker(f"{auth}/demo", target, request.app.state.demo_people), 200)

        @router.post(f"{auth}/demo")
        async def demo_pick(request: Request, username: str = Form(...), next: str = Form("")):
            if not self._demo_allowed(request):
                raise NotFound("no demo sign-in outside development")
            person = demo.next_person(request.app.state.demo_people, username)
            if person is None:
                raise Unprocessable(f"no demo person {username!r}")
            return await self._demo_sign_in(person, safe_next(next, self.page))

        return router

    # -- the pieces --------------------------------------------------------------------------------
    def _client(self, request: Request) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.settings.oidc_client_id,
            client_secret=self.settings.oidc_client_secret,
            scope="openid profile",
            redirect_uri=f"{self._base(request)}{self.page}/auth/callback",
            code_challenge_method="S256",
            timeout=15,
        )

    def _oidc(self) -> Provider:
        if self.provider is None:  # the provider's routes are only reached with AUTH_OIDC_ISSUER set
            raise RuntimeError(f"{self.page}: no identity provider is configured")
        return self.provider

    async def _to_provider(self, request: Request, target: str) -> RedirectResponse:
        config = await self._oidc().config()
        verifier, nonce, browser = secrets.token_urlsafe(64), secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        state = _state_of(browser)
        async with self._client(request) as client:
            url, _ = client.create_authorization_url(
                config["authorization_endpoint"], code_verifier=verifier, nonce=nonce, state=state
            )
        async with self.service.session_factory() as db:
            now = self.store.clock.now()
            await db.execute(
                delete(self.store.logins).where(self.store.logins.c.created_at < now - timedelta(minutes=10))
            )
            await db.execute(
                insert(self.store.logins).values(
                    state=state, code_verifier=verifier, nonce=nonce, next_url=target, created_at=now
                )
            )
            await db.commit()
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            self.login_cookie,
            browser,
            max_age=600,
            httponly=True,
            secure=self.secure,
            samesite="lax",
            path=f"{self.page}/auth",
        )
        return response

    async def _signed_in(self, claims: dict, tokens: ProviderTokens, target: str) -> Response:
        try:
            principal, name = principal_from_claims(claims, self.settings)
        except ClaimsRefused as refused:
            log.warning("sign-in to %s refused: %s", self.page, refused)
            return self._page("无法进入" + self.title, refused.page, 403)
        session_id = await self.store.open(principal, name, self.page, tokens)
        response = RedirectResponse(target, status_code=303)
        self._set_cookie(response, session_id)
        return response

    def _set_cookie(self, response: Response, session_id: str) -> None:
        response.set_cookie(
            self.cookie,
            session_id,
            max_age=self.settings.session_ttl_s,
            httponly=True,
            secure=self.secure,
            samesite="lax",
            path="/",
        )

    def _demo_allowed(self, request: Request) -> bool:
        return bool(
            self.settings.demo_sign_in
            and self.service.settings.environment == "development"
            and getattr(request.app.state, "demo_people", None)
        )

    async def _demo_sign_in(self, person, target: str) -> Response:
        claims = {
            "sub": person.username,
            "role": person.role,
            "name": person.name,
            **({"squad_id": person.squad_id} if person.squad_id else {}),
        }
        try:
            principal, name = principal_from_claims(claims, self.settings, builtin=True)
        except ClaimsRefused as refused:
            return self._page("无法进入" + self.title, refused.page, 403)
        session_id = await self.store.open(principal, name, self.page, ProviderTokens())
        response = RedirectResponse(target, status_code=303)
        self._set_cookie(response, session_id)
        response.set_cookie(
            demo.DEMO_SSO_COOKIE,
            demo.cookie_value(self.settings, person.username),
            httponly=True,
            samesite="lax",
            path="/",
            secure=self.secure,
        )
        return response

    async def _api_token(self, session: Session) -> dict:
        """The provider's access token (through the session's refresh token, which also asks the
        provider whether the person may still be signed in), or without a provider the platform's
        development token; short-lived, asked again before it ends. With the server's time, for the
        phone's clock."""
        p = session.principal
        if self.provider is not None:
            if not session.refresh_token:
                raise Unauthenticated("the session holds no refresh token: sign in again")
            try:
                access, lifetime, turned = await self.provider.access(session.refresh_token)
            except ProviderRefused as refused:
                await self.store.sign_out(p.subject, None, "provider_refused")
                raise Unauthenticated(f"the identity provider ended the session: {refused}") from refused
            await self.store.checked(session, turned)
        else:
            lifetime = API_TOKEN_TTL_S
            access = issue_token(
                self.settings, p.role, p.subject, p.squad_id, ttl=timedelta(seconds=lifetime), name=session.name
            )
        return {
            "access_token": access,
            "expires_in": lifetime,
            "server_time": self.store.clock.now().isoformat(),
            "subject": p.subject,
            "name": session.name,
            "role": p.role.value,
            "squad_id": p.squad_id,
        }

    def _base(self, request: Request) -> str:
        configured = self.settings.public_base_url
        return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")

    def _page(self, heading: str, body: str | Html, code: int) -> HTMLResponse:
        return page(heading, self.title, body, code)
