"""The host seam: every external command nqd runs goes through a `Host`.

`LocalHost` runs argument lists with subprocess (never a shell); `DryRunHost` records
what would run and changes nothing. Tests use `LocalHost` with `PATH` pointing at the
simulated NixOS stand-ins (see tests), never a mock of the code under test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


class CommandFailed(RuntimeError):
    def __init__(self, result: CommandResult) -> None:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        reason = "timed out" if result.timed_out else f"exit {result.returncode}"
        super().__init__(f"{' '.join(result.argv)} failed ({reason})" + (
            ":\n  " + "\n  ".join(tail) if tail else ""))
        self.result = result


class Host(Protocol):
    """Runs commands and answers questions about the machine."""

    dry_run: bool

    def run(
        self,
        argv: Sequence[str],
        *,
        sudo: bool = False,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        cwd: Path | None = None,
        check: bool = False,
    ) -> CommandResult: ...

    def which(self, program: str) -> str | None: ...


@dataclass
class LocalHost:
    """Runs commands on this machine. `sudo=True` prefixes `sudo` unless already root."""

    env: Mapping[str, str] | None = None
    sudo_program: str = "sudo"
    dry_run: bool = False
    log: list[CommandResult] = field(default_factory=list)

    def _environ(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        base = dict(self.env if self.env is not None else os.environ)
        if extra:
            base.update(extra)
        return base

    def which(self, program: str) -> str | None:
        return shutil.which(program, path=self._environ(None).get("PATH"))

    def run(
        self,
        argv: Sequence[str],
        *,
        sudo: bool = False,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        cwd: Path | None = None,
        check: bool = False,
    ) -> CommandResult:
        full = list(argv)
        if sudo and os.geteuid() != 0:
            full = [self.sudo_program, *full]
        environ = self._environ(env)
        exe = shutil.which(full[0], path=environ.get("PATH")) or full[0]
        start = time.monotonic()
        try:
            proc = subprocess.run(
                [exe, *full[1:]], capture_output=True, text=True, timeout=timeout,
                env=environ, input=input, cwd=cwd, check=False,
            )
            result = CommandResult(tuple(full), proc.returncode, proc.stdout, proc.stderr,
                                   time.monotonic() - start)
        except subprocess.TimeoutExpired as exc:
            result = CommandResult(tuple(full), -1, _text(exc.stdout), _text(exc.stderr),
                                   time.monotonic() - start, timed_out=True)
        except FileNotFoundError:
            result = CommandResult(tuple(full), 127, "", f"{full[0]}: command not found",
                                   time.monotonic() - start)
        except PermissionError as exc:
            result = CommandResult(tuple(full), 126, "", str(exc), time.monotonic() - start)
        self.log.append(result)
        if check and not result.ok:
            raise CommandFailed(result)
        return result


@dataclass
class DryRunHost:
    """Records the commands it is asked to run and runs none; answers `which` from PATH."""

    dry_run: bool = True
    commands: list[tuple[tuple[str, ...], bool]] = field(default_factory=list)

    def which(self, program: str) -> str | None:
        return shutil.which(program)

    def run(
        self,
        argv: Sequence[str],
        *,
        sudo: bool = False,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        cwd: Path | None = None,
        check: bool = False,
    ) -> CommandResult:
        self.commands.append((tuple(argv), sudo))
        return CommandResult(tuple(argv), 0, "", "", 0.0)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
