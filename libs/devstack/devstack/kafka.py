"""Apache Kafka in KRaft mode (one process is broker and controller) from the jars Maven fetches
from Maven Central (`deploy/kafka/pom.xml`), with a modest heap: this machine also runs
PostgreSQL and five services."""

from __future__ import annotations

import base64
import signal
import subprocess
import uuid
from pathlib import Path

from devstack.ports import port_open, wait_for_port
from devstack.processes import alive, read_pid, terminate

REPO = Path(__file__).resolve().parents[3]
POM = REPO / "deploy" / "kafka" / "pom.xml"
DEFAULT_LIB = REPO / ".cache" / "kafka" / "lib"

LOG4J2 = """\
Configuration:
  status: warn
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: warn
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: info
      - name: kafka.server.BrokerServer
        level: info
"""


def ensure_jars(lib_dir: Path = DEFAULT_LIB) -> Path:
    """Fetch Kafka's jars once; later runs reuse the cached folder."""
    if any(lib_dir.glob("kafka_2.13-*.jar")):
        return lib_dir
    lib_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={lib_dir}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or not any(lib_dir.glob("kafka_2.13-*.jar")):
        raise RuntimeError(f"could not fetch Apache Kafka from Maven Central:\n{result.stdout}\n{result.stderr}")
    return lib_dir


class LocalKafka:
    def __init__(
        self, data_dir: Path, port: int, controller_port: int, lib_dir: Path = DEFAULT_LIB, heap: str = "512m"
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.controller_port = controller_port
        self.lib_dir = lib_dir
        self.heap = heap
        self.pid_file = self.data_dir / "kafka.pid"
        self.log_file = self.data_dir / "kafka.log"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.yaml'}",
            "-cp",
            f"{self.lib_dir}/*",
            main,
            *args,
        ]

    def _write_config(self) -> Path:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir / "logs"),
            "num.partitions": "6",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "12",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "true",
            "log.retention.hours": "168",
        }
        path = self.data_dir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (self.data_dir / "log4j2.yaml").write_text(LOG4J2)
        return path

    def format(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        if (self.data_dir / "logs" / "meta.properties").exists():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # "=" joins the id to its option: an id may begin with "-", which would read as an option
        result = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", f"--config={config}"),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"kafka storage format failed:\n{result.stdout}\n{result.stderr}")

    def pid(self) -> int | None:
        """The broker's process, when it runs: alive, not a zombie, and ours (devstack.processes)."""
        pid = read_pid(self.pid_file)
        if pid is None or not alive(pid, "kafka.Kafka", str(self.data_dir)):
            return None
        return pid

    def start(self, timeout_s: float = 90) -> None:
        ensure_jars(self.lib_dir)
        if self.pid() is not None and port_open(self.port):
            return
        self.format()
        log = open(self.log_file, "ab")
        proc = subprocess.Popen(
            self._java("kafka.Kafka", str(self.data_dir / "server.properties")),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid_file.write_text(str(proc.pid))
        try:
            wait_for_port(self.port, timeout_s, "Apache Kafka", alive=lambda: proc.poll() is None)
        except RuntimeError as exc:
            tail = self.log_file.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"{exc}\n--- kafka.log ---\n{tail}") from exc

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> None:
        pid = self.pid()
        if pid is None:
            return
        terminate(pid, lambda: self.pid() is not None, sig, timeout_s)
        self.pid_file.unlink(missing_ok=True)
