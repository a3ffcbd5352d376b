"""`nqd explain`: one change, option, package or check rule explained in full."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from nqd.console import Console
from nqd.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from nqd.knowledge.model import Change

NAME = "explain"
HELP = "explain a change, option, package or rule (e.g. services.logind.extraConfig, NQD701)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", metavar="ID|OPTION|PACKAGE|RULE",
                        help="a change id, an old or new option path or package attribute, "
                        "or a rule id or name")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default: text)")


def run(args: argparse.Namespace, console: Console) -> int:
    import json

    from nqd.knowledge.query import known_keys, load_knowledge, lookup, suggestions, under
    from nqd.report.changes import change_to_json
    from nqd.report.explain import find_rule, known_rules, render_change, render_rule

    key = args.key.strip()
    if not key:
        raise UsageError("explain needs a change id, option, package or rule")
    # Rule ids and names have neither dots nor colons; skip importing the rules otherwise.
    rules = known_rules() if not any(ch in key for ch in ".:") else []
    rule = find_rule(rules, key)
    if rule is not None:
        if args.format == "json":
            console.out.write(json.dumps({"rule": rule.id, "name": rule.name,
                                          "summary": rule.summary,
                                          "explanation": rule.explanation}, indent=2) + "\n")
        else:
            for line in render_rule(rule, console):
                console.print(line)
        return ExitCode.OK

    loaded = load_knowledge()
    if loaded.note:
        console.info(f"note: {loaded.note}")
    changes = lookup(loaded.kb, key)
    if not changes:
        below = under(loaded.kb, key)
        if below:
            return _list_below(key, below, console, args.format)
        rules = rules or known_rules()
        candidates = known_keys(loaded.kb) | {r.id for r in rules} | {r.name for r in rules}
        close = suggestions(key, candidates)
        hint = f"; did you mean: {', '.join(close)}?" if close else \
            "; `nqd changes --search TEXT` searches all changes"
        raise UsageError(f"unknown change, option, package or rule {key!r}{hint}")
    if args.format == "json":
        console.out.write(json.dumps([change_to_json(c) for c in changes], indent=2,
                                     ensure_ascii=False) + "\n")
        return ExitCode.OK
    for index, change in enumerate(changes):
        if index:
            console.print("")
            console.print("─" * 72)
            console.print("")
        for line in render_change(change, console):
            console.print(line)
    return ExitCode.OK


def _list_below(key: str, changes: list[Change], console: Console, fmt: str) -> int:
    from nqd.report.changes import change_to_json

    if fmt == "json":
        import json

        console.out.write(json.dumps([change_to_json(c) for c in changes], indent=2,
                                     ensure_ascii=False) + "\n")
        return ExitCode.OK
    console.print(f"{len(changes)} change(s) below {key}:")
    for change in changes:
        console.print(f"  {change.id}  ({change.release_pair})")
    console.print("`nqd explain ID` shows one in full.")
    return ExitCode.OK
