"""`nqd containers import|migrate-db`: compose files and podman units to a NixOS module;
verified PostgreSQL dump/restore between two servers."""

from __future__ import annotations

import argparse
from pathlib import Path, PurePosixPath

from nqd.console import Console
from nqd.errors import ExitCode, UsageError

NAME = "containers"
HELP = "convert compose files / podman units to NixOS; migrate container databases"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="containers_command", metavar="ACTION")
    imp = sub.add_parser(
        "import", help="compose files, podman units and Quadlet files → a NixOS module",
        description="Convert docker-compose files, podman `.service` units (podman run in "
        "ExecStart) and Quadlet `.container` files into a NixOS module using "
        "virtualisation.oci-containers with podman. Secret values go to environment files "
        "you create; they never enter the module or the Nix store.")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--user", help="run every container rootless as this user "
                     "(podman.user, linger, subuid/subgid ranges, fixed uid)")
    imp.add_argument("--uid", type=int, default=2000,
                     help="fixed uid (and gid) for --user (default 2000)")
    imp.add_argument("--data-root", type=PurePosixPath, metavar="DIR",
                     help="directory for named volumes (default /var/lib/USER)")
    imp.add_argument("--secrets-dir", type=PurePosixPath, metavar="DIR",
                     help="where the environment files with secrets live "
                     "(default DATA_ROOT/secrets)")
    imp.add_argument("--output", "-o", type=Path, metavar="FILE",
                     help="write the module here (default: standard output)")
    imp.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    mig = sub.add_parser(
        "migrate-db", help="dump a PostgreSQL server and restore it into another, verified",
        description="pg_dumpall from the old server (read-only sessions), restore into the "
        "new one with psql, then compare per-table row counts and content checksums. The "
        "old server and its data directory are never written.")
    mig.add_argument("--from-dsn", required=True, help="libpq connection string of the old "
                     "server (superuser), e.g. 'host=127.0.0.1 port=5432 user=postgres'")
    mig.add_argument("--to-dsn", required=True, help="connection string of the new, empty "
                     "server (superuser)")
    mig.add_argument("--work-dir", type=Path, help="where the dump is kept "
                     "(default $XDG_STATE_HOME/nixos-quick-deploy/migrate-db/TIMESTAMP)")
    mig.add_argument("--bin-dir", type=Path, help="directory of pg_dumpall/psql (use the "
                     "new server's version)")
    mig.add_argument("--json", action="store_true", help="print the verification as JSON")


def run(args: argparse.Namespace, console: Console) -> int:
    if args.containers_command == "import":
        return _import(args, console)
    if args.containers_command == "migrate-db":
        return _migrate(args, console)
    raise UsageError("nqd containers: choose an action: import or migrate-db")


def _import(args: argparse.Namespace, console: Console) -> int:
    from nqd.containers.reader import read_inputs
    from nqd.containers.to_nix import ImportOptions, build_module, secrets_instructions
    from nqd.fsutil import atomic_write

    if args.user is None and args.uid != 2000:
        raise UsageError("--uid needs --user")
    if args.user in ("root", "nobody"):
        raise UsageError(f"--user {args.user}: name a dedicated account for the "
                         f"containers; nqd creates it with a fixed uid")
    if not 1000 <= args.uid <= 59999:  # a regular user's uid; its subuid range must fit
        raise UsageError(f"--uid {args.uid} is out of range (1000-59999: a regular user, "
                         f"whose subuid/subgid range nqd derives from the uid)")
    for option in ("data_root", "secrets_dir"):
        value = getattr(args, option)
        if value is not None and not value.is_absolute():
            raise UsageError(f"--{option.replace('_', '-')} must be an absolute path")
    if args.output is not None and args.output.exists() and not args.force:
        raise UsageError(f"{args.output} exists: pass --force to overwrite it")
    if args.output is not None and any(
            args.output.exists() and f.exists() and args.output.samefile(f) for f in args.files):
        raise UsageError(f"{args.output} is one of the inputs: the module would replace it")
    stack = read_inputs(args.files)
    options = ImportOptions(user=args.user, uid=args.uid, data_root=args.data_root,
                            secrets_dir=args.secrets_dir,
                            sources=tuple(str(f) for f in args.files))
    result = build_module(stack, options)
    if args.output is not None:
        atomic_write(args.output, result.text.encode("utf-8"))
        console.info(f"wrote {args.output} ({len(stack.services)} containers)")
    else:
        console.print(result.text.rstrip("\n"))
    for warning in result.warnings:
        console.warn(warning)
    if stack.unsupported:
        console.info(f"not converted ({len(stack.unsupported)}), listed at the top of the "
                     f"module too:")
        for item in stack.unsupported:
            console.info(f"  {item.where}: {item.reason}")
    instructions = secrets_instructions(result, options)
    if instructions:
        console.info("secrets (values are not written anywhere by nqd):")
        for line in instructions:
            console.info("  " + line)
    return ExitCode.OK


def _migrate(args: argparse.Namespace, console: Console) -> int:
    import json

    from nqd.containers.migrate import MigrationFailed, migrate
    from nqd.paths import state_dir
    from nqd.runtime.host import LocalHost

    work_dir = args.work_dir or new_work_dir(state_dir() / "migrate-db")
    try:
        report = migrate(LocalHost(), args.from_dsn, args.to_dsn, work_dir,
                         bin_dir=args.bin_dir, progress=console.info)
    except MigrationFailed as exc:
        console.error(str(exc))
        for line in exc.details:
            console.info("  " + line)
        return ExitCode.FINDINGS
    if args.json:
        console.out.write(json.dumps(report.as_dict(), indent=2) + "\n")
    else:
        for line in report.lines():
            console.print(line)
    return ExitCode.OK if report.ok else ExitCode.FINDINGS


def new_work_dir(base: Path) -> Path:
    """A fresh directory for one run's dump, named after its start: two runs in the same
    second get two directories (they shared one)."""
    import tempfile
    import time

    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%dT%H%M%S-"), dir=base))
