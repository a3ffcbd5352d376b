"""Release pins in `.nix` files: `builtins.fetchTarball` / `fetchGit` of Home Manager or
nixpkgs, and `system.autoUpgrade.channel`.

Matches: fixable NQD403 findings (no pinned `sha256`/`hash`/`rev`, which would have to
change with the URL).
Why: after the upgrade, Home Manager fetched from the old release branch mismatches the
system, and an old `autoUpgrade.channel` rebuilds the system from the old release. Only the
release inside the literal the finding points at changes (`release-25.05` → `release-25.11`,
`nixos-25.05` → `nixos-25.11`), through the same replacement as flake input bumps.
"""

from __future__ import annotations

from nqd.analysis.findings import Finding
from nqd.analysis.flake_bump import bumped_url, literal_release_edits
from nqd.fix.base import FileContext, Fix, Outcome, Refusal
from nqd.nix import syntax
from nqd.nix.parser import Node

NAME = "url-pins"
EXPLANATION = "move release branches in fetchTarball/fetchGit URLs and autoUpgrade.channel"
_LITERALS = ("string_expression", "uri_expression")


def matches(finding: Finding) -> bool:
    return finding.rule == "NQD403" and finding.fixable


def fix(ctx: FileContext, finding: Finding) -> Outcome:
    literal = _literal_at(ctx.root, finding.pos.start_byte, finding.pos.end_byte)
    if literal is None:
        return Refusal(finding, "the URL was not found in the syntax tree")
    edits = literal_release_edits(ctx.path, literal, ctx.to_release)
    if not edits:
        return Refusal(finding, "no release in this URL could be moved")
    old = syntax.static_string(literal) or literal.text.decode("utf-8", "replace")
    return Fix(finding, tuple(edits), f"{old} → {bumped_url(old, ctx.to_release)}",
               touched=((literal.start_byte, literal.end_byte),))


def _literal_at(root: Node, start: int, end: int) -> Node | None:
    node = root.descendant_for_byte_range(start, end)
    while node is not None and node.type not in _LITERALS:
        node = node.parent
    if node is None or node.start_byte != start or node.end_byte != end:
        return None
    return node
