"""What a codemod sees (`FileContext`) and returns (`Fix` or `Refusal`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nqd.analysis.findings import Finding
from nqd.model.types import FileModel, OptionDef, Span
from nqd.nix.edits import Edit
from nqd.nix.parser import Node
from nqd.releases import Release


@dataclass(frozen=True)
class FileContext:
    """One file as a codemod needs it: its text, a fresh syntax tree and its model."""

    path: Path
    source: bytes
    root: Node
    model: FileModel
    to_release: Release

    def option_at(self, finding: Finding, old: tuple[str, ...] | None = None) -> OptionDef | None:
        """The definition a finding was reported on (covering `old` when given)."""
        for option in self.model.options:
            if option.pos.start_byte == finding.pos.start_byte \
                    and option.pos.end_byte == finding.pos.end_byte \
                    and (old is None or option.covers(old)):
                return option
        return None


@dataclass(frozen=True)
class Fix:
    """The edits that resolve one finding, and what they claim in the file."""

    finding: Finding
    edits: tuple[Edit, ...]
    description: str
    touched: tuple[Span, ...] = ()  # byte ranges this fix reads or rewrites
    new_paths: tuple[tuple[str, ...], ...] = field(default_factory=tuple)  # options it defines


@dataclass(frozen=True)
class Refusal:
    """Why a fixable finding is left for a person (shown by `fix`, never half-applied)."""

    finding: Finding
    reason: str


Outcome = Fix | Refusal
