"""Originals of every `fix --write` run, and `fix --undo` restoring the last one.

A run is `state_dir()/fix/<UTC timestamp>/` with the original bytes of each file under
`files/` and `manifest.json` (path, sha256 before and after, mode). Undo restores the
originals byte for byte, refusing (unless forced) when a file changed since the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nqd.errors import InputError, UsageError
from nqd.fix.plan import FileChange
from nqd.fsutil import atomic_write
from nqd.paths import state_dir

MANIFEST = "manifest.json"


def runs_dir() -> Path:
    return state_dir() / "fix"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_originals(changes: Sequence[FileChange],
                   record: Mapping[str, Any] | None = None) -> Path:
    """Store the original bytes of `changes` and a manifest (with `record`'s entries, e.g.
    the releases of the run); returns the run directory."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    run = runs_dir() / stamp
    try:
        (run / "files").mkdir(parents=True, exist_ok=False)
        entries = []
        for index, change in enumerate(changes):
            saved = f"files/{index:04d}"
            atomic_write(run / saved, change.before, mode=0o600)
            entries.append({
                "path": str(change.path), "saved": saved, "mode": _mode(change.path),
                "sha256_before": sha256(change.before), "sha256_after": sha256(change.after),
            })
        manifest = {"version": 1, "created": stamp, "undone": False, "files": entries,
                    **(record or {})}
        atomic_write(run / MANIFEST, json.dumps(manifest, indent=2).encode(), mode=0o600)
    except OSError as exc:
        raise InputError(f"cannot save the originals under {run}: {exc.strerror}; "
                         f"nothing written") from None
    return run


def last_run() -> tuple[Path, dict[str, Any]] | None:
    """The newest run not undone yet, with its manifest."""
    return next(runs(), None)


def runs() -> Iterator[tuple[Path, dict[str, Any]]]:
    """The runs not undone, newest first, with their manifests."""
    base = runs_dir()
    if not base.is_dir():
        return
    for run in sorted((p for p in base.iterdir() if p.is_dir()), reverse=True):
        try:
            manifest = json.loads((run / MANIFEST).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and not manifest.get("undone"):
            yield run, manifest


def undo_last(*, force: bool = False) -> tuple[Path, list[Path]]:
    """Restore the originals of the last run; returns the run and the restored files."""
    found = last_run()
    if found is None:
        raise UsageError(f"nothing to undo: no fix run recorded under {runs_dir()}")
    run, manifest = found
    plan: list[tuple[Path, bytes, int | None]] = []
    changed: list[str] = []
    for entry in manifest.get("files", []):
        path = Path(entry["path"])
        try:
            original = (run / entry["saved"]).read_bytes()
        except OSError as exc:
            raise InputError(f"the saved original of {path} is unreadable: {exc.strerror}") \
                from None
        if sha256(original) != entry["sha256_before"]:
            raise InputError(f"the saved original of {path} in {run} is corrupt")
        try:
            current: bytes | None = path.read_bytes()
        except OSError:
            current = None
        if current is None or sha256(current) != entry["sha256_after"]:
            changed.append(str(path))
        plan.append((path, original, entry.get("mode")))
    if changed and not force:
        raise UsageError(f"changed since the fix: {', '.join(changed[:5])}; undo would lose "
                         f"those edits (use --force to restore the originals anyway)")
    for path, original, mode in plan:
        try:
            atomic_write(path, original, mode=None if path.exists() else mode)
        except OSError as exc:
            raise InputError(f"cannot restore {path}: {exc.strerror}") from None
    manifest["undone"] = True
    atomic_write(run / MANIFEST, json.dumps(manifest, indent=2).encode(), mode=0o600)
    return run, [p for p, _, _ in plan]


def _mode(path: Path) -> int | None:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return None
