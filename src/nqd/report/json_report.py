"""The JSON report. Its shape is versioned and documented in docs/json-format.md and
`check-output.schema.json`; bump SCHEMA_VERSION on any incompatible change."""

from __future__ import annotations

import json
from typing import Any

from nqd import __version__
from nqd.analysis.engine import CheckResult
from nqd.analysis.findings import Finding
from nqd.knowledge.model import Evidence
from nqd.report.common import display_path, summary

SCHEMA_VERSION = 1


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {k: v for k, v in vars(evidence).items() if v is not None}


def finding_json(finding: Finding) -> dict[str, Any]:
    pos = finding.pos
    return {
        "rule": finding.rule,
        "rule_name": finding.rule_name,
        "severity": finding.severity.value,
        "message": finding.message,
        "location": {
            "path": display_path(pos.path),
            "line": pos.line,
            "column": pos.column,
            "end_line": pos.end_line,
            "end_column": pos.end_column,
        },
        "context": finding.context.value,
        "replacement": finding.replacement,
        "fixable": finding.fixable,
        "fix_note": finding.fix_note,
        "change_id": finding.change.id if finding.change else None,
        "evidence": [evidence_json(e) for e in finding.evidence],
    }


def to_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "schema": "nqd-check",
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "nqd", "version": __version__},
        "from": str(result.from_release),
        "to": str(result.to_release),
        "release_source": result.release_source,
        "summary": summary(result),
        "findings": [finding_json(f) for f in result.findings],
        "diagnostics": [
            {"code": d.code, "message": d.message, "path": display_path(d.path)}
            for d in result.diagnostics
        ],
    }


def render(result: CheckResult) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
