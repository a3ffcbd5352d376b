"""Finding the `.nix` files to analyse, and reading them safely."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from nqd.errors import InputError
from nqd.model.types import Diagnostic

MAX_FILE_BYTES = 5 * 1024 * 1024
_SKIP_DIRS = frozenset({".git", ".direnv", "node_modules", "result", ".jj", ".hg"})


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute, symlinks resolved
    source: bytes


def discover(paths: list[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """All `.nix` files under `paths` (absolute, deduplicated, sorted), and problems met.

    A path that does not exist is a usage error; unreadable directories and symlink
    loops are diagnostics.
    """
    found: dict[Path, None] = {}
    diagnostics: list[Diagnostic] = []
    for given in paths:
        if not os.path.lexists(given):
            raise InputError(f"{given}: no such file or directory")
        try:
            resolved = given.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise InputError(f"{given}: cannot resolve path ({_reason(exc)})") from None
        if resolved.is_dir():
            _walk(resolved, found, diagnostics)
        else:
            found[resolved] = None
    return sorted(found), diagnostics


def _walk(root: Path, found: dict[Path, None], diagnostics: list[Diagnostic]) -> None:
    seen_dirs: set[tuple[int, int]] = set()

    def onerror(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        diagnostics.append(Diagnostic("unreadable", f"cannot read directory ({_reason(exc)})",
                                      where))

    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError as exc:
            diagnostics.append(Diagnostic("unreadable", _reason(exc), Path(dirpath)))
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            diagnostics.append(Diagnostic("symlink-loop", "directory visited twice (symlink loop)",
                                          Path(dirpath)))
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        real_dir = os.path.realpath(dirpath)
        for name in sorted(filenames):
            if not name.endswith(".nix"):
                continue
            path = os.path.join(real_dir, name)
            if not os.path.islink(path):
                found[Path(path)] = None  # the directory is resolved: already canonical
                continue
            try:
                found[Path(path).resolve(strict=True)] = None
            except (OSError, RuntimeError) as exc:
                diagnostics.append(Diagnostic("unreadable", _reason(exc), Path(dirpath) / name))


def read_source(path: Path) -> tuple[SourceFile | None, Diagnostic | None]:
    """Read one file, or say in one line why it cannot be analysed."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            return None, Diagnostic("not-a-file", "not a regular file, skipped", path)
        size = st.st_size
        if size > MAX_FILE_BYTES:
            return None, Diagnostic("too-large", f"file is {size / 1e6:.1f} MB (limit 5 MB), "
                                    "skipped", path)
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, RuntimeError) as exc:
        return None, Diagnostic("unreadable", f"cannot read file ({_reason(exc)})", path)
    if not data.strip():
        return None, Diagnostic("empty", "empty file, skipped", path)
    if b"\0" in data[:8192]:
        return None, Diagnostic("binary", "binary file (contains NUL bytes), skipped", path)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, Diagnostic("not-utf8", f"not valid UTF-8 at byte {exc.start}, skipped", path)
    return SourceFile(path, data), None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
