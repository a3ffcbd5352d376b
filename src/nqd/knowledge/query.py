"""Browsing the knowledge base: load with fallback, select a release range, filter, look up.

Used by `nqd changes` and `nqd explain`; pure apart from reading the knowledge files.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nqd.errors import InputError
from nqd.knowledge.loader import KnowledgeBase, curated_dir, data_dir
from nqd.knowledge.model import Area, Change, Kind
from nqd.releases import Release


@dataclass(frozen=True)
class Loaded:
    kb: KnowledgeBase
    note: str | None = None  # said on stderr when the curated fallback was used


def load_knowledge() -> Loaded:
    """The data files; the curated files alone when no data file has been built yet."""
    directory = data_dir()
    if not directory.is_dir():
        raise InputError(f"knowledge directory {directory} does not exist")
    kb = KnowledgeBase.load(directory)
    if kb.pairs:
        return Loaded(kb)
    fallback = curated_dir()
    kb = KnowledgeBase.load(fallback)
    if not kb.pairs:
        raise InputError(f"no knowledge files in {directory}")
    return Loaded(kb, f"no data files in {directory}; showing curated changes only")


def default_range(kb: KnowledgeBase, source: str | None,
                  target: str | None) -> tuple[Release, Release]:
    """`--from` defaults to the oldest known release, `--to` to the release after `--from`."""
    if source is not None:
        start = Release.parse(source)
    else:
        pairs = kb.known_pairs()
        if not pairs:
            raise InputError("the knowledge base is empty")
        start = Release.parse(pairs[0][0])
    end = Release.parse(target) if target is not None else start.next()
    return start, end


def select(kb: KnowledgeBase, start: Release, end: Release) -> list[Change]:
    """Changes from `start` to `end`; over several hops renames are chained to the final name."""
    if end == start.next():
        return kb.changes_between(start, end)
    return kb.chained(start, end)


def matches(change: Change, text: str) -> bool:
    """Case-insensitive substring search over id, names, message, migration and tags."""
    needle = text.casefold()
    haystack = (change.id, change.old or "", change.new or "", change.message,
                change.migration, *change.tags)
    return any(needle in field.casefold() for field in haystack)


def filter_changes(changes: Iterable[Change], *, areas: Sequence[Area] = (),
                   kinds: Sequence[Kind] = (), search: str | None = None) -> list[Change]:
    return [
        c for c in changes
        if (not areas or c.area in areas)
        and (not kinds or c.kind in kinds)
        and (search is None or matches(c, search))
    ]


def lookup(kb: KnowledgeBase, key: str) -> list[Change]:
    """Changes whose id, old or new name is `key` (exactly, then case-insensitively)."""
    found = kb.find(key)
    if found:
        return found
    folded = key.casefold()
    return [c for c in kb.all_changes()
            if folded in (c.id.casefold(), (c.old or "").casefold(), (c.new or "").casefold())]


def under(kb: KnowledgeBase, prefix: str) -> list[Change]:
    """Changes whose old or new option path lies below `prefix` (e.g. `services.logind`)."""
    dotted = prefix.rstrip(".") + "."
    return [c for c in kb.all_changes()
            if (c.old or "").startswith(dotted) or (c.new or "").startswith(dotted)]


def suggestions(key: str, candidates: Iterable[str], limit: int = 5) -> list[str]:
    """The closest known keys to `key` (difflib), best first."""
    pool = sorted({c for c in candidates if c})
    close = difflib.get_close_matches(key, pool, n=limit, cutoff=0.6)
    if close:
        return close
    folded = key.casefold()
    return [c for c in pool if folded in c.casefold()][:limit]


def known_keys(kb: KnowledgeBase) -> set[str]:
    keys: set[str] = set()
    for change in kb.all_changes():
        keys.add(change.id)
        if change.old:
            keys.add(change.old)
        if change.new:
            keys.add(change.new)
    return keys
