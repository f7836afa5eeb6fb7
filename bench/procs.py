"""CPU time and peak memory of processes, read from /proc."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int | None, children: bool = False) -> float:
    """User and system CPU; with `children`, also that of its children once they ended (a
    rebuild's workers)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def peak_rss_mb(pid: int) -> float:
    """The most resident memory the process has had (VmHWM)."""
    return _status_mb(pid, "VmHWM")


def rss_mb(pid: int) -> float:
    """Its resident memory now (VmRSS)."""
    return _status_mb(pid, "VmRSS")


def postgres_pids(data_dir: Path) -> list[int]:
    """The postmaster of this data folder and its children (backends, WAL writer, ...)."""
    try:
        master = int((Path(data_dir) / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return []
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            if ppid == master:
                pids.append(int(entry.name))
    return pids
