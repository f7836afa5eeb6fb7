"""The OFD sealing sidecar (deploy/ofd-sealer: ofdrw and Bouncy Castle from Maven Central, a small
Java HTTP server of ours): built once by Maven into .cache/ofd-sealer, started beside the services.
It seals the party's documents as OFD with an SM2 seal in the GB/T 38540 structures (a development
seal it makes itself in its data folder and names as one), and checks them."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx

from devstack.processes import alive, read_pid, terminate

REPO = Path(__file__).resolve().parents[3]
POM = REPO / "deploy" / "ofd-sealer" / "pom.xml"
CACHE = REPO / ".cache" / "ofd-sealer"
JAR = CACHE / "build" / "ofd-sealer.jar"
LIB = CACHE / "lib"
MAIN = "cn.gov.cgzf.ofd.OfdSealer"


def sources() -> list[Path]:
    return [POM, *sorted((POM.parent / "src").rglob("*.java"))]


def ensure_built() -> Path:
    """Build the sidecar when it is missing or older than its sources (the Makefile does the same)."""
    newest = max(p.stat().st_mtime for p in sources())
    if JAR.exists() and any(LIB.glob("ofdrw-sign-*.jar")) and JAR.stat().st_mtime >= newest:
        return JAR
    result = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(POM),
            "package",
            "dependency:copy-dependencies",
            f"-DoutputDirectory={LIB}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or not JAR.exists():
        raise RuntimeError(f"could not build the OFD sealer (deploy/ofd-sealer):\n{result.stdout}\n{result.stderr}")
    JAR.touch()
    return JAR


class LocalOfdSealer:
    def __init__(self, data_dir: Path, port: int, bureau: str = "郑州市中原区城市管理综合执法局") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.bureau = bureau
        self.pid_file = self.data_dir / "ofd-sealer.pid"
        self.log_file = self.data_dir / "ofd-sealer.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings_env(self) -> dict[str, str]:
        """What the cases service is started with to seal through this sidecar."""
        return {"CASES_SEALING": "ofd", "CASES_OFD_SEALER_URL": self.url}

    def pid(self) -> int | None:
        pid = read_pid(self.pid_file)
        if pid is None or not alive(pid, MAIN, str(self.data_dir)):
            return None
        return pid

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, timeout_s: float = 60) -> None:
        ensure_built()
        if self.pid() is not None and self.healthy():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "OFD_SEALER_PORT": str(self.port),
            "OFD_SEALER_DATA": str(self.data_dir),
            "OFD_SEALER_BUREAU": self.bureau,
        }
        command = ["java", "-Xmx384m", "-XX:+UseSerialGC", "-Djava.awt.headless=true"]
        command += ["-cp", f"{JAR}:{LIB}/*", MAIN, str(self.data_dir)]  # the folder names the process as ours
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
            )
        self.pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the OFD sealer exited ({proc.returncode}):\n{self.log_file.read_text()[-3000:]}")
            if self.healthy():
                return
            time.sleep(0.3)
        raise RuntimeError(f"the OFD sealer not ready after {timeout_s:.0f}s:\n{self.log_file.read_text()[-3000:]}")

    def stop(self, timeout_s: float = 15) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        terminate(pid, lambda: self.pid() is not None, timeout_s=timeout_s)
        self.pid_file.unlink(missing_ok=True)
