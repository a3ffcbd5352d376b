"""Small helpers over the Nix syntax tree: names, attribute paths, module-system wrappers."""

from __future__ import annotations

from collections.abc import Iterator

from nqd.nix.parser import Node

# lib functions that wrap a definition without changing where it lands.
# value: index of the wrapped argument (mkIf cond VALUE, mkOverride prio VALUE, ...).
MODULE_WRAPPERS: dict[str, int] = {
    "mkIf": 1,
    "mkForce": 0,
    "mkDefault": 0,
    "mkOverride": 1,
    "mkBefore": 0,
    "mkAfter": 0,
    "mkOrder": 1,
    "mkImageMediaOverride": 0,
    "mkVMOverride": 0,
    "mkOptionDefault": 0,
}


def text(node: Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def static_string(node: Node) -> str | None:
    """The value of a string literal without interpolation, else None."""
    if node.type not in ("string_expression", "indented_string_expression"):
        return None
    parts = []
    for child in node.named_children:
        if child.type == "string_fragment":
            parts.append(child.text.decode("utf-8", "replace"))
        elif child.type == "escape_sequence":
            parts.append(_unescape(child.text.decode("utf-8", "replace")))
        else:
            return None
    value = "".join(parts)
    if node.type == "indented_string_expression":
        value = _strip_indentation(value)
    return value


def string_list(node: Node | None) -> list[str] | None:
    """The values of a list literal of plain strings (`[ "a" "b" ]`), else None."""
    node = strip_parens(node) if node is not None else None
    if node is None or node.type != "list_expression":
        return None
    values = []
    for element in node.named_children:
        if element.type == "comment":
            continue
        value = static_string(element)
        if value is None:
            return None
        values.append(value)
    return values


def _unescape(seq: str) -> str:
    table = {"\\n": "\n", "\\t": "\t", "\\r": "\r", "''$": "$", "'''": "''", "''\\n": "\n"}
    if seq in table:
        return table[seq]
    if seq.startswith("''\\"):
        return seq[3:]
    if seq.startswith("\\"):
        return seq[1:]
    return seq


def _strip_indentation(value: str) -> str:
    lines = value.split("\n")
    if lines and lines[0].strip() == "":
        lines = lines[1:]
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(line[cut:] for line in lines)


def attr_name(node: Node) -> str | None:
    """A static attribute name (identifier or plain string), else None (interpolated)."""
    if node.type == "identifier":
        return node.text.decode()  # type: ignore[no-any-return]
    return static_string(node)


def attrpath_names(attrpath: Node) -> list[str | None]:
    """The names of an attrpath's parts; None stands for a dynamic (`${...}`) part."""
    return [attr_name(child) for child in attrpath.children_by_field_name("attr")]


def first_name(binding: Node) -> str | None:
    """The first name of a binding's attrpath (`services` of `services.x.enable = ...`);
    None for `inherit` and for a dynamic first part."""
    if binding.type != "binding":
        return None
    attrs = binding.child_by_field_name("attrpath").children_by_field_name("attr")
    return attr_name(attrs[0]) if attrs else None


def binding_attrpath(binding: Node) -> Node:
    return binding.child_by_field_name("attrpath")


def binding_value(binding: Node) -> Node:
    return binding.child_by_field_name("expression")


def bindings(attrset: Node) -> Iterator[Node]:
    """The bindings (`binding`, `inherit`, `inherit_from`) of an attrset or let."""
    for child in attrset.named_children:
        if child.type == "binding_set":
            yield from child.named_children


def parameters(function: Node) -> list[str]:
    """The names a function binds: `args` of `args:` and `args@{ ... }`, and each formal of
    `{ a, b ? 1, ... }`."""
    names = []
    universal = function.child_by_field_name("universal")
    if universal is not None:
        names.append(str(universal.text.decode()))
    formals = function.child_by_field_name("formals")
    for formal in formals.named_children if formals is not None else ():
        ident = formal.child_by_field_name("name")
        if ident is not None:
            names.append(str(ident.text.decode()))
    return names


def strip_parens(node: Node) -> Node:
    while node is not None and node.type == "parenthesized_expression":
        node = node.child_by_field_name("expression")
    return node


def function_name(node: Node) -> str | None:
    """For `lib.mkIf` / `mkIf` / `lib.modules.mkIf` returns `mkIf`."""
    node = strip_parens(node)
    if node.type == "variable_expression":
        return str(node.child_by_field_name("name").text.decode())
    if node.type == "select_expression":
        names = attrpath_names(node.child_by_field_name("attrpath"))
        return names[-1] if names else None
    return None


def application(node: Node) -> tuple[Node, list[Node]]:
    """Split `f a b c` into (f, [a, b, c])."""
    node = strip_parens(node)
    args: list[Node] = []
    while node.type == "apply_expression":
        args.append(node.child_by_field_name("argument"))
        node = strip_parens(node.child_by_field_name("function"))
    args.reverse()
    return node, args


_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'-")


def word_nodes(node: Node, source: bytes, word: bytes) -> Iterator[Node]:
    """The smallest node at each place inside `node` where `word` occurs as a whole word,
    in source order. A byte search only finds the places; the caller asks the tree what is
    there (an identifier, a keyword, or text in a string or comment). Much cheaper than a
    query, which visits every node of the tree."""
    size = len(word)
    start, end = node.start_byte, node.end_byte
    find = source.find
    index = find(word, start, end)
    while index != -1:
        after = index + size
        if (index == 0 or source[index - 1] not in _WORD_BYTES) \
                and (after >= len(source) or source[after] not in _WORD_BYTES):
            found = node.descendant_for_byte_range(index, after)
            if found is not None:
                yield found
        index = find(word, after, end)


def walk(node: Node) -> Iterator[Node]:
    """All named descendants, pre-order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))
