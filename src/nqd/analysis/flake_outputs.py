"""Names a flake defines under `nixosConfigurations` and `homeConfigurations`, read from its tree.

Only static names are seen (no evaluation): `nixosConfigurations.ws = ...;` and
`nixosConfigurations = { ws = ...; };` both give `ws`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nqd.nix import syntax
from nqd.nix.parser import Node, parse

_ATTRSETS = ("attrset_expression", "rec_attrset_expression")


@dataclass(frozen=True)
class FlakeOutputs:
    nixos: tuple[str, ...]
    home: tuple[str, ...]


def flake_outputs(source: bytes) -> FlakeOutputs:
    """The configuration names found anywhere in a flake.nix."""
    found: dict[str, list[str]] = {"nixosConfigurations": [], "homeConfigurations": []}
    for node in syntax.walk(parse(source).root):
        if node.type != "binding":
            continue
        names = syntax.attrpath_names(syntax.binding_attrpath(node))
        for i, name in enumerate(names):
            if name not in found:
                continue
            rest = names[i + 1 :]
            if rest and rest[0] is not None:
                _add(found[name], rest[0])
            elif not rest:
                _add_keys(found[name], syntax.binding_value(node))
    return FlakeOutputs(tuple(found["nixosConfigurations"]), tuple(found["homeConfigurations"]))


def _add(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)


def _add_keys(names: list[str], value: Node) -> None:
    value = syntax.strip_parens(value)
    if value is None or value.type not in _ATTRSETS:
        return
    for binding in syntax.bindings(value):
        if binding.type == "binding":
            first = syntax.attrpath_names(syntax.binding_attrpath(binding))[0]
            if first is not None:
                _add(names, first)
