"""Attribute paths a file defines twice, the way Nix's parser sees them.

Tree-sitter accepts `{ a = 1; a.b = 2; }`; Nix rejects it ("attribute 'a.b' already
defined"). Literal attribute sets (`rec` or not) merge with each other and with dotted
paths into them; anything else defined at the same path, or below a non-set value, is a
duplicate. The planner rejects a fix that adds one, so it never depends on
`nix-instantiate` being installed to stay valid.
"""

from __future__ import annotations

from nqd.nix import syntax
from nqd.nix.parser import Node

_SETS = ("attrset_expression", "rec_attrset_expression")
_LEAF = "leaf"
Trie = dict[str, "Trie | str"]


def duplicate_paths(root: Node) -> set[tuple[str, ...]]:
    """Every attribute path defined twice in any attrset or `let` of the tree."""
    found: set[tuple[str, ...]] = set()
    for node in syntax.walk(root):
        if node.type in _SETS or node.type == "let_expression":
            _add_bindings(node, (), {}, found)
    return found


def _add_bindings(container: Node, prefix: tuple[str, ...], trie: Trie,
                  found: set[tuple[str, ...]]) -> None:
    for binding in syntax.bindings(container):
        if binding.type in ("inherit", "inherit_from"):
            attrs = binding.child_by_field_name("attrs")
            for attr in attrs.named_children if attrs is not None else ():
                name = syntax.attr_name(attr)
                if name is not None:
                    _insert(trie, (name,), False, prefix, found)
            continue
        if binding.type != "binding":
            continue
        names = syntax.attrpath_names(syntax.binding_attrpath(binding))
        if not names or any(n is None for n in names):
            continue
        static = tuple(n for n in names if n is not None)
        value = syntax.strip_parens(syntax.binding_value(binding))
        is_set = value is not None and value.type in _SETS
        child = _insert(trie, static, is_set, prefix, found)
        if child is not None:
            _add_bindings(value, (*prefix, *static), child, found)


def _insert(trie: Trie, names: tuple[str, ...], is_set: bool, prefix: tuple[str, ...],
            found: set[tuple[str, ...]]) -> Trie | None:
    """Add `names`; returns the set's trie to fill when it is a literal set, else None."""
    node = trie
    for index, name in enumerate(names):
        last = index == len(names) - 1
        existing = node.get(name)
        path = (*prefix, *names[:index + 1])
        if existing == _LEAF or (existing is not None and last and not is_set):
            found.add(path)
            return None
        if existing is None:
            if last and not is_set:
                node[name] = _LEAF
                return None
            node[name] = {}
        child = node[name]
        assert isinstance(child, dict)
        node = child
    return node
