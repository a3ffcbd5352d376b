"""Shared helpers for reports: display paths, summaries."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from nqd.analysis.engine import CheckResult
from nqd.knowledge.model import Severity


def display_path(path: Path, base: Path | None = None) -> str:
    """`path` relative to `base` (default: the working directory) when below it."""
    base = Path(os.path.abspath(base or Path.cwd()))
    absolute = Path(os.path.abspath(path))  # no resolve(): paths may be symlink loops
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return absolute.as_posix()


def summary(result: CheckResult) -> dict[str, int]:
    counts = Counter(f.severity.value for f in result.findings)
    return {
        "error": counts.get(Severity.ERROR.value, 0),
        "warning": counts.get(Severity.WARNING.value, 0),
        "info": counts.get(Severity.INFO.value, 0),
        "fixable": sum(1 for f in result.findings if f.fixable),
        "files": len(result.model.files)  # checked: .nix files and niv/npins pin files
        + len({pin.pos.path for pin in result.model.pinned_sources}),
    }


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`1 file`, `2 files`, `2 fixes` (`plural` for nouns that do not just take an s)."""
    return f"{number} {noun}" if number == 1 else f"{number} {plural or noun + 's'}"
