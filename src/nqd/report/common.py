"""Shared helpers for reports: display paths, summaries."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from nqd.analysis.engine import CheckResult
from nqd.knowledge.model import Severity


def display_path(path: Path, base: Path | None = None) -> str:
    """`path` relative to `base` (default: the working directory) when below it."""
    base = (base or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return os.path.relpath(path, base) if path.is_absolute() and _near(path, base) \
            else path.as_posix()


def _near(path: Path, base: Path) -> bool:
    return os.path.commonpath([path.resolve(), base]) != "/"


def summary(result: CheckResult) -> dict[str, int]:
    counts = Counter(f.severity.value for f in result.findings)
    return {
        "error": counts.get(Severity.ERROR.value, 0),
        "warning": counts.get(Severity.WARNING.value, 0),
        "info": counts.get(Severity.INFO.value, 0),
        "fixable": sum(1 for f in result.findings if f.fixable),
        "files": len(result.model.files),
    }
