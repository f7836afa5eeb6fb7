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
    sub.add_parser("up", help="start PostgreSQL, Kafka and the five services")
    sub.add_parser("down", help="stop everything `up` started")
    sub.add_parser("status")
    token = sub.add_parser("token", help="print a development bearer token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role])
    token.add_argument("--subject")
    token.add_argument("--squad")
    key = sub.add_parser("open311-key", help="issue an Open311 api_key to a client app, through the running "
                                             "intake's admin API")
    key.add_argument("--name", required=True)
    key.add_argument("--url", help="intake's address; default: the stack of `make up` if it runs, else "
                                   "http://127.0.0.1:8000 (`make run`)")
    args = parser.parse_args(argv)

    if args.command == "open311-key":
        return open311_key(args.name, args.url)

    if args.command == "token":
        print(issue_token(AuthSettings(), args.role, subject=args.subject, squad_id=args.squad))
        return 0
    stack = Stack(StackConfig.from_env())
    if args.command == "up":
        stack.up()
        for name, state in stack.status().items():
            print(f"{name:10} {state}")
        print(f"intake API: http://127.0.0.1:{stack.config.service_port('intake')}/docs  (make token ROLE=hotline_operator)")
    elif args.command == "down":
        stack.down()
        print("stopped: " + ", ".join(("postgres", "kafka", *SERVICES)))
    else:
        for name, state in stack.status().items():
            print(f"{name:10} {state}")
    return 0


def open311_key(name: str, url: str | None) -> int:
    import httpx

    if url is None:
        stack = Stack(StackConfig.from_env())
        running = stack.service_pid("intake") is not None
        url = f"http://127.0.0.1:{stack.config.service_port('intake')}" if running else "http://127.0.0.1:8000"
    admin = issue_token(AuthSettings(), Role.admin, subject="make-open311-key")
    try:
        r = httpx.post(f"{url}/v1/open311/keys", json={"name": name}, timeout=30,
                       headers={"Authorization": f"Bearer {admin}"})
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
