"""Which files a check needs in full: a sound prefilter on the names they contain.

A file can only define `a.b.c`, read `config.a.b.c` or name package `foo` if the names
`a`, `b`, `c` or `foo` occur in its text (quoted or not). A check knows every name it
looks for, so files containing none of them are extracted "lite": parsed (syntax errors
and imports still count) but with no definitions or references recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_IDENTIFIER_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'-")
# Every byte that cannot be part of a Nix identifier becomes a space, so `split()` yields
# the identifier-like words of a file in one pass (in C).
_TO_WORDS = bytes(b if b in _IDENTIFIER_BYTES else 0x20 for b in range(256))


@dataclass(frozen=True)
class Interest:
    """Names (identifier-like, matched as whole words) and other byte strings (matched as
    substrings); a file mentioning any of them is extracted in full."""

    words: frozenset[bytes]
    substrings: frozenset[bytes]

    @classmethod
    def of(cls, names: Iterable[str]) -> Interest:
        words: set[bytes] = set()
        substrings: set[bytes] = set()
        for name in names:
            if not name:
                continue
            raw = name.encode()
            (words if all(b in _IDENTIFIER_BYTES for b in raw) else substrings).add(raw)
        return cls(frozenset(words), frozenset(substrings))

    def wants(self, source: bytes) -> bool:
        if any(s in source for s in self.substrings):
            return True
        return not self.words.isdisjoint(source.translate(_TO_WORDS).split())


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
