"""Date-window mode: assign the package aliases of ONE nixpkgs snapshot to a release cycle.

Release-branch copies of nixpkgs are not always available; a single later snapshot of
`pkgs/top-level/aliases.nix` (and `python-aliases.nix`) still says when each entry was made:
nixpkgs convention puts `# Added 2025-08-12` (or `# Converted to throw 2025-10-27`,
`# Converted to warning 2025-10-28`) on the entry's line. An entry dated in
`[window start, window end)` - the branch-off dates of the previous and of this release - is
a change of this release; entries in an `uncertain` interval (a branch-off date that is only
known within bounds) are assigned to no release and reported, like undated entries.

What this cannot see: aliases added and already removed again before the snapshot, entries
whose comment carries no (valid) date, and whether an entry dated after a branch-off was
backported to that release branch. Evidence cites the snapshot's line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from nqd.errors import UsageError
from nqd.knowledge.extract.aliases import PackageFact, extract_aliases
from nqd.knowledge.extract.build import ALIAS_FILES, Tree, _read, package_change
from nqd.knowledge.extract.options import Skipped

# Over the text of ONE comment node (never over Nix source): the first YYYY-MM-DD in it.
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_CONVERTED = re.compile(r"converted\s+to\s+(throw|warning)", re.IGNORECASE)

METHOD = (
    "Cycle assignment by the entry's dated comment (`# Added YYYY-MM-DD`, `# Converted to "
    "throw|warning YYYY-MM-DD`) in one later snapshot of the alias files: an entry dated in "
    "[window start, window end) is a change of this release. Not visible: aliases added and "
    "removed again before the snapshot; entries without a valid date (listed under "
    "`unassigned`); backports of entries dated after a branch-off."
)


def parse_day(value: str) -> dt.date:
    """`2025-05-16` as a date; a bad value is a usage error."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"not a date (YYYY-MM-DD): {value!r}") from None


@dataclass(frozen=True)
class Window:
    """Half-open date interval [start, end) of one release cycle, minus uncertain intervals."""

    start: dt.date
    end: dt.date
    uncertain: tuple[tuple[dt.date, dt.date], ...] = ()

    def __post_init__(self) -> None:
        for low, high in ((self.start, self.end), *self.uncertain):
            if not low < high:
                raise UsageError(f"empty date interval: {low} .. {high}")

    def place(self, day: dt.date) -> str:
        """`in`, `before`, `after` or `uncertain`."""
        if any(low <= day < high for low, high in self.uncertain):
            return "uncertain"
        if day < self.start:
            return "before"
        if day >= self.end:
            return "after"
        return "in"

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(), "end_exclusive": self.end.isoformat(),
            "uncertain": [[low.isoformat(), high.isoformat()] for low, high in self.uncertain],
        }


@dataclass(frozen=True)
class CommentDate:
    day: dt.date | None
    converted: str | None  # "throw" / "warning" for "# Converted to ...", else None
    problem: str = ""  # why there is no day


def comment_date(comment: str) -> CommentDate:
    """The date an alias comment gives, e.g. `# Added 2025-08-12` -> 2025-08-12."""
    if not comment:
        return CommentDate(None, None, "no comment on the entry's line")
    converted = _CONVERTED.search(comment)
    kind = converted.group(1).lower() if converted else None
    match = _DATE.search(comment)
    if match is None:
        return CommentDate(None, kind, "comment has no date")
    year, month, day = (int(part) for part in match.groups())
    try:
        return CommentDate(dt.date(year, month, day), kind)
    except ValueError:
        return CommentDate(None, kind, f"invalid date {match.group(0)}")


@dataclass
class WindowSelection:
    """The dated facts of a snapshot that fall into the window, and what was left out."""

    tree: Tree
    window: Window
    chosen: list[tuple[PackageFact, CommentDate]] = field(default_factory=list)
    unassigned: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    files: dict[str, int] = field(default_factory=dict)  # path -> facts read


def select(tree: Tree, window: Window) -> WindowSelection:
    """Read the alias files of `tree` and keep the entries dated inside `window`."""
    out = WindowSelection(tree, window)
    for rel, prefix in ALIAS_FILES.items():
        path = tree.root / rel
        if not path.is_file():
            continue
        facts, skipped = extract_aliases(_read(path), rel, prefix)
        out.files[rel] = len(facts)
        out.skipped.extend(skipped)
        for fact in facts:
            dated = comment_date(fact.comment)
            if dated.day is None:
                out.counts["undated"] += 1
                out.unassigned.append(_unassigned(fact, dated.problem))
                continue
            place = window.place(dated.day)
            out.counts[place] += 1
            if place == "in":
                out.chosen.append((fact, dated))
            elif place == "uncertain":
                out.unassigned.append(_unassigned(
                    fact, f"dated {dated.day} inside an uncertain branch-off interval"))
    if not out.files:
        raise UsageError(f"no alias files ({', '.join(ALIAS_FILES)}) under {tree.root}")
    return out


def _unassigned(fact: PackageFact, reason: str) -> dict[str, Any]:
    return {"path": fact.path, "line": fact.line, "old": fact.old, "reason": reason}


def window_changes(selection: WindowSelection) -> list[dict[str, Any]]:
    """Change entries (schema form) for the chosen facts, tagged with their date."""
    changes = []
    for fact, dated in selection.chosen:
        change = package_change(fact, selection.tree)
        assert dated.day is not None
        tags = ["source:dated-alias", f"dated:{dated.day.isoformat()}"]
        if dated.converted:
            tags.append(f"converted-to:{dated.converted}")
        change["tags"] = tags
        changes.append(change)
    return changes


def window_sources(selection: WindowSelection) -> dict[str, Any]:
    """The `sources.dated_snapshot` record: origin, window, method, counts, unassigned."""
    tree = selection.tree
    return {
        "repo": tree.repo,
        "commit": tree.commit,
        "files": dict(sorted(selection.files.items())),
        "window": selection.window.as_json(),
        "method": METHOD,
        "counts": dict(sorted(selection.counts.items())),
        "unassigned": sorted(selection.unassigned,
                             key=lambda u: (u["path"], u["line"], u["old"])),
    }
