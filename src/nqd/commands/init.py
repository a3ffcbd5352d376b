"""`nqd init`: generate a workstation flake for a release from a profile."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nqd.console import Console

NAME = "init"
HELP = "generate a modular NixOS workstation flake for a release from a profile"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", type=Path, metavar="FILE", help="profile (TOML)")
    parser.add_argument("--out", type=Path, default=Path("."), metavar="DIR",
                        help="output directory (default: current directory)")
    parser.add_argument("--release", choices=("25.11", "26.05"),
                        help="release to generate for (overrides the profile)")
    parser.add_argument("--non-interactive", action="store_true",
                        help="ask nothing: missing keys take machine-detected or built-in "
                             "defaults, changes are written without confirmation")
    parser.add_argument("--print-profile", action="store_true",
                        help="print the default profile, with comments, and exit")
    parser.add_argument("--hardware-config", metavar="FILE",
                        help="hardware configuration to copy (default: "
                             "/etc/nixos/hardware-configuration.nix when present; 'none' to skip)")
    parser.add_argument("--root", type=Path, default=Path("/"), metavar="DIR",
                        help="read machine defaults below DIR, e.g. /mnt while installing "
                             "(default: /)")
    parser.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
    parser.add_argument("--force", action="store_true",
                        help="also overwrite generated files you have edited (never local.nix)")
    parser.add_argument("--yes", "-y", action="store_true", help="write without asking")


def _stdin_prompt(console: Console) -> object:
    def prompt(question: str, default: str) -> str:
        console.err.write(f"{question} [{default}]: ")
        console.err.flush()
        line = sys.stdin.readline()
        if not line:
            from nqd.errors import InputError

            raise InputError(f"no answer for {question!r} (end of input); "
                             "use --non-interactive or a profile")
        return line.rstrip("\n")
    return prompt


def run(args: argparse.Namespace, console: Console) -> int:
    from nqd.init import detect
    from nqd.init.generate import complete_values, generate, machine_defaults, write
    from nqd.init.profile import DEFAULT_PROFILE_TOML, build_profile, read_profile
    from nqd.runtime.host import LocalHost

    if args.print_profile:
        console.out.write(DEFAULT_PROFILE_TOML)
        return 0
    values = read_profile(args.profile) if args.profile else {}
    where = str(args.profile) if args.profile else "profile"
    if args.release:
        values["release"] = args.release
    if not args.root.is_dir():
        from nqd.errors import InputError

        raise InputError(f"{args.root}: --root must be a directory")
    facts = detect.detect(args.root, LocalHost())
    interactive = not args.non_interactive
    prompt = _stdin_prompt(console) if interactive else None
    values = complete_values(values, machine_defaults(facts), prompt,  # type: ignore[arg-type]
                             console.warn)
    profile = build_profile(values, where)

    if args.hardware_config == "none":
        hardware: Path | None = None
    elif args.hardware_config:
        hardware = Path(args.hardware_config)
    else:
        hardware = facts.hardware_config
    out: Path = args.out
    if out.exists() and not out.is_dir():
        from nqd.errors import InputError

        raise InputError(f"{out}: --out must be a directory")
    generation = generate(profile, out, hardware_config=hardware,
                          installed_state_version=facts.state_version, force=args.force)
    for change in generation.changes:
        if change.writes:
            console.print(change.diff().rstrip("\n"))
    for change in generation.changes:
        console.info(f"{change.action.value:>22}  {change.path}")
    pending = generation.pending
    state_changes = (generation.old_state is None
                     or generation.new_state.to_json() != generation.old_state.to_json())
    if not pending and not state_changes:
        console.info(f"{out}: up to date; nothing written")
        return 0
    if args.dry_run:
        console.info(f"dry run: {len(pending)} file(s) would change; nothing written")
        return 0
    if interactive and not args.yes:
        console.err.write(f"Write {len(pending)} change(s) to {out}? [Y/n] ")
        console.err.flush()
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("", "y", "yes"):
            console.info("nothing written")
            return 0
    written = write(out, generation)
    console.info(f"{out}: wrote {written} file(s); system.stateVersion "
                 f"{generation.new_state.state_version}; see {out / 'README.md'}")
    return 0
