"""What `nqd init` copies or keeps from the machine must be usable (QA pass): a hardware
configuration that does not parse, a stateVersion that is no release or is later than
the release asked for, and Home Manager's oldest stateVersion."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.init.conftest import EMPTY_ROOT, PROFILES, RunInit

PROFILE = PROFILES / "headless_minimal.toml"


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "(empty file)"),
    (b"\x7fELF\x00\x01", "(binary file (contains NUL bytes))"),
    (b"{ config, ... }: {\n  boot.loader = ;\n}\n", "line 2: syntax error"),
])
def test_a_hardware_configuration_that_would_not_build_is_refused(
        run_init: RunInit, tmp_path: Path, content: bytes, reason: str) -> None:
    hardware = tmp_path / "hardware.nix"
    hardware.write_bytes(content)
    out = tmp_path / "out"
    code, _, err = run_init("--profile", str(PROFILE), "--out", str(out), "--non-interactive",
                            "--root", str(EMPTY_ROOT), "--hardware-config", str(hardware))
    assert code == 2 and "not a usable hardware-configuration.nix" in err and reason in err
    assert not out.exists()


def _root_with_state_version(tmp_path: Path, value: str) -> Path:
    root = tmp_path / "root"
    (root / "etc" / "nixos").mkdir(parents=True)
    (root / "etc" / "nixos" / "configuration.nix").write_text(
        f'{{ ... }}: {{ system.stateVersion = "{value}"; }}\n')
    return root


@pytest.mark.parametrize(("value", "expected"), [
    ("banana", "is not a NixOS release"),
    ("26.05", "later than NixOS 25.11"),
])
def test_an_installed_state_version_that_cannot_be_kept_is_refused(
        run_init: RunInit, tmp_path: Path, value: str, expected: str) -> None:
    root = _root_with_state_version(tmp_path, value)
    out = tmp_path / "out"
    code, _, err = run_init("--profile", str(PROFILE), "--out", str(out), "--non-interactive",
                            "--root", str(root), "--hardware-config", "none",
                            "--release", "25.11")
    assert code == 2 and expected in err and not out.exists()


def test_a_system_older_than_home_manager_gets_home_managers_oldest_state_version(
        run_init: RunInit, tmp_path: Path) -> None:
    root = _root_with_state_version(tmp_path, "17.09")
    out = tmp_path / "out"
    code, _, err = run_init("--profile", str(PROFILE), "--out", str(out), "--non-interactive",
                            "--root", str(root), "--hardware-config", "none",
                            "--release", "25.11")
    assert code == 0, err
    texts = {p.name: p.read_text() for p in out.rglob("*.nix")}
    assert any('system.stateVersion = "17.09";' in t for t in texts.values())
    assert any('home.stateVersion = "18.09";' in t for t in texts.values())
