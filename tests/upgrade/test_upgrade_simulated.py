"""`nqd upgrade` / `nqd rollback` end to end on a SIMULATED NixOS host (tests/simhost).

There is no NixOS here: nixos-rebuild, home-manager, nix, nix-env, sudo and nqd's
check/health/backup are stand-ins that keep real generation symlinks in a temporary root.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from simhost import SimulatedNixOS

HAPPY_STEPS = [
    "nqd check", "nqd health --save", "nqd backup create", "nix flake update",
    "nixos-rebuild build", "home-manager build", "nix store diff-closures",
    "nix store diff-closures", "nixos-rebuild switch", "switch-to-configuration switch",
    "home-manager switch", "activate", "nqd health --compare",
]


@pytest.fixture
def sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimulatedNixOS:
    """The simulated host, nqd running in this process (its CLI entry point, real host seam)."""
    return SimulatedNixOS(tmp_path, monkeypatch=monkeypatch)


@pytest.fixture
def sim_proc(tmp_path: Path) -> SimulatedNixOS:
    """The simulated host, nqd running as a separate `python -m nqd` process."""
    return SimulatedNixOS(tmp_path)


def _untouched(sim: SimulatedNixOS) -> None:
    """The simulated host still runs exactly what it ran before the upgrade."""
    assert sim.system_generations() == [1, 2]
    assert sim.current_system_generation() == (2, sim.generation_path(2))
    assert sim.running_system() == sim.generation_path(2)
    assert sim.current_home_generation()[0] == 1


def test_simulated_happy_path(sim: SimulatedNixOS) -> None:
    before_home = sim.current_home_generation()
    result = sim.upgrade("--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sim.steps() == HAPPY_STEPS
    number, new_system = sim.current_system_generation()
    assert number == 3 and new_system.endswith("-nixos-system-ws-25.11")
    assert sim.running_system() == new_system
    home_number, new_home = sim.current_home_generation()
    assert home_number == 2 and new_home != before_home[1]
    # the flake moved to 25.11; stateVersion never changes
    flake = (sim.flake / "flake.nix").read_text()
    assert "nixos-25.11" in flake and "release-25.11" in flake and "25.05" not in flake
    assert 'system.stateVersion = "25.05"' in (sim.flake / "configuration.nix").read_text()
    assert 'home.stateVersion = "25.05"' in (sim.flake / "home.nix").read_text()
    update = next(c for c in sim.calls() if c["step"] == "nix flake update")
    assert update["argv"][-2:] == ["--flake", str(sim.flake)]
    journal = sim.journal()
    assert journal["state"] == "completed"
    assert all(p["status"] == "done" for p in journal["phases"].values())
    switch = journal["phases"]["switch"]["data"]
    assert switch["system_before"] == {"number": 2, "store_path": sim.generation_path(2)}
    assert switch["home_before"] == {"number": 1, "store_path": before_home[1]}
    assert switch["system_after"] == {"number": 3, "store_path": new_system}
    assert journal["phases"]["backup"]["data"]["id"] == "sim-backup-1"
    assert journal["phases"]["diff"]["data"]["system"]["kernel"] == ["6.12.30", "6.12.58"]
    report = (sim.run_dir() / "report.md").read_text()
    assert "kernel 6.12.30 → 6.12.58" in report
    assert "state **completed**" in report and "| report | done |" in report
    assert "nqd rollback" in report
    assert "--switch-generation 2" in report and f"{before_home[1]}/activate" in report
    log = (sim.run_dir() / "commands.log").read_text()
    assert "nixos-rebuild switch --flake" in log and "simulated" in log
    assert "Upgraded ws to NixOS 25.11" in (sim.run_dir() / "upgrade.log").read_text()
    assert f"git -C {sim.flake} commit -m 'NixOS 25.11' flake.nix flake.lock" in result.stdout


def test_simulated_rerun_after_success_is_a_noop(sim: SimulatedNixOS) -> None:
    assert sim.upgrade("--yes").returncode == 0
    sim.clear_calls()
    for extra in ((), ("--resume",)):
        again = sim.upgrade("--yes", *extra)
        assert again.returncode == 0
        assert re.search(r"Already upgraded to 25\.11 at \d{4}-\d\d-\d\d", again.stdout)
    assert sim.calls() == []
    assert sim.system_generations() == [1, 2, 3]


def test_simulated_changed_configuration_starts_a_new_run(sim: SimulatedNixOS) -> None:
    assert sim.upgrade("--yes").returncode == 0
    config = sim.flake / "configuration.nix"
    config.write_text(config.read_text().replace("pkgs.git", "pkgs.git pkgs.htop"))
    sim.git("add", "-A")
    sim.git("commit", "-qm", "upgrade to 25.11, add htop")
    sim.clear_calls()
    result = sim.upgrade("--yes")
    assert result.returncode == 0, result.stderr
    assert "Already upgraded" not in result.stdout
    assert sim.steps() == HAPPY_STEPS
    assert len(list((sim.nqd_state / "upgrades").glob("*/journal.json"))) == 2


def test_simulated_dry_run_prints_the_plan_and_changes_nothing(sim_proc: SimulatedNixOS) -> None:
    sim = sim_proc
    flake_before = (sim.flake / "flake.nix").read_bytes()
    result = sim.upgrade("--dry-run")
    assert result.returncode == 0, result.stderr
    commands = [line.strip()[2:] for line in result.stdout.splitlines()
                if line.strip().startswith("$ ")]
    f, nqd = str(sim.flake), str(sim.bin / "nqd")
    run = re.search(r"Journal: (\S+)/journal.json", result.stdout)
    assert run is not None
    run_dir = run.group(1)
    nix = "nix --extra-experimental-features 'nix-command flakes'"
    assert commands == [
        f"{nqd} check {f} --to 25.11 --format json --fail-on error --from 25.05",
        f"git -C {f} status --porcelain --untracked-files=all",
        f"{nqd} health --save {run_dir}/health-baseline.json",
        f"{nqd} backup create --json --path {f}",
        f"{nix} flake update --flake {f}",
        f"nixos-rebuild build --flake '{f}#ws'",
        f"home-manager build --flake '{f}#alice'",
        f"{nix} store diff-closures {sim.root}/run/current-system {run_dir}/build-system/result",
        f"{nix} store diff-closures {sim.hm_profile} {run_dir}/build-home/result",
        f"sudo nixos-rebuild switch --flake '{f}#ws'",
        f"home-manager switch --flake '{f}#alice'",
        f"{nqd} health --compare {run_dir}/health-baseline.json --json",
        "sudo nixos-rebuild switch --rollback   (or nix-env --switch-generation N + "
        "switch-to-configuration switch)",
        "<recorded Home Manager generation>/activate",
    ]
    assert "would change flake.nix:5 inputs.nixpkgs.url" in result.stdout
    assert sim.calls() == []
    assert (sim.flake / "flake.nix").read_bytes() == flake_before
    assert not sim.nqd_state.exists()
    _untouched(sim)


def test_simulated_preflight_error_findings_stop_before_anything_changes(
        sim: SimulatedNixOS) -> None:
    finding = {"severity": "error", "rule": "removed-option", "message": "x was removed",
               "location": {"path": "configuration.nix", "line": 3, "column": 3}}
    sim.set_control(findings=[finding])
    result = sim.upgrade("--yes")
    assert result.returncode == 1
    assert "configuration.nix:3:3: [removed-option] x was removed" in result.stdout
    assert "error finding" in result.stderr and "--force" in result.stderr
    assert sim.steps() == ["nqd check"]
    assert "25.05" in (sim.flake / "flake.nix").read_text()
    assert sim.journal()["phases"]["preflight"]["status"] == "failed"
    _untouched(sim)
    sim.clear_calls()
    forced = sim.upgrade("--yes", "--resume", "--force")
    assert forced.returncode == 0, forced.stderr
    assert sim.steps() == HAPPY_STEPS
    assert sim.journal()["phases"]["preflight"]["data"]["errors"] == 1


def test_simulated_preflight_refuses_a_dirty_git_tree(sim: SimulatedNixOS) -> None:
    (sim.flake / "extra.nix").write_text("{ }\n")
    result = sim.upgrade("--yes")
    assert result.returncode == 1
    assert "uncommitted changes (extra.nix)" in result.stderr
    assert "nix flake update" not in sim.steps()
    _untouched(sim)


@pytest.mark.parametrize(("step", "phase"), [
    ("nqd health --save", "baseline"),
    ("nqd backup create", "backup"),
    ("nix flake update", "bump"),
    ("nixos-rebuild build", "build"),
    ("home-manager build", "build"),
])
def test_simulated_failure_before_switch_leaves_the_system_untouched(
        sim: SimulatedNixOS, step: str, phase: str) -> None:
    sim.set_control(fail=[step])
    result = sim.upgrade("--yes")
    assert result.returncode == 1
    assert f"{phase}:" in result.stderr and "--resume" in result.stderr
    steps = sim.steps()
    assert steps[-1] == step
    assert not {"nixos-rebuild switch", "home-manager switch", "activate"} & set(steps)
    journal = sim.journal()
    assert journal["phases"][phase]["status"] == "failed"
    assert journal["state"] == "failed"
    _untouched(sim)
    rollback = sim.nqd("rollback", "--yes")
    assert rollback.returncode == 0
    assert "nothing to roll back" in rollback.stdout
    _untouched(sim)


def test_simulated_diff_failure_is_reported_not_fatal(sim: SimulatedNixOS) -> None:
    sim.set_control(fail=["nix store diff-closures"])
    result = sim.upgrade("--yes")
    assert result.returncode == 0
    assert "could not diff the system closures" in result.stderr
    assert "system: diff failed" in (sim.run_dir() / "report.md").read_text()


def test_simulated_health_regression_rolls_back_to_the_recorded_generation(
        sim: SimulatedNixOS) -> None:
    old_home = sim.current_home_generation()[1]
    sim.set_control(health_regression=True)
    result = sim.upgrade("--yes")
    assert result.returncode == 1
    assert "postgresql: ok → fail (connection refused)" in result.stdout
    assert "rolled back" in result.stderr
    steps = sim.steps()
    assert steps[steps.index("nqd health --compare"):] == [
        "nqd health --compare", "nixos-rebuild switch --rollback",
        "switch-to-configuration switch", "activate"]
    assert sim.current_system_generation() == (2, sim.generation_path(2))
    assert sim.running_system() == sim.generation_path(2)
    assert sim.current_home_generation() == (3, old_home)  # activate made a new link to it
    journal = sim.journal()
    assert journal["state"] == "rolled-back"
    assert journal["rollbacks"][0]["system"]["number"] == 2
    assert "rolled back at" in (sim.run_dir() / "report.md").read_text()
    # a rolled-back run is not resumed; running again is a new attempt
    again = sim.upgrade("--yes", "--resume")
    assert again.returncode == 2 and "rolled back" in again.stderr


@pytest.mark.parametrize("step", ["switch-to-configuration switch", "home-manager switch"])
def test_simulated_switch_failure_rolls_back_with_yes(sim: SimulatedNixOS, step: str) -> None:
    old_home = sim.current_home_generation()
    sim.set_control(fail_once=[step])
    result = sim.upgrade("--yes")
    assert result.returncode == 1
    assert sim.current_system_generation()[1] == sim.generation_path(2)
    assert sim.running_system() == sim.generation_path(2)
    assert sim.current_home_generation()[1] == old_home[1]
    assert sim.journal()["state"] == "rolled-back"


def test_simulated_declined_rollback_then_nqd_rollback(sim: SimulatedNixOS) -> None:
    sim.set_control(health_regression=True)
    result = sim.upgrade(input="y\nn\n")  # yes to the switch, no to the rollback
    assert result.returncode == 1
    assert "Switch ws to the new 25.11 system and Home Manager for alice?" in result.stderr
    assert "nqd rollback" in result.stderr
    assert sim.current_system_generation()[0] == 3
    # the user switches once more by hand: the recorded generation is no longer the previous
    # one, so rollback sets the profile to it and activates it
    sim.set_control()
    new_system = sim.current_system_generation()[1]
    os.symlink(new_system, sim.system_profile.parent / "system-4-link")
    os.unlink(sim.system_profile)
    os.symlink("system-4-link", sim.system_profile)
    sim.clear_calls()
    files = {p.name: p.read_bytes() for p in sim.flake.iterdir() if p.is_file()}
    rollback = sim.nqd("rollback", "--yes")
    assert rollback.returncode == 0, rollback.stderr
    assert sim.steps() == ["nix-env", "switch-to-configuration switch", "activate"]
    # rollback never edits the configuration (so never system.stateVersion either)
    assert {p.name: p.read_bytes() for p in sim.flake.iterdir() if p.is_file()} == files
    assert sim.calls()[0]["argv"] == ["--profile", str(sim.system_profile),
                                      "--switch-generation", "2"]
    assert sim.current_system_generation() == (2, sim.generation_path(2))
    assert sim.running_system() == sim.generation_path(2)
    sim.clear_calls()
    twice = sim.nqd("rollback", "--yes")
    assert twice.returncode == 0 and "already at recorded generation 2" in twice.stdout
    assert sim.steps() == []


def test_simulated_rollback_when_the_recorded_link_was_collected(sim: SimulatedNixOS) -> None:
    assert sim.upgrade("--yes").returncode == 0
    recorded = sim.generation_path(2)
    os.unlink(sim.system_profile.parent / "system-2-link")  # garbage-collected generation
    sim.clear_calls()
    dry = sim.nqd("rollback", "--dry-run")
    assert dry.returncode == 0
    assert f"sudo nix-env --profile {sim.system_profile} --set {recorded}" in dry.stdout
    assert sim.calls() == [] and sim.current_system_generation()[0] == 3
    rollback = sim.nqd("rollback", "--yes")
    assert rollback.returncode == 0, rollback.stderr
    assert sim.calls()[0]["argv"] == ["--profile", str(sim.system_profile), "--set", recorded]
    assert sim.current_system_generation() == (4, recorded)
    assert sim.running_system() == recorded


def test_simulated_unconfirmed_switch_changes_nothing(sim: SimulatedNixOS) -> None:
    result = sim.upgrade(input="n\n")
    assert result.returncode == 1
    assert "switch not confirmed" in result.stderr
    _untouched(sim)
    assert sim.journal()["phases"]["switch"]["status"] == "failed"
    sim.clear_calls()
    resumed = sim.upgrade("--resume", "--yes")
    assert resumed.returncode == 0, resumed.stderr
    assert sim.steps() == HAPPY_STEPS[8:]


def test_simulated_status_shows_the_run(sim: SimulatedNixOS) -> None:
    empty = sim.nqd("upgrade", "--status")
    assert empty.returncode == 0 and "No upgrade has run" in empty.stdout
    sim.set_control(fail=["nixos-rebuild build"])
    sim.upgrade("--yes")
    status = sim.nqd("upgrade", "--status")
    assert status.returncode == 0
    assert re.search(r"build\s+failed", status.stdout)
    assert re.search(r"bump\s+done", status.stdout)
    assert re.search(r"switch\s+pending", status.stdout)
    bogus = sim.nqd("upgrade", "--status", "--run", "bogus")  # QA pass: "no upgrade has run"
    assert bogus.returncode == 2 and "no upgrade run 'bogus' (runs: " in bogus.stderr


def test_simulated_bad_input_is_one_line(sim_proc: SimulatedNixOS, tmp_path: Path) -> None:
    sim = sim_proc
    missing = sim.nqd("upgrade", "--to", "25.11", "--flake", str(tmp_path / "nope"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "no flake.nix" in missing.stderr
    # Without a flake: what to do instead (the NixOS manual's channel upgrade).
    assert "nix-channel --add https://channels.nixos.org/nixos-25.11 nixos" in missing.stderr
    bad = sim.nqd("upgrade", "--to", "25.13", "--flake", str(sim.flake))
    assert bad.returncode == 2 and "not a NixOS release" in bad.stderr
    no_to = sim.nqd("upgrade", "--flake", str(sim.flake))
    assert no_to.returncode == 2 and "--to" in no_to.stderr
    assert "Traceback" not in missing.stderr + bad.stderr + no_to.stderr
    # QA pass: a release nqd knows nothing of was planned (exit 0), nan GiB raised.
    unknown = sim.nqd("upgrade", "--to", "99.05", "--flake", str(sim.flake), "--dry-run")
    assert unknown.returncode == 2 and "knows no upgrade to NixOS 99.05" in unknown.stderr
    nan = sim.nqd("upgrade", "--to", "25.11", "--flake", str(sim.flake), "--dry-run",
                  "--min-free", "nan")
    assert nan.returncode == 2 and "--min-free" in nan.stderr
    assert "Traceback" not in unknown.stderr + nan.stderr
    hostname = tmp_path / "hostname"
    hostname.write_text("ws\n")
    a_file = sim.nqd("upgrade", "--to", "25.11", "--flake", str(hostname), "--dry-run")
    assert a_file.returncode == 2 and "is a file, not a flake directory" in a_file.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "flake.nix").write_text("{ outputs = { self }: {\n  nixosConfigurations = ;\n}")
    syntax = sim.nqd("upgrade", "--to", "25.11", "--flake", str(broken), "--dry-run")
    assert syntax.returncode == 2 and "flake.nix:" in syntax.stderr
    assert "syntax error" in syntax.stderr and "names no nixosConfigurations" not in syntax.stderr


def test_simulated_dry_run_says_where_a_real_run_would_stop(sim_proc: SimulatedNixOS) -> None:
    """Too little free space fails preflight: the dry run said so with a traceback."""
    result = sim_proc.upgrade("--dry-run", "--min-free", "999999")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "a real run would stop here" in result.stdout and "free" in result.stdout


def test_simulated_journal_is_json_in_the_state_dir(sim: SimulatedNixOS) -> None:
    sim.set_control(fail=["nixos-rebuild build"])
    sim.upgrade("--yes")
    [path] = (sim.nqd_state / "upgrades").glob("*/journal.json")
    data = json.loads(path.read_text())
    assert data["target"] == "25.11" and data["host"] == "ws" and data["user"] == "alice"
    assert data["phases"]["bump"]["data"]["inputs"][0]["new"].endswith("nixos-25.11")
    assert data["phases"]["build"]["error"].startswith("building the system failed")


NVD_STANDIN = """#!/usr/bin/env python3
# SIMULATION ONLY: stand-in for nvd diff, printing nvd's format.
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simlib
simlib.checkpoint("nvd diff", sys.argv[1:])
old, new = (json.loads((simlib.Path(p).resolve() / "packages.json").read_text())
            for p in sys.argv[2:4])
print("<<< " + sys.argv[2])
print(">>> " + sys.argv[3])
for i, name in enumerate(sorted(n for n in new if n in old and old[n] != new[n]), 1):
    print(f"[U.]  #{i}  {name}  {old[name]} -> {new[name]}")
"""


def test_simulated_nvd_is_used_when_installed(sim: SimulatedNixOS) -> None:
    (sim.bin / "nvd").write_text(NVD_STANDIN)
    (sim.bin / "nvd").chmod(0o755)
    result = sim.upgrade("--yes")
    assert result.returncode == 0, result.stderr
    assert "nix store diff-closures" not in sim.steps()
    assert sim.steps().count("nvd diff") == 2
    assert "kernel: 6.12.30 → 6.12.58" in result.stdout
    assert sim.journal()["phases"]["diff"]["data"]["system"]["kernel"] == ["6.12.30", "6.12.58"]


def test_simulated_home_manager_not_standalone(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    sim = SimulatedNixOS(tmp_path, home_manager=False, monkeypatch=monkeypatch)
    result = sim.upgrade("--yes")
    assert result.returncode == 0, result.stderr
    assert not [s for s in sim.steps() if s.startswith(("home-manager", "activate"))]
    assert sim.journal()["user"] is None
    assert sim.current_system_generation()[0] == 3


def test_dry_run_of_the_example_flake_needs_no_nix(tmp_path: Path) -> None:
    """The documented `nqd upgrade --dry-run --flake examples/workstation --to 25.11` works on
    a machine without nix, nixos-rebuild or git on PATH, and writes nothing."""
    example = Path(__file__).resolve().parents[2] / "examples" / "workstation"
    if not (example / "flake.nix").exists():
        pytest.skip("examples/workstation not present")
    before = {p: p.read_bytes() for p in example.rglob("*") if p.is_file()}
    env = {"PATH": str(tmp_path / "empty-bin"), "HOME": str(tmp_path),
           "XDG_STATE_HOME": str(tmp_path / "state"), "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "nqd", "upgrade", "--dry-run", "--flake",
                             str(example), "--to", "25.11"], env=env, capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for expected in ("[1/9] preflight", "flake update --flake", "nixos-rebuild build --flake",
                     "store diff-closures", "sudo nixos-rebuild switch --flake",
                     "health --compare", "[9/9] report"):
        assert expected in result.stdout
    assert not (tmp_path / "state").exists()
    assert {p: p.read_bytes() for p in example.rglob("*") if p.is_file()} == before


def test_simulated_rollback_picks_the_run_that_switched(sim: SimulatedNixOS) -> None:
    assert sim.upgrade("--yes").returncode == 0
    switched_run = sim.run_dir().name
    # a later run of a changed configuration fails before switching
    config = sim.flake / "configuration.nix"
    config.write_text(config.read_text().replace("pkgs.git", "pkgs.git pkgs.htop"))
    sim.git("add", "-A")
    sim.git("commit", "-qm", "25.11 and htop")
    sim.set_control(fail=["nixos-rebuild build"])
    assert sim.upgrade("--yes").returncode == 1
    sim.set_control()
    rollback = sim.nqd("rollback", "--yes")
    assert rollback.returncode == 0, rollback.stderr
    assert f"Run {switched_run}" in rollback.stdout
    assert sim.running_system() == sim.generation_path(2)
    unknown = sim.nqd("rollback", "--run", "0123456789abcdef")
    assert unknown.returncode == 2 and "no upgrade run" in unknown.stderr


def test_simulated_rollback_sets_the_home_profile_when_activate_does_not(
        sim: SimulatedNixOS) -> None:
    old_home = sim.current_home_generation()[1]
    assert sim.upgrade("--yes").returncode == 0
    # activation scripts that leave the profile to their caller (Home Manager 25.11's new mode)
    sim.set_control(activate_leaves_profile=True)
    sim.clear_calls()
    rollback = sim.nqd("rollback", "--yes")
    assert rollback.returncode == 0, rollback.stderr
    assert sim.steps()[-2:] == ["activate", "nix-env"]
    assert sim.current_home_generation() == (3, old_home)
