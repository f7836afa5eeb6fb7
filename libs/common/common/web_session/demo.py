"""`make run`'s built-in demo sign-in (development only): a person picks one of the demo staff;
picking once signs them in on every page of the process, as a provider's single sign-on would
(a signed cookie remembers whom they picked)."""

from __future__ import annotations

import hashlib
import hmac
import html

from common.settings import AuthSettings
from common.web_session.pages import Html

DEMO_SSO_COOKIE = "cgzf_demo"


def demo_signature(settings: AuthSettings, username: str) -> str:
    return hmac.new(settings.jwt_secret.encode(), f"demo-sso:{username}".encode(), hashlib.sha256).hexdigest()[:32]


def next_person(people, username: str):
    return next((p for p in people if p.username == username), None)


def remembered(settings: AuthSettings, people, cookie: str) -> object | None:
    """The demo person this browser picked before, if the cookie is ours."""
    username, _, signature = cookie.partition(".")
    if not username or not hmac.compare_digest(signature, demo_signature(settings, username)):
        return None
    return next_person(people, username)


def cookie_value(settings: AuthSettings, username: str) -> str:
    return f"{username}.{demo_signature(settings, username)}"


def picker(action: str, target: str, people) -> Html:
    rows = "".join(
        f"<li><form method='post' action='{html.escape(action)}'><input type='hidden' name='next' "
        f"value='{html.escape(target)}'><input type='hidden' name='username' value='{html.escape(p.username)}'>"
        f"<button type='submit'><b>{html.escape(p.name)}</b> <span>{html.escape(p.title)}</span></button>"
        f"</form></li>"
        for p in people
    )
    return Html(f"开发环境的演示账号 (正式部署使用统一身份认证)。请选择登录身份:<ul class='people'>{rows}</ul>")
