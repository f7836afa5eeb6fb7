from __future__ import annotations

import random
import socket
import time

# Below Linux's ephemeral range (32768-60999): a port chosen here cannot be taken, between being
# chosen and being listened on, by the local end of some outgoing connection (a Kafka or
# PostgreSQL client), which is what happened to a port the kernel handed out with bind(0).
SPARE_PORTS = range(20000, 32768)


def bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A port nothing listens on now, outside the ephemeral range."""
    for _ in range(1000):
        port = random.choice(SPARE_PORTS)
        if bindable(port) and not port_open(port):
            return port
    raise RuntimeError(f"no free port between {SPARE_PORTS.start} and {SPARE_PORTS.stop - 1}")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_for_port(port: int, timeout_s: float, what: str, alive=lambda: True) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if not alive():
            raise RuntimeError(f"{what} exited before listening on {port}")
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout_s:.0f}s")
