"""`python -m devstack up|down|status|token`: see the Makefile."""
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
    args = parser.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
