"""Which files a check needs in full: a sound prefilter on the names they contain.

A file can only define `a.b.c`, read `config.a.b.c` or name package `foo` if the names
`a`, `b`, `c` or `foo` occur in its text (quoted or not). A check knows every name it
looks for, so files containing none of them are extracted "lite": parsed (syntax errors
and imports still count) but with no definitions or references recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

_IDENTIFIER_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'-")
# Every byte that cannot be part of a Nix identifier becomes a space, so `split()` yields
# the identifier-like words of a file in one pass (in C).
_TO_WORDS = bytes(b if b in _IDENTIFIER_BYTES else 0x20 for b in range(256))


@dataclass(frozen=True)
class Interest:
    """What makes a file worth extracting in full: one of `words` (whole identifier-like
    words), one of `substrings`, or every part of one of `paths` (option paths: a file can
    only define `a.b.c` if it mentions `a`, `b` and `c`)."""

    words: frozenset[bytes]
    substrings: frozenset[bytes]
    paths: frozenset[frozenset[bytes]] = frozenset()
    # Each path filed under one of its parts (its witness): only paths whose witness occurs
    # in a file need the subset test.
    _by_witness: dict[bytes, tuple[frozenset[bytes], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[bytes, list[frozenset[bytes]]] = {}
        for parts in self.paths:
            witness = most_selective(".".join(sorted(p.decode() for p in parts))).encode()
            index.setdefault(witness, []).append(parts)
        object.__setattr__(self, "_by_witness", {k: tuple(v) for k, v in index.items()})

    @classmethod
    def of(cls, names: Iterable[str], paths: Iterable[str] = ()) -> Interest:
        words: set[bytes] = set()
        substrings: set[bytes] = set()
        for name in names:
            if name:
                raw = name.encode()
                (words if _is_word(raw) else substrings).add(raw)
        path_sets: set[frozenset[bytes]] = set()
        for path in paths:
            parts = [p.encode() for p in path.split(".") if p]
            if not parts or not all(_is_word(p) for p in parts):
                substrings.add(most_selective(path).encode())  # quoted parts: be generous
            else:
                path_sets.add(frozenset(parts))
        return cls(frozenset(words), frozenset(substrings), frozenset(path_sets))

    def fingerprint(self) -> str:
        """A digest of the names, equal for equal interests (keys the facts cache)."""
        import hashlib

        text = repr((sorted(self.words), sorted(self.substrings),
                     sorted(sorted(parts) for parts in self.paths)))
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def wants(self, source: bytes) -> bool:
        if any(s in source for s in self.substrings):
            return True
        found = set(source.translate(_TO_WORDS).split())
        if not self.words.isdisjoint(found):
            return True
        by_witness = self._by_witness
        for witness in found.intersection(by_witness):
            if any(parts <= found for parts in by_witness[witness]):
                return True
        return False


def _is_word(raw: bytes) -> bool:
    return bool(raw) and all(b in _IDENTIFIER_BYTES for b in raw)


# Names in nearly every module: never the best witness of a path (any part is sound).
_UBIQUITOUS = frozenset({
    "enable", "programs", "services", "package", "packages", "settings", "config",
    "extraConfig", "options", "users", "home", "boot", "networking", "system", "hardware",
    "environment", "security", "virtualisation", "systemd", "xdg", "nix", "user", "lib",
})


def most_selective(path: str) -> str:
    """The part of a dotted path least likely to occur elsewhere: the longest part that
    is not one of the ubiquitous option names (a file defining the path contains them all,
    so any part is a sound witness; a rare one keeps more files lite)."""
    parts = path.split(".")
    rare = [p for p in parts if p not in _UBIQUITOUS]
    not_enable = [p for p in parts if p != "enable"]
    return max(rare or not_enable or parts, key=len)
