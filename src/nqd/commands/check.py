"""`nqd check`: list every place a configuration must change for the next release."""

from __future__ import annotations

import argparse
from pathlib import Path

from nqd.commands.common import add_configuration_arguments, release_range
from nqd.console import Console

NAME = "check"
HELP = "list what a configuration must change for the next NixOS release"
FORMATS = ("text", "json", "sarif", "markdown")
LEVELS = ("error", "warning", "info")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_configuration_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--fail-on", choices=LEVELS, default="error",
                        help="exit 1 when a finding is at or above this severity")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE",
                        help="write the report to FILE instead of stdout")
    parser.add_argument("--verbose", "-v", action="store_true", help="show evidence")
    parser.add_argument("--no-git", action="store_true",
                        help="do not compare with the committed files (git HEAD)")
    parser.add_argument("--no-cache", action="store_true",
                        help="parse every file, neither reading nor updating the facts cache "
                             "($XDG_CACHE_HOME/nixos-quick-deploy/facts)")


def run(args: argparse.Namespace, console: Console) -> int:
    from nqd.analysis.engine import NOTHING_TO_CHECK, NothingToCheck, run_check
    from nqd.errors import ExitCode, InputError
    from nqd.knowledge.model import Severity

    paths = args.paths or [Path(".")]
    source, target = release_range(args)
    previous = None if args.no_git else _git_reader(paths)
    try:
        result = run_check(paths, source, target, previous_text=previous,
                           cache=not args.no_cache)
    except NothingToCheck as nothing:
        if args.format == "text" and args.output is None:
            raise  # one line on the terminal
        result = nothing.as_result(paths)  # a document all the same, saying why
    if args.format == "text" and args.output is None:
        from nqd.report import text

        text.render(result, console, verbose=args.verbose)
    else:
        rendered = _render(args.format, result)
        if args.output is not None:
            from nqd.fsutil import atomic_write

            try:
                atomic_write(args.output, rendered.encode("utf-8"))
            except OSError as exc:
                raise InputError(f"cannot write {args.output}: {exc.strerror}") from None
            console.info(f"wrote {args.format} report to {args.output}")
        else:
            console.out.write(rendered)
        for diagnostic in result.diagnostics:
            if diagnostic.code == NOTHING_TO_CHECK:
                console.info(diagnostic.message)
            else:
                console.warn(f"{diagnostic.path}: {diagnostic.message}")
    threshold = Severity(args.fail_on).rank
    failing = any(f.severity.rank >= threshold for f in result.findings)
    return ExitCode.FINDINGS if failing else ExitCode.OK


def _render(fmt: str, result: object) -> str:
    from nqd.report import json_report, markdown, sarif, text

    if fmt == "json":
        return json_report.render(result)  # type: ignore[arg-type]
    if fmt == "sarif":
        return sarif.render(result)  # type: ignore[arg-type]
    if fmt == "markdown":
        return markdown.render(result)  # type: ignore[arg-type]
    import io

    buffer = io.StringIO()
    text.render(result, Console(out=buffer, err=buffer))  # type: ignore[arg-type]
    return buffer.getvalue()


def _git_reader(paths: list[Path]):  # type: ignore[no-untyped-def]
    from nqd.runtime.git import committed_text_reader

    return committed_text_reader(paths)
