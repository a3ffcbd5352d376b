"""SARIF 2.1.0 for GitHub code scanning: relative URIs against %SRCROOT%, rule metadata
with help text, one result per finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nqd import __version__
from nqd.analysis.engine import NOTHING_TO_CHECK, CheckResult
from nqd.model.types import Diagnostic
from nqd.report.common import display_path

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_dict(result: CheckResult) -> dict[str, Any]:
    rules = list(result.rules)
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for finding in result.findings:
        pos = finding.pos
        message = finding.message
        if finding.replacement:
            message += f" (replacement: {finding.replacement})"
        entry: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": _LEVEL[finding.severity.value],
            "message": {"text": message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": artifact_location(pos.path),
                    "region": {"startLine": pos.line, "startColumn": pos.column,
                               "endLine": pos.end_line, "endColumn": pos.end_column},
                }
            }],
            "properties": {"fixable": finding.fixable,
                           "evidence": [e.url for e in finding.evidence]},
        }
        if finding.change is not None:
            entry["partialFingerprints"] = {"nqdChange/v1": finding.change.id}
        results.append(entry)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "nqd",
                "fullName": "nixos-quick-deploy",
                "version": __version__,
                "rules": [{
                    "id": rule.id,
                    "name": rule.name,
                    "shortDescription": {"text": rule.summary},
                    "fullDescription": {"text": rule.explanation},
                    "help": {"text": _help_text(rule.explanation, rule.example_before,
                                                rule.example_after),
                             "markdown": _help_markdown(rule.explanation, rule.example_before,
                                                        rule.example_after)},
                } for rule in rules],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
            "properties": {"from": str(result.from_release), "to": str(result.to_release)},
            "invocations": [{
                "executionSuccessful": True,
                "toolExecutionNotifications": [_notification(d) for d in result.diagnostics],
            }],
            "results": results,
        }],
    }


def _notification(diagnostic: Diagnostic) -> dict[str, Any]:
    """An input problem (a file that could not be analysed), or why nothing was checked."""
    level = "note" if diagnostic.code == NOTHING_TO_CHECK else "warning"
    return {
        "level": level,
        "message": {"text": diagnostic.message},
        "descriptor": {"id": diagnostic.code},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact_location(diagnostic.path)}}],
    }


def artifact_location(path: Path) -> dict[str, str]:
    """A file below the working directory (the repository, in code scanning) as a
    percent-encoded URI relative to %SRCROOT%; any other file as an absolute file URI."""
    shown = display_path(path)
    if shown.startswith("/"):
        return {"uri": Path(shown).as_uri()}
    return {"uri": quote(shown), "uriBaseId": "%SRCROOT%"}


def _help_text(explanation: str, before: str, after: str) -> str:
    parts = [explanation]
    if before:
        parts.append(f"Before: {before}")
    if after:
        parts.append(f"After: {after}")
    parts.append("Run `nqd explain RULE` for more.")
    return "\n".join(parts)


def _help_markdown(explanation: str, before: str, after: str) -> str:
    parts = [explanation]
    if before:
        parts.append(f"Before:\n```nix\n{before}\n```")
    if after:
        parts.append(f"After:\n```nix\n{after}\n```")
    return "\n\n".join(parts)


def render(result: CheckResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
