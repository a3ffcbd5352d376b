"""Shared helpers for the fix tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nqd.releases import Release

GOLDEN = Path(__file__).parent / "golden"
FROM, TO = Release.parse("25.05"), Release.parse("25.11")


def nix_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def copy_tree(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def nix_parse_all(files: list[Path]) -> None:
    """Every file must pass `nix-instantiate --parse` (skips when Nix is absent)."""
    from nqd.runtime.host import LocalHost

    host = LocalHost()
    if host.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate is not on PATH (Debian package nix-bin)")
    for path in files:
        result = host.run(["nix-instantiate", "--parse", str(path)], timeout=60)
        assert result.ok, f"{path}: {result.stderr}"
