"""Check and result types: a check is a name, a category, a timeout and a function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Outcome:
    """What a check function returns; the runner adds the name, category and duration."""

    status: Status
    summary: str
    details: tuple[str, ...] = ()
    version: str | None = None


def ok(summary: str, *details: str, version: str | None = None) -> Outcome:
    return Outcome(Status.OK, summary, details, version)


def warn(summary: str, *details: str, version: str | None = None) -> Outcome:
    return Outcome(Status.WARN, summary, details, version)


def fail(summary: str, *details: str, version: str | None = None) -> Outcome:
    return Outcome(Status.FAIL, summary, details, version)


def skip(reason: str) -> Outcome:
    return Outcome(Status.SKIP, reason)


@dataclass(frozen=True)
class Check:
    name: str
    category: str
    run: Callable[[], Outcome]
    timeout: float


@dataclass(frozen=True)
class CheckResult:
    """One check's result: status, what it found, how long it took, and a version if any."""

    name: str
    category: str
    status: Status
    summary: str
    duration: float
    details: tuple[str, ...] = ()
    version: str | None = None
