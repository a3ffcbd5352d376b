"""The upgrade journal: which phases ran, when, how they ended and what they recorded.

One journal per run, at `<state>/upgrades/<key>/journal.json`, rewritten atomically at
every transition so that a crash or kill at any point leaves a journal that says exactly
which phases completed. The key hashes the configuration (every `.nix` file of the flake,
with `flake.nix` as it reads after the input bump, so bumping does not change the key),
the target release, host and user: a changed configuration starts a new run.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from nqd import paths
from nqd.analysis.flake_bump import bumped_source, flake_file
from nqd.errors import InputError
from nqd.fsutil import atomic_write
from nqd.releases import Release

FORMAT = 1


class Phase(StrEnum):
    PREFLIGHT = "preflight"
    BASELINE = "baseline"
    BACKUP = "backup"
    BUMP = "bump"
    BUILD = "build"
    DIFF = "diff"
    SWITCH = "switch"
    VERIFY = "verify"
    REPORT = "report"


PHASES: tuple[Phase, ...] = tuple(Phase)
# Phases after which the machine or the user's files may have changed.
CHANGING: frozenset[Phase] = frozenset({Phase.BUMP, Phase.BUILD, Phase.DIFF, Phase.SWITCH,
                                        Phase.VERIFY, Phase.REPORT})


class Status(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RunState(StrEnum):
    IN_PROGRESS = "in-progress"
    FAILED = "failed"
    COMPLETED = "completed"
    ROLLED_BACK = "rolled-back"


@dataclass
class PhaseRecord:
    status: Status = Status.PENDING
    started: float | None = None
    ended: float | None = None
    error: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": str(self.status), "started": self.started, "ended": self.ended,
                "error": self.error, "data": self.data}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PhaseRecord:
        return cls(Status(raw["status"]), raw.get("started"), raw.get("ended"),
                   raw.get("error"), dict(raw.get("data") or {}))


@dataclass
class Journal:
    """A run's journal, saved to `path` after every change."""

    path: Path
    key: str
    flake: str
    target: str
    host: str
    user: str | None
    created: float
    state: RunState = RunState.IN_PROGRESS
    finished: float | None = None
    phases: dict[Phase, PhaseRecord] = field(
        default_factory=lambda: {p: PhaseRecord() for p in PHASES})
    rollbacks: list[dict[str, Any]] = field(default_factory=list)
    persist: bool = True  # False for a dry run: nothing is written

    @property
    def run_dir(self) -> Path:
        return self.path.parent

    def __getitem__(self, phase: Phase) -> PhaseRecord:
        return self.phases[phase]

    def first_incomplete(self) -> Phase | None:
        return next((p for p in PHASES if self.phases[p].status is not Status.DONE), None)

    def reached(self, phase: Phase) -> bool:
        """Whether `phase` has started at some point (it may have been killed)."""
        return self.phases[phase].status is not Status.PENDING

    def changed_anything(self) -> bool:
        return any(self.reached(p) for p in CHANGING)

    def start(self, phase: Phase) -> None:
        record = self.phases[phase]
        record.status, record.started, record.ended, record.error = (
            Status.RUNNING, time.time(), None, None)
        self.state = RunState.IN_PROGRESS
        self.save()

    def record(self, phase: Phase, **data: Any) -> None:
        """Store what a phase learned, durably, before it goes on."""
        self.phases[phase].data.update(data)
        self.save()

    def finish(self, phase: Phase) -> None:
        record = self.phases[phase]
        record.status, record.ended = Status.DONE, time.time()
        if phase is PHASES[-1]:
            self.state, self.finished = RunState.COMPLETED, record.ended
        self.save()

    def fail(self, phase: Phase, error: str) -> None:
        record = self.phases[phase]
        record.status, record.ended, record.error = Status.FAILED, time.time(), error
        self.state = RunState.FAILED
        self.save()

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "key": self.key, "flake": self.flake, "target": self.target,
            "host": self.host, "user": self.user, "created": self.created,
            "state": str(self.state), "finished": self.finished,
            "phases": {str(p): r.as_dict() for p, r in self.phases.items()},
            "rollbacks": self.rollbacks,
        }

    def save(self) -> None:
        if not self.persist:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n"
        atomic_write(self.path, data.encode(), mode=0o600)

    @classmethod
    def load(cls, path: Path) -> Journal:
        try:
            raw = json.loads(path.read_text())
            phases = {Phase(name): PhaseRecord.from_dict(rec)
                      for name, rec in raw["phases"].items()}
            return cls(
                path=path, key=raw["key"], flake=raw["flake"], target=raw["target"],
                host=raw["host"], user=raw.get("user"), created=raw["created"],
                state=RunState(raw["state"]), finished=raw.get("finished"),
                phases={p: phases.get(p, PhaseRecord()) for p in PHASES},
                rollbacks=list(raw.get("rollbacks") or []),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"unreadable upgrade journal {path}: {exc}") from exc

    def archive(self) -> Path:
        """Move this journal aside (a new run starts under the same key)."""
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(self.created))
        target = self.run_dir / "previous" / f"journal-{stamp}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        self.path.replace(target)
        return target


def upgrades_dir() -> Path:
    return paths.state_dir() / "upgrades"


def run_key(flake: Path, target: Release, host: str, user: str | None) -> str:
    """Hash of the configuration (inputs bumped to `target`), target, host and user."""
    digest = hashlib.sha256()
    digest.update(f"nqd-upgrade\0{target}\0{host}\0{user or ''}\0".encode())
    main = flake_file(flake)
    for file in _config_files(main.parent):
        data = file.read_bytes()
        if file == main:
            data = bumped_source(file, data, target)
        digest.update(str(file.relative_to(main.parent)).encode() + b"\0")
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()[:16]


def _config_files(directory: Path) -> list[Path]:
    return sorted(_walk_nix(directory))


def _walk_nix(directory: Path) -> Iterator[Path]:
    try:
        entries = sorted(directory.iterdir())
    except OSError as exc:
        raise InputError(f"cannot read {directory}: {exc.strerror or exc}") from exc
    for entry in entries:
        if entry.name.startswith(".") or entry.is_symlink():
            continue  # .git, result links
        if entry.is_dir():
            yield from _walk_nix(entry)
        elif entry.suffix == ".nix":
            yield entry


def journal_path(key: str) -> Path:
    return upgrades_dir() / key / "journal.json"


def all_journals() -> list[Journal]:
    """Every run's journal, most recently created first."""
    found = []
    for path in upgrades_dir().glob("*/journal.json"):
        try:
            found.append(Journal.load(path))
        except InputError:
            continue
    return sorted(found, key=lambda j: j.created, reverse=True)


def iso(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))
