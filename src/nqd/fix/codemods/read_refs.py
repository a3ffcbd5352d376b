"""Read-side renames: `config.<old>` → `config.<new>`, `pkgs.system` (or an overlay's
`prev.system`) → its replacement.

Matches: NQD111 (a renamed option read through `config.`) and NQD113 (a deprecated `pkgs`
attribute such as `pkgs.system`), when the change is fixable.
Why: the alias goes away. Only the attribute names of the matched select expression are
rewritten, name by name from the syntax tree: `pkgs.systemd` is a different name and is
never touched.
"""

from __future__ import annotations

from nqd.analysis.findings import Finding
from nqd.fix.base import FileContext, Fix, Outcome, Refusal
from nqd.model.types import ReadRef
from nqd.nix import emit, syntax
from nqd.nix.edits import Edit
from nqd.nix.parser import Node

NAME = "read-refs"
EXPLANATION = "rewrite the attribute names read through config. or pkgs."


def matches(finding: Finding) -> bool:
    return finding.rule in ("NQD111", "NQD113") and finding.fixable \
        and finding.change is not None \
        and finding.change.new is not None


def fix(ctx: FileContext, finding: Finding) -> Outcome:
    change = finding.change
    assert change is not None and change.old is not None and change.new is not None
    ref = _read_at(ctx, finding)
    if ref is None:
        return Refusal(finding, "the reference was not found in the file")
    select = _select_node(ctx, ref)
    if select is None:
        return Refusal(finding, "the reference was not found in the syntax tree")
    attrs = select.child_by_field_name("attrpath").children_by_field_name("attr")
    old = tuple(change.old.split("."))
    names = tuple(syntax.attr_name(a) for a in attrs[:len(old)])
    if names != old:
        return Refusal(finding, f"the reference does not read {change.old} by its exact name")
    start, end = attrs[0].start_byte, attrs[len(old) - 1].end_byte
    new = emit.attrpath(change.new.split("."))
    base = "config" if ref.kind == "config" else ref.base
    return Fix(finding, (Edit(ctx.path, start, end, new),),
               f"{base}.{change.old} → {base}.{change.new}", touched=((start, end),))


def _read_at(ctx: FileContext, finding: Finding) -> ReadRef | None:
    for ref in ctx.model.reads:
        if (ref.pos.start_byte, ref.pos.end_byte) == (finding.pos.start_byte,
                                                      finding.pos.end_byte):
            return ref
    return None


def _select_node(ctx: FileContext, ref: ReadRef) -> Node | None:
    node = ctx.root.descendant_for_byte_range(*ref.span)
    while node is not None:
        if node.type == "select_expression" and node.start_byte == ref.span[0]:
            return node
        node = node.parent
    return None
