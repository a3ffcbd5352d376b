"""Findings: what `check` reports and `fix` may apply."""

from __future__ import annotations

from dataclasses import dataclass, field

from nqd.knowledge.model import Change, Evidence, Severity
from nqd.model.types import Context, SourcePos
from nqd.nix.edits import Edit


@dataclass(frozen=True)
class Rule:
    """A rule's metadata, in the manner of ruff's rule pages (used by explain and SARIF)."""

    id: str  # e.g. "NQD001"
    name: str  # e.g. "renamed-option"
    summary: str
    explanation: str  # what it flags, why it matters
    example_before: str = ""
    example_after: str = ""


@dataclass(frozen=True)
class Finding:
    rule: str  # Rule.id
    rule_name: str
    severity: Severity
    pos: SourcePos
    message: str
    context: Context = Context.UNKNOWN
    replacement: str | None = None
    evidence: tuple[Evidence, ...] = ()
    change: Change | None = None
    fixable: bool = False
    edits: tuple[Edit, ...] = field(default_factory=tuple)
    fix_note: str | None = None  # why `fix` cannot apply it, or what to do by hand

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.pos.path), self.pos.line, self.pos.column, self.rule)
