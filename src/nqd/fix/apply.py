"""Write a fix plan: refuse over uncommitted work, verify, save originals, write atomically.

This module and `undo` are the only parts of `fix` that touch the runtime seam (git and
`nix-instantiate` run through `nqd.runtime.host`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nqd.errors import InputError, UsageError
from nqd.fix.plan import FileChange
from nqd.fix.undo import save_originals
from nqd.fsutil import atomic_write
from nqd.nix.parser import parse
from nqd.runtime.host import Host, LocalHost


def uncommitted(paths: Sequence[Path], host: Host | None = None) -> list[Path]:
    """Those of `paths` that have uncommitted changes (or are untracked) in a git work tree."""
    host = host or LocalHost()
    if not paths or host.which("git") is None:
        return []
    by_top: dict[Path, list[Path]] = {}
    for path in paths:
        shown = host.run(["git", "-C", str(path.parent), "rev-parse", "--show-toplevel"],
                         timeout=30)
        if shown.ok and shown.stdout.strip():
            by_top.setdefault(Path(shown.stdout.strip()).resolve(), []).append(path)
    dirty: list[Path] = []
    for top, files in by_top.items():
        status = host.run(["git", "-C", str(top), "status", "--porcelain", "--",
                           *(str(f.relative_to(top)) for f in files)], timeout=60)
        if not status.ok:
            continue
        listed = {line[3:].strip().strip('"') for line in status.stdout.splitlines()}
        dirty.extend(f for f in files if f.relative_to(top).as_posix() in listed)
    return dirty


def verify(changes: Sequence[FileChange], host: Host | None = None) -> bool:
    """Every new text must parse; with `nix-instantiate` on PATH it must also pass
    `nix-instantiate --parse`. Raises InputError naming the file. True when nix checked."""
    for change in changes:
        if parse(change.after).has_errors:
            raise InputError(f"{change.path}: the fixed text does not parse; nothing written")
    host = host or LocalHost()
    if host.which("nix-instantiate") is None:
        return False
    with tempfile.TemporaryDirectory(prefix="nqd-verify-") as scratch:
        for index, change in enumerate(changes):
            candidate = Path(scratch) / f"{index}-{change.path.name}"
            candidate.write_bytes(change.after)
            result = host.run(["nix-instantiate", "--parse", str(candidate)], timeout=60)
            if not result.ok:
                detail = (result.stderr.strip().splitlines() or ["failed"])[0]
                raise InputError(f"{change.path}: nix-instantiate --parse rejects the fixed "
                                 f"text ({detail}); nothing written")
    return True


def write(changes: Sequence[FileChange], *, force: bool = False,
          host: Host | None = None, record: Mapping[str, Any] | None = None) -> Path:
    """Check, save the originals (and `record` in the run's manifest), then write every
    file atomically. Returns the run's undo directory."""
    if not force:
        dirty = uncommitted([c.path for c in changes], host)
        if dirty:
            names = ", ".join(str(p) for p in dirty[:5])
            raise UsageError(f"uncommitted changes in {names}: commit or stash them first so "
                             f"that the fix can be reviewed as its own diff (or use --force)")
    for change in changes:
        try:
            current = change.path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {change.path}: {exc.strerror}") from None
        if current != change.before:
            raise InputError(f"{change.path} changed while fix was planning; run it again")
    verify(changes, host)
    run_dir = save_originals(changes, record)
    for change in changes:
        try:
            atomic_write(change.path, change.after)
        except OSError as exc:
            raise InputError(f"cannot write {change.path}: {exc.strerror} (originals saved in "
                             f"{run_dir}; `nqd fix --undo` restores them)") from None
    return run_dir
