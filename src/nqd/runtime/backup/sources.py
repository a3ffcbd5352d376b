"""What a backup contains: the default sources of a workstation, the user's, and a scan."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nqd import paths
from nqd.config import BackupConfig
from nqd.runtime.backup.manifest import FILE_PREFIX, Skipped, SourceRecord


@dataclass(frozen=True)
class Source:
    path: Path
    label: str


@dataclass(frozen=True)
class Entry:
    """A file-system object to archive, as seen by `lstat` during the scan."""

    path: Path
    name: str  # archive member name
    type: str  # "file" | "dir" | "symlink"
    size: int
    mode: int
    mtime: int
    uid: int
    gid: int
    target: str | None = None


@dataclass(frozen=True)
class Scan:
    entries: tuple[Entry, ...]
    sources: tuple[SourceRecord, ...]
    skipped: tuple[Skipped, ...]

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self.entries)


def default_sources(flake_dir: Path, config: BackupConfig) -> list[Source]:
    """The set a NixOS developer workstation needs back after a bad upgrade."""
    home = Path.home()
    xdg_config = paths.config_dir().parent
    defaults = [
        Source(flake_dir, "flake"),
        Source(Path("/etc/nixos"), "nixos-config"),
        Source(paths.config_dir(), "nqd-config"),
        Source(paths.state_dir(), "nqd-state"),
        Source(xdg_config / "sops" / "age" / "keys.txt", "age-key"),
    ]
    containers = config.container_data if config.container_data is not None else (
        home / ".local" / "share" / "containers" / "storage" / "volumes",
        home / ".local" / "share" / "ai-optimizer",
    )
    defaults += [Source(p, "container-data") for p in containers]
    return defaults


def select_sources(flake_dir: Path, config: BackupConfig, extra: Iterable[Path],
                   use_defaults: bool) -> list[Source]:
    chosen = default_sources(flake_dir, config) if use_defaults and config.include_defaults else []
    chosen += [Source(p, "user") for p in config.paths]
    chosen += [Source(Path(p).absolute(), "command-line") for p in extra]
    return chosen


def _excluded(path: Path, patterns: tuple[str, ...]) -> bool:
    text = str(path)
    return any(fnmatch.fnmatchcase(text, p) or fnmatch.fnmatchcase(path.name, p)
               for p in patterns)


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def member_name(path: Path) -> str:
    """`/etc/nixos/x.nix` -> `files/etc/nixos/x.nix`."""
    return FILE_PREFIX + str(path).lstrip("/")


def scan(sources: list[Source], excludes: tuple[str, ...], never: tuple[Path, ...]) -> Scan:
    """Walk every source without following symlinks; list what cannot be archived.

    Sockets, FIFOs and devices are skipped with a reason (opening a FIFO would block);
    unreadable directories are skipped; `never` (the backup directory itself) is left out.
    """
    entries: list[Entry] = []
    records: list[SourceRecord] = []
    skipped: list[Skipped] = []
    taken: list[Path] = []
    never_abs = tuple(Path(os.path.abspath(p)) for p in never)
    for source in _follow_root_links(sources):
        root = Path(os.path.abspath(source.path))
        if any(_inside(root, t) for t in taken):
            records.append(SourceRecord(str(root), source.label, "inside-another-source"))
            continue
        if not os.path.lexists(root):
            records.append(SourceRecord(str(root), source.label, "missing"))
            continue
        if _excluded(root, excludes) or any(_inside(root, n) for n in never_abs):
            records.append(SourceRecord(str(root), source.label, "excluded"))
            continue
        taken.append(root)
        records.append(SourceRecord(str(root), source.label, "included"))
        _add_parents(root, entries, {e.path for e in entries})
        _walk(root, excludes, never_abs, entries, skipped)
    return Scan(tuple(entries), tuple(records), tuple(skipped))


def _follow_root_links(sources: list[Source]) -> list[Source]:
    """A source that is itself a symlink (`/etc/nixos -> /persist/etc/nixos`) is archived as
    the link and, right after it, as the directory or file it points to."""
    out = []
    for source in sources:
        out.append(source)
        if os.path.islink(source.path) and os.path.exists(source.path):
            out.append(Source(Path(os.path.realpath(source.path)), f"{source.label} (link target)"))
    return out


def _add_parents(root: Path, entries: list[Entry], present: set[Path]) -> None:
    """Record the source's parent directories so a restore recreates their modes."""
    for parent in reversed(root.parents):
        if parent == Path("/") or parent in present:
            continue
        try:
            st = os.lstat(parent)
        except OSError:
            continue
        entries.append(_entry(parent, st, None))
        present.add(parent)


def _entry(path: Path, st: os.stat_result, target: str | None) -> Entry:
    if stat.S_ISDIR(st.st_mode):
        kind, size = "dir", 0
    elif stat.S_ISLNK(st.st_mode):
        kind, size = "symlink", 0
    else:
        kind, size = "file", st.st_size
    return Entry(path, member_name(path), kind, size, stat.S_IMODE(st.st_mode),
                 int(st.st_mtime), st.st_uid, st.st_gid, target)


def _walk(root: Path, excludes: tuple[str, ...], never: tuple[Path, ...],
          entries: list[Entry], skipped: list[Skipped]) -> None:
    stack = [root]
    while stack:
        path = stack.pop()
        try:
            st = os.lstat(path)
        except OSError as exc:
            skipped.append(Skipped(str(path), f"cannot stat: {exc.strerror}"))
            continue
        mode = st.st_mode
        if stat.S_ISLNK(mode):
            try:
                entries.append(_entry(path, st, os.readlink(path)))
            except OSError as exc:
                skipped.append(Skipped(str(path), f"cannot read link: {exc.strerror}"))
        elif stat.S_ISREG(mode):
            entries.append(_entry(path, st, None))
        elif stat.S_ISDIR(mode):
            try:
                with os.scandir(path) as it:
                    children = sorted(Path(e.path) for e in it)
            except OSError as exc:
                skipped.append(Skipped(str(path), f"unreadable directory: {exc.strerror}"))
                continue
            entries.append(_entry(path, st, None))
            for child in reversed(children):
                if _excluded(child, excludes) or any(_inside(child, n) for n in never):
                    continue
                stack.append(child)
        else:
            skipped.append(Skipped(str(path), _special_kind(mode)))


def _special_kind(mode: int) -> str:
    if stat.S_ISSOCK(mode):
        return "socket (not archived)"
    if stat.S_ISFIFO(mode):
        return "fifo (not archived)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device node (not archived)"
    return "unsupported file type (not archived)"
