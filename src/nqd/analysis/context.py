"""What every rule gets to look at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nqd.knowledge.model import Change, Kind
from nqd.model.types import ConfigModel
from nqd.releases import Release


@dataclass(frozen=True)
class RuleContext:
    model: ConfigModel
    from_release: Release
    to_release: Release
    changes: tuple[Change, ...]  # chained over every hop from..to
    # The committed text of a file (git HEAD) when the caller can provide it: lets rules
    # see what the working tree changed (a stateVersion bump, an image tag bump).
    previous_text: Callable[[Path], bytes | None] = field(default=lambda _path: None)

    def of_kind(self, *kinds: Kind) -> list[Change]:
        return [c for c in self.changes if c.kind in kinds]
