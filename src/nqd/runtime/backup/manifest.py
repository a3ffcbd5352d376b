"""The manifest of a backup: what is in the archive, and what was left out and why."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nqd.errors import InputError
from nqd.jsonfile import load_document

FORMAT = "nqd-backup-manifest"
VERSION = 1
MANIFEST_NAME = "manifest.json"
FILE_PREFIX = "files/"
DATABASE_PREFIX = "databases/"


@dataclass(frozen=True)
class Member:
    """One archive member. `name` is its path in the archive; `source` where it came from."""

    name: str
    type: str  # "file" | "dir" | "symlink"
    size: int
    mode: int
    mtime: int
    sha256: str | None = None
    target: str | None = None  # symlinks
    source: str | None = None


@dataclass(frozen=True)
class SourceRecord:
    path: str
    label: str
    status: str  # "included" | "missing" | "excluded" | "inside-another-source"


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class DatabaseDump:
    kind: str  # "postgresql" | "redis"
    member: str
    size: int
    check: str  # how the dump was verified at creation


@dataclass(frozen=True)
class Manifest:
    id: str
    created: str  # ISO 8601 UTC
    host: str
    nqd_version: str
    compression: str
    archive: str
    archive_size: int
    archive_sha256: str
    members: tuple[Member, ...]
    sources: tuple[SourceRecord, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    databases: tuple[DatabaseDump, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        data = {"format": FORMAT, "version": VERSION, **asdict(self)}
        return (json.dumps(data, indent=1, sort_keys=False) + "\n").encode()

    @property
    def total_size(self) -> int:
        return sum(m.size for m in self.members)


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest; any defect is an InputError naming the file."""
    data = load_document(path, format=FORMAT, version=VERSION, what="backup manifest")
    try:
        return Manifest(
            id=str(data["id"]),
            created=str(data["created"]),
            host=str(data["host"]),
            nqd_version=str(data["nqd_version"]),
            compression=str(data["compression"]),
            archive=str(data["archive"]),
            archive_size=int(data["archive_size"]),
            archive_sha256=str(data["archive_sha256"]),
            members=tuple(Member(**m) for m in data["members"]),
            sources=tuple(SourceRecord(**s) for s in data.get("sources", [])),
            skipped=tuple(Skipped(**s) for s in data.get("skipped", [])),
            databases=tuple(DatabaseDump(**d) for d in data.get("databases", [])),
            extra=dict(data.get("extra", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed manifest ({exc})") from None
