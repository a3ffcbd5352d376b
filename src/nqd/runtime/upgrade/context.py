"""What every upgrade phase works with: options, the host, the journal, logging and prompts."""

from __future__ import annotations

import os
import shlex
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from nqd.console import Console
from nqd.releases import Release
from nqd.runtime.host import CommandResult, Host
from nqd.runtime.upgrade.generations import HostLayout
from nqd.runtime.upgrade.journal import Journal

GIB = 1024**3
HEARTBEAT_SECONDS = 30.0
EXPERIMENTAL = ("--extra-experimental-features", "nix-command flakes")


class PhaseFailed(Exception):
    """A phase could not complete; the message says why and what to do."""


def self_command(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """How to run nqd's own sub-commands: `$NQD_SELF_COMMAND` or this Python's `-m nqd`."""
    env = os.environ if environ is None else environ
    custom = env.get("NQD_SELF_COMMAND")
    return tuple(shlex.split(custom)) if custom else (sys.executable, "-m", "nqd")


@dataclass(frozen=True)
class UpgradeOptions:
    flake: Path  # the flake directory, absolute
    target: Release
    host_name: str
    user: str | None  # standalone Home Manager user, None when not standalone
    dry_run: bool = False
    yes: bool = False
    resume: bool = False
    force: bool = False
    verbose: bool = False
    min_free_nix: int = 5 * GIB
    min_free_root: int = 1 * GIB
    self_argv: tuple[str, ...] = field(default_factory=self_command)

    @property
    def system_attr(self) -> str:
        return f"{self.flake}#{self.host_name}"

    @property
    def home_attr(self) -> str:
        return f"{self.flake}#{self.user}"


class _Tee:
    """A text stream that also appends to a log file."""

    def __init__(self, stream: TextIO, log: Path | None) -> None:
        self.stream, self.log = stream, log

    def write(self, text: str) -> int:
        self.stream.write(text)
        self.stream.flush()
        if self.log is not None:
            with self.log.open("a", encoding="utf-8") as handle:
                handle.write(text)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return hasattr(self.stream, "isatty") and self.stream.isatty()


def logging_console(console: Console, log: Path | None) -> Console:
    """A console writing where `console` writes and also to `log`."""
    return Console(out=_Tee(console.out, log), err=_Tee(console.err, log))  # type: ignore[arg-type]


def display(argv: Sequence[str], sudo: bool) -> str:
    return ("sudo " if sudo else "") + shlex.join(argv)


@dataclass
class RunContext:
    """One run: its options, host, layout, journal and console (already logging)."""

    options: UpgradeOptions
    host: Host
    layout: HostLayout
    journal: Journal
    console: Console
    stdin: TextIO = field(default_factory=lambda: sys.stdin)

    @property
    def run_dir(self) -> Path:
        return self.journal.run_dir

    @property
    def dry_run(self) -> bool:
        return self.options.dry_run

    def run(
        self, argv: Sequence[str], *, sudo: bool = False, cwd: Path | None = None,
        timeout: float | None = None,
    ) -> CommandResult:
        """Run one command through the host: shown, logged, with a heartbeat while it runs."""
        shown_sudo = sudo and (self.dry_run or os.geteuid() != 0)
        self.console.print(f"  $ {display(argv, shown_sudo)}"
                           + ("   # as root: no sudo needed" if sudo and not shown_sudo else ""))
        if self.dry_run:
            return self.host.run(argv, sudo=sudo, cwd=cwd, timeout=timeout)
        if cwd is not None:
            cwd.mkdir(parents=True, exist_ok=True)
        holder: list[CommandResult] = []
        error: list[BaseException] = []

        def target() -> None:
            try:
                holder.append(self.host.run(argv, sudo=sudo, cwd=cwd, timeout=timeout))
            except BaseException as exc:  # handed to the caller's thread
                error.append(exc)

        worker = threading.Thread(target=target, daemon=True)
        started = time.monotonic()
        worker.start()
        next_beat = started + HEARTBEAT_SECONDS
        while worker.is_alive():
            worker.join(timeout=0.2)
            if worker.is_alive() and time.monotonic() >= next_beat:
                self.console.info(f"    … still running ({time.monotonic() - started:.0f}s); "
                                  f"log: {self.commands_log}")
                next_beat += HEARTBEAT_SECONDS
        if error:
            raise error[0]
        result = holder[0]
        self._log(result, sudo, cwd)
        status = "ok" if result.ok else ("timed out" if result.timed_out
                                         else f"exit {result.returncode}")
        self.console.print(f"    {status} in {result.duration:.1f}s")
        if self.options.verbose:
            for stream in (result.stdout, result.stderr):
                for line in stream.rstrip().splitlines():
                    self.console.info(f"    │ {line}")
        elif not result.ok:
            tail = (result.stderr or result.stdout).rstrip().splitlines()[-15:]
            for line in tail:
                self.console.info(f"    │ {line}")
        return result

    @property
    def commands_log(self) -> Path:
        return self.run_dir / "commands.log"

    def _log(self, result: CommandResult, sudo: bool, cwd: Path | None) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self.commands_log.open("a", encoding="utf-8") as handle:
            handle.write(f"=== {stamp} {display(result.argv, False)}\n"
                         f"sudo-requested: {sudo}  cwd: {cwd or '.'}  exit: {result.returncode}"
                         f"  timed-out: {result.timed_out}  seconds: {result.duration:.2f}\n")
            if result.stdout:
                handle.write("--- stdout\n" + result.stdout.rstrip("\n") + "\n")
            if result.stderr:
                handle.write("--- stderr\n" + result.stderr.rstrip("\n") + "\n")

    def nqd(self, *args: str) -> list[str]:
        """argv for one of nqd's own sub-commands."""
        return [*self.options.self_argv, *args]

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question on stderr, reading the answer from stdin (`--yes` says yes)."""
        if self.options.yes:
            return True
        self.console.err.write(f"{question} [y/N] ")
        self.console.err.flush()
        answer = self.stdin.readline()
        if not answer:
            self.console.info("")
            return False
        return answer.strip().lower() in ("y", "yes")
