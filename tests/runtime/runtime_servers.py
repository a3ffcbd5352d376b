"""Real servers for backup and health tests: PostgreSQL, Redis and an HTTP server.

Each is started by the tests themselves in a temporary directory on a free port, once
per session. PostgreSQL refuses to run as root, so as root it runs as `nobody` through
setpriv. Tests skip (with the reason) only when a server binary is not installed.
"""

from __future__ import annotations

import contextlib
import glob
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_PASSWORD = "s3cret-pg-pass"
REDIS_PASSWORD = "s3cret-redis-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bindir() -> Path | None:
    for candidate in [shutil.which("pg_ctl"), *sorted(glob.glob(
            "/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)]:
        if candidate and Path(candidate).with_name("initdb").exists():
            return Path(candidate).parent
    return None


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str
    password_file: Path
    bindir: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "PGHOST": self.host, "PGPORT": str(self.port),
                "PGUSER": self.user, "PGPASSWORD": self.password}

    def psql(self, sql: str, db: str = "postgres") -> str:
        psql = shutil.which("psql") or str(self.bindir / "psql")
        out = subprocess.run([psql, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", db,
                              "-c", sql], env=self.env(), capture_output=True, text=True,
                             check=True)
        return out.stdout.strip()

    def toml(self) -> str:
        return (f'host = "{self.host}"\nport = {self.port}\nuser = "{self.user}"\n'
                f'password_file = "{self.password_file}"\n')


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgServer]:
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    base = Path(tempfile.mkdtemp(prefix="nqd-pg-"))
    os.chmod(base, 0o755)
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "nobody", "nogroup")
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
    pwfile = base / "pwfile"
    pwfile.write_text(PG_PASSWORD + "\n")
    os.chmod(pwfile, 0o644)
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(base / "data"), "-U", "nqd",
                    "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True, env=env, cwd=base)
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(base / "data"), "-l",
                    str(base / "log"), "-w", "-o",
                    f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off",
                    "start"], check=True, capture_output=True, env=env, cwd=base)
    try:
        yield PgServer("127.0.0.1", port, "nqd", PG_PASSWORD, pwfile, bindir)
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(base / "data"), "-m",
                        "immediate", "stop"], capture_output=True, env=env, cwd=base)
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class RedisServer:
    port: int
    directory: Path
    password: str | None
    process: subprocess.Popen[bytes]
    password_file: Path | None = None

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password)

    def toml(self) -> str:
        text = f'host = "127.0.0.1"\nport = {self.port}\n'
        if self.password_file:
            text += f'password_file = "{self.password_file}"\n'
        return text


def start_redis(directory: Path, *, persistence: bool, password: str | None,
                dbfilename: str = "dump.rdb") -> RedisServer:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
            "--dbfilename", dbfilename, "--daemonize", "no", "--logfile",
            str(directory / "redis.log"), "--save", "3600 1" if persistence else "",
            "--appendonly", "yes" if persistence else "no"]
    if password:
        args += ["--requirepass", password]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.02)
    else:
        proc.kill()
        raise RuntimeError("redis-server did not start")
    server = RedisServer(port, directory, password, proc)
    if password:
        server.password_file = directory / "password"
        server.password_file.write_text(password + "\n")
    return server


def stop_redis(server: RedisServer) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(5)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def redis_persistent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis-p"), persistence=True,
                         password=REDIS_PASSWORD)
    yield server
    stop_redis(server)


@pytest.fixture(scope="session")
def redis_volatile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis-v"), persistence=False, password=None)
    yield server
    stop_redis(server)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(3)
        status = 500 if self.path == "/error" else 404 if self.path == "/missing" else 200
        body = b'{"status": "healthy"}' if status == 200 else b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client gave up (timeout tests)
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def http_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@dataclass(frozen=True)
class NqdEnv:
    home: Path
    config_home: Path
    state_home: Path
    env: dict[str, str]

    @property
    def config_file(self) -> Path:
        return self.config_home / "nixos-quick-deploy" / "config.toml"

    @property
    def backups(self) -> Path:
        return self.state_home / "nixos-quick-deploy" / "backups"

    def write_config(self, text: str) -> Path:
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(text)
        return self.config_file

    def run(self, *args: str, check_rc: int | None = None,
            prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        """`nqd ARGS` in a child process with this environment."""
        proc = subprocess.run([*prefix, sys.executable, "-m", "nqd", *args], env=self.env,
                              capture_output=True, text=True, timeout=120)
        if check_rc is not None:
            assert proc.returncode == check_rc, (proc.returncode, proc.stdout, proc.stderr)
        return proc


@pytest.fixture
def nqd_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> NqdEnv:
    """HOME and XDG directories in tmp, for this process and for child `nqd` processes."""
    home, config_home, state_home = tmp_path / "home", tmp_path / "xdg-config", tmp_path / "state"
    for d in (home, config_home, state_home):
        d.mkdir()
    values = {"HOME": str(home), "XDG_CONFIG_HOME": str(config_home),
              "XDG_STATE_HOME": str(state_home)}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    env = {**os.environ, **values}
    return NqdEnv(home, config_home, state_home, env)
