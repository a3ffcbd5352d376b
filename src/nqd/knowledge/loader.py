"""Load and validate the shipped knowledge files; chain release pairs.

Validation here is a fast structural check of every entry (the same rules as
`schema.json`, which the tests apply with a full JSON-Schema validator), so that start-up
does not pay for importing `jsonschema`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nqd.errors import InputError, NqdError
from nqd.knowledge.model import Area, Change, Condition, Evidence, Kind, Severity
from nqd.releases import Release, hops

_CHANGE_KEYS = frozenset(
    {"id", "area", "kind", "old", "new", "message", "migration", "fixable", "severity",
     "condition", "transform", "silent", "example", "tags", "evidence"}
)
_REQUIRED = ("id", "area", "kind", "old", "new", "message", "evidence")


def data_dir() -> Path:
    """The shipped data files, or `$NQD_KNOWLEDGE_DIR` when set (tests, local builds)."""
    override = os.environ.get("NQD_KNOWLEDGE_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "data"


def curated_dir() -> Path:
    """The hand-curated change files the extractor merges into the data files."""
    return Path(__file__).resolve().parent / "curated"


def _fail(where: str, message: str) -> InputError:
    return InputError(f"invalid knowledge file {where}: {message}")


def parse_change(raw: dict[str, Any], from_release: str, to_release: str, where: str) -> Change:
    """Build a `Change` from one JSON object, raising `InputError` on anything malformed."""
    if not isinstance(raw, dict):
        raise _fail(where, "a change must be an object")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise _fail(where, f"change {raw.get('id', '?')} lacks {', '.join(missing)}")
    unknown = set(raw) - _CHANGE_KEYS
    if unknown:
        raise _fail(where, f"change {raw['id']} has unknown keys {sorted(unknown)}")
    try:
        evidence = tuple(Evidence(**e) for e in raw["evidence"])
        if not evidence:
            raise ValueError("no evidence")
        cond = raw.get("condition")
        condition = (
            Condition(
                state_version_below=cond.get("state_version_below"),
                state_version_at_least=cond.get("state_version_at_least"),
                requires=tuple(cond.get("requires", ())),
                unset=tuple(cond.get("unset", ())),
                written_as=tuple(cond.get("written_as", ())),
            )
            if cond
            else None
        )
        example = raw.get("example") or {}
        return Change(
            id=raw["id"],
            area=Area(raw["area"]),
            kind=Kind(raw["kind"]),
            from_release=from_release,
            to_release=to_release,
            old=raw["old"],
            new=raw["new"],
            message=raw["message"],
            evidence=evidence,
            migration=raw.get("migration", ""),
            fixable=bool(raw.get("fixable", False)),
            severity=Severity(raw["severity"]) if raw.get("severity") else None,
            condition=condition,
            transform=raw.get("transform"),
            silent=bool(raw.get("silent", False)),
            example_before=example.get("before"),
            example_after=example.get("after"),
            tags=tuple(raw.get("tags", ())),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise _fail(where, f"change {raw.get('id', '?')}: {exc}") from None


@dataclass(frozen=True)
class ReleasePair:
    from_release: str
    to_release: str
    changes: tuple[Change, ...]
    sources: dict[str, Any] = field(default_factory=dict)


def load_file(path: Path) -> ReleasePair:
    """A validated release pair; the validated form is cached (see `_cached`)."""
    cached = _cached(path)
    if cached is not None:
        return cached
    pair = _parse_file(path)
    _store(path, pair)
    return pair


def _cache_path(path: Path) -> Path | None:
    """`$XDG_CACHE_HOME/nixos-quick-deploy/knowledge/<key>.pickle`, keyed by the data file's
    path, size and modification time and by nqd's version: any change misses the cache."""
    import hashlib

    from nqd import __version__
    from nqd.paths import cache_dir

    try:
        st = path.stat()
    except OSError:
        return None
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{__version__}|{_CACHE_FORMAT}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return cache_dir() / "knowledge" / f"{path.stem}-{digest}.pickle"


_CACHE_FORMAT = 1


def _cached(path: Path) -> ReleasePair | None:
    import pickle

    target = _cache_path(path)
    if target is None or not target.is_file():
        return None
    try:
        with open(target, "rb") as handle:
            pair = pickle.load(handle)
    except Exception:  # a damaged cache is ignored and rewritten
        return None
    return pair if isinstance(pair, ReleasePair) else None


def _store(path: Path, pair: ReleasePair) -> None:
    import pickle

    from nqd.fsutil import atomic_write

    target = _cache_path(path)
    if target is None:
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, pickle.dumps(pair, protocol=pickle.HIGHEST_PROTOCOL), mode=0o600)
        for stale in target.parent.glob(f"{path.stem}-*.pickle"):
            if stale != target:
                stale.unlink(missing_ok=True)  # an older version of the same file
    except OSError:
        pass  # a read-only or full cache directory only costs speed


def _parse_file(path: Path) -> ReleasePair:
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise _fail(str(path), str(exc)) from None
    if not isinstance(raw, dict) or raw.get("schema_version") != 1:
        raise _fail(str(path), "schema_version must be 1")
    from_release, to_release = raw.get("from"), raw.get("to")
    if not isinstance(from_release, str) or not isinstance(to_release, str):
        raise _fail(str(path), "'from' and 'to' must be release strings")
    changes = tuple(parse_change(c, from_release, to_release, str(path)) for c in raw["changes"])
    ids = [c.id for c in changes]
    if len(ids) != len(set(ids)):
        dupes = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise _fail(str(path), f"duplicate ids {dupes}")
    return ReleasePair(from_release, to_release, changes, raw.get("sources", {}))


@dataclass
class KnowledgeBase:
    """All release pairs, with indexes for matching and multi-hop chaining.

    A pair's file (`<to-release>.json`) is read and validated the first time the pair is
    needed: `nqd check` for one hop reads one file."""

    files: dict[tuple[str, str], Path]
    _loaded: dict[tuple[str, str], ReleasePair] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, directory: Path | None = None) -> KnowledgeBase:
        directory = directory or data_dir()
        files = {}
        for path in sorted(directory.glob("*.json")):
            try:
                target = Release.parse(path.stem)
            except NqdError:
                raise _fail(str(path), "the file name must be the release it upgrades to, "
                                       "e.g. 25.11.json") from None
            files[(str(target.previous()), str(target))] = path
        return cls(files)

    def pair(self, key: tuple[str, str]) -> ReleasePair | None:
        if key not in self._loaded:
            path = self.files.get(key)
            if path is None:
                return None
            loaded = load_file(path)
            if (loaded.from_release, loaded.to_release) != key:
                raise _fail(str(path), f"declares {loaded.from_release}→{loaded.to_release}, "
                                       f"but its name says {key[0]}→{key[1]}")
            self._loaded[key] = loaded
        return self._loaded[key]

    @property
    def pairs(self) -> dict[tuple[str, str], ReleasePair]:
        """Every pair, loaded."""
        return {key: pair for key in self.known_pairs() if (pair := self.pair(key)) is not None}

    def known_pairs(self) -> list[tuple[str, str]]:
        return sorted(self.files, key=lambda p: Release.parse(p[0]))

    def changes_between(self, source: Release, target: Release) -> list[Change]:
        """Every change on the way from `source` to `target`, hop by hop."""
        out: list[Change] = []
        for a, b in hops(source, target):
            pair = self.pair((str(a), str(b)))
            if pair is None:
                known = ", ".join(f"{x}→{y}" for x, y in self.known_pairs())
                raise InputError(f"no release knowledge for {a}→{b} (known: {known})")
            out.extend(pair.changes)
        return out

    def chained(self, source: Release, target: Release) -> list[Change]:
        """Changes from `source` to `target` with renames of renames resolved to the final name.

        A rename A→B in one hop followed by B→C in a later hop yields A→C (kept under the
        first hop's id, with both hops' evidence); a rename followed by a removal of the new
        name yields a removal of the old one.
        """
        changes = self.changes_between(source, target)
        renames = {Kind.RENAMED_OPTION, Kind.RENAMED_PACKAGE}
        later: dict[tuple[Area, str | None, str], list[Change]] = {}
        for change in changes:
            family = "package" if change.kind in {Kind.RENAMED_PACKAGE, Kind.REMOVED_PACKAGE} \
                else "option"
            later.setdefault((change.area, change.old, family), []).append(change)
        out = []
        for change in changes:
            if change.kind in renames and change.new is not None:
                out.append(_follow(change, later))
            else:
                out.append(change)
        return out

    def find(self, key: str) -> list[Change]:
        """Changes whose id, old or new name equals `key`."""
        return [
            c
            for pair in self.pairs.values()
            for c in pair.changes
            if key in (c.id, c.old, c.new)
        ]

    def all_changes(self) -> Iterable[Change]:
        for key in self.known_pairs():
            yield from self.pairs[key].changes


# What a later hop may do to a renamed thing: rename it again or remove it. Behaviour
# notes and changed defaults about the new name stay separate changes.
_FOLLOWED = frozenset({Kind.RENAMED_OPTION, Kind.RENAMED_PACKAGE, Kind.REMOVED_OPTION,
                       Kind.REMOVED_MODULE, Kind.REMOVED_PACKAGE})


def _follow(change: Change, later: dict[tuple[Area, str | None, str], list[Change]]) -> Change:
    from dataclasses import replace

    family = "package" if change.kind is Kind.RENAMED_PACKAGE else "option"
    current = change
    seen = {change.id}
    while True:
        nexts = [
            c for c in later.get((change.area, current.new, family), [])
            if Release.parse(c.from_release) >= Release.parse(current.to_release)
            and c.id not in seen and c.kind in _FOLLOWED
        ]
        if not nexts:
            return current
        step = nexts[0]
        seen.add(step.id)
        merged_evidence = current.evidence + step.evidence
        if step.kind in {Kind.RENAMED_OPTION, Kind.RENAMED_PACKAGE}:
            current = replace(
                current, new=step.new, to_release=step.to_release, evidence=merged_evidence,
                message=f"{current.message} (then renamed to {step.new} in {step.to_release})",
                fixable=current.fixable and step.fixable,
            )
        else:
            return replace(
                current, kind=step.kind, new=step.new, to_release=step.to_release,
                evidence=merged_evidence, severity=step.severity, fixable=False,
                message=f"renamed to {current.new} in {current.to_release}, then: {step.message}",
                migration=step.migration or current.migration,
            )
