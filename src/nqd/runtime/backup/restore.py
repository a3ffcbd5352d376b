"""`backup restore`: put members back, safely.

Two passes over the archive. The first checks everything before anything is written:
the archive matches its manifest, no member has an absolute path or `..`, no link points
outside the target, and no existing file would be overwritten without `force`. The
second writes each file to a temporary name beside its destination, checks its sha256
against the manifest, sets mode and mtime, and renames it into place.

Without `to`, members under `files/` go back to their original absolute paths (below
`root`, `/` by default) and database dumps are left in the archive (restoring a server is
the administrator's call). With `to`, every selected member is extracted below `to` under
its archive name.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nqd.errors import InputError
from nqd.runtime.backup.manifest import FILE_PREFIX, Member
from nqd.runtime.backup.store import StoredBackup
from nqd.runtime.backup.streams import HashingReader, decompressing_reader
from nqd.runtime.backup.verify import member_type


class UnsafeArchive(InputError):
    """The archive holds a member that could write outside the target."""


@dataclass
class Restored:
    written: list[Path] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    base: Path
    to_given: bool

    def relative(self, name: str) -> str | None:
        """The member's path relative to `base`, or None if it is not restored here."""
        if self.to_given:
            return name
        if name.startswith(FILE_PREFIX):
            return name[len(FILE_PREFIX):]
        return None

    def path(self, rel: str) -> Path:
        return self.base / rel


def _normalise_selector(selector: str) -> str:
    selector = selector.rstrip("/") or "/"
    if selector.startswith("/"):
        return FILE_PREFIX + selector.lstrip("/") if selector != "/" else FILE_PREFIX[:-1]
    return selector


def _selected(name: str, selectors: tuple[str, ...]) -> bool:
    return not selectors or any(name == s or name.startswith(s + "/") for s in selectors)


def unsafe_reason(info: tarfile.TarInfo, rel: str, to_given: bool) -> str | None:
    """Why this member must not be extracted, or None."""
    name = info.name
    if name.startswith("/") or rel.startswith("/"):
        return "absolute path"
    if ".." in name.split("/"):
        return "path contains '..'"
    kind = member_type(info)
    if kind == "special":
        return "device, fifo or other special file"
    if kind == "symlink":
        target = info.linkname
        if target.startswith("/"):
            if to_given:
                return f"symlink to absolute path {target!r} points outside the target"
        elif posixpath.normpath(posixpath.join(posixpath.dirname(rel), target)).startswith(
                ".."):
            return f"symlink to {target!r} points outside the target"
    if kind == "hardlink":
        link = info.linkname
        if link.startswith("/") or ".." in link.split("/"):
            return f"hard link to {link!r} points outside the target"
    return None


def _open_tar(backup: StoredBackup) -> tuple[HashingReader, tarfile.TarFile, object]:
    assert backup.manifest is not None
    try:
        raw_handle = open(backup.path / backup.manifest.archive, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"cannot read archive: {exc.strerror}") from None
    raw = HashingReader(raw_handle)
    try:
        tar = tarfile.open(  # noqa: SIM115 - the caller closes it
            fileobj=decompressing_reader(raw, backup.manifest.compression), mode="r|")
    except Exception as exc:
        raw_handle.close()
        raise InputError(f"backup {backup.id}: archive unreadable ({exc})") from None
    return raw, tar, raw_handle


def restore_backup(backup: StoredBackup, *, to: Path | None = None, only: tuple[str, ...] = (),
                   force: bool = False, root: Path = Path("/")) -> Restored:
    manifest = backup.manifest
    if manifest is None:
        raise InputError(f"backup {backup.id}: {backup.problem}")
    target = _Target(Path(os.path.abspath(to)) if to is not None else root, to is not None)
    selectors = tuple(_normalise_selector(s) for s in only)
    expected = {m.name: m for m in manifest.members}
    result = Restored()
    _check_pass(backup, target, selectors, force, result)
    _extract_pass(backup, target, selectors, force, expected, result)
    return result


def _check_pass(backup: StoredBackup, target: _Target, selectors: tuple[str, ...],
                force: bool, result: Restored) -> None:
    assert backup.manifest is not None
    raw, tar, handle = _open_tar(backup)
    conflicts: list[Path] = []
    matched = False
    try:
        with tar:
            for info in tar:
                if not _selected(info.name, selectors):
                    continue  # never extracted: nothing to check (the hash covers it)
                rel = target.relative(info.name)
                reason = unsafe_reason(info, rel or info.name, target.to_given)
                if reason:
                    raise UnsafeArchive(f"refusing to restore: member {info.name!r}: {reason}")
                if rel is None:
                    if not info.isdir():
                        result.left_out.append(info.name)
                    continue
                matched = True
                dest = target.path(rel)
                if info.isdir():
                    if os.path.lexists(dest) and not dest.is_dir():
                        conflicts.append(dest)
                elif os.path.lexists(dest) and not force:
                    conflicts.append(dest)
        raw.drain()
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"backup {backup.id}: archive unreadable ({exc}); "
                         "run `nqd backup verify`") from None
    finally:
        handle.close()  # type: ignore[attr-defined]
    if raw.sha256.hexdigest() != backup.manifest.archive_sha256:
        raise InputError(f"backup {backup.id}: archive does not match its manifest; "
                         "run `nqd backup verify`")
    if selectors and not matched and not result.left_out:
        raise InputError(f"nothing in backup {backup.id} matches {', '.join(selectors)}")
    if conflicts:
        shown = ", ".join(str(c) for c in conflicts[:3])
        more = f" and {len(conflicts) - 3} more" if len(conflicts) > 3 else ""
        raise InputError(f"{len(conflicts)} existing path(s) would be overwritten: "
                         f"{shown}{more} (use --force)")


def _inside(path: Path, base: Path) -> bool:
    real, real_base = os.path.realpath(path), os.path.realpath(base)
    return real == real_base or real.startswith(real_base.rstrip("/") + "/")


def _extract_pass(backup: StoredBackup, target: _Target, selectors: tuple[str, ...],
                  force: bool, expected: dict[str, Member], result: Restored) -> None:
    _, tar, handle = _open_tar(backup)
    dirs: list[tuple[Path, tarfile.TarInfo]] = []
    as_root = os.geteuid() == 0
    try:
        with tar:
            for info in tar:
                rel = target.relative(info.name)
                if rel is None or not _selected(info.name, selectors):
                    continue
                dest = target.path(rel)
                if not _inside(dest.parent, target.base):
                    result.problems.append(f"{info.name}: parent resolves outside the target")
                    continue
                if info.isdir():
                    existed = dest.is_dir()
                    dest.mkdir(parents=True, exist_ok=True)
                    if not existed or force:
                        dirs.append((dest, info))
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                if info.isreg():
                    _write_file(tar, info, dest, expected.get(info.name), force, as_root, result)
                elif info.issym():
                    _replace_with(dest, force)
                    os.symlink(info.linkname, dest)
                    os.utime(dest, (info.mtime, info.mtime), follow_symlinks=False)
                    if as_root:
                        os.lchown(dest, info.uid, info.gid)
                    result.written.append(dest)
                elif info.islnk():
                    link_rel = target.relative(info.linkname)
                    if link_rel is None:
                        result.problems.append(f"{info.name}: hard link target not restored")
                        continue
                    _replace_with(dest, force)
                    os.link(target.path(link_rel), dest)
                    result.written.append(dest)
    finally:
        handle.close()  # type: ignore[attr-defined]
    for dest, info in reversed(dirs):
        os.chmod(dest, info.mode & 0o7777)
        os.utime(dest, (info.mtime, info.mtime))
        if as_root:
            os.chown(dest, info.uid, info.gid)


def _replace_with(dest: Path, force: bool) -> None:
    if os.path.lexists(dest):
        if not force:
            raise InputError(f"{dest} appeared during the restore (use --force)")
        if dest.is_dir() and not dest.is_symlink():
            raise InputError(f"{dest} is a directory; not replacing it")
        dest.unlink()


def _write_file(tar: tarfile.TarFile, info: tarfile.TarInfo, dest: Path, want: Member | None,
                force: bool, as_root: bool, result: Restored) -> None:
    source = tar.extractfile(info)
    assert source is not None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".nqd-restore",
                                    dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if want is not None and want.sha256 != digest.hexdigest():
            result.problems.append(f"{info.name}: content differs from the manifest; "
                                   "not restored")
            tmp.unlink()
            return
        os.chmod(tmp, info.mode & 0o7777)
        if as_root:
            os.chown(tmp, info.uid, info.gid)
        os.utime(tmp, (info.mtime, info.mtime))
        if os.path.lexists(dest) and not force:
            raise InputError(f"{dest} appeared during the restore (use --force)")
        if dest.is_dir() and not dest.is_symlink():
            raise InputError(f"{dest} is a directory; not replacing it with a file")
        os.replace(tmp, dest)
        result.written.append(dest)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
