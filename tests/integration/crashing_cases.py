"""A cases process that dies (SIGKILL) right after a handler's work, before its batch commits:
`python -m tests.integration.crashing_cases DATABASE_URL BOOTSTRAP NAMESPACE MARKER`.

The handler of the IncidentReported whose description is `kill-me` does its work, then kills
the process, once (the marker file says it happened). Used by test_consumer_transaction."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from cases.service import CasesService
from cases.settings import CasesSettings
from common.messaging.contracts import IncidentReported
from common.messaging.inbox import Batched


def main() -> None:
    database_url, bootstrap, namespace, marker = sys.argv[1:5]
    service = CasesService(
        CasesSettings(
            database_url=database_url,
            bus="kafka",
            kafka_bootstrap=bootstrap,
            kafka_namespace=namespace,
            consumer_backoff_s=0.01,
        )
    )
    handlers = service.handlers()
    open_cases = handlers[IncidentReported].apply

    async def open_then_die(batch, uow):
        await open_cases(batch, uow)  # the work is done and sent to PostgreSQL, not committed
        if any(e.data.description == "kill-me" for e in batch) and not Path(marker).exists():
            Path(marker).write_text("killed")
            os.kill(os.getpid(), signal.SIGKILL)

    service.handlers = lambda: {**handlers, IncidentReported: Batched(open_then_die)}

    async def run() -> None:
        await service.start()
        await asyncio.sleep(120)  # the kill comes long before

    asyncio.run(run())


if __name__ == "__main__":
    main()
