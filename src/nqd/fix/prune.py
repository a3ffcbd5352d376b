"""Remove the attribute sets that a round of fixes emptied.

One relocation removes the set it empties itself (`relocate._emptied_holder`); when several
fixes each move one binding out of the same set, none of them sees it become empty, and
`xserver = { displayManager.gdm = { }; };` would be left behind. After a round, every
binding whose value is an empty set (no bindings, no comments, no comment on the lines
above it or after it) that the round's input did not have is removed, with its own lines,
until none is left. Sets the user wrote empty are kept: they are recognised by the chain of
attribute paths that leads to them.
"""

from __future__ import annotations

from pathlib import Path

from nqd.fix.relocate import ATTRSETS, removal_span
from nqd.nix import syntax
from nqd.nix.edits import Edit, apply_edits
from nqd.nix.parser import Node, parse

_MAX_PASSES = 16  # nesting levels emptied in one round; more is left for the next round


def prune_emptied_sets(path: Path, before: bytes, after: bytes) -> bytes:
    """`after` without the empty sets it has and `before` did not (see module doc)."""
    written_empty = {_chain(b, before) for b in _empty_set_bindings(before)}
    for _ in range(_MAX_PASSES):
        edits: list[Edit] = []
        cursor = -1
        for binding in _empty_set_bindings(after):
            if _chain(binding, after) in written_empty:
                continue
            (start, end), comments, trailing = removal_span(after, binding)
            if comments or trailing:
                continue  # a comment about the set stays, and so does the set
            if start >= cursor:  # spans can touch when emptied sets stand side by side
                edits.append(Edit(path, start, end, ""))
                cursor = end
        if not edits:
            return after
        after = apply_edits(after, edits)
    return after


def _empty_set_bindings(source: bytes) -> list[Node]:
    tree = parse(source)
    if tree.has_errors:
        return []
    out = []
    for node in syntax.walk(tree.root):
        if node.type != "binding":
            continue
        value = syntax.strip_parens(node.child_by_field_name("expression"))
        if value is not None and value.type in ATTRSETS and not value.named_children:
            out.append(node)
    return out


def _chain(binding: Node, source: bytes) -> tuple[str, ...]:
    """The attribute paths of `binding` and of every binding around it, outermost first,
    as written (whitespace removed): an identity that survives edits elsewhere."""
    chain: list[str] = []
    node: Node | None = binding
    while node is not None:
        if node.type == "binding":
            attrpath = node.child_by_field_name("attrpath")
            text = source[attrpath.start_byte:attrpath.end_byte].decode("utf-8", "replace")
            chain.append("".join(text.split()))
        node = node.parent
    return tuple(reversed(chain))
