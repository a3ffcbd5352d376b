"""The facts cache: a file whose bytes are unchanged since the last check is not parsed again.

One cache file per set of checked paths and check interest (`nqd.model.interest`), in
`$XDG_CACHE_HOME/nixos-quick-deploy/facts/`, maps each file to the digest of its bytes
and its facts as plain records (`nqd.model.records`), written with `marshal`: records are
only tuples, lists, strings, numbers and bytes, which it writes four times faster than
`pickle` (the edit-check loop rewrites the cache on every run) and reads back without ever
running code. The file's name digests everything
else the facts depend on: nqd's version, the extraction code, the grammar package, the
Python version and the interest; any change to them starts a fresh cache. Every file is
still read on every run (the digest is of its current bytes, not its modification time).

Derived data only: a damaged or unreadable cache is ignored, one that cannot be written
costs speed, and the directory may be deleted at any time. The oldest cache files are
removed beyond `KEEP`.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from nqd.model.extract import FileFacts
from nqd.model.gc_pause import no_cyclic_gc
from nqd.model.interest import Interest
from nqd.model.records import FORMAT, Record, from_record, to_record

KEEP = 16  # cache files (one per set of checked paths and interest) kept
_SUFFIX = ".facts"
_CODE_PACKAGES = ("model", "nix")  # the code whose output is cached


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _code_fingerprint() -> str:
    """nqd's version, and size and mtime of each module that extraction runs, so that an
    edited checkout never reads facts made by other code."""
    import nqd

    package_dir = Path(nqd.__file__).parent
    parts = [nqd.__version__, sys.version, str(FORMAT), _grammar_version()]
    for name in _CODE_PACKAGES:
        try:
            entries = sorted(os.scandir(package_dir / name), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(".py"):
                st = entry.stat()
                parts.append(f"{name}/{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    return "\n".join(parts)


def _grammar_version() -> str:
    """Where the grammar packages are installed, and when: an upgrade rewrites them.
    (Cheaper than reading their metadata, and needs no import.)"""
    from importlib.util import find_spec

    parts = []
    for name in ("tree_sitter", "tree_sitter_language_pack"):
        spec = find_spec(name)
        origin = spec.origin if spec is not None else None
        try:
            st = os.stat(origin) if origin else None
        except OSError:
            st = None
        parts.append(f"{origin}:{st.st_size}:{st.st_mtime_ns}" if st else f"{name}:missing")
    return "|".join(parts)


class FactsCache:
    """Facts of unchanged files from the last run over the same paths (see module doc)."""

    def __init__(self, location: Path | None,
                 entries: dict[str, tuple[bytes, Record]] | None = None) -> None:
        self.location = location
        self._old = entries or {}
        self._new: dict[str, tuple[bytes, Record]] = {}

    @classmethod
    def open(cls, roots: Iterable[Path], interest: Interest | None,
             directory: Path | None = None) -> FactsCache:
        if directory is None:
            from nqd.paths import cache_dir

            directory = cache_dir() / "facts"
        key = "\n".join([_code_fingerprint(), interest.fingerprint() if interest else "all",
                         *sorted(os.path.abspath(r) for r in roots)])
        location = directory / f"{_digest(key.encode()).hex()}{_SUFFIX}"
        try:
            with open(location, "rb") as handle:
                # loads() of the whole file: load() on a file object reads it in small
                # pieces, five times slower for a large tree's cache.
                data = handle.read()
            with no_cyclic_gc():
                entries = marshal.loads(data)
            if not isinstance(entries, dict):
                entries = {}
        except Exception:  # missing, unreadable or damaged: start afresh
            entries = {}
        return cls(location, entries)

    def get(self, path: Path, source: bytes) -> FileFacts | None:
        """The cached facts of `path` if its bytes are those they were made from."""
        key = str(path)
        entry = self._old.get(key)
        if entry is None:
            return None
        try:
            if entry[0] != _digest(source):
                return None
            facts = from_record(entry[1], path, source)
        except Exception:  # a damaged entry: extract again
            return None
        self._new[key] = entry
        return facts

    def put(self, facts: FileFacts, record: Record | None = None) -> None:
        self._new[str(facts.path)] = (_digest(facts.source), record or to_record(facts))

    def save(self) -> None:
        """Write what this run used (files no longer checked are dropped), atomically."""
        if self.location is None or self._new == self._old:
            return
        from nqd.fsutil import atomic_write

        try:
            data = marshal.dumps(self._new)
        except ValueError:  # a value marshal cannot write: a bug, but only costs speed
            return
        try:
            self.location.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.location, data, mode=0o600)
            _evict(self.location.parent)
        except OSError:
            pass  # a read-only or full cache directory only costs speed


def _evict(directory: Path) -> None:
    try:
        files = sorted(directory.glob(f"*{_SUFFIX}"), key=lambda p: p.stat().st_mtime,
                       reverse=True)
        older_format = list(directory.glob("*.pickle"))  # written by nqd before marshal
    except OSError:
        return
    for old in [*files[KEEP:], *older_format]:
        with contextlib.suppress(OSError):
            old.unlink()
