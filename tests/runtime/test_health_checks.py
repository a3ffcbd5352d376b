"""Health probes against real servers (PostgreSQL, Redis, HTTP, TCP) and real commands.

systemd and podman do not exist on the test machine: their checks are exercised with
simulated `systemctl`/`podman` stand-ins on PATH (tests named `simulated_*`), and the
NixOS release check with a simulated /etc/os-release and flake.lock.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from runtime_servers import PG_PASSWORD, free_port

from nqd.config import HealthConfig, PostgresConn, RedisConn
from nqd.runtime.health.builtin import (
    disk_check,
    podman_check,
    python_module_check,
    release_check,
    systemd_check,
)
from nqd.runtime.health.checks import Status
from nqd.runtime.health.probes import (
    command_probe,
    http_probe,
    postgres_probe,
    query_probe,
    redis_probe,
    tcp_probe,
)
from nqd.runtime.host import LocalHost


def test_http_ok_error_and_down(http_server):
    assert http_probe(f"{http_server}/health", 2).status == Status.OK
    assert http_probe(f"{http_server}/health", 2, contains="healthy").status == Status.OK
    assert http_probe(f"{http_server}/health", 2, contains="nope").status == Status.FAIL
    bad = http_probe(f"{http_server}/error", 2)
    assert bad.status == Status.FAIL and "HTTP 500" in bad.summary
    down = http_probe(f"http://127.0.0.1:{free_port()}/health", 2)
    assert down.status == Status.FAIL and "refused" in down.summary


def test_http_slow_endpoint_fails_at_its_timeout(http_server):
    start = time.monotonic()
    slow = http_probe(f"{http_server}/slow", 0.5)
    assert time.monotonic() - start < 2
    assert slow.status == Status.FAIL and "no answer within 0.5s" in slow.summary


def test_tcp(http_server):
    port = int(http_server.rsplit(":", 1)[1])
    assert tcp_probe("127.0.0.1", port, 1).status == Status.OK
    assert tcp_probe("127.0.0.1", free_port(), 1).status == Status.FAIL


def _pg(postgres, password: str = PG_PASSWORD, port: int | None = None, tmp: Path = Path()):
    pw = tmp / "pgpw"
    pw.write_text(password)
    return PostgresConn(host="127.0.0.1", port=port or postgres.port, user="nqd",
                        password_file=pw)


def test_postgres_version_and_extensions(postgres, tmp_path):
    postgres.psql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    conn = _pg(postgres, tmp=tmp_path)
    good = postgres_probe(conn, ["pg_trgm"], 5)
    assert good.status == Status.OK
    assert good.version and good.version.startswith(postgres.psql("SHOW server_version"))
    missing = postgres_probe(conn, ["pg_trgm", "timescaledb", "vector"], 5)
    assert missing.status == Status.FAIL
    assert "missing extension(s): timescaledb, vector" in missing.summary


def test_postgres_wrong_password_and_down(postgres, tmp_path):
    wrong = postgres_probe(_pg(postgres, "nope", tmp=tmp_path), [], 5)
    assert wrong.status == Status.FAIL and "password authentication failed" in wrong.summary
    assert "nope" not in wrong.summary
    down = postgres_probe(_pg(postgres, port=free_port(), tmp=tmp_path), [], 2)
    assert down.status == Status.FAIL


def test_postgres_query_check(postgres, tmp_path):
    conn = _pg(postgres, tmp=tmp_path)
    assert query_probe(conn, "SELECT 40 + 2", "42", 5).status == Status.OK
    assert query_probe(conn, "SELECT 41", "42", 5).status == Status.FAIL
    slow = query_probe(conn, "SELECT pg_sleep(5)", None, 1)
    assert slow.status == Status.FAIL and "statement timeout" in slow.summary


def test_redis_persistent_volatile_wrong_password_down(redis_persistent, redis_volatile,
                                                        tmp_path):
    good = redis_probe(RedisConn(port=redis_persistent.port,
                                 password_file=redis_persistent.password_file), 2)
    assert good.status == Status.OK and good.version
    off = redis_probe(RedisConn(port=redis_volatile.port), 2)
    assert off.status == Status.WARN and "persistence is off" in off.summary
    pw = tmp_path / "pw"
    pw.write_text("wrong")
    wrong = redis_probe(RedisConn(port=redis_persistent.port, password_file=pw), 2)
    assert wrong.status == Status.FAIL
    assert redis_probe(RedisConn(port=free_port()), 1).status == Status.FAIL


def test_commands_and_python_modules():
    host = LocalHost()
    assert command_probe(host, ["true"], 2).status == Status.OK
    failed = command_probe(host, [sys.executable, "-c", "import sys; sys.exit(3)"], 2)
    assert failed.status == Status.FAIL and "exited 3" in failed.summary
    start = time.monotonic()
    hung = command_probe(host, ["sleep", "30"], 0.5)
    assert hung.status == Status.FAIL and "timed out" in hung.summary
    assert time.monotonic() - start < 3
    assert command_probe(host, ["no-such-program-nqd"], 2).status == Status.FAIL
    found = python_module_check(host, sys.executable, "json", 10)
    assert found.status == Status.OK
    missing = python_module_check(host, sys.executable, "no_such_module_nqd", 10)
    assert missing.status == Status.FAIL and "No module named" in missing.summary
    assert python_module_check(host, "no-python-here", "json", 10).status == Status.SKIP


def test_disk_thresholds(tmp_path):
    assert disk_check(tmp_path, 0.0001, 0.00001).status == Status.OK
    assert disk_check(tmp_path, 10**9, 0.00001).status == Status.WARN
    assert disk_check(tmp_path, 10**9, 10**8).status == Status.FAIL
    assert disk_check(tmp_path / "absent", 1, 1).status == Status.SKIP


def _stand_in(bindir: Path, name: str, script: str) -> None:
    path = bindir / name
    path.write_text(f"#!{sys.executable}\nimport sys\n{script}\n")
    path.chmod(0o755)


@pytest.fixture
def simulated(tmp_path) -> tuple[Path, LocalHost]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    return bindir, LocalHost(env={**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"})


def test_simulated_systemd_failed_units(simulated):
    bindir, host = simulated
    _stand_in(bindir, "systemctl", "print('nginx.service loaded failed failed nginx')\n"
              "print('podman-ai.service loaded failed failed ai') if '--user' in sys.argv "
              "else None")
    system = systemd_check(host, 5, user=False)
    assert system.status == Status.FAIL and "nginx.service" in system.summary
    user = systemd_check(host, 5, user=True)
    assert "podman-ai.service" in user.summary


def test_simulated_no_systemd_is_a_skip(simulated):
    bindir, host = simulated
    _stand_in(bindir, "systemctl", "sys.stderr.write('System has not been booted with systemd "
              "as init system (PID 1). Can\\'t operate.\\n'); sys.exit(1)")
    assert systemd_check(host, 5, user=False).status == Status.SKIP


def test_simulated_podman_unhealthy_and_missing(simulated):
    bindir, host = simulated
    containers = [
        {"Names": ["lemonade"], "State": "running", "Status": "Up 2 hours (healthy)"},
        {"Names": ["mcp-postgres"], "State": "running", "Status": "Up 2 hours (unhealthy)"},
        {"Names": ["old"], "State": "exited", "Status": "Exited (0) 3 days ago"},
    ]
    _stand_in(bindir, "podman", f"print({json.dumps(json.dumps(containers))})")
    result = podman_check(host, 5, ("lemonade", "mcp-redis"))
    assert result.status == Status.FAIL
    assert "unhealthy: mcp-postgres" in result.summary
    assert "not running: mcp-redis" in result.summary
    healthy = [containers[0], containers[2]]
    _stand_in(bindir, "podman", f"print({json.dumps(json.dumps(healthy))})")
    assert podman_check(host, 5, ("lemonade",)).status == Status.WARN


def _flake(tmp_path: Path, ref: str) -> Path:
    flake = tmp_path / "flake"
    flake.mkdir(exist_ok=True)
    lock = {"nodes": {"root": {"inputs": {"nixpkgs": "nixpkgs"}},
                      "nixpkgs": {"original": {"owner": "NixOS", "repo": "nixpkgs",
                                               "ref": ref, "type": "github"}}},
            "root": "root", "version": 7}
    (flake / "flake.lock").write_text(json.dumps(lock))
    return flake


def test_simulated_nixos_release_against_flake_pin(tmp_path):
    osr = tmp_path / "os-release"
    osr.write_text('NAME=NixOS\nID=nixos\nVERSION_ID="25.11"\n')
    cfg = HealthConfig(os_release=osr)
    assert release_check(cfg, _flake(tmp_path, "nixos-25.11")).status == Status.OK
    mismatch = release_check(cfg, _flake(tmp_path, "nixos-26.05"))
    assert mismatch.status == Status.FAIL and "pins 26.05" in mismatch.summary
    assert release_check(cfg, tmp_path / "nowhere").status == Status.SKIP
    osr.write_text("ID=debian\nVERSION_ID=12\n")
    assert release_check(cfg, _flake(tmp_path, "nixos-25.11")).status == Status.SKIP

