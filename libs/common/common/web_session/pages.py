"""The pages the sign-in itself shows (the demo picker, a refusal, "signed out"), with nothing in
them that a request wrote: every value is escaped here, whoever passes it."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse

SIGN_IN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {service}</title>
<style>
 body {{ font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif; background: #eef2f6; margin: 0;
        color: #1d2733; }}
 main {{ max-width: 560px; margin: 8vh auto; background: #fff; border-radius: 8px; padding: 28px 32px;
        box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
 h1 {{ font-size: 20px; margin: 0 0 4px; }} .service {{ color: #5b6b7b; margin-bottom: 18px; }}
 ul.people {{ list-style: none; padding: 0; }} ul.people li {{ margin: 6px 0; }}
 ul.people button {{ width: 100%; text-align: left; padding: 10px 14px; border: 1px solid #c8d3df; border-radius: 6px;
   background: #f8fafc; cursor: pointer; font-size: 15px; min-height: 44px; }}
 ul.people button span {{ color: #5b6b7b; margin-left: 8px; font-size: 13px; }}
 ul.people button:hover {{ background: #e3edf7; }}
</style></head>
<body><main><h1>{title}</h1><div class="service">{service}</div>{body}</main></body></html>"""
CSP = "default-src 'self'; style-src 'unsafe-inline'; form-action 'self'"


class Html(str):
    """Markup this module's callers wrote themselves (a link, a form): put in as it is. Anything
    else given to `page` is text and is escaped."""


def page(heading: str, service: str, body: str | Html, code: int) -> HTMLResponse:
    shown = body if isinstance(body, Html) else html.escape(body)
    return HTMLResponse(
        SIGN_IN_PAGE.format(title=html.escape(heading), service=html.escape(service), body=shown),
        status_code=code,
        headers={"Cache-Control": "no-store", "Content-Security-Policy": CSP},
    )


def link(href: str, words: str) -> Html:
    return Html(f"<a href='{html.escape(href)}'>{html.escape(words)}</a>")


def button_form(action: str, words: str, fields: dict[str, str]) -> Html:
    hidden = "".join(
        f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>" for k, v in fields.items()
    )
    return Html(
        f"<form method='post' action='{html.escape(action)}'>{hidden}<p><button type='submit'>"
        f"{html.escape(words)}</button></p></form>"
    )
