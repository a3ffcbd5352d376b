"""Killing `nqd upgrade` (SIGKILL, whole process group) in every phase and resuming, and the
use of sudo, on the SIMULATED NixOS host (tests/simhost)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from simhost import SimulatedNixOS
from simhost.hosts import UnprivilegedLocalHost

from nqd.console import Console
from nqd.releases import Release
from nqd.runtime.upgrade import runner
from nqd.runtime.upgrade.context import UpgradeOptions

PHASES = ["preflight", "baseline", "backup", "bump", "build", "diff", "switch", "verify",
          "report"]
# Where each phase is killed: a stand-in the phase runs hangs there.
KILL_AT = [
    ("preflight", "nqd check"),
    ("baseline", "nqd health --save"),
    ("backup", "nqd backup create"),
    ("bump", "nix flake update"),  # flake.nix is already edited when this hangs
    ("build", "home-manager build"),  # the system is already built
    ("diff", "nix store diff-closures"),
    ("switch", "switch-to-configuration switch"),  # profile already at the new generation
    ("verify", "nqd health --compare"),
]
FIRST_STEP = {"preflight": "nqd check", "baseline": "nqd health --save",
              "backup": "nqd backup create", "bump": "nix flake update",
              "build": "nixos-rebuild build", "diff": "nix store diff-closures",
              "switch": "nixos-rebuild switch", "verify": "nqd health --compare"}


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimulatedNixOS:
    return SimulatedNixOS(tmp_path, monkeypatch=monkeypatch)


def _statuses(sim: SimulatedNixOS) -> list[str]:
    phases = sim.journal()["phases"]
    return [phases[p]["status"] for p in PHASES]


def test_simulated_kill_in_every_phase_then_resume(sim: SimulatedNixOS) -> None:
    original = sim.generation_path(2)
    for index, (phase, step) in enumerate(KILL_AT):
        sim.set_control(hang=[step])
        sim.clear_calls()
        sim.upgrade_until_hang(step, *(("--resume",) if index else ()))
        # the resumed run started with the phase killed last time, nothing before it
        resumed_phase = KILL_AT[index - 1][0] if index else "preflight"
        assert sim.steps()[0] == FIRST_STEP[resumed_phase], sim.steps()
        # now the phase killed this time is recorded as running, the ones before as done
        assert _statuses(sim) == ["done"] * index + ["running"] + ["pending"] * (8 - index)
        assert sim.journal()["state"] == "in-progress"
        if phase in ("preflight", "baseline", "backup"):
            assert sim.system_generations() == [1, 2]
        if phase == "bump":
            # a plain rerun must not start over once files may have changed
            plain = sim.upgrade("--yes")
            assert plain.returncode == 2 and "--resume" in plain.stderr
        if phase == "switch":
            # killed between setting the profile and activating it
            assert sim.current_system_generation()[0] == 3
            assert sim.running_system() == original
    sim.set_control()
    sim.clear_calls()
    final = sim.upgrade("--yes", "--resume")
    assert final.returncode == 0, final.stdout + final.stderr
    assert sim.steps() == ["nqd health --compare"]
    journal = sim.journal()
    assert journal["state"] == "completed"
    # the generation recorded before the switch survived the kill in the switch phase
    assert journal["phases"]["switch"]["data"]["system_before"] == {
        "number": 2, "store_path": original}
    assert journal["phases"]["switch"]["data"]["home_before"]["number"] == 1
    # the resumed switch did not stack generations: one new system, one new home generation
    assert sim.system_generations() == [1, 2, 3]
    assert sim.running_system() == sim.current_system_generation()[1]
    assert sim.current_home_generation()[0] == 2
    flake = (sim.flake / "flake.nix").read_text()
    assert flake.count("nixos-25.11") == 1 and "25.05" not in flake
    # and a rollback from there returns to exactly the recorded generation
    rollback = sim.nqd("rollback", "--yes")
    assert rollback.returncode == 0, rollback.stderr
    assert sim.current_system_generation() == (2, original)
    assert sim.running_system() == original


def test_simulated_kill_in_report_phase_then_resume(sim: SimulatedNixOS) -> None:
    # The report phase runs no command to hang in: leave the journal as a kill during
    # report would (report running, no report.md) and resume.
    assert sim.upgrade("--yes").returncode == 0
    path = next((sim.nqd_state / "upgrades").glob("*/journal.json"))
    data = json.loads(path.read_text())
    data["phases"]["report"].update(status="running", ended=None, data={})
    data["state"], data["finished"] = "in-progress", None
    path.write_text(json.dumps(data))
    (path.parent / "report.md").unlink()
    sim.clear_calls()
    resumed = sim.upgrade("--yes", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert sim.steps() == []
    assert (path.parent / "report.md").exists()
    assert sim.journal()["state"] == "completed"


def test_simulated_kill_before_anything_changed_restarts_without_resume(
        sim: SimulatedNixOS) -> None:
    sim.set_control(hang=["nqd backup create"])
    sim.upgrade_until_hang("nqd backup create")
    sim.set_control()
    sim.clear_calls()
    again = sim.upgrade("--yes")
    assert again.returncode == 0, again.stderr
    assert sim.steps()[0] == "nqd check"  # a fresh run
    assert len(list((sim.run_dir() / "previous").glob("journal-*.json"))) == 1


def test_simulated_sudo_only_for_system_commands(
        sim: SimulatedNixOS, monkeypatch: pytest.MonkeyPatch) -> None:
    # As on a non-root user's machine: the simulated switch refuses to run without sudo
    # (strict_sudo) and Home Manager refuses to run under it.
    sim.set_control(strict_sudo=True, health_regression=True)
    for name, value in sim.env().items():
        monkeypatch.setenv(name, value)
    host = UnprivilegedLocalHost(sudo_program=str(sim.bin / "sudo"))
    options = UpgradeOptions(flake=sim.flake, target=Release.parse("25.11"), host_name="ws",
                             user="alice", yes=True, min_free_nix=0, min_free_root=0)
    code = runner.upgrade(options, Console(), host=host)
    assert code == 1  # the health gate failed and rolled back
    calls = sim.calls()
    privileged = sorted({c["step"] for c in calls if c["privileged"]})
    assert privileged == ["nixos-rebuild switch", "nixos-rebuild switch --rollback",
                          "switch-to-configuration switch"]
    via_sudo = [" ".join(c["argv"][:2]) for c in calls if c["step"] == "sudo"]
    assert via_sudo == ["nixos-rebuild switch", "nixos-rebuild switch"]
    assert [c["argv"][2] for c in calls if c["step"] == "sudo"] == ["--flake", "--rollback"]
    assert not any(c["privileged"] for c in calls
                   if c["step"].startswith(("home-manager", "activate", "nix ", "nqd")))
    assert sim.current_system_generation() == (2, sim.generation_path(2))


def test_simulated_second_upgrade_while_one_runs_is_refused(sim: SimulatedNixOS) -> None:
    outcomes = []

    def try_again() -> None:
        outcomes.append(sim.upgrade("--yes", "--resume"))
        outcomes.append(sim.nqd("rollback", "--yes"))

    sim.set_control(hang=["nixos-rebuild build"])
    sim.upgrade_until_hang("nixos-rebuild build", while_hung=try_again)
    upgrade, rollback = outcomes
    assert upgrade.returncode == 2
    assert "another nqd upgrade of this configuration is running (pid " in upgrade.stderr
    assert rollback.returncode == 2 and "running" in rollback.stderr
    # killed: the lock went with the process
    sim.set_control()
    assert sim.upgrade("--yes", "--resume").returncode == 0


def test_simulated_upgrade_under_sudo_is_refused(sim: SimulatedNixOS,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    if os.geteuid() != 0:
        pytest.skip("needs to run as root to look like `sudo nqd upgrade`")
    monkeypatch.setenv("SUDO_USER", "alice")
    result = sim.upgrade("--yes")
    assert result.returncode == 2
    assert "not with sudo" in result.stderr
    assert sim.calls() == []
