"""Errors that end a command with a clear message and a defined exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes shared by every command."""

    OK = 0
    FINDINGS = 1  # findings or failed checks at or above the threshold
    USAGE = 2  # bad usage or bad input


class NqdError(Exception):
    """An error meant for the user: printed as one line, never as a traceback."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(NqdError):
    """The command line asks for something impossible."""


class InputError(NqdError):
    """A file, archive, or service the user pointed at cannot be used."""
