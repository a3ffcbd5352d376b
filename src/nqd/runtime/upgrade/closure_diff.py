"""Reading the output of `nix store diff-closures` and `nvd diff` into version changes."""

from __future__ import annotations

import re
from dataclasses import dataclass

# nix store diff-closures: "firefox: 120.0 → 121.0, +1234.5 KiB" ("∅" = absent)
_DIFF_CLOSURES = re.compile(r"^(?P<name>[^\s:][^:]*): (?P<old>.*?) → (?P<new>.*?)(?:, [+-].*)?$")
# nvd: "[U.]  #01  linux  6.6.52 -> 6.12.10", "[A.] #1 foo 1.0", "[R.] #1 bar 1.0"
_NVD = re.compile(r"^\[(?P<kind>[UADR])[.*]\]\s+#\d+\s+(?P<name>\S+)\s+(?P<rest>.*)$")
_ABSENT = "∅"
KERNEL_NAMES = frozenset({"linux", "linux-kernel"})


@dataclass(frozen=True)
class VersionChange:
    name: str
    old: str  # "" when added
    new: str  # "" when removed

    @property
    def kind(self) -> str:
        if not self.old:
            return "added"
        if not self.new:
            return "removed"
        return "changed"

    def __str__(self) -> str:
        return f"{self.name}: {self.old or _ABSENT} → {self.new or _ABSENT}"


def parse_diff(text: str) -> list[VersionChange]:
    """Version changes from diff-closures or nvd output; other lines are ignored."""
    changes = []
    for raw in text.splitlines():
        line = re.sub(r"\x1b\[[0-9;]*m", "", raw).strip()
        if match := _NVD.match(line):
            changes.append(_from_nvd(match))
        elif match := _DIFF_CLOSURES.match(line):
            old, new = (_version(match.group("old")), _version(match.group("new")))
            if old != new:
                changes.append(VersionChange(match.group("name"), old, new))
    return changes


def kernel_change(changes: list[VersionChange]) -> VersionChange | None:
    return next((c for c in changes if c.name in KERNEL_NAMES and c.kind == "changed"), None)


def _version(text: str) -> str:
    text = text.strip()
    return "" if text in (_ABSENT, "") else text


def _from_nvd(match: re.Match[str]) -> VersionChange:
    kind, name, rest = match.group("kind"), match.group("name"), match.group("rest").strip()
    if kind == "U" and " -> " in rest:
        old, new = rest.split(" -> ", 1)
        return VersionChange(name, old.strip(), new.strip())
    if kind == "R":
        return VersionChange(name, rest, "")
    return VersionChange(name, "", rest)
