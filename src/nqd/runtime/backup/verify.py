"""`backup verify`: re-read the archive and check every member against the manifest."""

from __future__ import annotations

import hashlib
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from nqd.errors import InputError
from nqd.runtime.backup.manifest import Manifest, Member
from nqd.runtime.backup.store import StoredBackup
from nqd.runtime.backup.streams import HashingReader, decompressing_reader


@dataclass
class Verification:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def member_type(info: tarfile.TarInfo) -> str:
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    return "special"


def verify_backup(backup: StoredBackup) -> Verification:
    manifest = backup.manifest
    if manifest is None:
        raise InputError(f"backup {backup.id}: {backup.problem}")
    archive = backup.path / manifest.archive
    result = Verification()
    _check_sidecar(backup.path, manifest, result)
    expected = {m.name: m for m in manifest.members}
    seen: set[str] = set()
    try:
        raw_handle = open(archive, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot read archive {archive}: {exc.strerror}") from None
    with raw_handle:
        raw = HashingReader(raw_handle)
        current: str | None = None  # the member being read
        last: str | None = None
        try:
            stream = decompressing_reader(raw, manifest.compression)
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for info in tar:
                    current = info.name
                    seen.add(info.name)
                    _check_member(tar, info, expected.get(info.name), result)
                    result.checked += 1
                    last, current = info.name, None
            raw.drain()
        except Exception as exc:  # corrupt compression, truncated tar, ...
            if current is not None:
                result.problems.append(f"{current}: damaged, the archive breaks while reading "
                                       f"it ({_describe(exc)})")
            elif last is None:
                result.problems.append(f"archive breaks at its start: {_describe(exc)}")
            else:
                result.problems.append(f"archive breaks after member {last}: {_describe(exc)}")
            raw.drain()
        digest = raw.sha256.hexdigest()
    if raw.count != manifest.archive_size:
        result.problems.insert(0, f"archive {manifest.archive}: size {raw.count}, manifest "
                               f"says {manifest.archive_size} (truncated or replaced)")
    elif digest != manifest.archive_sha256:
        result.problems.insert(0, f"archive {manifest.archive}: sha256 differs from the "
                               "manifest (altered)")
    for name in expected:
        if name not in seen:
            result.problems.append(f"{name}: missing from the archive")
    return result


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def _check_sidecar(directory: Path, manifest: Manifest, result: Verification) -> None:
    sidecar = directory / f"{manifest.archive}.sha256"
    try:
        recorded = sidecar.read_text().split()[0]
    except (OSError, IndexError):
        result.problems.append(f"{sidecar.name}: missing or unreadable")
        return
    if recorded != manifest.archive_sha256:
        result.problems.append(f"{sidecar.name}: does not match the manifest's archive sha256")


def _check_member(tar: tarfile.TarFile, info: tarfile.TarInfo, want: Member | None,
                  result: Verification) -> None:
    name = info.name
    if want is None:
        result.problems.append(f"{name}: in the archive but not in the manifest")
        return
    kind = member_type(info)
    if kind != want.type:
        result.problems.append(f"{name}: type {kind}, manifest says {want.type}")
        return
    if info.mode & 0o7777 != want.mode:
        result.problems.append(f"{name}: mode {info.mode & 0o7777:o}, manifest says "
                               f"{want.mode:o}")
    if int(info.mtime) != want.mtime:
        result.problems.append(f"{name}: mtime {int(info.mtime)}, manifest says {want.mtime}")
    if kind == "symlink" and info.linkname != want.target:
        result.problems.append(f"{name}: link target {info.linkname!r}, manifest says "
                               f"{want.target!r}")
    if kind == "file":
        if info.size != want.size:
            result.problems.append(f"{name}: size {info.size}, manifest says {want.size}")
        digest = hashlib.sha256()
        handle = tar.extractfile(info)
        assert handle is not None
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
        if digest.hexdigest() != want.sha256:
            result.problems.append(f"{name}: content differs from the manifest (sha256)")
