"""The gateway of `make up`: Debian's nginx (installed by `make gateway`), routing by path prefix to
the service that owns it, with the same routes as the compose file's gateway
(`deploy/gateway/nginx.conf`, read here, so the two cannot drift): one origin for the pages and
the APIs, which the field app (城管通) needs, as its calls go to every service. Under Docker,
nginx finds each service by its name on Docker's DNS; here, on loopback at its port."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from pathlib import Path

from devstack.ports import port_open, wait_for_port
from devstack.processes import alive, read_pid, terminate

REPO = Path(__file__).resolve().parents[3]
COMPOSE_CONF = REPO / "deploy" / "gateway" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
_UPSTREAM = re.compile(r"set \$u (\w+);\s*proxy_pass http://\$u:8000;")


def render(ports: dict[str, int], listen: int, state_dir: Path) -> str:
    """The compose gateway's configuration for this machine: each service at its loopback port,
    listening on `listen`, its pid, logs and temporary files in `state_dir`."""
    conf = COMPOSE_CONF.read_text(encoding="utf-8")
    unknown = sorted({m.group(1) for m in _UPSTREAM.finditer(conf)} - set(ports))
    if unknown:
        raise LookupError(f"the gateway routes to {unknown}, which this stack does not run")
    conf = _UPSTREAM.sub(lambda m: f"proxy_pass http://127.0.0.1:{ports[m.group(1)]};", conf)
    conf = re.sub(r"^\s*resolver .*$\n", "", conf, flags=re.M)
    conf = conf.replace("listen 8000;", f"listen 127.0.0.1:{listen};")
    temp = "".join(
        f"  {kind}_temp_path {state_dir / 'tmp' / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = conf.replace(
        "http {\n",
        f"http {{\n  access_log off;\n  error_log {state_dir / 'error.log'} warn;\n{temp}",
        1,
    )
    return f"pid {state_dir / 'nginx.pid'};\nerror_log {state_dir / 'error.log'} warn;\ndaemon on;\n{conf}"


class LocalGateway:
    def __init__(self, state_dir: Path, port: int, ports: dict[str, int]) -> None:
        self.state_dir = state_dir
        self.port = port
        self.ports = ports
        self.conf = state_dir / "nginx.conf"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pid(self) -> int | None:
        pid = read_pid(self.state_dir / "nginx.pid")
        return pid if pid is not None and alive(pid, "nginx", str(self.conf)) else None

    def start(self) -> None:
        if self.pid() is not None:
            return
        if not Path(NGINX).exists():
            raise RuntimeError("nginx is not installed: run `make gateway` (Debian's nginx-light)")
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is taken: the gateway cannot listen there")
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.state_dir / "tmp" / kind).mkdir(parents=True, exist_ok=True)
        self.conf.write_text(render(self.ports, self.port, self.state_dir), encoding="utf-8")
        result = subprocess.run(
            [NGINX, "-p", str(self.state_dir), "-c", str(self.conf)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"nginx did not start: {result.stderr.strip()}")
        wait_for_port(self.port, 15, "the gateway (nginx)", alive=lambda: self.pid() is not None)

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        # SIGQUIT: finish the requests in flight, then stop
        terminate(pid, lambda: self.pid() is not None, signal.SIGQUIT, timeout_s=10, poll_s=0.1)
