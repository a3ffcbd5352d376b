"""Read package aliases: `pkgs/top-level/aliases.nix` and `python-aliases.nix`.

`foo = bar;`, `foo = pkgs.bar;` and `foo = lib.warnOnInstantiate "..." bar;` forward to a
new attribute (renamed-package); `foo = throw "...";` is a removed package whose throw
message is kept. Other values (functions, `lowPrio x`, computed sets) are skipped.
Dotted names (`netsurf.libcss = throw "...";`) name a package inside a set. The comment
on the binding's last line (`# Added 2025-08-12`) is kept for the date-window mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from nqd.knowledge.extract.options import Skipped, unparsable
from nqd.nix.parser import Node, column_of, parse
from nqd.nix.syntax import (
    application,
    attrpath_names,
    bindings,
    function_name,
    static_string,
    strip_parens,
    text,
    walk,
)

_SET_PREFIXES = ("pkgs", "self", "super", "final", "prev")
_FORWARDING = ("warnOnInstantiate", "warnAlias", "warn", "trace", "warnIf")


@dataclass(frozen=True)
class PackageFact:
    kind: str  # renamed-package | removed-package
    old: str
    new: str | None
    path: str
    line: int
    message: str = ""
    warning: str = ""  # the warnOnInstantiate text, if any
    comment: str = ""  # the comment that ends the binding's last line, e.g. "# Added 2025-08-12"


def _alias_set(root: Node) -> Node | None:
    """The attribute set with the most bindings: the alias table."""
    best, best_count = None, 0
    for node in walk(root):
        if node.type in ("attrset_expression", "rec_attrset_expression"):
            count = sum(1 for _ in bindings(node))
            if count > best_count:
                best, best_count = node, count
    return best


def extract_aliases(
    source: bytes, path: str, prefix: str = ""
) -> tuple[list[PackageFact], list[Skipped]]:
    """Alias facts of one aliases file; `prefix` (e.g. `python3Packages.`) names the set."""
    parsed = parse(source)
    if parsed.has_errors:
        return [], [unparsable(parsed, path)]
    table = _alias_set(parsed.root)
    facts: list[PackageFact] = []
    skipped: list[Skipped] = []
    if table is None:
        return facts, skipped
    for binding in bindings(table):
        if binding.type != "binding":
            continue
        line = column_of(source, binding.start_byte)[0]
        names = attrpath_names(binding.child_by_field_name("attrpath"))
        if not names or None in names:
            skipped.append(Skipped(path, line, "alias with a dynamic name"))
            continue
        old = prefix + ".".join(n for n in names if n is not None)
        value = strip_parens(binding.child_by_field_name("expression"))
        fact = _fact(value, old, path, line, prefix, source)
        if fact is None:
            snippet = " ".join(text(value, source).split())[:60]
            skipped.append(Skipped(path, line, f"alias value not understood: {snippet}"))
        else:
            facts.append(replace(fact, comment=trailing_comment(binding, source)))
    return facts, skipped


def trailing_comment(binding: Node, source: bytes) -> str:
    """The text of the comment that follows `binding` on the row where it ends, or ""."""
    sibling = binding.next_sibling
    if sibling is None and binding.parent is not None:
        sibling = binding.parent.next_sibling  # the last binding's comment follows the set
    if sibling is not None and sibling.type == "comment" \
            and sibling.start_point[0] == binding.end_point[0]:
        return text(sibling, source).strip()
    return ""


def _fact(
    value: Node, old: str, path: str, line: int, prefix: str, source: bytes
) -> PackageFact | None:
    target = _target_name(value, prefix)
    if target is not None:
        return PackageFact("renamed-package", old, target, path, line)
    if value.type != "apply_expression":
        return None
    head, args = application(value)
    name = function_name(head)
    if name == "throw" and len(args) == 1:
        message = _message(args[0], source)
        replacement = replacement_named_in(message, old.removeprefix(prefix))
        return PackageFact("removed-package", old,
                           prefix + replacement if replacement else None, path, line,
                           message=message)
    if name in _FORWARDING and len(args) >= 2:
        target = _target_name(strip_parens(args[-1]), prefix)
        if target is not None:
            warning = _message(args[-2], source)
            return PackageFact("renamed-package", old, target, path, line, warning=warning)
    return None


_REPLACED_BY = re.compile(r"has been renamed to/replaced by '([A-Za-z0-9_.+'-]+?)'")
_NAME = r"[A-Za-z0-9_.+-]+"


def replacement_named_in(message: str, old: str | None = None) -> str | None:
    """The attribute a throw names as the alias's replacement, or None.

    `'foo' has been renamed to/replaced by 'bar'` is nixpkgs' standard wording for an alias
    turned into a throw. Hand-written throws count only when they say of `old` itself,
    quoted, that it "has been renamed to" or "has been merged into" one quoted attribute
    (`'rofi-wayland' has been merged into 'rofi'`); advice such as "use 'x' instead" or
    "may be replaced by 'y'" is left to the user.
    """
    match = _REPLACED_BY.search(message)
    if match:
        return match.group(1)
    if old is None:
        return None
    named = re.search(rf"'{re.escape(old)}' (?:has been|was) (?:renamed to|merged into) "
                      rf"'({_NAME})'(?:$|[\s.,;:)])", message)
    return named.group(1) if named else None


def _message(node: Node, source: bytes) -> str:
    node = strip_parens(node)
    value = static_string(node)
    if value is None:
        value = text(node, source).strip('"').strip("'")
    return " ".join(value.split())


def _target_name(node: Node, prefix: str) -> str | None:
    if node.type == "variable_expression":
        return prefix + str(node.text.decode())
    if node.type == "select_expression" and node.child_by_field_name("default") is None:
        base = strip_parens(node.child_by_field_name("expression"))
        names = attrpath_names(node.child_by_field_name("attrpath"))
        if base.type != "variable_expression" or None in names:
            return None
        root = base.text.decode()
        parts = [n for n in names if n is not None]
        if root == "pkgs":
            return ".".join(parts)  # the top-level package set, even from python-aliases
        if root in _SET_PREFIXES:
            return prefix + ".".join(parts)
        return prefix + ".".join([root, *parts])
    return None
