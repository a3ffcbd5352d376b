"""Say what a changed option's value transform does, from the Nix function Home Manager
or NixOS wrote for `mkChangedOptionModule` (`config: lib.toList (lib.getAttrFromPath
[ "a" "b" ] config)`), as the definition a user would write instead
(`new.path = lib.toList a.b`)."""

from __future__ import annotations

from nqd.nix import syntax
from nqd.nix.parser import Node, parse


def as_definition(transform: str, old: str, new: str) -> str | None:
    """`new = <the transform's body>` with every read of the old option
    (`lib.getAttrFromPath [ ... ] config`, `config.<old>`) written as the old option's
    name; None when the transform is not a one-argument Nix function."""
    source = transform.strip().encode()
    parsed = parse(source)
    if parsed.has_errors:
        return None
    function = syntax.strip_parens(parsed.root.named_children[0]) \
        if parsed.root.named_children else None
    if function is None or function.type != "function_expression" \
            or function.child_by_field_name("universal") is None:
        return None
    argument = function.child_by_field_name("universal").text.decode()
    body = syntax.strip_parens(function.child_by_field_name("body"))
    reads = sorted(_old_option_reads(body, argument, old.split(".")),
                   key=lambda node: node.start_byte)
    text, cursor = [], body.start_byte
    for node in reads:
        text.append(source[cursor:node.start_byte].decode())
        text.append(old)
        cursor = node.end_byte
    text.append(source[cursor:body.end_byte].decode())
    return f"{new} = {' '.join(''.join(text).split())}"


def _old_option_reads(body: Node, argument: str, old: list[str]) -> list[Node]:
    found = []
    for node in syntax.walk(body):
        if node.type == "apply_expression":
            function, args = syntax.application(node)
            if syntax.function_name(function) == "getAttrFromPath" and len(args) == 2 \
                    and _is_variable(args[1], argument) and syntax.string_list(args[0]) == old:
                found.append(node)
        elif node.type == "select_expression" \
                and _is_variable(node.child_by_field_name("expression"), argument) \
                and syntax.attrpath_names(node.child_by_field_name("attrpath")) == old:
            found.append(node)
    for k, node in enumerate(found):  # `(getAttrFromPath [ ... ] config)`: no parens left
        while node.parent is not None and node.parent.type == "parenthesized_expression" \
                and node.parent != body:
            node = node.parent
        found[k] = node
    outermost: list[Node] = []
    for node in sorted(found, key=lambda n: (n.start_byte, -n.end_byte)):
        if not outermost or node.start_byte >= outermost[-1].end_byte:
            outermost.append(node)
    return outermost


def _is_variable(node: Node | None, name: str) -> bool:
    node = syntax.strip_parens(node) if node is not None else None
    return node is not None and node.type == "variable_expression" and node.text.decode() == name
