"""Helpers for the `nqd init` tests: run the real CLI in-process on the golden profiles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nqd.cli import main

HERE = Path(__file__).parent
PROFILES = HERE / "profiles"
GOLDEN = HERE / "golden"
HARDWARE = HERE / "fixtures" / "hardware-configuration.nix"

# profile name -> hardware configuration to copy (None: the machine has none yet)
GOLDEN_PROFILES: dict[str, Path | None] = {
    "cosmic_hyprland_amd_ai": HARDWARE,
    "gnome_nvidia_cuda": HARDWARE,
    "headless_minimal": None,
}

RunInit = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_init(capsys: pytest.CaptureFixture[str]) -> RunInit:
    """`nqd init ARGS...` through the real CLI; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["init", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


EMPTY_ROOT = HERE / "fixtures" / "empty-root"  # detection reads nothing from this machine


def init_args(name: str, out: Path, *extra: str) -> list[str]:
    hardware = GOLDEN_PROFILES[name]
    return ["--profile", str(PROFILES / f"{name}.toml"), "--out", str(out), "--non-interactive",
            "--root", str(EMPTY_ROOT),
            "--hardware-config", str(hardware) if hardware else "none", *extra]


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}
