"""Reruns converge: nothing written the second time, stateVersion pinned at first
generation, local.nix and edited files kept, stale generated modules removed."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.init.conftest import EMPTY_ROOT, PROFILES, RunInit, init_args, tree


def _mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")
            if p.is_file()}


def test_second_run_writes_nothing(tmp_path: Path, run_init: RunInit) -> None:
    out = tmp_path / "out"
    assert run_init(*init_args("cosmic_hyprland_amd_ai", out))[0] == 0
    before = tree(out)
    stamps = _mtimes(out)
    code, stdout, err = run_init(*init_args("cosmic_hyprland_amd_ai", out))
    assert code == 0
    assert stdout == ""  # no diff
    assert "up to date; nothing written" in err
    assert tree(out) == before
    assert _mtimes(out) == stamps


def _profile(tmp_path: Path, name: str, **replace: str) -> Path:
    text = (PROFILES / f"{name}.toml").read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"{name}-changed.toml"
    path.write_text(text)
    return path


def _run(run_init: RunInit, profile: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return run_init("--profile", str(profile), "--out", str(out), "--non-interactive",
                    "--root", str(EMPTY_ROOT), "--hardware-config", "none", *extra)


def test_state_version_kept_when_the_release_changes(tmp_path: Path, run_init: RunInit) -> None:
    out = tmp_path / "out"
    first = _profile(tmp_path, "cosmic_hyprland_amd_ai")
    assert _run(run_init, first, out)[0] == 0
    newer = _profile(tmp_path, "cosmic_hyprland_amd_ai", **{'release = "25.11"':
                                                            'release = "26.05"'})
    code, stdout, _ = _run(run_init, newer, out)
    assert code == 0
    assert "+    nixpkgs.url = \"github:NixOS/nixpkgs/nixos-26.05\";" in stdout
    flake = (out / "flake.nix").read_text()
    assert "nixos-26.05" in flake and "release-26.05" in flake
    config = (out / "hosts/forge/configuration.nix").read_text()
    assert 'system.stateVersion = "25.11";' in config
    assert 'home.stateVersion = "25.11";' in (out / "home/alice.nix").read_text()
    state = json.loads((out / ".nqd-init.json").read_text())
    assert state["state_version"] == "25.11"


def test_state_version_from_the_installed_system(tmp_path: Path, run_init: RunInit) -> None:
    root = tmp_path / "mnt"
    (root / "etc/nixos").mkdir(parents=True)
    (root / "etc/nixos/configuration.nix").write_text(
        '{ config, ... }:\n{\n  system = {\n    stateVersion = "24.05"; # Did you read it?\n'
        '  };\n}\n')
    (root / "etc/nixos/hardware-configuration.nix").write_text('{ ... }:\n{ }\n')
    out = tmp_path / "out"
    code, _, err = run_init("--profile", str(PROFILES / "headless_minimal.toml"), "--out",
                            str(out), "--non-interactive", "--root", str(root))
    assert code == 0, err
    assert 'system.stateVersion = "24.05";' in (out / "hosts/box/configuration.nix").read_text()
    assert (out / "hosts/box/hardware-configuration.nix").read_text() == '{ ... }:\n{ }\n'
    assert "./hardware-configuration.nix" in (out / "hosts/box/configuration.nix").read_text()


def test_local_nix_is_never_overwritten(tmp_path: Path, run_init: RunInit) -> None:
    out = tmp_path / "out"
    first = _profile(tmp_path, "headless_minimal")
    assert _run(run_init, first, out)[0] == 0
    mine = '{ pkgs, ... }:\n{\n  environment.systemPackages = [ pkgs.htop ];\n}\n'
    (out / "hosts/box/local.nix").write_text(mine)
    (out / "home/local.nix").unlink()  # removed by the user: recreated, as it is imported
    changed = _profile(tmp_path, "headless_minimal", **{'toolsets = ["base"]':
                                                       'toolsets = ["base", "go"]'})
    code, stdout, _ = _run(run_init, changed, out, "--force")
    assert code == 0
    assert "+  environment.systemPackages = with pkgs; [" in stdout and "gopls" in stdout
    assert (out / "hosts/box/local.nix").read_text() == mine
    assert (out / "home/local.nix").exists()


def test_edited_generated_file_is_kept_unless_forced(tmp_path: Path, run_init: RunInit) -> None:
    out = tmp_path / "out"
    first = _profile(tmp_path, "headless_minimal")
    assert _run(run_init, first, out)[0] == 0
    devtools = out / "modules/dev/devtools.nix"
    edited = devtools.read_text().replace("tmux", "tmux\n    zellij")
    devtools.write_text(edited)
    changed = _profile(tmp_path, "headless_minimal", **{'toolsets = ["base"]':
                                                       'toolsets = ["base", "go"]'})
    code, _, err = _run(run_init, changed, out)
    assert code == 0
    assert "keep (edited by you)  modules/dev/devtools.nix" in err
    assert devtools.read_text() == edited
    code, _, _ = _run(run_init, changed, out, "--force")
    assert code == 0
    assert "zellij" not in devtools.read_text() and "gopls" in devtools.read_text()


def test_removed_feature_module_is_deleted(tmp_path: Path, run_init: RunInit) -> None:
    out = tmp_path / "out"
    first = _profile(tmp_path, "cosmic_hyprland_amd_ai")
    assert _run(run_init, first, out)[0] == 0
    assert (out / "modules/desktop/hyprland.nix").exists()
    changed = _profile(tmp_path, "cosmic_hyprland_amd_ai", **{
        'environments = ["cosmic", "hyprland"]': 'environments = ["cosmic"]'})
    code, _, err = _run(run_init, changed, out)
    assert code == 0
    assert "delete  modules/desktop/hyprland.nix" in err
    assert not (out / "modules/desktop/hyprland.nix").exists()
    assert "hyprland" not in (out / "hosts/forge/configuration.nix").read_text()
    assert "modules/desktop/hyprland.nix" not in (out / ".nqd-init.json").read_text()


def test_dry_run_writes_nothing(tmp_path: Path, run_init: RunInit) -> None:
    out = tmp_path / "out"
    code, stdout, err = run_init(*init_args("headless_minimal", out, "--dry-run"))
    assert code == 0
    assert "+++ b/flake.nix" in stdout
    assert "nothing written" in err
    assert not out.exists() or not any(out.iterdir())


def test_output_is_written_atomically_with_mode_kept(tmp_path: Path, run_init: RunInit) -> None:
    out = tmp_path / "out"
    first = _profile(tmp_path, "headless_minimal")
    assert _run(run_init, first, out)[0] == 0
    flake = out / "flake.nix"
    os.chmod(flake, 0o600)
    changed = _profile(tmp_path, "headless_minimal", **{'hostname = "box"':
                                                       'hostname = "box2"'})
    assert _run(run_init, changed, out)[0] == 0
    assert flake.stat().st_mode & 0o777 == 0o600
    assert ".#box2" in (out / "README.md").read_text()
    assert not list(out.rglob("*.nqd-tmp"))
