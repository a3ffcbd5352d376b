"""Where backups live: listing, finding one by id, pruning old ones."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from nqd.errors import InputError, NqdError
from nqd.runtime.backup.manifest import MANIFEST_NAME, Manifest, load_manifest

TEMP_PREFIX = ".tmp-"
PID_FILE = ".nqd-pid"
STALE_WITHOUT_PID = 60.0  # seconds: a temp dir this old with no pid file is abandoned


@dataclass(frozen=True)
class StoredBackup:
    id: str
    path: Path
    manifest: Manifest | None
    problem: str | None = None

    @property
    def archive(self) -> Path:
        if self.manifest is None:
            raise InputError(f"backup {self.id}: {self.problem or 'no manifest'}")
        return self.path / self.manifest.archive


def ensure_directory(directory: Path) -> None:
    """Create the backup directory with mode 0700 (and tighten it if it exists)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if directory.stat().st_mode & 0o077:
        os.chmod(directory, 0o700)


def list_backups(directory: Path) -> list[StoredBackup]:
    """Complete backups, oldest first. Temporary directories are never listed."""
    if not directory.is_dir():
        return []
    found = []
    for child in directory.iterdir():
        if child.name.startswith(".") or not child.is_dir():
            continue
        try:
            found.append(StoredBackup(child.name, child, load_manifest(child / MANIFEST_NAME)))
        except NqdError as exc:
            found.append(StoredBackup(child.name, child, None, str(exc)))
    return sorted(found, key=lambda b: (b.manifest.created if b.manifest else "", b.id))


def find_backup(directory: Path, backup_id: str) -> StoredBackup:
    """A backup by id, or `latest`; an unknown id is an input error."""
    backups = list_backups(directory)
    if backup_id == "latest":
        good = [b for b in backups if b.manifest is not None]
        if not good:
            raise InputError(f"no backups in {directory}")
        return good[-1]
    for backup in backups:
        if backup.id == backup_id:
            if backup.manifest is None:
                raise InputError(f"backup {backup_id}: {backup.problem}")
            return backup
    raise InputError(f"no backup {backup_id!r} in {directory} (see `nqd backup list`)")


def prune(directory: Path, keep: int, *, dry_run: bool = False) -> list[Path]:
    """Remove all but the newest `keep` backups, and temp dirs of dead processes."""
    backups = list_backups(directory)
    doomed = [b.path for b in backups[: max(len(backups) - keep, 0)]]
    if directory.is_dir():
        doomed += [p for p in directory.iterdir()
                   if p.name.startswith(TEMP_PREFIX) and not _owner_alive(p)]
    if not dry_run:
        for path in doomed:
            shutil.rmtree(path)
    return doomed


def _owner_alive(temp: Path) -> bool:
    """Is the process that is building this temporary directory still running?"""
    try:
        pid_text = (temp / PID_FILE).read_text().strip()
    except OSError:
        try:
            return time.time() - temp.stat().st_mtime < STALE_WITHOUT_PID
        except OSError:
            return False
    if not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
