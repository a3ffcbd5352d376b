"""`nqd changes`: browse the release knowledge (what changes between two releases)."""

from __future__ import annotations

import argparse

from nqd.console import Console
from nqd.errors import ExitCode
from nqd.knowledge.model import Area, Change, Kind

NAME = "changes"
HELP = "list what changes between two releases (options, packages, defaults, versions)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="from_release", metavar="RELEASE",
                        help="release upgraded from (default: the oldest known)")
    parser.add_argument("--to", dest="to_release", metavar="RELEASE",
                        help="release upgraded to (default: the release after --from); "
                        "several hops chain renames to their final name")
    parser.add_argument("--area", action="append", choices=[a.value for a in Area],
                        help="only this area (repeatable)")
    parser.add_argument("--kind", action="append", choices=[k.value for k in Kind],
                        help="only this kind of change (repeatable)")
    parser.add_argument("--search", metavar="TEXT",
                        help="only changes whose id, names, message or migration contain TEXT")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")
    parser.add_argument("--long", action="store_true", help="text: show each change's message")
    parser.add_argument("--all", action="store_true",
                        help="text: list every change even when there are many (without a "
                        f"filter, more than {SUMMARY_ABOVE} changes are summarised)")


SUMMARY_ABOVE = 150


def run(args: argparse.Namespace, console: Console) -> int:
    from nqd.knowledge.query import default_range, filter_changes, load_knowledge, select
    from nqd.report.changes import render_json, render_text

    loaded = load_knowledge()
    if loaded.note:
        console.info(f"note: {loaded.note}")
    start, end = default_range(loaded.kb, args.from_release, args.to_release)
    changes = filter_changes(
        select(loaded.kb, start, end),
        areas=[Area(a) for a in args.area or ()],
        kinds=[Kind(k) for k in args.kind or ()],
        search=args.search,
    )
    filtered = bool(args.area or args.kind or args.search)
    if args.format == "json":
        console.out.write(render_json(changes) + "\n")
    elif not filtered and not args.all and len(changes) > SUMMARY_ABOVE:
        _summary(changes, console, f"Changes {start} → {end}")
    else:
        for line in render_text(changes, console, f"Changes {start} → {end}", long=args.long):
            console.print(line)
    return ExitCode.OK


def _summary(changes: list[Change], console: Console, title: str) -> None:
    """Counts per area and kind, and how to list them."""
    from collections import Counter

    counts = Counter((c.area.value, c.kind.value) for c in changes)
    console.print(console.style(f"{title}: {len(changes)} changes", "bold"))
    for (area, kind), count in sorted(counts.items()):
        console.print(f"  {count:>6}  {area:<13} {kind}")
    console.print("List them with --area, --kind or --search TEXT (or --all); "
                  "`nqd explain NAME` for one.")
