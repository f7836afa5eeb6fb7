"""`python -m devstack up|down|status|token|open311-key`: see the Makefile."""

from __future__ import annotations

import argparse
import sys

from common.auth import Role, issue_token
from common.settings import AuthSettings
from devstack.stack import SERVICES, Stack, StackConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start PostgreSQL, Kafka, Keycloak and the five services")
    sub.add_parser("keycloak-dist", help="fetch (Maven Central), unpack and build Keycloak once, into .cache")
    sub.add_parser("down", help="stop everything `up` started")
    sub.add_parser("status")
    token = sub.add_parser("token", help="print a development bearer token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--subject")
    token.add_argument("--squad")
    token.add_argument(
        "--scope",
        action="append",
        default=[],
        help="a scope given on purpose, e.g. dog-owner-contact (the SMS gateway)",
    )
    key = sub.add_parser(
        "open311-key", help="issue an Open311 api_key to a client app, through the running intake's admin API"
    )
    key.add_argument("--name", required=True)
    key.add_argument(
        "--url",
        help="intake's address; default: the stack of `make up` if it runs, else http://127.0.0.1:8000 (`make run`)",
    )
    args = parser.parse_args(argv)

    if args.command == "open311-key":
        return open311_key(args.name, args.url)

    if args.command == "keycloak-dist":
        from devstack.keycloak import ensure_dist

        print(f"Keycloak: {ensure_dist()}")
        return 0
    if args.command == "token":
        print(
            issue_token(AuthSettings(), args.role, subject=args.subject, squad_id=args.squad, scopes=tuple(args.scope))
        )
        return 0
    stack = Stack(StackConfig.from_env())
    if args.command == "up":
        stack.up()
        for name, state in stack.status().items():
            print(f"{name:10} {state}")
        print(where_to_sign_in(stack))
    elif args.command == "down":
        stack.down()
        print("stopped: " + ", ".join(("gateway", "postgres", "kafka", "keycloak", *SERVICES)))
    else:
        for name, state in stack.status().items():
            print(f"{name:10} {state}")
    return 0


def where_to_sign_in(stack: Stack) -> str:
    """What `make up` tells a person: where to open, who can sign in, how programs get tokens."""
    from devstack.keycloak import PROGRAMS
    from devstack.people import DEMO_PEOPLE

    gateway, port = f"http://127.0.0.1:{stack.config.gateway_port}", stack.config.service_port
    lines = ["", "城市管理综合执法平台 · make up (every page and API through the gateway)", ""]
    lines += [
        f"  {gateway}{path:10} {what}"
        for path, what in (
            ("/field", "城管通 (队员、中队长、监督员的手机; 添加到主屏幕)"),
            ("/console", "派遣台 (派遣员、督查、中队)"),
            ("/ledger", "台账 (台账管理员)"),
            ("/reports", "领导驾驶舱 (统计)"),
            ("/links", "对接 (12345工单回复、订阅; 指挥中心)"),
            ("/report", "市民投诉 (公众)"),
        )
    ]
    lines += ["", "  each service on its own port too, with its API documentation at /docs:"]
    lines += [f"    {s:10} http://127.0.0.1:{port(s)}/docs" for s in SERVICES]
    if not stack.config.identity:
        lines += ["", "no identity provider (STACK_IDENTITY=none): programs use `make token ROLE=...`"]
        return "\n".join(lines)
    kc = stack.keycloak
    lines += ["", f"统一身份认证 (Keycloak): {kc.issuer}", "  demo staff (username / password):"]
    lines += [f"  {p.username:17} {p.password:18} {p.name} · {p.title}" for p in DEMO_PEOPLE]
    lines += ["", f"  programs: client credentials at {kc.token_url}"]
    lines += [
        f"    {client:20} ({program.role}{''.join(' + ' + s for s in program.scopes)})"
        for client, program in PROGRAMS.items()
    ]
    lines += [
        f"    their secrets, and Keycloak's admin password ({kc.base_url}/admin, user admin): {kc.secrets_file}",
        "  `make token ROLE=...` still gives a development token (development only)",
        "",
    ]
    return "\n".join(lines)


def open311_key(name: str, url: str | None) -> int:
    import httpx

    if url is None:
        stack = Stack(StackConfig.from_env())
        running = stack.service_pid("intake") is not None
        url = f"http://127.0.0.1:{stack.config.service_port('intake')}" if running else "http://127.0.0.1:8000"
    admin = issue_token(AuthSettings(), Role.admin, subject="make-open311-key")
    try:
        r = httpx.post(
            f"{url}/v1/open311/keys", json={"name": name}, timeout=30, headers={"Authorization": f"Bearer {admin}"}
        )
    except httpx.HTTPError as exc:
        print(f"intake is not reachable at {url} ({exc}): start it with `make up` or `make run`", file=sys.stderr)
        return 1
    if r.status_code != 201:
        print(f"intake refused: {r.status_code} {r.text}", file=sys.stderr)
        return 1
    print(r.json()["api_key"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
