"""Byte-range edits: the only way nqd changes a file's text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Edit:
    """Replace bytes [start, end) of `path` with `replacement`."""

    path: Path
    start: int
    end: int
    replacement: str

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad edit span {self.start}..{self.end}")


class OverlappingEdits(ValueError):
    """Two edits touch the same bytes; applying both would corrupt the file."""


def apply_edits(source: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply non-overlapping edits to `source` (identical duplicates are applied once)."""
    ordered = sorted(set(edits), key=lambda e: (e.start, e.end))
    out = bytearray()
    cursor = 0
    for edit in ordered:
        if edit.start < cursor:
            raise OverlappingEdits(f"edits overlap at byte {edit.start} of {edit.path}")
        if edit.end > len(source):
            raise ValueError(f"edit past end of {edit.path}")
        out += source[cursor : edit.start]
        out += edit.replacement.encode("utf-8")
        cursor = edit.end
    out += source[cursor:]
    return bytes(out)
