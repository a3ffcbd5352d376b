"""What every rule gets to look at."""

from __future__ import annotations

from dataclasses import dataclass

from nqd.knowledge.model import Change, Kind
from nqd.model.types import ConfigModel
from nqd.releases import Release


@dataclass(frozen=True)
class RuleContext:
    model: ConfigModel
    from_release: Release
    to_release: Release
    changes: tuple[Change, ...]  # chained over every hop from..to

    def of_kind(self, *kinds: Kind) -> list[Change]:
        return [c for c in self.changes if c.kind in kinds]
