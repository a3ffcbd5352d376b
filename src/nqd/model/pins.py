"""Sources pinned outside flakes: niv's `nix/sources.json` and npins' `npins/sources.json`.

Configurations without a flake pin nixpkgs (and Home Manager) with these tools; the
branch or channel each pin follows says which release the configuration is on. Formats:
niv's README (nmattia/niv@001327b9, "Tracking a nixpkgs branch": a top-level object per
pin with `owner`, `repo`, `branch`) and npins' (andir/npins@08f83e72: `{"pins": {...},
"version": N}`, a `Git` pin with `repository.owner`/`repo` and `branch`, a `Channel` pin
with the channel `name`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nqd.model.flake_url import NIXPKGS_REPO
from nqd.model.types import Diagnostic, PinnedSource, SourcePos
from nqd.nix.parser import column_of

# Where each tool keeps its pins, relative to the configuration's directory.
PIN_FILES = (("niv", Path("nix/sources.json")), ("npins", Path("npins/sources.json")))


def read_pins(roots: Iterable[Path]) -> tuple[list[PinnedSource], list[Diagnostic]]:
    """The pins of niv and npins next to each root (a directory, or a file's directory)."""
    pins: list[PinnedSource] = []
    problems: list[Diagnostic] = []
    seen: set[Path] = set()
    for root in roots:
        base = root if root.is_dir() else root.parent
        for tool, relative in PIN_FILES:
            path = base / relative
            if path in seen or not path.is_file():
                continue
            seen.add(path)
            try:
                text = path.read_bytes()
                data = json.loads(text)
            except (OSError, ValueError, RecursionError) as exc:
                reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
                problems.append(Diagnostic("bad-pins", f"cannot read {tool}'s pins ({reason})",
                                           path))
                continue
            pins.extend(_niv(path, text, data) if tool == "niv" else _npins(path, text, data))
            malformed = _malformed(tool, data)
            if malformed:
                problems.append(Diagnostic("bad-pins", f"cannot read {tool}'s pins "
                                                       f"({malformed})", path))
    return pins, problems


def _malformed(tool: str, data: Any) -> str | None:
    """What does not have the shape niv or npins write (README formats cited above), if
    anything: a field nqd reads that holds the wrong kind of value."""
    specs = data.get("pins") if tool == "npins" and isinstance(data, dict) else data
    if not isinstance(specs, dict):
        return "no pins object" if tool == "npins" else "not a JSON object"
    for name, spec in specs.items():
        if not isinstance(spec, dict):
            return f"pin {name} is not an object"
        for key in ("branch", *(("name",) if spec.get("type") == "Channel" else ())):
            if key in spec and not isinstance(spec[key], str):
                return f"pin {name}: {key} is not a string"
    return None


def _niv(path: Path, text: bytes, data: Any) -> Iterable[PinnedSource]:
    if not isinstance(data, dict):
        return
    for name, spec in data.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("branch"), str):
            continue
        owner, repo = spec.get("owner"), spec.get("repo")
        owner_repo = f"{owner}/{repo}" if isinstance(owner, str) and isinstance(repo, str) \
            else None
        yield PinnedSource("niv", name, owner_repo, spec["branch"], False,
                           _value_pos(path, text, name, "branch", spec["branch"]))


def _npins(path: Path, text: bytes, data: Any) -> Iterable[PinnedSource]:
    pins = data.get("pins") if isinstance(data, dict) else None
    if not isinstance(pins, dict):
        return
    for name, spec in pins.items():
        if not isinstance(spec, dict):
            continue
        if spec.get("type") == "Channel" and isinstance(spec.get("name"), str):
            yield PinnedSource("npins", name, NIXPKGS_REPO, spec["name"], True,
                               _value_pos(path, text, name, "name", spec["name"]))
        elif isinstance(spec.get("branch"), str):
            repository = spec.get("repository")
            owner_repo = None
            if isinstance(repository, dict) and isinstance(repository.get("owner"), str) \
                    and isinstance(repository.get("repo"), str):
                owner_repo = f"{repository['owner']}/{repository['repo']}"
            yield PinnedSource("npins", name, owner_repo, spec["branch"], False,
                               _value_pos(path, text, name, "branch", spec["branch"]))


def _value_pos(path: Path, text: bytes, pin: str, key: str, value: str) -> SourcePos:
    """Where `"key": "value"` is written inside the pin's object (searched in the JSON text
    from the pin's own key); the pin's key itself when not found."""
    key_start, key_end = _key_span(text, pin, 0)
    start, end = key_start, key_end
    inner = _key_span(text, key, key_end) if key_end else (0, 0)
    if inner[1]:
        quoted = json.dumps(value).encode()
        value_at = text.find(quoted, inner[1])
        if value_at != -1:
            start, end = value_at, value_at + len(quoted)
    line, column = column_of(text, start)
    end_line, end_column = column_of(text, end)
    return SourcePos(path, line, column, end_line, end_column, start, end)


def _key_span(text: bytes, key: str, since: int) -> tuple[int, int]:
    """The first `"key"` at or after `since` that is an object key (a colon follows)."""
    quoted = json.dumps(key).encode()
    at = text.find(quoted, since)
    while at != -1:
        after = text[at + len(quoted):].lstrip()
        if after.startswith(b":"):
            return at, at + len(quoted)
        at = text.find(quoted, at + 1)
    return 0, 0
