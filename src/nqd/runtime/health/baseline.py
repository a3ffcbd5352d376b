"""Health reports as JSON (`--json`, `--save`), and comparing a report with a baseline.

Report format `nqd-health` version 1 and comparison format `nqd-health-compare` version 1
are documented in docs/health.md. A regression is a check that was `ok` or `warn` in the
baseline and is `fail` now; it makes `--compare` exit 1.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nqd.errors import InputError
from nqd.jsonfile import load_document
from nqd.runtime.health.checks import CheckResult, Status

REPORT_FORMAT = "nqd-health"
COMPARE_FORMAT = "nqd-health-compare"
VERSION = 1


def report_document(results: list[CheckResult], duration: float) -> dict[str, Any]:
    counts = {s.value: sum(1 for r in results if r.status == s) for s in Status}
    return {
        "format": REPORT_FORMAT,
        "version": VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": socket.gethostname(),
        "duration": round(duration, 3),
        "summary": counts,
        "checks": [
            {"name": r.name, "category": r.category, "status": r.status.value,
             "summary": r.summary, "details": list(r.details), "duration": r.duration,
             "version": r.version}
            for r in results
        ],
    }


def load_report(path: Path) -> dict[str, Any]:
    data = load_document(path, format=REPORT_FORMAT, version=VERSION, what="health baseline",
                         hint=" (written by `nqd health --save`)")
    checks = data.get("checks")
    if not isinstance(checks, list) or not all(
            isinstance(c, dict) and isinstance(c.get("name"), str)
            and c.get("status") in {s.value for s in Status} for c in checks):
        raise InputError(f"{path}: malformed baseline (checks)")
    return data


@dataclass(frozen=True)
class Change:
    name: str
    before: str
    after: str
    summary: str = ""


@dataclass(frozen=True)
class Comparison:
    regressions: tuple[Change, ...]
    recovered: tuple[Change, ...]
    other: tuple[Change, ...]  # every other status change (ok -> warn, fail -> skip, ...)
    versions: tuple[Change, ...]
    new: tuple[str, ...]
    gone: tuple[str, ...]

    def to_json(self, baseline: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        def rows(changes: tuple[Change, ...]) -> list[dict[str, str]]:
            return [{"name": c.name, "before": c.before, "after": c.after,
                     "summary": c.summary} for c in changes]

        return {
            "format": COMPARE_FORMAT,
            "version": VERSION,
            "baseline": {"created": baseline.get("created"), "host": baseline.get("host")},
            "regressed": bool(self.regressions),
            "regressions": rows(self.regressions),
            "recovered": rows(self.recovered),
            "status_changes": rows(self.other),
            "version_changes": rows(self.versions),
            "new": list(self.new),
            "gone": list(self.gone),
            "current": current,
        }


_GOOD = {Status.OK.value, Status.WARN.value}


def compare(baseline: dict[str, Any], current: dict[str, Any]) -> Comparison:
    before = {c["name"]: c for c in baseline["checks"]}
    after = {c["name"]: c for c in current["checks"]}
    regressions, recovered, other, versions = [], [], [], []
    for name, now in after.items():
        was = before.get(name)
        if was is None:
            continue
        b, a = was["status"], now["status"]
        change = Change(name, b, a, str(now.get("summary", "")))
        if b in _GOOD and a == Status.FAIL.value:
            regressions.append(change)
        elif b == Status.FAIL.value and a in _GOOD:
            recovered.append(change)
        elif a != b:
            other.append(change)
        vb, va = was.get("version"), now.get("version")
        if vb and va and vb != va:
            versions.append(Change(name, str(vb), str(va)))
    return Comparison(tuple(regressions), tuple(recovered), tuple(other), tuple(versions),
                      tuple(n for n in after if n not in before),
                      tuple(n for n in before if n not in after))
