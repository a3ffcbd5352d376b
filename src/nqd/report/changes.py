"""`nqd changes` output: a table grouped by kind, or a JSON list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from nqd.console import Console
from nqd.knowledge.model import Change, Kind

_NONE = "—"
_MAX_COLUMN = 56


def change_to_json(change: Change) -> dict[str, Any]:
    """The stable JSON shape of one change (also used by `explain --format json`)."""
    condition = None
    if change.condition is not None:
        condition = {k: (list(v) if isinstance(v, tuple) else v)
                     for k, v in asdict(change.condition).items() if v not in (None, ())}
    example = None
    if change.example_before is not None or change.example_after is not None:
        example = {"before": change.example_before, "after": change.example_after}
    return {
        "id": change.id,
        "area": change.area.value,
        "kind": change.kind.value,
        "from": change.from_release,
        "to": change.to_release,
        "old": change.old,
        "new": change.new,
        "severity": change.effective_severity.value,
        "fixable": change.fixable,
        "message": change.message,
        "migration": change.migration,
        "condition": condition,
        "transform": change.transform,
        "silent": change.silent,
        "example": example,
        "tags": list(change.tags),
        "evidence": [{k: v for k, v in asdict(e).items() if v is not None}
                     for e in change.evidence],
    }


def render_json(changes: Sequence[Change]) -> str:
    return json.dumps([change_to_json(c) for c in changes], indent=2, ensure_ascii=False)


def _cell(text: str | None) -> str:
    return text if text else _NONE


def _width(values: Sequence[str], header: str) -> int:
    return min(max([len(header), *(len(v) for v in values)]), _MAX_COLUMN)


def render_text(changes: Sequence[Change], console: Console, title: str,
                long: bool = False) -> list[str]:
    """Lines of a readable table: one section per kind (in `Kind` order), one row per change."""
    lines = [console.style(title, "bold")]
    if not changes:
        return [*lines, "", "No changes match."]
    multi_hop = len({(c.from_release, c.to_release) for c in changes}) > 1
    for kind in Kind:
        group = [c for c in changes if c.kind is kind]
        if not group:
            continue
        group.sort(key=lambda c: (c.area.value, c.old or c.new or c.id))
        lines += ["", console.style(f"{kind.value} ({len(group)})", "bold")]
        olds = [_cell(c.old) for c in group]
        news = [_cell(c.new) for c in group]
        w_old, w_new = _width(olds, "OLD"), _width(news, "NEW")
        header = f"  {'AREA':<12} {'OLD':<{w_old}}  {'NEW':<{w_new}}  {'SEVERITY':<8}  FIX"
        if multi_hop:
            header += "  RELEASES"
        lines.append(console.style(header, "dim"))
        for change, old, new in zip(group, olds, news, strict=True):
            row = (f"  {change.area.value:<12} {old:<{w_old}}  {new:<{w_new}}  "
                   f"{change.effective_severity.value:<8}  {'yes' if change.fixable else 'no ':<3}")
            if multi_hop:
                row += f"  {change.release_pair}"
            lines.append(row.rstrip())
            if long:
                lines.append(console.style(f"      {change.message}", "dim"))
    lines += ["", f"{len(changes)} change(s). `nqd explain ID|OPTION|PACKAGE` shows one in full."]
    return lines
