"""`nqd upgrade`: the whole release upgrade as one resumable command."""

from __future__ import annotations

import argparse

from nqd.console import Console

NAME = "upgrade"
HELP = ("Upgrade the workstation to a release: check, baseline, backup, bump inputs, build, "
        "diff, switch, health gate (rollback on regression), report. Safe to interrupt and "
        "rerun.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", metavar="RELEASE", help="target release, e.g. 25.11")
    parser.add_argument("--flake", metavar="PATH", default=".",
                        help="the flake directory (default: current directory)")
    parser.add_argument("--host", metavar="NAME",
                        help="nixosConfigurations name (default: the flake's only one, "
                             "or this host's name)")
    parser.add_argument("--user", metavar="NAME",
                        help="standalone Home Manager user (default: the flake's only "
                             "homeConfigurations name, or $USER)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print every command in order and change nothing")
    parser.add_argument("--yes", "-y", action="store_true",
                        help="do not ask before switching; roll back at once on regression")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted or failed run at its first incomplete "
                             "phase")
    parser.add_argument("--force", action="store_true",
                        help="continue past preflight problems (error findings, low disk "
                             "space, uncommitted changes)")
    parser.add_argument("--status", action="store_true",
                        help="show the most recent run's phases and exit")
    parser.add_argument("--run", metavar="KEY", help="with --status: the run to show")
    parser.add_argument("--min-free", metavar="GIB", type=float, default=5.0,
                        help="free space needed on /nix in GiB (default: 5)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="show each command's own output")


def run(args: argparse.Namespace, console: Console) -> int:
    import math

    from nqd.errors import UsageError
    from nqd.knowledge.loader import KnowledgeBase
    from nqd.releases import Release
    from nqd.runtime.upgrade import runner
    from nqd.runtime.upgrade.context import GIB, UpgradeOptions

    if args.status:
        return runner.status(console, args.run)
    if not args.to:
        raise UsageError("nqd upgrade needs --to RELEASE (e.g. --to 25.11), or --status")
    if not math.isfinite(args.min_free) or args.min_free < 0:
        raise UsageError("--min-free must be a number of GiB, 0 or more")
    target = Release.parse(args.to)
    known = sorted({Release.parse(b) for _, b in KnowledgeBase.load().known_pairs()})
    if target not in known:
        raise UsageError(f"nqd knows no upgrade to NixOS {target} (it knows "
                         f"{', '.join(str(r) for r in known)})")
    flake = runner.resolve_flake(args.flake, target)
    host, user = runner.resolve_names(flake, args.host, args.user)
    options = UpgradeOptions(
        flake=flake, target=target, host_name=host, user=user,
        dry_run=args.dry_run, yes=args.yes, resume=args.resume, force=args.force,
        verbose=args.verbose, min_free_nix=int(args.min_free * GIB),
        min_free_root=int(min(args.min_free, 1.0) * GIB),
    )
    return runner.upgrade(options, console)
