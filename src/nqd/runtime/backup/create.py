"""`backup create`: dump databases, scan sources, stream one compressed tar, rename.

Everything is built in `<backups>/.tmp-<id>/` (mode 0700, files 0600) and the
directory is renamed to `<backups>/<id>/` only when archive, manifest and checksum are
complete and synced. Any failure, Ctrl-C included, removes the temporary directory, so
no half backup ever carries a final name.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from nqd import __version__
from nqd.config import Config
from nqd.errors import ExitCode, InputError, NqdError
from nqd.runtime.backup.databases import Dump, dump_postgresql, dump_redis
from nqd.runtime.backup.manifest import (
    MANIFEST_NAME,
    DatabaseDump,
    Manifest,
    Member,
    Skipped,
)
from nqd.runtime.backup.progress import Progress
from nqd.runtime.backup.sources import Entry, Scan, scan, select_sources
from nqd.runtime.backup.store import PID_FILE, TEMP_PREFIX, ensure_directory
from nqd.runtime.backup.streams import LEVELS, SUFFIX, CompressingWriter, ExactReader
from nqd.runtime.host import Host


class BackupFailed(NqdError):
    exit_code = ExitCode.FINDINGS


@dataclass(frozen=True)
class CreateOptions:
    extra_paths: tuple[Path, ...] = ()
    use_defaults: bool = True
    databases: bool = True
    compression: str | None = None
    level: int | None = None
    directory: Path | None = None


@dataclass(frozen=True)
class Created:
    id: str
    path: Path
    manifest: Manifest


def reserve_id(directory: Path) -> tuple[str, Path]:
    """Pick the id (UTC time, then `-1`, `-2`, ...) by creating its temporary directory.

    `mkdir` is atomic, so two backups started in the same second get different ids; the
    final name is checked again after the mkdir, so a backup that finished in between
    cannot lend its id twice. The directory records the creating process id (for `prune`)
    until it is renamed.
    """
    base = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    n = 0
    while True:
        candidate = base if n == 0 else f"{base}-{n}"
        temp = directory / f"{TEMP_PREFIX}{candidate}"
        if not (directory / candidate).exists():
            try:
                temp.mkdir(mode=0o700)
            except FileExistsError:
                pass
            else:
                if (directory / candidate).exists():
                    # Another backup with this id finished (renamed its temp directory)
                    # between the check above and our mkdir: the id is taken.
                    temp.rmdir()
                    n += 1
                    continue
                try:
                    os.chmod(temp, 0o700)
                    (temp / PID_FILE).write_text(f"{os.getpid()}\n")
                except BaseException:
                    shutil.rmtree(temp, ignore_errors=True)
                    raise
                return candidate, temp
        n += 1


def create_backup(config: Config, host: Host, options: CreateOptions,
                  progress_stream: TextIO | None = None) -> Created:
    bcfg = config.backup
    directory = options.directory or bcfg.directory
    compression = options.compression or bcfg.compression
    level = options.level if options.level is not None else bcfg.level
    if level is not None and level not in LEVELS.get(compression, range(0)):
        allowed = LEVELS.get(compression, range(0))
        raise InputError(f"compression level {level} is out of range for {compression} "
                         f"({allowed.start}-{allowed.stop - 1})")
    try:
        ensure_directory(directory)
    except OSError as exc:
        raise BackupFailed(f"cannot create backup directory {directory}: {exc.strerror}") from None
    try:
        backup_id, temp = reserve_id(directory)
    except OSError as exc:
        raise BackupFailed(f"cannot write in backup directory {directory}: {exc.strerror}"
                           ) from None
    final = directory / backup_id
    previous = _raise_on_sigterm()
    try:
        manifest = _build(config, host, options, temp, backup_id, compression, level,
                          progress_stream)
        (temp / PID_FILE).unlink()
        _fsync_dir(temp)
        os.rename(temp, final)
        _fsync_dir(directory)
    except BaseException as exc:
        shutil.rmtree(temp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise BackupFailed(f"backup failed, nothing kept: {exc}") from None
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return Created(backup_id, final, manifest)


def _raise_on_sigterm() -> signal.Handlers | Callable[..., object] | int | None:
    """Treat SIGTERM like Ctrl-C while a backup is built, so the cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    return previous if previous is not None else signal.SIG_DFL


def _build(config: Config, host: Host, options: CreateOptions, temp: Path, backup_id: str,
           compression: str, level: int | None, progress_stream: TextIO | None) -> Manifest:
    bcfg = config.backup
    dumps: list[Dump] = []
    if options.databases:
        work = temp / "dumps"
        work.mkdir(mode=0o700)
        if bcfg.postgresql is not None:
            dumps += dump_postgresql(bcfg.postgresql, host, work)
        if bcfg.redis is not None:
            dumps += dump_redis(bcfg.redis, work)
    sources = select_sources(config.flake_dir, bcfg, options.extra_paths, options.use_defaults)
    found = scan(sources, bcfg.excludes, never=(options.directory or bcfg.directory,))
    archive_name = "backup" + SUFFIX[compression]
    archive_path = temp / archive_name
    total = found.total_bytes + sum(d.path.stat().st_size for d in dumps)
    progress = Progress(total, progress_stream)
    members, skipped = _write_archive(archive_path, found, dumps, compression, level, progress)
    if progress_stream is not None:
        progress.finish()
    sizes = {m.name: m.size for m in members}
    if options.databases:
        shutil.rmtree(temp / "dumps")
    digest, size = _sha256_file(archive_path)
    manifest = Manifest(
        id=backup_id,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        host=socket.gethostname(),
        nqd_version=__version__,
        compression=compression,
        archive=archive_name,
        archive_size=size,
        archive_sha256=digest,
        members=tuple(members),
        sources=found.sources,
        skipped=found.skipped + tuple(skipped),
        databases=tuple(DatabaseDump(d.kind, d.member, sizes[d.member], d.check)
                        for d in dumps),
    )
    _write_private(temp / MANIFEST_NAME, manifest.to_json())
    _write_private(temp / f"{archive_name}.sha256", f"{digest}  {archive_name}\n".encode())
    return manifest


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sha256_file(path: Path) -> tuple[str, int]:
    import hashlib

    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tarinfo(name: str, kind: str, size: int, mode: int, mtime: int, uid: int,
             gid: int, target: str | None = None) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE,
                 "symlink": tarfile.SYMTYPE}[kind]
    info.size = size if kind == "file" else 0
    info.mode = mode
    info.mtime = mtime
    info.uid, info.gid = uid, gid
    info.uname = info.gname = ""
    if target is not None:
        info.linkname = target
    return info


def _write_archive(path: Path, found: Scan, dumps: list[Dump], compression: str,
                   level: int | None, progress: Progress) -> tuple[list[Member], list[Skipped]]:
    members: list[Member] = []
    skipped: list[Skipped] = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        writer = CompressingWriter(raw, compression, level)
        try:
            tar = tarfile.open(  # noqa: SIM115 - closed below, before the writer
                fileobj=writer, mode="w", format=tarfile.PAX_FORMAT,  # type: ignore[call-overload]
                copybufsize=1 << 20)
            for entry in found.entries:
                member = _add_entry(tar, entry, progress, skipped)
                if member is not None:
                    members.append(member)
            for dump in dumps:
                for parent in _missing_dirs(dump.member, members):
                    tar.addfile(_tarinfo(parent, "dir", 0, 0o700, int(time.time()), 0, 0))
                    members.append(Member(parent, "dir", 0, 0o700, int(time.time())))
                entry = _dump_entry(dump)
                member = _add_entry(tar, entry, progress, skipped)
                if member is None:
                    raise BackupFailed(f"cannot archive database dump {dump.member}")
                members.append(Member(member.name, member.type, member.size, member.mode,
                                      member.mtime, member.sha256))
            tar.close()
            writer.close()
        except BaseException:
            writer.abort()
            raise
        raw.flush()
        os.fsync(raw.fileno())
    return members, skipped


def _missing_dirs(name: str, members: list[Member]) -> list[str]:
    have = {m.name for m in members}
    parts = name.split("/")[:-1]
    wanted = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return [w for w in wanted if w not in have]


def _dump_entry(dump: Dump) -> Entry:
    st = os.stat(dump.path)
    return Entry(dump.path, dump.member, "file", st.st_size, 0o600, int(st.st_mtime),
                 st.st_uid, st.st_gid)


def _add_entry(tar: tarfile.TarFile, entry: Entry, progress: Progress,
               skipped: list[Skipped]) -> Member | None:
    if entry.type != "file":
        tar.addfile(_tarinfo(entry.name, entry.type, 0, entry.mode, entry.mtime, entry.uid,
                             entry.gid, entry.target))
        return Member(entry.name, entry.type, 0, entry.mode, entry.mtime, None, entry.target,
                      str(entry.path))
    try:
        fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        skipped.append(Skipped(str(entry.path), f"unreadable: {exc.strerror}"))
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            skipped.append(Skipped(str(entry.path), "changed type during backup"))
            return None
        size, mode, mtime = st.st_size, stat.S_IMODE(st.st_mode), int(st.st_mtime)
        reader = ExactReader(handle, size, progress)
        tar.addfile(_tarinfo(entry.name, "file", size, mode, mtime, st.st_uid, st.st_gid),
                    reader)
        if reader.changed:
            skipped.append(Skipped(str(entry.path), "changed while being archived "
                                   "(archived as read; check it)"))
    return Member(entry.name, "file", size, mode, mtime, reader.sha256.hexdigest(), None,
                  str(entry.path))
