"""NixOS releases nqd knows, their order, and parsing of release strings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from nqd.errors import UsageError

_RELEASE = re.compile(r"^(\d{2})\.(05|11)$")


@total_ordering
@dataclass(frozen=True)
class Release:
    """A NixOS release such as 25.11 (year, month)."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Release:
        match = _RELEASE.match(text.strip())
        if not match:
            raise UsageError(f"not a NixOS release: {text!r} (expected YY.05 or YY.11, e.g. 25.11)")
        return cls(int(match.group(1)), int(match.group(2)))

    def next(self) -> Release:
        return Release(self.year, 11) if self.month == 5 else Release(self.year + 1, 5)

    def previous(self) -> Release:
        return Release(self.year, 5) if self.month == 11 else Release(self.year - 1, 11)

    def __str__(self) -> str:
        return f"{self.year:02d}.{self.month:02d}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Release):
            return NotImplemented
        return (self.year, self.month) < (other.year, other.month)


def hops(source: Release, target: Release) -> list[tuple[Release, Release]]:
    """The consecutive release pairs from `source` to `target`."""
    if target <= source:
        raise UsageError(f"--to {target} must be after --from {source}")
    pairs = []
    current = source
    while current < target:
        pairs.append((current, current.next()))
        current = current.next()
    return pairs
