"""The terminal report: findings grouped by file, then a summary."""

from __future__ import annotations

from itertools import groupby

from nqd.analysis.engine import CheckResult
from nqd.console import Console
from nqd.report.common import counted, display_path, summary

_COLOUR = {"error": "red", "warning": "yellow", "info": "blue"}


def render(result: CheckResult, console: Console, *, verbose: bool = False) -> None:
    out = console.print
    out(console.style(f"nqd check: NixOS {result.from_release} → {result.to_release}", "bold")
        + console.style(f"  (from {result.release_source})", "dim"))
    for path, group in groupby(result.findings, key=lambda f: f.pos.path):
        out("")
        out(console.style(display_path(path), "bold"))
        for finding in group:
            sev = finding.severity.value
            where = f"{finding.pos.line}:{finding.pos.column}"
            tag = console.style(f"{sev:<7}", _COLOUR[sev])
            fix = console.style(" [fixable]", "green") if finding.fixable else ""
            out(f"  {where:>7}  {tag} {finding.rule} {finding.message}{fix}")
            note = finding.fix_note
            if note and (verbose or not finding.fixable) and note not in finding.message:
                out(console.style(f"           ↳ {note}", "dim"))
            if verbose and finding.evidence:
                for evidence in finding.evidence:
                    out(console.style(f"           evidence: {evidence.url}", "dim"))
    for diagnostic in result.diagnostics:
        console.warn(f"{display_path(diagnostic.path)}: {diagnostic.message}")
    counts = summary(result)
    out("")
    total = counts["error"] + counts["warning"] + counts["info"]
    files = counted(counts["files"], "file")
    if total == 0:
        out(console.style(f"No findings in {files}.", "green"))
        return
    out(f"{counted(total, 'finding')} in {files}: "
        + console.style(counted(counts["error"], "error"), "red") + ", "
        + console.style(counted(counts["warning"], "warning"), "yellow") + ", "
        + console.style(f"{counts['info']} info", "blue")
        + f" ({counts['fixable']} fixable with `nqd fix`)")
    out("Run `nqd explain RULE-OR-OPTION` for details.")
