"""What every rule gets to look at."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nqd.knowledge.model import Change, Kind
from nqd.model.extract import FileFacts, extract_file
from nqd.model.types import ConfigModel
from nqd.releases import Release


def no_history(_path: Path) -> bytes | None:
    """`previous_text` when the caller cannot read committed versions."""
    return None


@dataclass(frozen=True)
class RuleContext:
    model: ConfigModel
    from_release: Release
    to_release: Release
    changes: tuple[Change, ...]  # chained over every hop from..to
    # The committed text of a file (git HEAD) when the caller can provide it: lets rules
    # see what the working tree changed (a stateVersion bump, an image tag bump).
    previous_text: Callable[[Path], bytes | None] = no_history
    _previous: dict[Path, FileFacts | None] = field(default_factory=dict, compare=False,
                                                    repr=False)

    def of_kind(self, *kinds: Kind) -> list[Change]:
        return [c for c in self.changes if c.kind in kinds]

    def previous_facts(self, path: Path) -> FileFacts | None:
        """What the committed version of `path` defines (None: not committed, not in a
        git work tree, or it does not parse); each file is read and parsed once per check."""
        if path not in self._previous:
            text = self.previous_text(path)
            facts = extract_file(path, text) if text is not None else None
            self._previous[path] = facts if facts is not None and not facts.problems else None
        return self._previous[path]
