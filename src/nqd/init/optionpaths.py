"""The option paths a generated module defines, read back from its syntax tree.

Nested attrsets are flattened to leaf paths (`hardware.nvidia = { open = true; }` gives
`hardware.nvidia.open`); `imports` is skipped. Used to check every generated option
against `nqd.init.facts`.
"""

from __future__ import annotations

from collections.abc import Iterator

from nqd.nix.parser import Node


def _module_body(root: Node) -> Node | None:
    exprs = [c for c in root.named_children if c.type != "comment"]
    node = exprs[0] if exprs else None
    while node is not None:
        if node.type in ("attrset_expression", "rec_attrset_expression"):
            return node
        if node.type == "function_expression" or node.type == "let_expression":
            node = node.child_by_field_name("body")
        elif node.type == "parenthesized_expression":
            node = node.named_children[0]
        else:
            return None
    return None


def leaf_paths(source: bytes) -> Iterator[tuple[tuple[str, ...], Node]]:
    """(path, value node) for every leaf binding of the module in `source`."""
    from nqd.nix import syntax
    from nqd.nix.parser import parse

    body = _module_body(parse(source).root)
    if body is None:
        return

    def visit(attrset: Node, prefix: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Node]]:
        for binding in syntax.bindings(attrset):
            if binding.type != "binding":
                continue
            names = syntax.attrpath_names(syntax.binding_attrpath(binding))
            path = prefix + tuple(n if n is not None else "${...}" for n in names)
            if path == ("imports",):
                continue
            value = syntax.strip_parens(syntax.binding_value(binding))
            if value.type == "attrset_expression":
                yield from visit(value, path)
            else:
                yield path, value

    yield from visit(body, ())
