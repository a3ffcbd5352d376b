"""SIMULATION ONLY: a host that behaves as on a non-root user's machine even when the tests
run as root (as CI does): commands nqd marks `sudo=True` go through the simulated `sudo`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from nqd.runtime.host import CommandResult, LocalHost


class UnprivilegedLocalHost(LocalHost):
    """`LocalHost` that prefixes `sudo_program` whenever sudo is asked for, root or not."""

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
        full = [self.sudo_program, *argv] if sudo else list(argv)
        return super().run(full, sudo=False, timeout=timeout, env=env, input=input, cwd=cwd,
                           check=check)
