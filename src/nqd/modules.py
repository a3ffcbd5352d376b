"""Loading the command and rule modules listed by name."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType


def load_modules(package: str, names: Iterable[str]) -> list[ModuleType]:
    """Import `package.name` for each name, in order; a listed module that does not exist
    is skipped (an error inside an existing module is raised)."""
    modules = []
    for name in names:
        qualified = f"{package}.{name}"
        try:
            modules.append(importlib.import_module(qualified))
        except ModuleNotFoundError as exc:
            if exc.name != qualified:
                raise
    return modules
