"""Runs the upgrade phases over a journal: start, resume, no-op after success, dry run,
status and rollback."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from nqd.analysis.flake_bump import flake_file
from nqd.analysis.flake_outputs import flake_outputs
from nqd.console import Console
from nqd.errors import ExitCode, InputError, NqdError, UsageError
from nqd.nix.parser import parse
from nqd.releases import Release
from nqd.runtime.host import DryRunHost, Host, LocalHost
from nqd.runtime.upgrade import report as report_module
from nqd.runtime.upgrade.context import (
    PhaseFailed,
    RunContext,
    UpgradeOptions,
    logging_console,
)
from nqd.runtime.upgrade.generations import HostLayout
from nqd.runtime.upgrade.journal import (
    PHASES,
    Journal,
    Phase,
    RunState,
    Status,
    all_journals,
    iso,
    journal_path,
    run_key,
)
from nqd.runtime.upgrade.phases import PHASE_FUNCTIONS, RolledBack
from nqd.runtime.upgrade.rollback import RollbackFailed, plan_for, roll_back


def resolve_flake(path: str, target: Release) -> Path:
    flake = Path(path).expanduser().resolve()
    if flake.is_file() and flake.name != "flake.nix":
        raise InputError(f"--flake {flake} is a file, not a flake directory or its flake.nix")
    if not flake_file(flake).is_file():
        raise InputError(
            f"no flake.nix at {flake}: nqd upgrade drives flake-based systems. Without a "
            f"flake, `nqd check` and `nqd fix` list and make the changes (NQD402 says how to "
            f"move niv or npins pins); on channels, then run `sudo nix-channel --add "
            f"https://channels.nixos.org/nixos-{target} nixos` and `sudo nixos-rebuild switch "
            f"--upgrade`")
    return flake if flake.is_dir() else flake.parent


def resolve_names(flake: Path, host: str | None, user: str | None) -> tuple[str, str | None]:
    """The nixosConfigurations name and the standalone Home Manager user (None if none)."""
    try:
        source = flake_file(flake).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {flake_file(flake)}: {exc.strerror or exc}") from exc
    parsed = parse(source)
    if parsed.has_errors:
        problem = parsed.problems(1)[0]
        raise InputError(f"{flake_file(flake)}:{problem.line}:{problem.column}: "
                         f"{problem.message}")
    outputs = flake_outputs(source)
    if host is None:
        host = _pick(outputs.nixos, socket.gethostname(), "nixosConfigurations", "--host")
        if host is None:
            raise UsageError(f"{flake_file(flake)} names no nixosConfigurations; pass --host")
    if user is None and outputs.home:
        login = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
        user = _pick(outputs.home, login, "homeConfigurations", "--user")
    return host, user


def _pick(names: tuple[str, ...], preferred: str, what: str, flag: str) -> str | None:
    if not names:
        return None
    if len(names) == 1:
        return names[0]
    if preferred in names:
        return preferred
    raise UsageError(f"the flake defines several {what} ({', '.join(names)}); choose with {flag}")


def _context(options: UpgradeOptions, journal: Journal, console: Console, host: Host | None,
             stdin: TextIO | None) -> RunContext:
    if host is None:
        host = DryRunHost() if options.dry_run else LocalHost()
    log = None if options.dry_run else journal.run_dir / "upgrade.log"
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    return RunContext(options, host, HostLayout.from_env(), journal,
                      logging_console(console, log), stdin or sys.stdin)


def _new_journal(options: UpgradeOptions, key: str, persist: bool) -> Journal:
    journal = Journal(path=journal_path(key), key=key, flake=str(options.flake),
                      target=str(options.target), host=options.host_name, user=options.user,
                      created=time.time(), persist=persist)
    journal.save()
    return journal


def upgrade(options: UpgradeOptions, console: Console, *, host: Host | None = None,
            stdin: TextIO | None = None) -> int:
    """Run (or resume, or dry-run) the upgrade. Returns the exit code."""
    key = run_key(options.flake, options.target, options.host_name, options.user)
    path = journal_path(key)
    if options.dry_run:
        existing = Journal.load(path) if path.exists() else None
        return _dry_run(options, key, existing, console, host)
    _refuse_sudo_with_home_manager(options)
    with run_lock(path.parent):
        existing = Journal.load(path) if path.exists() else None
        if existing is not None and existing.state is RunState.COMPLETED:
            console.print(f"Already upgraded to {existing.target} at "
                          f"{iso(existing.finished)} (run {key}); nothing to do. "
                          f"Report: {existing.run_dir / 'report.md'}")
            return ExitCode.OK
        journal = _choose_journal(options, key, existing, console)
        ctx = _context(options, journal, console, host, stdin)
        return _run_phases(ctx, key)


def _refuse_sudo_with_home_manager(options: UpgradeOptions) -> None:
    if options.user and os.geteuid() == 0 and os.environ.get("SUDO_USER"):
        raise UsageError(f"run nqd upgrade as {os.environ['SUDO_USER']}, not with sudo: Home "
                         "Manager must switch as its user; nqd uses sudo itself for the "
                         "system switch only")


@contextlib.contextmanager
def run_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on a run for as long as it runs (released if killed)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "lock").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise UsageError(f"another nqd upgrade of this configuration is running "
                             f"(pid {holder})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_phases(ctx: RunContext, key: str) -> int:
    options, journal, out = ctx.options, ctx.journal, ctx.console
    start = journal.first_incomplete()
    out.print(f"Upgrade of {options.host_name} to NixOS {options.target} (run {key}, "
              f"log {journal.run_dir})" + (f", resuming at {start}" if start is not PHASES[0]
                                           else ""))
    for index, phase in enumerate(PHASES, 1):
        if journal[phase].status is Status.DONE:
            continue
        out.print(f"[{index}/{len(PHASES)}] {phase}")
        journal.start(phase)
        try:
            PHASE_FUNCTIONS[phase](ctx)
        except RolledBack as exc:
            journal.fail(phase, str(exc))
            journal.state = RunState.ROLLED_BACK
            journal.save()
            out.error(str(exc))
            return ExitCode.FINDINGS
        except PhaseFailed as exc:
            journal.fail(phase, str(exc))
            out.error(f"{phase}: {exc}")
            out.info(f"After fixing the cause: nqd upgrade --to {options.target} --flake "
                     f"{options.flake} --resume")
            return ExitCode.FINDINGS
        except (NqdError, OSError) as exc:
            journal.fail(phase, str(exc))
            if isinstance(exc, NqdError):
                raise
            raise InputError(f"{phase}: {exc}") from exc
        except KeyboardInterrupt:
            journal.fail(phase, "interrupted")
            raise
        journal.finish(phase)
    report_module.write(ctx)  # again, now that the journal says completed
    out.print(f"Upgraded {options.host_name} to NixOS {options.target}. Roll back with: "
              f"nqd rollback")
    if journal[Phase.BUMP].data.get("inputs"):
        out.print(f"Commit the new inputs: git -C {options.flake} commit -m 'NixOS "
                  f"{options.target}' flake.nix flake.lock")
    return ExitCode.OK


def _choose_journal(options: UpgradeOptions, key: str, existing: Journal | None,
                    console: Console) -> Journal:
    if existing is None:
        if options.resume:
            console.info("No interrupted upgrade of this configuration: starting a new run.")
        return _new_journal(options, key, True)
    if existing.state is RunState.ROLLED_BACK:
        if options.resume:
            raise UsageError(f"the run {key} was rolled back; there is nothing to resume "
                             f"(run without --resume to try again)")
        existing.archive()
        return _new_journal(options, key, True)
    stopped = existing.first_incomplete()
    if options.resume:
        return existing
    if not existing.changed_anything():
        existing.archive()
        return _new_journal(options, key, True)
    raise UsageError(f"an upgrade of this configuration to {existing.target} stopped in "
                     f"phase {stopped} ({existing.state}); continue it with --resume")


def _dry_run(options: UpgradeOptions, key: str, existing: Journal | None, console: Console,
             host: Host | None) -> int:
    journal = existing or Journal(path=journal_path(key), key=key, flake=str(options.flake),
                                  target=str(options.target), host=options.host_name,
                                  user=options.user, created=time.time())
    journal.persist = False
    ctx = _context(options, journal, console, host, None)
    out = ctx.console
    out.print(f"Dry run: upgrade of {options.host_name} to NixOS {options.target} "
              f"from {options.flake} (nothing is changed; commands in order; "
              f"'sudo' marks the only commands that need root)")
    if options.user:
        out.print(f"Home Manager: standalone, user {options.user}")
    else:
        out.print("Home Manager: not standalone (no homeConfigurations; pass --user if it is)")
    if existing is not None and existing.state is RunState.COMPLETED:
        out.print(f"Already upgraded to {existing.target} at {iso(existing.finished)}: "
                  "a real run would do nothing. The plan of a new run:")
    elif existing is not None:
        out.print(f"A run of this configuration exists ({existing.state}); "
                  f"--resume would continue at {existing.first_incomplete()}")
    out.print(f"Journal: {journal.path}")
    for index, phase in enumerate(PHASES, 1):
        out.print(f"[{index}/{len(PHASES)}] {phase}")
        try:
            PHASE_FUNCTIONS[phase](ctx)
        except PhaseFailed as exc:  # e.g. too little free space: the real run stops here
            out.print(f"  a real run would stop here: {exc}")
            return ExitCode.FINDINGS
    out.print("If verify finds a regression, rollback runs:")
    out.print("  $ sudo nixos-rebuild switch --rollback   (or nix-env --switch-generation N "
              "+ switch-to-configuration switch)")
    if options.user:
        out.print("  $ <recorded Home Manager generation>/activate")
    return ExitCode.OK


def latest_journal(key: str | None = None) -> Journal | None:
    if key is not None:
        path = journal_path(key)
        return Journal.load(path) if path.exists() else None
    journals = all_journals()
    return journals[0] if journals else None


def status(console: Console, key: str | None = None) -> int:
    journal = latest_journal(key)
    if journal is None and key is not None:
        known = [j.key for j in all_journals()]
        raise InputError(f"no upgrade run {key!r}" + (
            f" (runs: {', '.join(known[:5])})" if known else " (no run recorded yet)"))
    if journal is None:
        console.print("No upgrade has run on this machine (no journal in "
                      f"{journal_path('x').parent.parent}).")
        return ExitCode.OK
    console.print(f"Run {journal.key}: {journal.host} → NixOS {journal.target} from "
                  f"{journal.flake}")
    console.print(f"State: {journal.state}; started {iso(journal.created)}"
                  + (f", finished {iso(journal.finished)}" if journal.finished else ""))
    for phase in PHASES:
        rec = journal[phase]
        note = f"  {rec.error}" if rec.error else ""
        console.print(f"  {phase:<10} {rec.status:<8} {iso(rec.started)} → {iso(rec.ended)}"
                      f"{note}")
    data = journal[Phase.SWITCH].data
    if data.get("system_before"):
        gen = data["system_before"]
        console.print(f"Recorded before switch: system generation {gen['number']} "
                      f"({gen['store_path']})")
    console.print(f"Files: {journal.run_dir}")
    return ExitCode.OK


def rollback(console: Console, *, key: str | None, dry_run: bool, yes: bool,
             host: Host | None = None, stdin: TextIO | None = None) -> int:
    """Roll the given run, else the most recent run that switched, back to the generations
    it recorded before its switch."""
    if key is not None:
        journal = latest_journal(key)
        if journal is None:
            raise UsageError(f"no upgrade run {key} (see nqd upgrade --status)")
    else:
        journals = all_journals()
        switched = [j for j in journals if j[Phase.SWITCH].data.get("switch_started")]
        journal = switched[0] if switched else (journals[0] if journals else None)
    if journal is None:
        console.print("No upgrade has run on this machine: there is nothing to roll back.")
        return ExitCode.OK
    console.print(f"Run {journal.key}: {journal.host} → NixOS {journal.target}, started "
                  f"{iso(journal.created)} ({journal.state})")
    options = UpgradeOptions(flake=Path(journal.flake), target=Release.parse(journal.target),
                             host_name=journal.host, user=journal.user, dry_run=dry_run,
                             yes=yes)
    if dry_run:
        journal.persist = False
    ctx = _context(options, journal, console, host, stdin)
    plan = plan_for(ctx)
    if plan.switched and plan.system is not None and not dry_run and not ctx.confirm(
            f"Roll {journal.host} back to system generation {plan.system.number}"
            + (f" and Home Manager generation {plan.home.number}" if plan.home else "") + "?"):
        ctx.console.print("Not rolled back.")
        return ExitCode.FINDINGS
    try:
        with contextlib.nullcontext() if dry_run else run_lock(journal.run_dir):
            rolled = roll_back(ctx)
    except RollbackFailed as exc:
        raise NqdError(f"rollback failed: {exc}", exit_code=ExitCode.FINDINGS) from exc
    if rolled and not dry_run:
        report_module.write(ctx)
        ctx.console.print("Rolled back to the generations recorded before the switch. "
                          f"The flake at {journal.flake} still pins {journal.target}: revert "
                          "flake.nix and flake.lock with git if you stay on the old release.")
    return ExitCode.OK
