"""Helpers shared by the backup tests: build trees, read manifests, craft archives."""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import tarfile
from pathlib import Path
from typing import Any

import zstandard


def make_tree(root: Path) -> dict[str, Any]:
    """A small tree with the awkward cases: modes, mtimes, links, a loop, socket, FIFO."""
    (root / "sub" / "deep").mkdir(parents=True)
    files = {
        "a.txt": b"hello\n" * 100,
        "empty": b"",
        "sub/binary.bin": os.urandom(70_000),
        "sub/deep/secret.key": b"AGE-SECRET-KEY-1TEST\n",
    }
    for rel, data in files.items():
        (root / rel).write_bytes(data)
    os.chmod(root / "sub/deep/secret.key", 0o600)
    os.chmod(root / "a.txt", 0o640)
    os.utime(root / "a.txt", (1_600_000_000, 1_600_000_000))
    os.symlink("a.txt", root / "link-to-a")
    os.symlink("loop2", root / "loop1")  # a symlink loop
    os.symlink("loop1", root / "loop2")
    os.mkfifo(root / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    return {"files": files, "socket": sock}


def manifest_of(backup_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((backup_dir / "manifest.json").read_text())
    return data


def only_backup(backups: Path) -> Path:
    found = [p for p in backups.iterdir()]
    assert len(found) == 1, found
    return found[0]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_backup(directory: Path, members: list[tarfile.TarInfo | tuple[tarfile.TarInfo, bytes]],
                 backup_id: str = "20200101T000000Z") -> Path:
    """Write a hand-made backup (zstd archive + a manifest that matches it) for restore tests."""
    buf = io.BytesIO()
    records = []
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for item in members:
            info, data = item if isinstance(item, tuple) else (item, b"")
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
            kind = ("file" if info.isreg() else "dir" if info.isdir() else
                    "symlink" if info.issym() else "hardlink")
            records.append({"name": info.name, "type": kind, "size": info.size,
                            "mode": info.mode, "mtime": int(info.mtime),
                            "sha256": sha256(data) if info.isreg() else None,
                            "target": info.linkname if info.issym() else None,
                            "source": None})
    archive = zstandard.ZstdCompressor().compress(buf.getvalue())
    target = directory / backup_id
    target.mkdir(parents=True)
    (target / "backup.tar.zst").write_bytes(archive)
    digest = sha256(archive)
    (target / "backup.tar.zst.sha256").write_text(f"{digest}  backup.tar.zst\n")
    manifest = {"format": "nqd-backup-manifest", "version": 1, "id": backup_id,
                "created": "2020-01-01T00:00:00Z", "host": "test", "nqd_version": "0",
                "compression": "zstd", "archive": "backup.tar.zst",
                "archive_size": len(archive), "archive_sha256": digest, "members": records,
                "sources": [], "skipped": [], "databases": [], "extra": {}}
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def file_info(name: str, data: bytes, mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 1_500_000_000
    return info, data


def link_info(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    info.mode = 0o777
    info.mtime = 1_500_000_000
    return info
