"""Keycloak, the identity provider of `make up` and of the sign-in tests, without Docker: its server
distribution comes from Maven Central (deploy/keycloak/pom.xml), is unpacked and built once
into .cache/keycloak, and runs here in production mode with a modest heap, on a file store of
its own in the stack's state folder. The demo district's realm (deploy/keycloak/
realm-zhongyuan.json: roles, squads as groups, the staff pages' client, two programs' clients)
and the demo staff (devstack.people) are imported through the admin API at first start."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.people import DEMO_PEOPLE
from devstack.ports import port_open
from devstack.processes import alive, read_pid, terminate

REPO = Path(__file__).resolve().parents[3]
POM = REPO / "deploy" / "keycloak" / "pom.xml"
REALM_TEMPLATE = REPO / "deploy" / "keycloak" / "realm-zhongyuan.json"
CACHE = REPO / ".cache" / "keycloak"
REALM = "zhongyuan"
WEB_CLIENT = "cgzf-web"
PAGES = ("/console", "/field", "/ledger", "/reports", "/links")
"""The staff pages, each signing in through the realm's web client (common.web_session)."""


@dataclass(frozen=True)
class Program:
    """A partner system's client (client-credentials grant): its role, and the scopes it is given on
    purpose beyond the role (README, Security: which partner gets which)."""

    name: str
    role: str
    scopes: tuple[str, ...] = ()


PROGRAMS = {
    "cgzf-hotline-system": Program("12319 call-centre system", "hotline_operator"),
    "cgzf-city-platform": Program("市级平台 / 12345", "external_system"),
    "cgzf-sms-gateway": Program("短信平台 (reminders to dog owners)", "external_system", ("dog-owner-contact",)),
}
SCOPES = {"dog-owner-contact": "a dog owner's name and phone, one licence at a time (the SMS gateway)"}


def _version() -> str:
    text = POM.read_text()
    return text.split("<keycloak.version>")[1].split("</keycloak.version>")[0]


def ensure_dist(cache: Path = CACHE) -> Path:
    """Keycloak's home folder, fetched, unpacked and built once (later runs reuse it)."""
    home = cache / f"keycloak-{_version()}"
    built = home / ".built"
    if built.exists():
        return home
    cache.mkdir(parents=True, exist_ok=True)
    zip_path = cache / f"keycloak-quarkus-dist-{_version()}.zip"
    if not zip_path.exists():
        result = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={cache}",
                "-DincludeArtifactIds=keycloak-quarkus-dist",
                "-DincludeTypes=zip",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not zip_path.exists():
            raise RuntimeError(f"could not fetch Keycloak from Maven Central:\n{result.stdout}\n{result.stderr}")
    shutil.rmtree(home, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(cache)
    for script in (home / "bin").glob("*.sh"):
        script.chmod(0o755)
    # Built once for this machine: a file store, the health endpoint, a local cache (no cluster).
    result = subprocess.run(
        [str(home / "bin" / "kc.sh"), "build", "--db=dev-file", "--health-enabled=true", "--cache=local"],
        capture_output=True,
        text=True,
        env=_java_env(),
    )
    if result.returncode != 0:
        raise RuntimeError(f"Keycloak build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    built.write_text(_version())
    return home


def _java_env(heap: str = "512m") -> dict[str, str]:
    return {**os.environ, "JAVA_OPTS_KC_HEAP": f"-Xms128m -Xmx{heap}"}


class LocalKeycloak:
    def __init__(self, data_dir: Path, port: int, management_port: int, heap: str = "512m") -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.management_port = management_port
        self.heap = heap
        self.pid_file = self.data_dir / "keycloak.pid"
        self.log_file = self.data_dir / "keycloak.log"
        self.secrets_file = self.data_dir / "secrets.json"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/realms/{REALM}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/certs"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    def secrets(self) -> dict[str, str]:
        """The bootstrap admin's password and the clients' secrets, made once per state folder (a
        client added since is given its own)."""
        made = json.loads(self.secrets_file.read_text()) if self.secrets_file.exists() else {}
        wanted = {"admin_password": 18, "web": 24, **dict.fromkeys(PROGRAMS, 24)}
        if wanted.keys() <= made.keys():
            return made
        self.data_dir.mkdir(parents=True, exist_ok=True)
        made.update({k: secrets.token_urlsafe(n) for k, n in wanted.items() if k not in made})
        self.secrets_file.write_text(json.dumps(made))
        self.secrets_file.chmod(0o600)
        return made

    def pid(self) -> int | None:
        pid = read_pid(self.pid_file)
        return pid if pid is not None and alive(pid, "keycloak", f"--http-port={self.port}") else None

    def start(self, timeout_s: float = 120) -> None:
        home = ensure_dist()
        if self.pid() is not None and port_open(self.port):
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **_java_env(self.heap),
            "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.secrets()["admin_password"],
        }
        log = open(self.log_file, "ab")
        proc = subprocess.Popen(
            [
                str(home / "bin" / "kc.sh"),
                "start",
                "--optimized",
                "--http-enabled=true",
                "--http-host=127.0.0.1",
                f"--http-port={self.port}",
                f"--http-management-port={self.management_port}",
                "--hostname-strict=false",
                "--cache=local",
                f"--db-url=jdbc:h2:file:{self.data_dir / 'keycloakdb'};NON_KEYWORDS=VALUE",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"Keycloak exited:\n{self.log_file.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/realms/master", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"Keycloak not ready after {timeout_s:.0f}s:\n{self.log_file.read_text(errors='replace')[-3000:]}"
        )

    def stop(self, timeout_s: float = 30) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        terminate(pid, lambda: self.pid() is not None, timeout_s=timeout_s, group=True)
        self.pid_file.unlink(missing_ok=True)

    # -- the realm ---------------------------------------------------------------------------------
    def admin(self) -> httpx.Client:
        """The admin API of the realms, as the bootstrap admin."""
        r = httpx.post(
            f"{self.base_url}/realms/master/protocol/openid-connect/token",
            timeout=30,
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": "admin",
                "password": self.secrets()["admin_password"],
            },
        )
        r.raise_for_status()
        return httpx.Client(
            base_url=f"{self.base_url}/admin/realms",
            timeout=30,
            headers={"Authorization": f"Bearer {r.json()['access_token']}"},
        )

    def ensure_realm(self, page_bases: list[str]) -> None:
        """Import the demo realm at first start, its web client allowed back to `page_bases`
        (the services' or the gateway's addresses), with the demo staff."""
        with self.admin() as admin:
            if admin.get(f"/{REALM}").status_code == 200:
                self.allow(page_bases, admin)
                self._give_scopes(admin)
                return
            secret = self.secrets()
            text = REALM_TEMPLATE.read_text()
            callbacks = [f"{b}{p}/auth/callback" for b in page_bases for p in PAGES]
            signed_out = [f"{b}{p}/auth/signed-out" for b in page_bases for p in PAGES]
            text = (
                text.replace("${REDIRECT_URIS}", json.dumps(callbacks))
                .replace("${POST_LOGOUT_URIS}", "##".join(signed_out))
                .replace("${WEB_CLIENT_SECRET}", secret["web"])
            )
            realm = json.loads(text)
            for client_id, program in PROGRAMS.items():  # the partner systems: client credentials
                realm["clients"].append(
                    {
                        "clientId": client_id,
                        "name": f"{program.name} (a program: client credentials)",
                        "enabled": True,
                        "publicClient": False,
                        "secret": secret[client_id],
                        "standardFlowEnabled": False,
                        "directAccessGrantsEnabled": False,
                        "serviceAccountsEnabled": True,
                    }
                )
                realm["users"].append(
                    {
                        "username": f"service-account-{client_id}",
                        "enabled": True,
                        "serviceAccountClientId": client_id,
                        "realmRoles": [program.role],
                    }
                )
            mappers = realm.pop("x-cgzf-client-mappers")  # the claims the platform reads, on every client
            for client in realm["clients"]:
                client["protocolMappers"] = mappers
            realm["users"] += [
                {  # the directory knows each by the provider's `sub`: the user's id
                    "id": p.username,
                    "username": p.username,
                    "enabled": True,
                    "firstName": p.name,
                    "lastName": p.title,
                    "email": f"{p.username}@zhongyuan.example.cn",
                    "emailVerified": True,
                    "realmRoles": [p.role],
                    "groups": [f"/{'offices' if p.role == 'office_staff' else 'squads'}/{p.squad_id}"]
                    if p.squad_id
                    else [],
                    "credentials": [{"type": "password", "value": p.password, "temporary": False}],
                }
                for p in DEMO_PEOPLE
            ]
            r = admin.post("", json=realm)
            if r.status_code not in (201, 409):
                raise RuntimeError(f"Keycloak refused the realm: {r.status_code} {r.text[:2000]}")
            self._give_scopes(admin)
            self.allow(page_bases, admin)

    def _give_scopes(self, admin: httpx.Client) -> None:
        """The scopes given on purpose (SCOPES), each a client scope of the realm that only the
        programs named in PROGRAMS carry as a default scope, so it is in their tokens' `scope`."""
        known = {s["name"]: s["id"] for s in admin.get(f"/{REALM}/client-scopes").json()}
        for name, what in SCOPES.items():
            if name not in known:
                admin.post(
                    f"/{REALM}/client-scopes",
                    json={
                        "name": name,
                        "description": what,
                        "protocol": "openid-connect",
                        "attributes": {"include.in.token.scope": "true", "display.on.consent.screen": "false"},
                    },
                ).raise_for_status()
        known = {s["name"]: s["id"] for s in admin.get(f"/{REALM}/client-scopes").json()}
        for client_id, program in PROGRAMS.items():
            client = admin.get(f"/{REALM}/clients", params={"clientId": client_id}).json()[0]
            for name in program.scopes:
                admin.put(f"/{REALM}/clients/{client['id']}/default-client-scopes/{known[name]}").raise_for_status()

    def allow(self, page_bases: list[str], admin: httpx.Client | None = None) -> None:
        """Let the web client return to `page_bases` as well (a stack or a test on new ports), and
        send its back-channel logouts to the first of them (its service tells the others)."""
        own = admin or self.admin()
        try:
            client = own.get(f"/{REALM}/clients", params={"clientId": WEB_CLIENT}).json()[0]
            callbacks = {f"{b}{p}/auth/callback" for b in page_bases for p in PAGES}
            signed_out = {f"{b}{p}/auth/signed-out" for b in page_bases for p in PAGES}
            known = set(client.get("redirectUris", []))
            known_out = set(filter(None, client["attributes"].get("post.logout.redirect.uris", "").split("##")))
            backchannel = f"{page_bases[0]}{PAGES[0]}/auth/backchannel-logout" if page_bases else None
            if (
                callbacks <= known
                and signed_out <= known_out
                and client["attributes"].get("backchannel.logout.url")
                == (backchannel or client["attributes"].get("backchannel.logout.url"))
            ):
                return
            client["redirectUris"] = sorted(known | callbacks)
            client["attributes"]["post.logout.redirect.uris"] = "##".join(sorted(known_out | signed_out))
            if backchannel:
                client["frontchannelLogout"] = False
                client["attributes"].update(
                    {"backchannel.logout.url": backchannel, "backchannel.logout.session.required": "true"}
                )
            own.put(f"/{REALM}/clients/{client['id']}", json=client).raise_for_status()
        finally:
            if admin is None:
                own.close()

    def settings_env(self) -> dict[str, str]:
        """What each service is told to trust and how to read the provider's claims."""
        return {
            "AUTH_ISSUER": self.issuer,
            "AUTH_JWKS_URL": self.jwks_url,
            "AUTH_AUDIENCE": "cgzf",
            "AUTH_OIDC_ISSUER": self.issuer,
            "AUTH_OIDC_CLIENT_ID": WEB_CLIENT,
            "AUTH_OIDC_CLIENT_SECRET": self.secrets()["web"],
            "AUTH_ROLE_CLAIM": "realm_access.roles",
            "AUTH_SQUAD_CLAIM": "groups",
            "AUTH_SQUAD_PREFIX": "/squads/",
            "AUTH_OFFICE_PREFIX": "/offices/",
            "AUTH_SUBJECT_CLAIM": "sub",
            "AUTH_NAME_CLAIM": "given_name",
        }

    def program_token(self, client_id: str) -> str:
        """A program's token by the client-credentials grant (the hotline's call-centre system)."""
        r = httpx.post(
            self.token_url,
            timeout=30,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": self.secrets()[client_id],
            },
        )
        r.raise_for_status()
        return r.json()["access_token"]
