"""What a feature contributes to the generated flake: NixOS and Home Manager modules,
flake inputs, and reasons for allowing unfree packages."""

from __future__ import annotations

from dataclasses import dataclass

from nqd.nix.emit import AttrSet, Comment, NixValue


@dataclass(frozen=True)
class NixModule:
    """One generated module file: `{ FORMALS, ... }: BODY` at `path` (relative to the output)."""

    path: str
    summary: str
    body: NixValue
    formals: tuple[str, ...] = ()


@dataclass(frozen=True)
class FlakeInputSpec:
    """An extra flake input and the NixOS module it provides (`<name>.<module>`)."""

    name: str
    url: str
    follows_nixpkgs: bool
    nixos_module: str


@dataclass(frozen=True)
class Contribution:
    nixos: tuple[NixModule, ...] = ()
    home: tuple[NixModule, ...] = ()
    inputs: tuple[FlakeInputSpec, ...] = ()
    unfree: tuple[str, ...] = ()
    user_groups: tuple[str, ...] = ()


Entry = tuple[str | tuple[str, ...] | Comment, NixValue]


def opt(dotted: str) -> tuple[str, ...]:
    """An option path key: `opt("services.lact.enable")`."""
    return tuple(dotted.split("."))


def attrs(*entries: Entry) -> AttrSet:
    return AttrSet(tuple(entries))
