"""Arguments shared by the commands that read a configuration (`check`, `fix`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from nqd.releases import Release


def add_configuration_arguments(parser: argparse.ArgumentParser) -> None:
    """PATH... plus --from/--to, as every command reading a configuration takes them."""
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="flake directory, module directory or files (default: .)")
    parser.add_argument("--from", dest="from_release", metavar="RELEASE",
                        help="release the configuration is on (default: what it pins)")
    parser.add_argument("--to", dest="to_release", metavar="RELEASE",
                        help="release to upgrade to (default: the next one)")


def release_range(args: argparse.Namespace) -> tuple[Release | None, Release | None]:
    """--from and --to as releases (None where not given); a bad value is a usage error."""
    source = Release.parse(args.from_release) if args.from_release else None
    target = Release.parse(args.to_release) if args.to_release else None
    return source, target
