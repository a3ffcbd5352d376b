"""`nqd backup create|list|verify|restore|prune`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nqd.console import Console
from nqd.errors import ExitCode, UsageError

NAME = "backup"
HELP = "Create, list, verify, restore and prune backups (files, age key, databases)."
JSON_FORMAT = "nqd-backup"
JSON_VERSION = 1


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="config file (default: $XDG_CONFIG_HOME/nixos-quick-deploy/"
                             "config.toml)")
    parser.add_argument("--dir", type=Path, metavar="DIR",
                        help="backup directory (default: [backup] directory, else "
                             "$XDG_STATE_HOME/nixos-quick-deploy/backups)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="backup_command", metavar="ACTION")
    sub.required = True
    create = sub.add_parser("create", help="make a backup")
    _common(create)
    create.add_argument("--path", action="append", type=Path, default=[], metavar="PATH",
                        help="also back up PATH (repeatable)")
    create.add_argument("--no-defaults", action="store_true",
                        help="leave out the default sources (flake, /etc/nixos, age key, ...)")
    create.add_argument("--no-databases", action="store_true", help="skip database dumps")
    create.add_argument("--compression", choices=("zstd", "gzip"))
    create.add_argument("--level", type=int, help="compression level")
    create.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    listing = sub.add_parser("list", help="list backups")
    _common(listing)
    listing.add_argument("--json", action="store_true")
    verify = sub.add_parser("verify", help="check an archive against its manifest")
    _common(verify)
    verify.add_argument("id", help="backup id, or 'latest'")
    verify.add_argument("--json", action="store_true")
    restore = sub.add_parser("restore", help="restore a backup")
    _common(restore)
    restore.add_argument("id", help="backup id, or 'latest'")
    restore.add_argument("--to", type=Path, metavar="DIR",
                         help="extract below DIR (default: files back to where they were)")
    restore.add_argument("--only", action="append", default=[], metavar="PATH",
                         help="restore only PATH (original path or archive name; repeatable)")
    restore.add_argument("--force", action="store_true", help="overwrite existing files")
    prune = sub.add_parser("prune", help="delete old backups")
    _common(prune)
    prune.add_argument("--keep", type=int, required=True, metavar="N",
                       help="keep the newest N backups")
    prune.add_argument("--dry-run", action="store_true")


def run(args: argparse.Namespace, console: Console) -> int:
    from nqd.config import load_config

    config = load_config(args.config)
    directory: Path = args.dir or config.backup.directory
    action = args.backup_command
    if action == "create":
        return _create(args, console, config, directory)
    if action == "list":
        return _list(args, console, directory)
    if action == "verify":
        return _verify(args, console, directory)
    if action == "restore":
        return _restore(args, console, directory)
    return _prune(args, console, directory)


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps({"format": JSON_FORMAT, "version": JSON_VERSION, **data},
                                indent=1) + "\n")


def _create(args: argparse.Namespace, console: Console, config: Any, directory: Path) -> int:
    from nqd.runtime.backup.create import CreateOptions, create_backup
    from nqd.runtime.backup.progress import human
    from nqd.runtime.host import LocalHost

    options = CreateOptions(extra_paths=tuple(args.path), use_defaults=not args.no_defaults,
                            databases=not args.no_databases, compression=args.compression,
                            level=args.level, directory=directory)
    created = create_backup(config, LocalHost(), options,
                            console.err if console.interactive else None)
    m = created.manifest
    missing = [s.path for s in m.sources if s.status == "missing"]
    if args.json:
        _emit({"action": "create", "id": created.id, "path": str(created.path),
               "archive": str(created.path / m.archive), "archive_sha256": m.archive_sha256,
               "archive_size": m.archive_size, "members": len(m.members),
               "bytes": m.total_size, "missing_sources": missing,
               "skipped": [{"path": s.path, "reason": s.reason} for s in m.skipped],
               "databases": [d.member for d in m.databases]})
        return ExitCode.OK
    for path in missing:
        console.info(f"not found, skipped: {path}")
    for s in m.skipped:
        console.warn(f"{s.path}: {s.reason}")
    console.print(f"backup {created.id}: {len(m.members)} members, {human(m.total_size)} "
                  f"-> {human(m.archive_size)} ({m.compression})")
    for d in m.databases:
        console.print(f"  database dump {d.member} ({human(d.size)}; {d.check})")
    console.print(f"  {created.path}")
    return ExitCode.OK


def _list(args: argparse.Namespace, console: Console, directory: Path) -> int:
    from nqd.runtime.backup.progress import human
    from nqd.runtime.backup.store import list_backups

    backups = list_backups(directory)
    if args.json:
        _emit({"action": "list", "directory": str(directory), "backups": [
            {"id": b.id, "path": str(b.path), "problem": b.problem,
             **({"created": b.manifest.created, "archive_size": b.manifest.archive_size,
                 "members": len(b.manifest.members), "compression": b.manifest.compression,
                 "databases": [d.member for d in b.manifest.databases]}
                if b.manifest else {})} for b in backups]})
        return ExitCode.OK
    if not backups:
        console.info(f"no backups in {directory}")
    for b in backups:
        if b.manifest is None:
            console.print(f"{b.id:<20} (broken: {b.problem})")
            continue
        m = b.manifest
        dbs = f", {len(m.databases)} dump(s)" if m.databases else ""
        console.print(f"{b.id:<20} {m.created}  {human(m.archive_size):>10}  "
                      f"{len(m.members)} members{dbs}")
    return ExitCode.OK


def _verify(args: argparse.Namespace, console: Console, directory: Path) -> int:
    from nqd.runtime.backup.store import find_backup
    from nqd.runtime.backup.verify import verify_backup

    backup = find_backup(directory, args.id)
    result = verify_backup(backup)
    if args.json:
        _emit({"action": "verify", "id": backup.id, "ok": result.ok,
               "checked": result.checked, "problems": result.problems})
    else:
        for problem in result.problems[:50]:
            console.print(f"FAIL {problem}")
        if len(result.problems) > 50:
            console.print(f"... and {len(result.problems) - 50} more")
        state = "ok" if result.ok else f"{len(result.problems)} problem(s)"
        console.print(f"backup {backup.id}: {result.checked} members checked, {state}")
    return ExitCode.OK if result.ok else ExitCode.FINDINGS


def _restore(args: argparse.Namespace, console: Console, directory: Path) -> int:
    from nqd.runtime.backup.restore import restore_backup
    from nqd.runtime.backup.store import find_backup

    backup = find_backup(directory, args.id)
    result = restore_backup(backup, to=args.to, only=tuple(args.only), force=args.force)
    for problem in result.problems:
        console.error(problem)
    if result.left_out:
        console.info(f"left in the archive (database dumps; use --to DIR to extract them): "
                     f"{', '.join(result.left_out)}")
    console.print(f"restored {len(result.written)} file(s) and link(s) from backup {backup.id}")
    return ExitCode.FINDINGS if result.problems else ExitCode.OK


def _prune(args: argparse.Namespace, console: Console, directory: Path) -> int:
    from nqd.runtime.backup.store import prune

    if args.keep < 1:
        raise UsageError("--keep must be at least 1")
    removed = prune(directory, args.keep, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for path in removed:
        console.print(f"{verb} {path}")
    if not removed:
        console.print("nothing to prune")
    return ExitCode.OK
