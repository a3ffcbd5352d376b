"""`nqd rollback`: return to the generations recorded before the last upgrade's switch."""

from __future__ import annotations

import argparse

from nqd.console import Console

NAME = "rollback"
HELP = ("Roll the last upgrade back to exactly the system and Home Manager generations it "
        "recorded before switching (never edits the configuration).")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", metavar="KEY",
                        help="the upgrade run to roll back (default: the most recent run "
                             "that switched)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the commands and change nothing")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask")


def run(args: argparse.Namespace, console: Console) -> int:
    from nqd.runtime.upgrade import runner

    return runner.rollback(console, key=args.run, dry_run=args.dry_run, yes=args.yes)
