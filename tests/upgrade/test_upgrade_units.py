"""Pieces of the upgrade that need no host: generations, closure diffs, the journal, its key."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nqd.errors import InputError
from nqd.releases import Release
from nqd.runtime.upgrade.closure_diff import kernel_change, parse_diff
from nqd.runtime.upgrade.generations import (
    Generation,
    HostLayout,
    current_generation,
    generations,
    previous_generation,
)
from nqd.runtime.upgrade.journal import PHASES, Journal, Phase, RunState, Status, run_key

R2511 = Release.parse("25.11")


def _profile(tmp_path: Path, numbers: list[int], current: int) -> Path:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    for n in numbers:
        store = tmp_path / "store" / f"{n}-system"
        store.mkdir(parents=True)
        (profiles / f"system-{n}-link").symlink_to(store)
    (profiles / "system").symlink_to(f"system-{current}-link")
    return profiles / "system"


def test_generations_are_read_from_profile_links(tmp_path: Path) -> None:
    profile = _profile(tmp_path, [1, 3, 7], current=7)
    assert [g.number for g in generations(profile)] == [1, 3, 7]
    assert current_generation(profile) == Generation(7, str(tmp_path / "store/7-system"))
    assert previous_generation(profile) == Generation(3, str(tmp_path / "store/3-system"))
    os.unlink(profile)
    os.symlink("system-1-link", profile)
    assert previous_generation(profile) is None
    assert current_generation(tmp_path / "nothing") is None


def test_layout_follows_nqd_root_and_xdg_state() -> None:
    layout = HostLayout.from_env({"NQD_ROOT": "/mnt", "HOME": "/home/a", "USER": "a"})
    assert layout.system_profile == Path("/mnt/nix/var/nix/profiles/system")
    assert layout.current_system == Path("/mnt/run/current-system")
    assert layout.home_manager_profile == Path("/home/a/.local/state/nix/profiles/home-manager")
    assert layout.legacy_home_manager_profile == Path(
        "/mnt/nix/var/nix/profiles/per-user/a/home-manager")
    plain = HostLayout.from_env({"HOME": "/h", "XDG_STATE_HOME": "/s"})
    assert plain.system_profile == Path("/nix/var/nix/profiles/system")
    assert plain.home_manager_profile == Path("/s/nix/profiles/home-manager")


# Output shapes of `nix store diff-closures` and `nvd diff` (hand-written, reviewed).
DIFF_CLOSURES = """\
firefox: 138.0.4 → 145.0.1, +2345.1 KiB
glibc: 2.40-66 → 2.40-218
linux: 6.12.30 → 6.12.58, +1024.0 KiB
nodejs: 20.19.2 → ∅, -60231.4 KiB
python3: ∅ → 3.13.8, +80412.0 KiB
systemd: +12.0 KiB
"""
NVD = """\
<<< /run/current-system
>>> result
Version changes:
[U.]  #1  firefox  138.0.4 -> 145.0.1
[U*]  #2  linux    6.6.52 -> 6.12.58
Added packages:
[A.]  #1  python3  3.13.8
Removed packages:
[R.]  #1  nodejs   20.19.2
Closure size: 1702 -> 1731 (412 paths added, 383 paths removed, delta +29).
"""


def test_parse_diff_closures() -> None:
    changes = parse_diff(DIFF_CLOSURES)
    assert [(c.name, c.old, c.new, c.kind) for c in changes] == [
        ("firefox", "138.0.4", "145.0.1", "changed"),
        ("glibc", "2.40-66", "2.40-218", "changed"),
        ("linux", "6.12.30", "6.12.58", "changed"),
        ("nodejs", "20.19.2", "", "removed"),
        ("python3", "", "3.13.8", "added"),
    ]
    kernel = kernel_change(changes)
    assert kernel is not None and (kernel.old, kernel.new) == ("6.12.30", "6.12.58")


def test_parse_nvd() -> None:
    changes = parse_diff(NVD)
    assert [(c.name, c.old, c.new) for c in changes] == [
        ("firefox", "138.0.4", "145.0.1"), ("linux", "6.6.52", "6.12.58"),
        ("python3", "", "3.13.8"), ("nodejs", "20.19.2", ""),
    ]
    assert kernel_change(parse_diff("firefox: 1 → 2\n")) is None


def test_journal_round_trip_and_transitions(tmp_path: Path) -> None:
    journal = Journal(path=tmp_path / "k" / "journal.json", key="k", flake="/f", target="25.11",
                      host="ws", user="alice", created=1.0)
    journal.save()
    journal.start(Phase.PREFLIGHT)
    journal.record(Phase.PREFLIGHT, findings=3)
    loaded = Journal.load(journal.path)
    assert loaded[Phase.PREFLIGHT].status is Status.RUNNING
    assert loaded[Phase.PREFLIGHT].data == {"findings": 3}
    assert loaded.first_incomplete() is Phase.PREFLIGHT
    assert not loaded.changed_anything()
    for phase in PHASES:
        journal.start(phase)
        journal.finish(phase)
    done = Journal.load(journal.path)
    assert done.state is RunState.COMPLETED and done.first_incomplete() is None
    assert oct(journal.path.stat().st_mode & 0o777) == "0o600"
    journal.path.write_text("{not json")
    with pytest.raises(InputError, match="unreadable upgrade journal"):
        Journal.load(journal.path)


def test_dry_run_journal_writes_nothing(tmp_path: Path) -> None:
    journal = Journal(path=tmp_path / "k" / "journal.json", key="k", flake="/f", target="25.11",
                      host="ws", user=None, created=1.0, persist=False)
    journal.start(Phase.PREFLIGHT)
    assert not (tmp_path / "k").exists()


def test_run_key_ignores_the_bump_but_not_other_changes(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_text(
        '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05"; outputs = _: { }; }')
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "a.nix").write_text("{ }")
    (tmp_path / "flake.lock").write_text(json.dumps({"v": 1}))
    key = run_key(tmp_path, R2511, "ws", "alice")
    (tmp_path / "flake.nix").write_text(
        '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11"; outputs = _: { }; }')
    (tmp_path / "flake.lock").write_text(json.dumps({"v": 2}))
    assert run_key(tmp_path, R2511, "ws", "alice") == key
    assert run_key(tmp_path, Release.parse("26.05"), "ws", "alice") != key
    assert run_key(tmp_path, R2511, "other", "alice") != key
    (tmp_path / "modules" / "a.nix").write_text("{ x = 1; }")
    assert run_key(tmp_path, R2511, "ws", "alice") != key


def test_long_commands_show_a_heartbeat_and_are_logged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from nqd.console import Console
    from nqd.runtime.host import LocalHost
    from nqd.runtime.upgrade import context
    from nqd.runtime.upgrade.generations import HostLayout

    monkeypatch.setattr(context, "HEARTBEAT_SECONDS", 0.2)
    journal = Journal(path=tmp_path / "run" / "journal.json", key="k", flake="/f",
                      target="25.11", host="ws", user=None, created=1.0)
    journal.save()
    out, err = io.StringIO(), io.StringIO()
    options = context.UpgradeOptions(flake=tmp_path, target=R2511, host_name="ws", user=None,
                                     verbose=True)
    ctx = context.RunContext(options, LocalHost(), HostLayout.from_env({}), journal,
                             Console(out=out, err=err))
    result = ctx.run(["sh", "-c", "sleep 0.7; echo built; echo warn >&2; exit 3"])
    assert result.returncode == 3
    assert "$ sh -c 'sleep 0.7; echo built; echo warn >&2; exit 3'" in out.getvalue()
    assert "exit 3 in" in out.getvalue()
    assert err.getvalue().count("still running") >= 2
    assert "│ built" in err.getvalue() and "│ warn" in err.getvalue()  # --verbose
    log = (tmp_path / "run" / "commands.log").read_text()
    assert "exit: 3" in log and "--- stdout\nbuilt" in log and "--- stderr\nwarn" in log
