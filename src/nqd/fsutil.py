"""Atomic file writes: temp file in the same directory, fsync, rename, same mode and owner."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never half.

    Keeps the existing file's mode and owner unless `mode` is given. A symlink keeps
    pointing where it did: the file it names is replaced (a dotfiles link stays a link). A
    device, FIFO or socket (`--output /dev/stdout`, `/dev/null`) is written to, as the
    shell's `>` would, never replaced by a regular file; a directory is an error.
    """
    path = Path(os.path.realpath(path))
    try:
        existing: os.stat_result | None = path.stat()
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        if stat.S_ISDIR(existing.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        with open(path, "wb") as handle:
            handle.write(data)
        return
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".nqd-tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif existing is not None:
            os.chmod(tmp, existing.st_mode & 0o7777)
            with contextlib.suppress(PermissionError):
                os.chown(tmp, existing.st_uid, existing.st_gid)
        else:
            os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
