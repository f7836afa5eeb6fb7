"""Is a process from a pid file still the one we started? A pid alone does not say: a process
that was just killed stays a zombie until its parent reaps it (os.kill(pid, 0) succeeds on it),
and a pid is reused by the system for any later process. So a process counts as ours and alive
when it exists, is not a zombie, and its command line carries the markers it was started with."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path


def alive(pid: int, *markers: str) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat.rsplit(")", 1)[1].split()[0]  # the name in parentheses may itself hold spaces
    if state in ("Z", "X"):  # dead: reap it if it is our child, so its pid is not held
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return all(m in cmdline for m in markers)


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text())
    except (FileNotFoundError, ValueError):
        return None


def terminate(
    pid: int,
    running: Callable[[], bool],
    sig: int = signal.SIGTERM,
    timeout_s: float = 30,
    group: bool = False,
    poll_s: float = 0.2,
) -> None:
    """Ask a process (its whole group, with `group`) to stop with `sig`, wait while `running()` says it
    still runs (a zombie child is reaped by `alive`), and kill it once `timeout_s` has passed."""
    send = os.killpg if group else os.kill
    send(pid, sig)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and running():
        time.sleep(poll_s)
    if running():
        send(pid, signal.SIGKILL)
