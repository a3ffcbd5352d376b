"""Attribute paths a file defines twice, the way Nix's parser sees them.

Tree-sitter accepts `{ a = 1; a.b = 2; }`; Nix rejects it ("attribute 'a.b' already
defined"). Dotted paths descend into attribute sets (literal or implied by other dotted
paths); a literal set written where a set already is merges one level only, each key
once; anything else defined at the same path, or below a non-set value, is a duplicate.
The planner rejects a fix that adds one, so it stays valid without `nix-instantiate`.
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
                    _insert(trie, (name,), None, prefix, found)
            continue
        if binding.type != "binding":
            continue
        names = syntax.attrpath_names(syntax.binding_attrpath(binding))
        if not names or any(n is None for n in names):
            continue
        value = syntax.strip_parens(syntax.binding_value(binding))
        literal = value if value is not None and value.type in _SETS else None
        _insert(trie, tuple(n for n in names if n is not None), literal, prefix, found)


def _insert(trie: Trie, names: tuple[str, ...], literal: Node | None,
            prefix: tuple[str, ...], found: set[tuple[str, ...]]) -> None:
    """Add `names = value` as Nix's parser does: dotted paths descend into sets (literal
    or implied); a literal set at an existing set merges one level, each key once."""
    node = trie
    for index, name in enumerate(names[:-1]):
        step = node.setdefault(name, {})
        if not isinstance(step, dict):
            found.add((*prefix, *names[:index + 1]))
            return
        node = step
    path = (*prefix, *names)
    existing = node.get(names[-1])
    if literal is None:
        if existing is not None:
            found.add(path)
        else:
            node[names[-1]] = _LEAF
        return
    fresh: Trie = {}
    _add_bindings(literal, path, fresh, found)
    if existing is None:
        node[names[-1]] = fresh
    elif existing == _LEAF:
        found.add(path)
    else:
        assert isinstance(existing, dict)
        for key, value in fresh.items():
            if key in existing:
                found.add((*path, key))
            else:
                existing[key] = value
