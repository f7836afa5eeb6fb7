"""The devices' judge (`python -m ledger.judge`, Quix Streams on Kafka) as a process of its own:
started by `make up` beside ledger, and by the tests, which kill it with -9 in the middle of an
episode and start a second replica to take its partitions over."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from devstack.processes import alive, read_pid, terminate

REPO = Path(__file__).resolve().parents[3]


class LocalJudge:
    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        """`env`: ledger's settings (LEDGER_DATABASE_URL, LEDGER_KAFKA_BOOTSTRAP, LEDGER_KAFKA_NAMESPACE, ...);
        the judge keeps its RocksDB state in `data_dir`."""
        self.data_dir = Path(data_dir).resolve()
        self.env = env
        self.pid_file = self.data_dir / "judge.pid"
        self.log_file = self.data_dir / "judge.log"
        self._proc: subprocess.Popen | None = None

    def pid(self) -> int | None:
        pid = read_pid(self.pid_file)
        if pid is None or not alive(pid, "ledger.judge", str(self.data_dir)):
            return None
        return pid

    def start(self) -> int:
        if (pid := self.pid()) is not None:
            return pid
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file, "ab")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "ledger.judge", "--state-dir", str(self.data_dir / "state")],
            env={**self.env, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=REPO,
        )
        self.pid_file.write_text(str(self._proc.pid))
        return self._proc.pid

    def running(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            return False
        return self.pid() is not None

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> None:
        pid = self.pid()
        if pid is not None:
            terminate(pid, self.running, sig, timeout_s)
        if self._proc is not None:
            self._proc.wait(timeout=10)
            self._proc = None
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """kill -9, as a crash would."""
        self.stop(signal.SIGKILL)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_file.read_text(errors="replace")[-chars:] if self.log_file.exists() else ""
