"""Read every input file by its kind into one `Stack`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nqd.containers.compose import read_compose
from nqd.containers.spec import Stack
from nqd.containers.units import read_unit
from nqd.errors import InputError

UNIT_SUFFIXES = (".service", ".container")
COMPOSE_SUFFIXES = (".yml", ".yaml")


def read_inputs(paths: Sequence[Path]) -> Stack:
    """Compose files by suffix `.yml`/`.yaml`, units by `.service`/`.container`."""
    stack = Stack()
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        if path.suffix in COMPOSE_SUFFIXES:
            read_compose(path, stack)
        elif path.suffix in UNIT_SUFFIXES:
            read_unit(path, stack)
        else:
            raise InputError(f"{path}: unknown input kind (expected a compose .yml/.yaml, a "
                             f"podman .service unit or a Quadlet .container file)")
        stack.sources.append(path)
    order = {str(p): i for i, p in enumerate(paths)}
    stack.unsupported.sort(key=lambda u: (order.get(u.sort_key[0], len(order)), u.sort_key))
    return stack
