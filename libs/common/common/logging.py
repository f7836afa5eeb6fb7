"""JSON logs with the correlation id of the complaint being worked on, and no phone numbers.

The correlation id lives in asgi-correlation-id's context variable: the HTTP middleware sets it
from `X-Request-ID` (or makes one), the outbox stores it with each event, and the consumer sets
it again while it handles that event, so one id follows a complaint across every service."""
from __future__ import annotations

import logging
import re
import sys

from asgi_correlation_id import correlation_id
from pythonjsonlogger.json import JsonFormatter

# Mainland mobile numbers (11 digits from 13x to 19x) and landlines with an area code.
PHONE_PATTERN = re.compile(
    r"(?:\+?86[- ]?)?(?<!\d)1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"  # mobile, with or without +86
    r"|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"  # landline with area code
)


def mask_phone(phone: str) -> str:
    """138****5678: how a caller's number is shown anywhere but intake's own store."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "****"


def redact_phones(text: str) -> str:
    return PHONE_PATTERN.sub(lambda m: mask_phone(m.group(0)), text)


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        if not hasattr(record, "service"):
            record.service = self.service
        # Redact after formatting args in, so a number passed as an argument is caught too.
        message = record.getMessage()
        redacted = redact_phones(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(
        "{asctime}{levelname}{name}{message}{service}{correlation_id}",
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    ))
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel("WARNING")
