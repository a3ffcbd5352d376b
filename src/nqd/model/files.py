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
    return sorted(found, key=str), diagnostics  # str: Path comparisons are ~10x slower


def _walk(root: Path, found: dict[Path, None], diagnostics: list[Diagnostic]) -> None:
    """Depth-first, following symlinks that stay inside `root`; each directory is entered
    once (by device and inode). A symlink back to a directory being walked is a loop and
    reported; one to a directory walked elsewhere is an alias and skipped (its files are
    already found). A symlink to a directory outside `root` (a dotfiles repository's link
    to `$HOME`) is reported and not followed; files it holds are still read when imported.
    Paths are kept canonical without a `realpath` per directory: only symlinks are
    resolved."""
    inside_root = str(root).rstrip(os.sep) + os.sep
    seen_dirs: set[tuple[int, int]] = set()
    # (as reached, canonical, the directories above it)
    stack: list[tuple[str, str, frozenset[tuple[int, int]]]] = [
        (str(root), str(root), frozenset())]
    while stack:
        shown, real, above = stack.pop()
        try:
            st = os.stat(real)
            with os.scandir(real) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            diagnostics.append(Diagnostic("unreadable", f"cannot read directory ({_reason(exc)})",
                                          Path(shown)))
            continue
        key = (st.st_dev, st.st_ino)
        if key in above:
            diagnostics.append(Diagnostic("symlink-loop", "symlink back to a directory above "
                                          "it (symlink loop), not followed", Path(shown)))
            continue
        if key in seen_dirs:
            continue  # another name of a directory already walked
        seen_dirs.add(key)
        inside = above | {key}
        subdirs: list[tuple[str, str, frozenset[tuple[int, int]]]] = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()  # follows symlinks
            except OSError:
                is_dir = False
            if is_dir:
                if name in _SKIP_DIRS or name.startswith("."):
                    continue
                if not entry.is_symlink():
                    target = os.path.join(real, name)
                else:
                    target = os.path.realpath(entry.path)
                    if not (target + os.sep).startswith(inside_root):
                        diagnostics.append(Diagnostic(
                            "outside-link", f"symlink to a directory outside the checked "
                            f"path ({target}), not followed", Path(shown) / name))
                        continue
                subdirs.append((os.path.join(shown, name), target, inside))
            elif name.endswith(".nix"):
                if not entry.is_symlink():
                    found[Path(os.path.join(real, name))] = None  # already canonical
                    continue
                try:
                    found[Path(os.path.realpath(entry.path, strict=True))] = None
                except (OSError, RuntimeError) as exc:
                    diagnostics.append(Diagnostic("unreadable", _reason(exc),
                                                  Path(shown) / name))
        stack.extend(reversed(subdirs))


def read_source(path: Path) -> tuple[SourceFile | None, Diagnostic | None]:
    """Read one file, or say in one line why it cannot be analysed."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None, Diagnostic("not-a-file", "not a regular file, skipped", path)
            size = st.st_size
            if size > MAX_FILE_BYTES:
                return None, Diagnostic("too-large", f"file is {size / 1e6:.1f} MB (limit 5 MB), "
                                        "skipped", path)
            data = _read_all(fd, size)
        finally:
            os.close(fd)
    except (OSError, RuntimeError) as exc:
        return None, Diagnostic("unreadable", f"cannot read file ({_reason(exc)})", path)
    if len(data) > MAX_FILE_BYTES:  # grew since the fstat
        return None, Diagnostic("too-large", "file is over 5 MB, skipped", path)
    if not data or data.isspace():
        return None, Diagnostic("empty", "empty file, skipped", path)
    if data.find(b"\0", 0, 8192) != -1:
        return None, Diagnostic("binary", "binary file (contains NUL bytes), skipped", path)
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, Diagnostic("not-utf8", f"not valid UTF-8 at byte {exc.start}, skipped",
                                    path)
    return SourceFile(path, data), None


def _read_all(fd: int, size: int) -> bytes:
    """The file's bytes, up to one byte past the size limit."""
    data = os.read(fd, min(size, MAX_FILE_BYTES) + 1)
    if len(data) < size:  # a short read: read on, to the limit
        chunks = [data]
        total = len(data)
        while total <= MAX_FILE_BYTES:
            chunk = os.read(fd, MAX_FILE_BYTES + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        data = b"".join(chunks)
    return data


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
