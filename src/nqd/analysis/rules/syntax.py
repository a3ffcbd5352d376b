"""Input problems that stop evaluation: syntax errors, imports that point nowhere, cycles."""

from __future__ import annotations

from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.knowledge.model import Severity
from nqd.model.types import SourcePos

SYNTAX_ERROR = Rule(
    "NQD001", "syntax-error", "The file does not parse as Nix.",
    "Nix cannot evaluate a file with a syntax error, so nothing that imports it builds. "
    "The other files are still analysed.",
)
MISSING_IMPORT = Rule(
    "NQD002", "missing-import", "An `imports` entry points to a file that does not exist.",
    "Evaluation fails with 'path does not exist'. A directory import needs a default.nix.",
    "imports = [ ./hardware.nix ];", "imports = [ ./hardware-configuration.nix ];",
)
IMPORT_CYCLE = Rule(
    "NQD003", "import-cycle", "Modules import each other in a cycle.",
    "The module system de-duplicates files by path, so a cycle usually evaluates, but it "
    "makes the configuration hard to follow and breaks as soon as one side becomes a "
    "function call.",
)
RULES = (SYNTAX_ERROR, MISSING_IMPORT, IMPORT_CYCLE)
# Names this rule looks for beyond the knowledge's own (see nqd.model.interest).
INTEREST: frozenset[str] = frozenset()
_BY_CODE = {"syntax-error": (SYNTAX_ERROR, Severity.ERROR),
            "missing-import": (MISSING_IMPORT, Severity.ERROR),
            "import-cycle": (IMPORT_CYCLE, Severity.WARNING)}


def check(ctx: RuleContext) -> Iterable[Finding]:
    for diagnostic in ctx.model.diagnostics:
        if diagnostic.code not in _BY_CODE:
            continue
        rule, severity = _BY_CODE[diagnostic.code]
        pos = diagnostic.pos or SourcePos(diagnostic.path, 1, 1, 1, 1)
        yield Finding(rule.id, rule.name, severity, pos, diagnostic.message)
