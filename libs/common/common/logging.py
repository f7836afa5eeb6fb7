"""Logs with the correlation id of the complaint being worked on, and no personal data.

The correlation id lives in asgi-correlation-id's context variable: the HTTP middleware sets it
from `X-Request-ID` (or makes one), the outbox stores it with each event, and the consumer sets
it again while it handles that event, so one id follows a complaint across every service.

Every logger goes through the one handler set here (uvicorn's, SQLAlchemy's and aiokafka's
included: their own handlers are removed and they propagate to it), and that handler's
formatter masks phone and identity-card numbers in the whole formatted line, tracebacks
included, since an exception's text can carry what a request sent."""

from __future__ import annotations

import logging
import sys

from asgi_correlation_id import correlation_id
from pythonjsonlogger.json import JsonFormatter

from common.redaction import mask_phone, redact_phones, redact_private  # noqa: F401 (re-exported)

OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "sqlalchemy", "aiokafka", "alembic")
"""Loggers that libraries may give handlers of their own: emptied, so they reach ours."""


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        if not hasattr(record, "service"):
            record.service = self.service
        return True


class RedactingJsonFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_private(super().format(record))


class RedactingTextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_private(super().format(record))


def configure_logging(service: str, level: str = "INFO", *, human: bool = False, stream=None) -> None:
    """JSON lines, or (`human`) one readable line per record for a person at a terminal, on
    standard output (or `stream`)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    if human:
        handler.setFormatter(
            RedactingTextFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")
        )
    else:
        handler.setFormatter(
            RedactingJsonFormatter(
                "{asctime}{levelname}{name}{message}{service}{correlation_id}",
                style="{",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in OWN_HANDLERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    for noisy in ("aiokafka", "kafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel("WARNING")
