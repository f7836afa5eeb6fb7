"""Entry point of a rebuild's worker process: `python -m reporting.replay_worker SHARE SHARES`, the
service's settings as JSON on stdin. It replays its share of the topics' partitions into the read
model its parent emptied (`ReportingService.replay_share`), writing its progress to stdout as a
line of JSON every half second, and exits 0 once its share is applied and handed over."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sys

from common.db import make_engine, make_session_factory
from common.logging import configure_logging
from common.messaging.replay import ReplayProgress
from reporting.service import ReportingService
from reporting.settings import ReportingSettings


async def main(share: int, shares: int) -> None:
    settings = ReportingSettings.model_validate_json(sys.stdin.read())
    configure_logging("reporting", settings.log_level, stream=sys.stderr)  # stdout is the parent's progress
    service = ReportingService(settings)
    service.engine = make_engine(settings.database_url, 2, 0)
    service.session_factory = make_session_factory(service.engine)
    service.transport = service._make_transport()
    progress = ReplayProgress()

    def report() -> None:
        sys.stdout.write(json.dumps(dataclasses.asdict(progress)) + "\n")  # to the parent, not a log
        sys.stdout.flush()

    async def reporting() -> None:
        while True:
            await asyncio.sleep(0.5)
            report()

    reporter = asyncio.create_task(reporting())
    try:
        await service.replay_share(share, shares, progress)
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
        report()
        await service.engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
