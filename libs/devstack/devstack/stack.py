"""The distributed stack on this machine (`make up` / `make down`): PostgreSQL, Apache Kafka,
Keycloak (the identity provider staff sign in through), the five services, each its own uvicorn
process, the devices' judge (ledger.judge, a Quix Streams process), and the gateway in front of
them (nginx, devstack.gateway). Starting twice starts nothing twice; stopping leaves nothing
running. Ports and the state folder come from the environment so a test can run a second stack
beside a developer's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.gateway import LocalGateway
from devstack.judge import LocalJudge
from devstack.kafka import LocalKafka
from devstack.keycloak import LocalKeycloak
from devstack.ofd_sealer import LocalOfdSealer
from devstack.ports import SPARE_PORTS, bindable, free_port, port_open
from devstack.postgres import LocalPostgres
from devstack.processes import alive, read_pid

REPO = Path(__file__).resolve().parents[3]
SERVICES = ("intake", "dispatch", "cases", "ledger", "reporting")
DATABASE = "cgzf"


@dataclass(frozen=True)
class StackConfig:
    state_dir: Path
    pg_port: int
    kafka_port: int
    kafka_controller_port: int
    port_base: int
    namespace: str = ""
    keycloak_port: int = 8080
    keycloak_management_port: int = 9990
    ofd_sealer_port: int = 8095
    identity: bool = False
    """With Keycloak: staff sign in through it and the services trust its tokens (`make up`). The
    fault suite's and the bench's stacks go without it (the platform's development tokens)."""

    @classmethod
    def from_env(cls) -> StackConfig:
        env = os.environ
        return cls(
            state_dir=Path(env.get("STACK_DIR", REPO / ".data" / "stack")),
            pg_port=int(env.get("STACK_PG_PORT", 5432)),
            kafka_port=int(env.get("STACK_KAFKA_PORT", 9092)),
            kafka_controller_port=int(env.get("STACK_KAFKA_CONTROLLER_PORT", 9093)),
            port_base=int(env.get("STACK_PORT_BASE", 8000)),
            namespace=env.get("STACK_KAFKA_NAMESPACE", ""),
            keycloak_port=int(env.get("STACK_KEYCLOAK_PORT", 8080)),
            keycloak_management_port=int(env.get("STACK_KEYCLOAK_MANAGEMENT_PORT", 9990)),
            ofd_sealer_port=int(env.get("STACK_OFD_SEALER_PORT", 8095)),
            identity=env.get("STACK_IDENTITY", "keycloak") != "none",
        )

    @classmethod
    def on_spare_ports(cls, state_dir: Path, identity: bool = False) -> StackConfig:
        """A stack beside any other (for tests): every port free now, none of them the same.
        The database, broker and provider ports are taken first, so the services' run of five
        cannot later be handed out to them."""
        pg, kafka, controller, kc, kc_management = free_port(), free_port(), free_port(), free_port(), free_port()
        sealer = free_port()
        taken = {pg, kafka, controller, kc, kc_management, sealer}
        while True:
            base = free_port()
            run = range(base, base + 1 + len(SERVICES))  # the gateway, then the services
            if (
                run.stop <= SPARE_PORTS.stop
                and not taken & set(run)
                and all(bindable(p) for p in run)
                and not any(port_open(p) for p in run)
            ):
                return cls(
                    state_dir=state_dir,
                    pg_port=pg,
                    kafka_port=kafka,
                    kafka_controller_port=controller,
                    port_base=base,
                    keycloak_port=kc,
                    keycloak_management_port=kc_management,
                    ofd_sealer_port=sealer,
                    identity=identity,
                )

    def as_env(self) -> dict[str, str]:
        """The environment under which `python -m devstack` (make up, make down) drives this stack."""
        return {
            "STACK_DIR": str(self.state_dir),
            "STACK_PG_PORT": str(self.pg_port),
            "STACK_KAFKA_PORT": str(self.kafka_port),
            "STACK_KAFKA_CONTROLLER_PORT": str(self.kafka_controller_port),
            "STACK_PORT_BASE": str(self.port_base),
            "STACK_KAFKA_NAMESPACE": self.namespace,
            "STACK_KEYCLOAK_PORT": str(self.keycloak_port),
            "STACK_KEYCLOAK_MANAGEMENT_PORT": str(self.keycloak_management_port),
            "STACK_OFD_SEALER_PORT": str(self.ofd_sealer_port),
            "STACK_IDENTITY": "keycloak" if self.identity else "none",
        }

    def service_port(self, service: str) -> int:
        return self.port_base + 1 + SERVICES.index(service)

    @property
    def gateway_port(self) -> int:
        """The gateway's: every page and API at one origin (the field app's calls go to every service)."""
        return self.port_base

    def page_bases(self) -> list[str]:
        """Where staff open their pages: the gateway, and the services that serve one (console and
        field app, ledger, reports) on their own ports."""
        return [f"http://127.0.0.1:{self.gateway_port}"] + [
            f"http://127.0.0.1:{self.service_port(s)}" for s in ("dispatch", "ledger", "reporting")
        ]


class Stack:
    def __init__(self, config: StackConfig, settings: dict[str, str] | None = None) -> None:
        """`settings`: environment variables every service of this stack is started with."""
        self.config = config
        self.settings = dict(settings or {})
        self.postgres = LocalPostgres(config.state_dir / "pg" / "data", config.pg_port)
        self.kafka = LocalKafka(config.state_dir / "kafka", config.kafka_port, config.kafka_controller_port)
        self.keycloak = LocalKeycloak(
            config.state_dir / "keycloak", config.keycloak_port, config.keycloak_management_port
        )
        self.ofd_sealer = LocalOfdSealer(config.state_dir / "ofd-sealer", config.ofd_sealer_port)
        self.gateway = LocalGateway(
            config.state_dir / "gateway", config.gateway_port, {s: config.service_port(s) for s in SERVICES}
        )
        self.judge = LocalJudge(config.state_dir / "judge", {})
        """The devices' judge (ledger.judge, Quix Streams): started with ledger's settings once ledger runs."""
        self.pid_dir = config.state_dir / "pids"
        self.log_dir = config.state_dir / "logs"
        self._started: dict[str, subprocess.Popen] = {}
        """The processes this Stack started, to tell an exit (and its status) from a check of
        /proc that missed a live process."""

    # -- services ---------------------------------------------------------------------------------
    def service_env(self, service: str) -> dict[str, str]:
        prefix = service.upper() + "_"
        env = {
            **os.environ,
            prefix + "ENVIRONMENT": "development",
            **(self.keycloak.settings_env() if self.config.identity else {}),
            **(self.ofd_sealer.settings_env() if service == "cases" else {}),
            **self.settings,
        }
        env.update(
            {
                prefix + "DATABASE_URL": self.postgres.url(DATABASE),
                prefix + "KAFKA_BOOTSTRAP": self.kafka.bootstrap,
                prefix + "KAFKA_NAMESPACE": self.config.namespace,
                prefix + "BUS": "kafka",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def _pid_file(self, service: str) -> Path:
        return self.pid_dir / f"{service}.pid"

    def service_pid(self, service: str) -> int | None:
        """The service's process, when it runs: alive, not a zombie, and ours (devstack.processes)."""
        pid = read_pid(self._pid_file(service))
        if pid is None or not alive(pid, f"{service}.service:app", f"--port {self.config.service_port(service)}"):
            return None
        return pid

    def start_service(self, service: str) -> int:
        pid = self.service_pid(service)
        if pid is not None:
            return pid
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        port = self.config.service_port(service)
        log = open(self.log_dir / f"{service}.log", "ab")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"{service}.service:app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=self.service_env(service),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=REPO,
        )
        self._pid_file(service).write_text(str(proc.pid))
        self._started[service] = proc
        return proc.pid

    def wait_ready(self, service: str, timeout_s: float = 90) -> None:
        url = f"http://127.0.0.1:{self.config.service_port(service)}/readyz"
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            proc = self._started.get(service)
            exited = proc.poll() if proc is not None else None
            if exited is not None or (proc is None and self.service_pid(service) is None):
                time.sleep(0.5)  # what it wrote on its way out
                raise RuntimeError(
                    f"{service} exited (status {exited}); see {self.log_dir / (service + '.log')}:\n"
                    + (self.log_dir / f"{service}.log").read_text(errors="replace")[-3000:]
                )
            try:
                r = httpx.get(url, timeout=2)
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(0.3)
        tail = (self.log_dir / f"{service}.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"{service} not ready after {timeout_s:.0f}s: {last}\n--- {service}.log ---\n{tail}")

    def stop_service(self, service: str, sig: int = signal.SIGTERM, timeout_s: float = 15) -> None:
        pid = self.service_pid(service)
        if pid is None:
            self._pid_file(service).unlink(missing_ok=True)
            self._started.pop(service, None)
            return
        os.killpg(pid, sig)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.service_pid(service) is not None:
            _reap(pid)
            time.sleep(0.1)
        if self.service_pid(service) is not None:
            os.killpg(pid, signal.SIGKILL)
            while self.service_pid(service) is not None:
                _reap(pid)
                time.sleep(0.1)
        self._pid_file(service).unlink(missing_ok=True)
        self._started.pop(service, None)

    def kill_service(self, service: str) -> None:
        """kill -9, as a crash would."""
        self.stop_service(service, signal.SIGKILL)

    # -- the whole stack --------------------------------------------------------------------------
    def up(self) -> None:
        self.postgres.start()
        self.postgres.create_database(DATABASE)
        self.kafka.start()
        if self.config.identity:
            self.keycloak.start()
            self.keycloak.ensure_realm(self.config.page_bases())
        self.ofd_sealer.start()
        for s in SERVICES:
            self.start_service(s)
        for s in SERVICES:
            self.wait_ready(s)
        self.start_judge()
        self.gateway.start()

    def start_judge(self) -> int:
        """The devices' judge, with ledger's settings (its database, Kafka and namespace)."""
        self.judge.env = self.service_env("ledger")
        return self.judge.start()

    def down(self) -> None:
        self.gateway.stop()
        self.judge.stop()
        for s in SERVICES:
            self.stop_service(s)
        self.ofd_sealer.stop()
        self.keycloak.stop()
        self.kafka.stop()
        self.postgres.stop()

    def status(self) -> dict[str, str]:
        out = {
            "postgres": "running" if self.postgres.initialised() and self.postgres.running() else "stopped",
            "kafka": f"running (pid {self.kafka.pid()})" if self.kafka.pid() else "stopped",
            "keycloak": f"running (pid {self.keycloak.pid()}) on :{self.config.keycloak_port}"
            if self.keycloak.pid()
            else "stopped",
        }
        out["ofd-sealer"] = f"running on {self.ofd_sealer.url}" if self.ofd_sealer.pid() else "stopped"
        out["gateway"] = f"running on {self.gateway.url}" if self.gateway.pid() else "stopped"
        out["judge"] = f"running (pid {self.judge.pid()})" if self.judge.pid() else "stopped"
        for s in SERVICES:
            pid = self.service_pid(s)
            out[s] = f"running (pid {pid}) on :{self.config.service_port(s)}" if pid else "stopped"
        return out


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
