"""Where a NixOS host keeps its profiles, and reading their generations.

A profile (`/nix/var/nix/profiles/system`) is a symlink to `system-N-link`, which is a
symlink to a store path. `HostLayout` holds those locations; `NQD_ROOT` prefixes the
system-wide ones so that another root (a chroot, a mounted disk, a test's temporary
root) can be used. Reading generations only reads symlinks: nothing here runs commands.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_LINK = re.compile(r"^(?P<name>.+)-(?P<number>\d+)-link$")


@dataclass(frozen=True)
class Generation:
    """Generation `number` of a profile, pointing to `store_path`."""

    number: int
    store_path: str

    def as_dict(self) -> dict[str, object]:
        return {"number": self.number, "store_path": self.store_path}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Generation:
        return cls(int(str(data["number"])), str(data["store_path"]))


@dataclass(frozen=True)
class HostLayout:
    """The paths nqd reads on the host (all absolute)."""

    root: Path
    system_profile: Path
    current_system: Path
    home_manager_profile: Path
    legacy_home_manager_profile: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HostLayout:
        """The layout of this machine, under `$NQD_ROOT` when set."""
        env = os.environ if environ is None else environ
        root = Path(env.get("NQD_ROOT") or "/")
        home = Path(env.get("HOME") or Path.home())
        state = env.get("XDG_STATE_HOME") or ""
        state_home = Path(state) if os.path.isabs(state) else home / ".local/state"
        user = env.get("USER") or env.get("LOGNAME") or "root"
        return cls(
            root=root,
            system_profile=root / "nix/var/nix/profiles/system",
            current_system=root / "run/current-system",
            home_manager_profile=state_home / "nix/profiles/home-manager",
            legacy_home_manager_profile=root / "nix/var/nix/profiles/per-user" / user
            / "home-manager",
        )

    @property
    def nix_dir(self) -> Path:
        return self.root / "nix"

    def hm_profile(self) -> Path:
        """The Home Manager profile in use: the XDG one, else the legacy per-user one."""
        if os.path.lexists(self.home_manager_profile):
            return self.home_manager_profile
        if os.path.lexists(self.legacy_home_manager_profile):
            return self.legacy_home_manager_profile
        return self.home_manager_profile


def generations(profile: Path) -> list[Generation]:
    """All generations of `profile` (`<name>-<N>-link` beside it), oldest first."""
    directory, name = profile.parent, profile.name
    found = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = _LINK.match(entry.name)
        if not match or match.group("name") != name or not entry.is_symlink():
            continue
        found.append(Generation(int(match.group("number")), _resolve(entry)))
    return sorted(found, key=lambda g: g.number)


def current_generation(profile: Path) -> Generation | None:
    """The generation `profile` points to, or None when there is no such profile."""
    if not profile.is_symlink():
        return None
    target = os.readlink(profile)
    match = _LINK.match(Path(target).name)
    if not match:
        return None
    link = profile.parent / Path(target).name
    if not link.is_symlink():
        return None
    return Generation(int(match.group("number")), _resolve(link))


def previous_generation(profile: Path) -> Generation | None:
    """The newest generation older than the current one (what `--rollback` goes to)."""
    current = current_generation(profile)
    if current is None:
        return None
    older = [g for g in generations(profile) if g.number < current.number]
    return older[-1] if older else None


def store_path_of(link: Path) -> str | None:
    """Where a symlink such as `/run/current-system` or `./result` points, or None."""
    if not link.is_symlink():
        return None
    return _resolve(link)


def _resolve(link: Path) -> str:
    """The target of a chain of symlinks, stopping at the first non-link (a store path)."""
    current = link
    for _ in range(40):
        if not current.is_symlink():
            break
        target = Path(os.readlink(current))
        current = target if target.is_absolute() else current.parent / target
    return os.path.normpath(current)
