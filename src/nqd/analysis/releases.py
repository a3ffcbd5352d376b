"""Which release a configuration is on: its pins, else the running system."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nqd.errors import UsageError
from nqd.model.types import ConfigModel
from nqd.releases import Release

_REF = re.compile(r"^(?:nixos|nixpkgs|release)-(\d{2}\.(?:05|11))(?:-small)?$")
_NIXPKGS = "nixos/nixpkgs"
_HOME_MANAGER = "nix-community/home-manager"
_UNSTABLE = frozenset({"nixos-unstable", "nixos-unstable-small", "nixpkgs-unstable", "master"})


@dataclass(frozen=True)
class DetectedRelease:
    release: Release
    source: str  # how it was found, for the report


def release_of_ref(ref: str | None) -> Release | None:
    match = _REF.match(ref or "")
    return Release.parse(match.group(1)) if match else None


def detect_release(model: ConfigModel, os_release: Path = Path("/etc/os-release")) \
        -> DetectedRelease:
    """The release the configuration pins (flake inputs, then flake.lock), else the
    running NixOS. `system.stateVersion` is deliberately never used: it is the release
    first installed, not the one running."""
    for wanted in (_NIXPKGS, _HOME_MANAGER):
        for flake_input in model.flake_inputs():
            release = release_of_ref(flake_input.ref)
            if release and (flake_input.owner_repo or "").lower() == wanted:
                return DetectedRelease(release, f"flake input {flake_input.name} "
                                                f"({flake_input.url}) at {flake_input.pos}")
        for locked in model.locked_inputs:
            release = release_of_ref(locked.ref)
            if release and (locked.owner_repo or "").lower() == wanted:
                return DetectedRelease(release, f"flake.lock input {locked.name} "
                                                f"(original.ref {locked.ref})")
    running = _running_nixos(os_release)
    if running:
        return DetectedRelease(running, f"running system ({os_release})")
    unstable = next((i for i in model.flake_inputs()
                     if (i.owner_repo or "").lower() == _NIXPKGS
                     and (i.ref is None or i.ref in _UNSTABLE)), None)
    if unstable is not None:
        raise UsageError(
            f"flake input {unstable.name} follows {unstable.ref or 'the default branch'} "
            f"({unstable.pos}), not a release: nqd checks the move from one release to the "
            f"next; pass --from RELEASE (e.g. --from 25.11) for the release to start from")
    raise UsageError(
        "cannot tell which NixOS release this configuration is on: no flake input pins a "
        "release branch and this is not a NixOS system; pass --from RELEASE (e.g. --from 25.05)"
    )


def _running_nixos(path: Path) -> Release | None:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        fields[key.strip()] = value.strip().strip('"')
    if fields.get("ID") != "nixos":
        return None
    match = re.match(r"^(\d{2}\.(?:05|11))", fields.get("VERSION_ID", ""))
    return Release.parse(match.group(1)) if match else None
