from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable, TypeVar

T = TypeVar("T")

INCIDENT = {
    "category": "street_vending",
    "location": {"lon": 113.62, "lat": 34.75},
    "description": "建设路与汝河路交叉口占道经营",
    "caller": {"name": "张先生", "phone": "13812345678"},
}


async def eventually(probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], timeout_s: float = 15,
                     what: str = "condition") -> T:
    """Poll until `until(value)` holds; fail with the last value seen."""
    deadline = time.monotonic() + timeout_s
    value = await probe()
    while not until(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s}s; last value: {value!r}")
        await asyncio.sleep(0.05)
        value = await probe()
    return value
