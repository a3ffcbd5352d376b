"""Pausing Python's cycle collector while the model's many small objects are made."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Extracting facts, and reading them back from the cache, make hundreds of thousands of
    objects and no reference cycles: the collector's passes over them cost a tenth of a large
    tree's extraction and half of reading its cache. Reference counting still frees
    everything; cycles wait for the collector's return. A caller that had turned the
    collector off finds it off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
