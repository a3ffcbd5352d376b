"""The upgrade with the REAL `nqd check`, `nqd health` and `nqd backup` on the SIMULATED NixOS
host: a real HTTP service (started here) is health-checked before and after the switch; it
breaks when the simulated 25.11 system is active, so the real health gate must roll back."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from simhost import SimulatedNixOS


class _Service:
    """An HTTP service whose /health fails while a release in `broken_on` is running."""

    def __init__(self, sim: SimulatedNixOS, broken_on: set[str]) -> None:
        running = sim.root / "run/current-system/nixos-version"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                release = running.read_text().strip()
                code = 503 if release in broken_on else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(f"release {release}\n".encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _configure(sim: SimulatedNixOS, port: int) -> None:
    config = sim.home / ".config/nixos-quick-deploy/config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f"""
[health]
default_http = false

[health.python]
modules = []

[[health.http]]
name = "workstation-app"
url = "http://127.0.0.1:{port}/health"
""")


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimulatedNixOS:
    return SimulatedNixOS(tmp_path, monkeypatch=monkeypatch, real_nqd=True)


@pytest.fixture
def service(sim: SimulatedNixOS, request: pytest.FixtureRequest) -> Iterator[_Service]:
    svc = _Service(sim, set(request.param))
    _configure(sim, svc.port)
    yield svc
    svc.close()


@pytest.mark.parametrize("service", [()], indirect=True)
def test_simulated_upgrade_with_real_check_health_backup(
        sim: SimulatedNixOS, service: _Service) -> None:
    result = sim.upgrade("--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    journal = sim.journal()
    assert journal["state"] == "completed"
    preflight = journal["phases"]["preflight"]["data"]
    assert preflight["errors"] == 0 and preflight["findings"] >= 2  # NQD401 for both inputs
    baseline = json.loads(Path(journal["phases"]["baseline"]["data"]["file"]).read_text())
    app = next(c for c in baseline["checks"] if c["name"] == "http:workstation-app")
    assert app["status"] == "ok"
    backup_dir = sim.nqd_state / "backups" / journal["phases"]["backup"]["data"]["id"]
    assert backup_dir.is_dir()
    after = json.loads((sim.run_dir() / "health-after.json").read_text())
    assert after["regressed"] is False
    assert sim.running_system().endswith("-25.11")


@pytest.mark.parametrize("service", [("25.11",)], indirect=True)
def test_simulated_real_health_gate_rolls_back(sim: SimulatedNixOS, service: _Service) -> None:
    result = sim.upgrade("--yes")
    assert result.returncode == 1
    assert "http:workstation-app: ok → fail" in result.stdout
    assert sim.current_system_generation() == (2, sim.generation_path(2))
    assert sim.running_system() == sim.generation_path(2)
    assert sim.journal()["state"] == "rolled-back"
    # with the recorded generation running again, the real health gate passes again
    baseline = sim.journal()["phases"]["baseline"]["data"]["file"]
    again = sim.nqd("health", "--compare", baseline, "--json")
    assert again.returncode == 0, again.stdout


@pytest.mark.parametrize("service", [()], indirect=True)
def test_simulated_flake_already_bumped_by_fix(sim: SimulatedNixOS, service: _Service) -> None:
    # `nqd fix` moves the inputs to 25.11 first; the check then starts at the running release.
    fixed = sim.nqd("fix", str(sim.flake), "--to", "25.11", "--write")
    assert "25.11" in (sim.flake / "flake.nix").read_text(), fixed.stdout + fixed.stderr
    sim.git("commit", "-qam", "nqd fix")
    result = sim.upgrade("--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "--from 25.05" in result.stdout
    assert sim.journal()["phases"]["bump"]["data"]["inputs"] == []
    assert sim.running_system().endswith("-25.11")
