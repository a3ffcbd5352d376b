"""Compare a plan with the output directory, show the diff, write atomically.

`.nqd-init.json` in the output records the first stateVersions and the hash of every
generated file as written. A generated file the user has since edited is not overwritten
(unless forced); files created once (`local.nix`) are never overwritten; a generated file
that the plan no longer has is removed only when unedited. A rerun with the same inputs
changes nothing, not even the state file.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from nqd.errors import InputError
from nqd.fsutil import atomic_write
from nqd.init.layout import Plan

STATE_FILE = ".nqd-init.json"
STATE_FORMAT = 1


@dataclass(frozen=True)
class InitState:
    """What the first generation pinned, and what nqd last wrote."""

    state_version: str
    home_state_version: str
    files: dict[str, str] = field(default_factory=dict)  # relpath -> sha256 of written bytes

    def to_json(self) -> bytes:
        data = {"format": STATE_FORMAT, "state_version": self.state_version,
                "home_state_version": self.home_state_version,
                "files": dict(sorted(self.files.items()))}
        return (json.dumps(data, indent=2) + "\n").encode()


def load_state(out: Path) -> InitState | None:
    path = out / STATE_FILE
    if not path.exists():
        return None
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}")
        files = data["files"]
        if not isinstance(files, dict):
            raise ValueError("files is not an object")
        return InitState(str(data["state_version"]), str(data["home_state_version"]),
                         {str(k): str(v) for k, v in files.items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: unreadable nqd init state ({exc}); fix or remove it") from None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    KEEP_EDITED = "keep (edited by you)"
    KEEP_LOCAL = "keep (yours)"


@dataclass(frozen=True)
class Change:
    path: str
    action: Action
    old: bytes | None
    new: bytes | None

    @property
    def writes(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE, Action.DELETE)

    def diff(self) -> str:
        old = (self.old or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = (self.new or b"").decode("utf-8", "replace").splitlines(keepends=True)
        before = f"a/{self.path}" if self.old is not None else "/dev/null"
        after = f"b/{self.path}" if self.new is not None else "/dev/null"
        return "".join(difflib.unified_diff(old, new, before, after))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def compare(out: Path, plan: Plan, state: InitState | None, *, force: bool = False
            ) -> list[Change]:
    """What writing `plan` into `out` would do, file by file (in path order)."""
    recorded = state.files if state else {}
    changes: list[Change] = []
    for rel, data in plan.generated.items():
        current = _read(out / rel)
        if current == data:
            continue
        if current is None:
            changes.append(Change(rel, Action.CREATE, None, data))
        elif force or recorded.get(rel) == sha256(current):
            changes.append(Change(rel, Action.UPDATE, current, data))
        else:
            changes.append(Change(rel, Action.KEEP_EDITED, current, data))
    for rel, data in plan.create_once.items():
        if not (out / rel).exists():
            changes.append(Change(rel, Action.CREATE, None, data))
    for rel, digest in recorded.items():
        if rel in plan.generated or rel in plan.create_once:
            continue
        current = _read(out / rel)
        if current is None:
            continue
        if sha256(current) == digest:
            changes.append(Change(rel, Action.DELETE, current, None))
        else:
            changes.append(Change(rel, Action.KEEP_EDITED, current, None))
    return sorted(changes, key=lambda c: c.path)


def next_state(plan: Plan, state: InitState | None, changes: list[Change], *,
               state_version: str, home_state_version: str) -> InitState:
    """The state after applying `changes`: hashes of generated files as nqd last wrote them."""
    files = dict(state.files) if state else {}
    kept = {c.path for c in changes if c.action is Action.KEEP_EDITED}
    for rel, data in plan.generated.items():
        if rel not in kept:
            files[rel] = sha256(data)
    for change in changes:
        if change.action is Action.DELETE:
            files.pop(change.path, None)
    for rel in list(files):
        if rel not in plan.generated and rel not in kept:
            files.pop(rel)
    return InitState(state_version, home_state_version, files)


def apply(out: Path, changes: list[Change], new_state: InitState,
          old_state: InitState | None) -> int:
    """Write the changes and the state file; returns the number of files written."""
    written = 0
    for change in changes:
        target = out / change.path
        if change.action in (Action.CREATE, Action.UPDATE) and change.new is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, change.new)
            written += 1
        elif change.action is Action.DELETE:
            target.unlink()
            written += 1
    if old_state is None or new_state.to_json() != old_state.to_json():
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / STATE_FILE, new_state.to_json())
        written += 1
    return written
