"""`nqd fix`: apply the mechanical migrations to the files (dry run unless --write)."""

from __future__ import annotations

import argparse
from pathlib import Path

from nqd.commands.common import add_configuration_arguments, release_range
from nqd.console import Console

NAME = "fix"
HELP = "apply the mechanical part of the migrations (diff by default, --write to apply)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_configuration_arguments(parser)
    parser.add_argument("--only", action="append", default=[], metavar="RULE_ID",
                        help="fix only this rule (e.g. NQD101) or change id; repeat or "
                             "separate with commas for several")
    parser.add_argument("--write", action="store_true",
                        help="write the changes (originals are kept for --undo)")
    parser.add_argument("--diff", action="store_true",
                        help="with --write, also print the diff")
    parser.add_argument("--undo", action="store_true",
                        help="restore the files of the last `fix --write` run")
    parser.add_argument("--force", action="store_true",
                        help="write over uncommitted changes; undo over later edits")


def run(args: argparse.Namespace, console: Console) -> int:
    from nqd.errors import ExitCode, UsageError

    if args.undo:
        if args.write or args.only or args.paths:
            raise UsageError("--undo takes no paths and cannot be combined with --write/--only")
        from nqd.fix.undo import undo_last

        undone, restored = undo_last(force=args.force)
        for path in restored:
            console.print(f"restored {path}")
        console.info(f"undid the fix run {undone.name} ({len(restored)} files)")
        return ExitCode.OK
    from nqd.fix.plan import plan_fixes
    from nqd.fix.report import render_diff, render_summary

    paths = args.paths or [Path(".")]
    plan = plan_fixes(
        paths,
        *release_range(args),
        only=[rule for value in args.only for rule in value.split(",") if rule],
    )
    from nqd.fix.sequence import pins_record, unbuilt_move

    if args.from_release is None:
        waiting = unbuilt_move(plan, paths)
        if waiting is not None:
            raise UsageError(waiting)
    if not args.write or args.diff:
        render_diff(plan, console)
    run_dir: Path | None = None
    if args.write and plan.files:
        from nqd.fix.apply import write

        run_dir = write(plan.files, force=args.force, record=pins_record(plan))
    render_summary(plan, console, written=args.write, run_dir=run_dir)
    return ExitCode.FINDINGS if plan.refused or any(
        f.severity.rank >= 2 for f in plan.manual) else ExitCode.OK
