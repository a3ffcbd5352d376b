"""`nqd health`: run the workstation's health checks; save a baseline; compare with one."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from nqd.console import Console
from nqd.errors import ExitCode

NAME = "health"
HELP = "Check the workstation's health; save a baseline and compare with it."

_MARK = {"ok": ("ok", "green"), "warn": ("WARN", "yellow"), "fail": ("FAIL", "red"),
         "skip": ("skip", "dim")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--detailed", action="store_true", help="show each check's details")
    parser.add_argument("--json", action="store_true",
                        help="print the report (or the comparison) as JSON on stdout")
    parser.add_argument("--save", type=Path, metavar="FILE",
                        help="write the report to FILE as a baseline")
    parser.add_argument("--compare", type=Path, metavar="FILE",
                        help="compare with a baseline; exit 1 if any check regressed")
    parser.add_argument("--checks", type=Path, metavar="FILE", action="append", default=[],
                        help="TOML file of extra checks (repeatable)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="config file")
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                        help="default per-check timeout (default: [health] timeout, 10)")


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (`inf` and `nan` are floats too)."""
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds: {text!r}")
    return value


def run(args: argparse.Namespace, console: Console) -> int:
    from dataclasses import replace

    from nqd.config import load_checks_file, load_config
    from nqd.errors import UsageError
    from nqd.fsutil import atomic_write
    from nqd.runtime.health.baseline import compare, load_report, report_document
    from nqd.runtime.health.builtin import builtin_checks, user_checks
    from nqd.runtime.health.runner import run_checks
    from nqd.runtime.host import LocalHost

    config = load_config(args.config)
    health = config.health
    if args.timeout is not None:
        if args.timeout <= 0:
            raise UsageError("--timeout must be positive")
        health = replace(health, timeout=args.timeout)
    extra = health.checks
    for path in args.checks:
        extra = extra.merged(load_checks_file(path))
    baseline = load_report(args.compare) if args.compare else None  # fail early on bad input
    host = LocalHost()
    checks = builtin_checks(health, config.flake_dir, host) + user_checks(
        extra, health.timeout, host)
    checks = _unique(checks)
    start = time.monotonic()
    results = run_checks(checks)
    document = report_document(results, time.monotonic() - start)
    if args.save:
        try:
            atomic_write(args.save, (json.dumps(document, indent=1) + "\n").encode())
        except OSError as exc:
            raise UsageError(f"cannot write {args.save}: {exc.strerror}") from None
    if baseline is not None:
        comparison = compare(baseline, document)
        if args.json:
            _dump(comparison.to_json(baseline, document))
        else:
            _print_report(console, document, args.detailed)
            _print_comparison(console, comparison, args.compare)
        return ExitCode.FINDINGS if comparison.regressions else ExitCode.OK
    if args.json:
        _dump(document)
    else:
        _print_report(console, document, args.detailed)
        if args.save:
            console.info(f"baseline written to {args.save}")
    return ExitCode.FINDINGS if document["summary"]["fail"] else ExitCode.OK


def _unique(checks: list[Any]) -> list[Any]:
    from dataclasses import replace

    seen: dict[str, int] = {}
    out = []
    for check in checks:
        n = seen.get(check.name, 0) + 1
        seen[check.name] = n
        out.append(check if n == 1 else replace(check, name=f"{check.name}#{n}"))
    return out


def _dump(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, indent=1) + "\n")


def _print_report(console: Console, document: dict[str, Any], detailed: bool) -> None:
    width = max((len(c["name"]) for c in document["checks"]), default=10)
    for c in document["checks"]:
        label, colour = _MARK[c["status"]]
        mark = console.style(f"{label:<4}", colour)
        timing = f"  ({c['duration']:.2f}s)" if detailed else ""
        console.print(f"{mark}  {c['name']:<{width}}  {c['summary']}{timing}")
        if detailed:
            for line in c["details"]:
                console.print(f"      {'':<{width}}  {line}")
    s = document["summary"]
    console.print(f"{s['ok']} ok, {s['warn']} warn, {s['fail']} fail, {s['skip']} skipped "
                  f"in {document['duration']:.1f}s")


def _print_comparison(console: Console, comparison: Any, path: Path) -> None:
    console.print(f"\ncompared with {path}:")
    groups = (("regressed", comparison.regressions), ("recovered", comparison.recovered),
              ("changed", comparison.other))
    for title, changes in groups:
        for c in changes:
            console.print(f"  {title:<9} {c.name}: {c.before} -> {c.after}  {c.summary}")
    for c in comparison.versions:
        console.print(f"  version   {c.name}: {c.before} -> {c.after}")
    for name in comparison.new:
        console.print(f"  new       {name}")
    for name in comparison.gone:
        console.print(f"  gone      {name}")
    verdict = (f"{len(comparison.regressions)} regression(s)" if comparison.regressions
               else "no regressions")
    console.print(f"  {verdict}")
