"""Which release a configuration is on: its pins, else the running system.

In this order:
1. Flake inputs. The top-level flake decides (the one nearest the checked path; flakes
   below it are often tools or pinned helpers): its input named `nixpkgs`, or Home
   Manager's or nix-darwin's, which are released in step with it; without an input named
   `nixpkgs`, any nixpkgs input. A second nixpkgs input (`nixpkgs-stable`, a backports
   branch) never speaks for the system's nixpkgs, and an input that follows
   `nixos-unstable` is not a release and is said so. When the inputs already name a newer
   release than flake.lock records for them, an upgrade is under way (`nqd fix` moved the
   inputs, `nix flake update` was not run yet): the release is the locked one and the
   target the inputs' one, so that `check` and `fix` finish that upgrade instead of
   starting the next.
2. A flake.lock without its flake.nix.
3. niv's or npins' pins (`nqd.model.pins`), by the same rules as flake inputs.
4. The running NixOS (for a configuration on channels, the channel it runs).
5. On a machine that is not NixOS, what `.nix` files pin: `system.autoUpgrade.channel`,
   then Home Manager or nix-darwin fetched with `builtins.fetchTarball`/`fetchGit`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nqd.errors import UsageError
from nqd.model.flake_url import NIXPKGS_REPO, parse_flake_url
from nqd.model.types import ConfigModel, FlakeInput, LockedInput, PinnedSource
from nqd.releases import Release

# Release branches of nixpkgs (nixos-25.05, nixos-25.05-small, nixpkgs-25.05-darwin),
# Home Manager (release-25.05) and nix-darwin (nix-darwin-25.05).
_REF = re.compile(
    r"^(?:nixos|nixpkgs|release|nix-darwin)-(\d{2}\.(?:05|11))(?:-small|-darwin)?$")
# FlakeHub versions of those flakes: minor version YYMM is the release (`0.2505.*`,
# `=0.2505.812345`), minor 1 follows nixos-unstable (`0.1`, `0.1.*`).
_FLAKEHUB_RELEASE = re.compile(r"^[=~^]?0\.(\d{2})(05|11)(?:\.|$)")
_FLAKEHUB_UNSTABLE = re.compile(r"^[=~^]?0\.1(?:\.|$)")
NIXPKGS = NIXPKGS_REPO.lower()  # repositories are compared lower-case
RELEASE_REPOS = frozenset({NIXPKGS, "nix-community/home-manager", "lnl7/nix-darwin",
                           "nix-darwin/nix-darwin"})
_COMPANIONS = RELEASE_REPOS - {NIXPKGS}  # released in step with nixpkgs
_UNSTABLE = frozenset({"nixos-unstable", "nixos-unstable-small", "nixpkgs-unstable", "master"})


@dataclass(frozen=True)
class DetectedRelease:
    release: Release
    source: str  # how it was found, for the report
    target: Release | None = None  # set when an upgrade to it is under way


def release_of_ref(ref: str | None) -> Release | None:
    """The release a branch (`nixos-25.05`) or FlakeHub version (`0.2505.*`) names."""
    match = _REF.match(ref or "")
    if match:
        return Release.parse(match.group(1))
    match = _FLAKEHUB_RELEASE.match(ref or "")
    return Release.parse(f"{match.group(1)}.{match.group(2)}") if match else None


def follows_unstable(source: FlakeInput | PinnedSource) -> bool:
    """Whether a nixpkgs input or pin follows a development branch, not a release."""
    ref = source.ref
    if ref is None:  # the default branch; a FlakeHub URL without a version names none
        return not isinstance(source, FlakeInput) or "flakehub.com/" not in source.url
    return ref in _UNSTABLE or bool(_FLAKEHUB_UNSTABLE.match(ref))


def pins_release(flake_input: FlakeInput) -> Release | None:
    """The release an input of a release repository pins, or None."""
    if (flake_input.owner_repo or "").lower() not in RELEASE_REPOS:
        return None
    return release_of_ref(flake_input.ref)


def detect_release(model: ConfigModel, os_release: Path | None = Path("/etc/os-release"),
                   pins: list[PinnedSource] | None = None,
                   pinning_files: Callable[[], ConfigModel] | None = None) -> DetectedRelease:
    """The release the configuration pins (see module doc), else the running NixOS (unless
    `os_release` is None), else what the `.nix` files of `pinning_files()` (asked only
    then) pin.
    `system.stateVersion` is deliberately never used: it is the release first installed,
    not the one running."""
    by_flake: dict[Path, list[FlakeInput]] = defaultdict(list)
    for flake_input in model.flake_inputs():
        by_flake[flake_input.pos.path].append(flake_input)
    for flake in sorted(by_flake, key=lambda p: (len(p.parts), str(p))):
        found = _from_flake(by_flake[flake], model.locked_inputs)
        if found is not None:
            return found
    for wanted in sorted(RELEASE_REPOS):  # a flake.lock without its flake.nix
        for locked in model.locked_inputs:
            release = release_of_ref(locked.ref)
            if release and (locked.owner_repo or "").lower() == wanted:
                return DetectedRelease(release, f"flake.lock input {locked.name} "
                                                f"(original.ref {locked.ref})")
    pinned = _from_pins(pins or [])
    if pinned is not None:
        return pinned
    running = running_nixos(os_release) if os_release is not None else None
    if running:
        return DetectedRelease(running, f"running system ({os_release})")
    found = _from_url_pins(pinning_files()) if pinning_files is not None else None
    if found is not None:
        return found
    raise UsageError(
        "cannot tell which NixOS release this configuration is on: nothing in it names a "
        "release branch (flake inputs, flake.lock, niv or npins pins, fetchTarball/fetchGit "
        "of nixpkgs or Home Manager, system.autoUpgrade.channel) and this machine does not "
        "run NixOS; pass --from RELEASE (e.g. --from 25.05)"
    )


def _from_flake(inputs: list[FlakeInput], locked: list[LockedInput]) -> DetectedRelease | None:
    primary = next((i for i in inputs if i.name == "nixpkgs"), None)
    if primary is not None:
        candidates = [primary, *(i for i in inputs if i is not primary
                                 and (i.owner_repo or "").lower() in _COMPANIONS)]
        if (primary.owner_repo or "").lower() == NIXPKGS and follows_unstable(primary):
            raise UsageError(
                f"flake input nixpkgs follows {primary.ref or 'the default branch'} "
                f"({primary.pos}), not a release: nqd checks the move from one release to "
                f"the next; pass --from RELEASE (e.g. --from 25.11) for the release to start "
                f"from")
    else:
        candidates = sorted(inputs, key=lambda i: ((i.owner_repo or "").lower() != NIXPKGS,
                                                   i.pos.line))
    if primary is not None and primary.ref == "*":
        # FlakeHub's newest stable release: flake.lock says which one it was locked to.
        entry = _lock_entry(primary, locked)
        locked_to = release_of_ref(entry.locked_ref) if entry is not None else None
        if entry is not None and locked_to is not None:
            return DetectedRelease(locked_to, f"flake input nixpkgs ({primary.url}) follows "
                                              f"FlakeHub's newest stable release; {entry.path} "
                                              f"has it locked to {locked_to}")
    for flake_input in candidates:
        release = pins_release(flake_input)
        if release is None:
            continue
        source = f"flake input {flake_input.name} ({flake_input.url}) at {flake_input.pos}"
        entry = _lock_entry(flake_input, locked)
        still = release_of_ref(entry.ref) if entry is not None else None
        if entry is not None and still is not None and still < release:
            return DetectedRelease(still, f"{entry.path}: input {flake_input.name} is still "
                                          f"locked to {still}; {source} asks for {release}",
                                   target=release)
        return DetectedRelease(release, source)
    if primary is not None:  # a fork, a commit, FlakeHub `*`: other nixpkgs inputs say nothing
        moving = " (FlakeHub's `*` moves to each new stable release, and no flake.lock " \
            "says which it was locked to)" if primary.ref == "*" else ""
        raise UsageError(
            f"flake input nixpkgs ({primary.url}, {primary.pos}) names no NixOS release "
            f"nqd can read{moving}, nor do Home Manager or nix-darwin inputs; pass --from "
            f"RELEASE (e.g. --from 25.05)")
    return None


def _lock_entry(flake_input: FlakeInput, locked: list[LockedInput]) -> LockedInput | None:
    """What the flake.lock beside the input's flake.nix records for it."""
    lock = flake_input.pos.path.parent / "flake.lock"
    return next((entry for entry in locked
                 if entry.path == lock and entry.name == flake_input.name), None)


def _from_pins(pins: list[PinnedSource]) -> DetectedRelease | None:
    """The same choice as for flake inputs, among niv's or npins' pins."""
    primary = next((p for p in pins if p.name == "nixpkgs"
                    and (p.owner_repo or "").lower() == NIXPKGS), None)
    if primary is not None:
        if follows_unstable(primary):
            raise UsageError(
                f"{primary.tool} pin nixpkgs follows {primary.ref} ({primary.pos}), not a "
                f"release: nqd checks the move from one release to the next; pass --from "
                f"RELEASE (e.g. --from 25.11) for the release to start from")
        candidates = [primary, *(p for p in pins
                                 if (p.owner_repo or "").lower() in _COMPANIONS)]
    else:
        candidates = sorted((p for p in pins if (p.owner_repo or "").lower() in RELEASE_REPOS),
                            key=lambda p: ((p.owner_repo or "").lower() != NIXPKGS,
                                           str(p.pos.path), p.pos.start_byte))
    for pin in candidates:
        release = release_of_ref(pin.ref)
        if release is not None:
            return DetectedRelease(release, f"{pin.tool} pin {pin.name} ({pin.ref}) at {pin.pos}")
    return None


def _from_url_pins(model: ConfigModel) -> DetectedRelease | None:
    """`system.autoUpgrade.channel`, else Home Manager or nix-darwin fetched in a `.nix`
    file (a fetched nixpkgs is often a second one, for one package: never used)."""
    for option in model.defines(("system", "autoUpgrade", "channel")):
        if isinstance(option.literal, str):
            owner_repo, ref = parse_flake_url(option.literal)
            release = release_of_ref(ref)
            if release is not None and (owner_repo or "").lower() == NIXPKGS:
                return DetectedRelease(release, f"system.autoUpgrade.channel "
                                                f"({option.literal}) at {option.pos}")
    for fetched in sorted(model.fetched_sources(),
                          key=lambda f: (str(f.pos.path), f.pos.start_byte)):
        release = release_of_ref(fetched.ref)
        if release is not None and (fetched.owner_repo or "").lower() in _COMPANIONS:
            return DetectedRelease(release, f"{fetched.function} of {fetched.owner_repo} "
                                            f"({fetched.ref}) at {fetched.pos}")
    return None


def running_nixos(path: Path) -> Release | None:
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
