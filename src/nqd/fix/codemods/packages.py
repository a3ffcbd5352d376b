"""Renamed packages: in lists, `with pkgs;` scopes and `pkgs.` paths.

Matches: NQD201 findings whose change is a fixable `renamed-package`, and NQD202 findings
whose removal names what the old alias pointed to (nixpkgs' "'foo' has been renamed
to/replaced by 'bar'" throws): the same edit.
Why: package aliases warn and are later removed. The reference's attribute names are
replaced from the syntax tree (`pkgs.foo` → `pkgs.bar`, `foo` → `bar` inside
`with pkgs;`); a name bound by `inherit (pkgs)` is left for a person (renaming it would
rename the binding too).
"""

from __future__ import annotations

import re

from nqd.analysis.findings import Finding
from nqd.fix.base import FileContext, Fix, Outcome, Refusal
from nqd.fix.text import indentation, line_end, line_start
from nqd.model.references import PACKAGE_METHODS, bound_names
from nqd.model.types import PackageRef
from nqd.nix import emit, syntax
from nqd.nix.edits import Edit
from nqd.nix.parser import Node

NAME = "packages"
EXPLANATION = "replace the package's old attribute name by the new one"
_PYTHON_SET = re.compile(r"^python3\d*Packages$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_'-]*$")


def matches(finding: Finding) -> bool:
    change = finding.change
    return finding.rule in ("NQD201", "NQD202") and finding.fixable and change is not None \
        and change.new is not None


def fix(ctx: FileContext, finding: Finding) -> Outcome:
    change = finding.change
    assert change is not None and change.old is not None and change.new is not None
    ref = next((r for r in ctx.model.packages if r.pos.start_byte == finding.pos.start_byte
                and r.pos.end_byte == finding.pos.end_byte), None)
    if ref is None:
        return Refusal(finding, "the package reference was not found in the file")
    overridden = change.old.split(".")[-1]
    if _overrides(ctx.root, overridden):
        return Refusal(finding, f"this file defines `{overridden}` itself (packageOverrides or "
                                f"an overlay): renaming only its uses would drop that "
                                f"definition; rename the definition and its uses together")
    node = _reference_node(ctx, ref)
    if node is None:
        return Refusal(finding, f"`inherit (pkgs) {change.old}` binds the old name: write "
                                f"`{change.old.split('.')[-1]} = pkgs.{change.new};` by hand")
    old, new = change.old.split("."), change.new.split(".")
    written = _written_names(ref, node)
    if written is None:
        return Refusal(finding, "the reference has a dynamic attribute name")
    names, spans = written
    while len(names) > 1 and names[-1] in PACKAGE_METHODS:
        names, spans = names[:-1], spans[:-1]
    scope = len(ref.attr.split(".")) - len(names)  # parts given by `with pkgs.<set>;`
    if scope < 0 or len(names) + scope < len(old) or scope >= len(old):
        return Refusal(finding, "the reference's names could not be matched to the package")
    full = [*ref.attr.split(".")[:scope], *names]
    if not _same_names(full[:len(old)], old):
        return Refusal(finding, f"the reference does not name {change.old} exactly")
    if _PYTHON_SET.match(full[0]) and _PYTHON_SET.match(new[0]):
        new = [full[0], *new[1:]]  # keep the user's python3XXPackages set
    if scope:
        if not _same_names(full[:scope], new[:scope]):
            return Refusal(finding, "the new package is outside the `with` scope in use")
        new = new[scope:]
    if ref.via_with and not all(_IDENT.match(n) for n in new[:1]):
        return Refusal(finding, f"{change.new} is not a plain name usable inside `with`")
    if ref.via_with and _bound_here(node, new[0]):
        return Refusal(finding, f"`{new[0]}` is bound by a let or function argument here, "
                                f"which would win over `with`: write pkgs.{change.new}")
    if not scope and _listed_beside(node, new, ref.via_with):
        start, end = _element_span(ctx.source, node)
        return Fix(finding, (Edit(ctx.path, start, end, ""),),
                   f"package {change.old} → {change.new} (listed already: the old entry "
                   f"removed)", touched=((start, end),))
    start, end = spans[0][0], spans[len(old) - scope - 1][1]
    replacement = emit.attrpath(new)
    return Fix(finding, (Edit(ctx.path, start, end, replacement),),
               f"package {change.old} → {change.new}", touched=((start, end),))


def _listed_beside(node: Node, new: list[str], via_with: bool) -> bool:
    """`[ noto-fonts noto-fonts-extra ]` where the old entry's new name is `noto-fonts`: an
    element of the same list names the new package already (`pkgs.<new>`, or `<new>` in
    the same `with pkgs;` scope and not bound lexically)."""
    element = node
    while element.parent is not None and element.parent.type == "parenthesized_expression":
        element = element.parent
    listing = element.parent
    if listing is None or listing.type != "list_expression":
        return False
    for sibling in listing.named_children:
        sibling = syntax.strip_parens(sibling)
        if sibling is None or sibling == node:
            continue
        if sibling.type == "variable_expression" and via_with and len(new) == 1:
            if sibling.text.decode() == new[0] and not _bound_here(sibling, new[0]):
                return True
        elif sibling.type == "select_expression":
            base = syntax.strip_parens(sibling.child_by_field_name("expression"))
            if base.type == "variable_expression" and base.text == b"pkgs" \
                    and syntax.attrpath_names(sibling.child_by_field_name("attrpath")) == new:
                return True
    return False


def _element_span(source: bytes, node: Node) -> tuple[int, int]:
    """What to delete to drop a list element: its line when it is alone on it, else the
    element and the blanks after it."""
    start, end = node.start_byte, node.end_byte
    if indentation(source, start) is not None and not source[end:line_end(source, end)].strip():
        return line_start(source, start), min(line_end(source, end) + 1, len(source))
    while end < len(source) and source[end] in b" \t":
        end += 1
    return start, end


def _bound_here(node: Node, name: str) -> bool:
    """`name` is bound lexically around `node` (lexical bindings win over `with`)."""
    current = node.parent
    while current is not None:
        if current.type in ("let_expression", "rec_attrset_expression") \
                and name in bound_names(current):
            return True
        if current.type == "function_expression" and name in syntax.parameters(current):
            return True
        current = current.parent
    return False


def _reference_node(ctx: FileContext, ref: PackageRef) -> Node | None:
    """The select or variable expression of the reference (None: an `inherit` name)."""
    node = ctx.root.descendant_for_byte_range(*ref.span)
    found = None
    while node is not None and (node.start_byte, node.end_byte) == ref.span:
        if node.type in ("select_expression", "variable_expression"):
            found = node
        node = node.parent
    return found


def _written_names(ref: PackageRef, node: object) -> tuple[list[str], list[tuple[int, int]]] \
        | None:
    """The attribute names as written (after `pkgs.`, or from the variable under `with`)."""
    if getattr(node, "type", None) == "variable_expression":
        return [node.text.decode()], [(node.start_byte, node.end_byte)]  # type: ignore[attr-defined]
    base = syntax.strip_parens(node.child_by_field_name("expression"))  # type: ignore[attr-defined]
    attrs = node.child_by_field_name("attrpath").children_by_field_name("attr")  # type: ignore[attr-defined]
    names: list[str] = []
    spans: list[tuple[int, int]] = []
    if ref.via_with:
        names.append(base.text.decode())
        spans.append((base.start_byte, base.end_byte))
    for attr in attrs:
        name = syntax.attr_name(attr)
        if name is None:
            return None
        names.append(name)
        spans.append((attr.start_byte, attr.end_byte))
    return names, spans


def _same_names(written: list[str], wanted: list[str]) -> bool:
    return all(a == b or (_PYTHON_SET.match(a) is not None and _PYTHON_SET.match(b) is not None)
               for a, b in zip(written, wanted, strict=True))


def _overrides(root: Node, name: str) -> bool:
    """Whether a function in the file returns a set defining `name`:
    `packageOverrides = pkgs: { name = ...; }` or an overlay `final: prev: { name = ...; }`.
    Both take a plain argument; a module (`{ pkgs, ... }: { system.stateVersion = ...; }`)
    takes a set pattern and defines options, not packages."""
    for node in syntax.walk(root):
        if node.type != "function_expression" or node.child_by_field_name("formals") \
                is not None:
            continue
        body = syntax.strip_parens(node.child_by_field_name("body"))
        while body is not None and body.type == "function_expression":  # final: prev: ...
            body = syntax.strip_parens(body.child_by_field_name("body"))
        if body is None or body.type not in ("attrset_expression", "rec_attrset_expression"):
            continue
        for binding in syntax.bindings(body):
            if binding.type == "binding" and syntax.attrpath_names(
                    syntax.binding_attrpath(binding))[:1] == [name]:
                return True
    return False
