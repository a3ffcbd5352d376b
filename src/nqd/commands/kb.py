"""`nqd kb`: build and inspect release knowledge (`kb extract`, `kb stats`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nqd.console import Console
from nqd.errors import ExitCode, UsageError

NAME = "kb"
HELP = "build and inspect the release knowledge base"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="kb_command", metavar="SUBCOMMAND")
    extract = sub.add_parser(
        "extract",
        help="extract renamed/removed options and packages from two source trees",
        description="Diff OLD against NEW nixpkgs / Home Manager trees and write a knowledge "
        "file with what is new in NEW, each change with evidence.",
    )
    extract.add_argument("--nixpkgs", nargs=2, metavar=("OLD_TREE", "NEW_TREE"), type=Path,
                         help="nixpkgs trees of the two releases (nixos/modules, pkgs/top-level)")
    extract.add_argument("--home-manager", nargs=2, metavar=("OLD_TREE", "NEW_TREE"), type=Path,
                         help="Home Manager trees of the two releases (modules/)")
    extract.add_argument("--nixpkgs-commit", nargs=2, metavar=("OLD", "NEW"),
                         help="commits of the nixpkgs trees when they are not git checkouts")
    extract.add_argument("--home-manager-commit", nargs=2, metavar=("OLD", "NEW"),
                         help="commits of the Home Manager trees when not git checkouts")
    extract.add_argument("--nixpkgs-snapshot", type=Path, metavar="TREE",
                         help="ONE later nixpkgs tree (pkgs/top-level/*aliases.nix); its entries "
                         "dated inside --window become package changes of this pair")
    extract.add_argument("--nixpkgs-snapshot-commit", metavar="SHA",
                         help="commit of --nixpkgs-snapshot (when not a git checkout)")
    extract.add_argument("--nixpkgs-snapshot-repo", metavar="OWNER/NAME", default=None,
                         help="repository of --nixpkgs-snapshot for evidence "
                         "(default NixOS/nixpkgs)")
    extract.add_argument("--window", nargs=2, metavar=("START", "END"),
                         help="dates YYYY-MM-DD: entries dated START <= date < END (the branch-off "
                         "dates of --from and --to) belong to this pair")
    extract.add_argument("--uncertain", nargs=2, metavar=("START", "END"), action="append",
                         default=[], help="dates whose release is not known (a branch-off date "
                         "known only within bounds): such entries are reported, not assigned; "
                         "repeatable")
    extract.add_argument("--curated", type=Path, help="JSON file with hand-written `changes`")
    extract.add_argument("--from", dest="from_release", required=True, metavar="RELEASE")
    extract.add_argument("--to", dest="to_release", required=True, metavar="RELEASE")
    extract.add_argument("--out", type=Path, required=True, help="output file ('-' for stdout)")
    stats = sub.add_parser("stats", help="count the changes of knowledge files per area and kind")
    stats.add_argument("files", nargs="*", type=Path,
                       help="knowledge files (default: the shipped ones)")


def run(args: argparse.Namespace, console: Console) -> int:
    if args.kb_command == "extract":
        return _extract(args, console)
    if args.kb_command == "stats":
        return _stats(args, console)
    raise UsageError("nqd kb needs a subcommand: extract or stats")


def _commit_arg(value: str | None) -> str | None:
    if value is None:
        return None
    if not (7 <= len(value) <= 40 and all(c in "0123456789abcdef" for c in value)):
        raise UsageError(f"not a git commit: {value!r}")
    return value


def _extract(args: argparse.Namespace, console: Console) -> int:
    from nqd.fsutil import atomic_write
    from nqd.knowledge.extract import build
    from nqd.releases import Release

    source, target = Release.parse(args.from_release), Release.parse(args.to_release)
    if target != source.next():
        raise UsageError(f"--to must be the release after --from ({source.next()})")
    if not args.nixpkgs and not args.home_manager and not args.nixpkgs_snapshot:
        raise UsageError("give --nixpkgs OLD NEW, --home-manager OLD NEW and/or "
                         "--nixpkgs-snapshot TREE --window START END")
    if bool(args.nixpkgs_snapshot) != bool(args.window):
        raise UsageError("--nixpkgs-snapshot and --window go together")
    if args.uncertain and not args.window:
        raise UsageError("--uncertain needs --nixpkgs-snapshot and --window")
    pairs: list[tuple[str, build.Extraction, build.Extraction]] = []
    specs: list[tuple[str, str, list[Path], list[str] | None, str]] = []
    if args.nixpkgs:
        specs.append(("nixos", build.NIXPKGS, args.nixpkgs, args.nixpkgs_commit, "nixos-"))
    if args.home_manager:
        specs.append(("home-manager", build.HOME_MANAGER, args.home_manager,
                      args.home_manager_commit, "release-"))
    for area, repo, roots, commits, ref_prefix in specs:
        extractions = []
        for index, (root, release) in enumerate(zip(roots, (source, target), strict=True)):
            commit = _commit_arg(commits[index]) if commits else build.git_commit(root)
            origins = build.load_manifest(root)
            tree = build.Tree(root, repo, commit, f"{ref_prefix}{release}", origins)
            extractions.append(build.scan(tree))
            if commit is None and not tree.is_mini:
                console.warn(f"{root}: commit unknown (not a git checkout; give "
                             f"--{'nixpkgs' if repo == build.NIXPKGS else 'home-manager'}-commit)")
        pairs.append((area, extractions[0], extractions[1]))
    dated = _dated(args, console) if args.nixpkgs_snapshot else None
    curated = None
    if args.curated:
        curated = (args.curated, build.load_curated(args.curated, str(source), str(target)))
    doc = build.document(str(source), str(target), pairs, curated, dated)
    text = build.dumps(doc)
    if str(args.out) == "-":
        console.out.write(text)
    else:
        atomic_write(args.out, text.encode())
    counts = ", ".join(f"{k} {v}" for k, v in doc["sources"]["counts"].items())
    console.info(f"{len(doc['changes'])} changes {source}→{target} ({counts}); "
                 f"{len(doc['sources']['skipped'])} call sites skipped")
    return int(ExitCode.OK)


def _dated(
    args: argparse.Namespace, console: Console
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Changes and sources record of the date-window mode (`extract/window.py`)."""
    from nqd.knowledge.extract import build, window

    root: Path = args.nixpkgs_snapshot
    if not root.is_dir():
        raise UsageError(f"--nixpkgs-snapshot {root} is not a directory")
    repo = args.nixpkgs_snapshot_repo or build.NIXPKGS
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise UsageError(f"--nixpkgs-snapshot-repo must be OWNER/NAME, not {repo!r}")
    span = window.Window(
        window.parse_day(args.window[0]), window.parse_day(args.window[1]),
        tuple((window.parse_day(low), window.parse_day(high)) for low, high in args.uncertain),
    )
    commit = _commit_arg(args.nixpkgs_snapshot_commit) or build.git_commit(root)
    if commit is None:
        console.warn(f"{root}: commit unknown (not a git checkout; give "
                     "--nixpkgs-snapshot-commit)")
    tree = build.Tree(root, repo, commit, "master")
    selection = window.select(tree, span)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(selection.counts.items()))
    console.info(f"{root}: alias entries by date: {counts}")
    return window.window_changes(selection), window.window_sources(selection)


def _stats(args: argparse.Namespace, console: Console) -> int:
    from collections import Counter

    from nqd.knowledge.loader import data_dir, load_file

    files = args.files or sorted(data_dir().glob("*.json"))
    for path in files:
        pair = load_file(path)
        counts: Counter[str] = Counter(f"{c.area}:{c.kind}" for c in pair.changes)
        console.print(f"{pair.from_release}→{pair.to_release} ({path.name}): "
                      f"{len(pair.changes)} changes")
        for key, count in sorted(counts.items()):
            console.print(f"  {key:40} {count}")
        skipped: Any = pair.sources.get("skipped", [])
        if skipped:
            console.print(f"  skipped call sites: {len(skipped)}")
    return int(ExitCode.OK)
