"""Move or rename a definition to another option path, through the syntax tree.

The one engine behind option renames and the RFC 42 conversions. Given the binding that
defines an old path, it either rewrites the binding's attribute path in place (when the
enclosing sets allow it), or removes the binding and inserts `new.path = value;` into the
deepest enclosing set that is still a prefix of the new path, merging into a set that
already holds the new path instead of defining it twice. Only the bytes of the edited
bindings change; the moved value keeps its text (and its mkForce/mkDefault wrapper), its
comments travel with it, and its lines are re-indented to the new place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nqd.fix.base import FileContext
from nqd.fix.text import (
    indent_following,
    indentation,
    is_comment_line,
    line_end,
    line_start,
    node_text,
    past_double_blank,
    rest_is_blank_or_comment,
    shift_lines,
)
from nqd.model.types import OptionDef, Span
from nqd.nix import emit, syntax
from nqd.nix.edits import Edit
from nqd.nix.parser import Node, column_of

ATTRSETS = ("attrset_expression", "rec_attrset_expression")


@dataclass(frozen=True)
class Entry:
    """A definition to place: `path = text;` (`text` relative to column 0).

    `keys` (name, text) are used instead of `text` when the target path already exists as
    an attribute set: each key is merged into it.
    """

    path: tuple[str, ...]
    text: str
    is_set: bool = False
    keys: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Relocation:
    edits: tuple[Edit, ...]
    touched: tuple[Span, ...]
    in_place: bool


class Conflict(Exception):
    """The new path cannot be written without a duplicate or a guess; a person decides."""


def binding_node(ctx: FileContext, option: OptionDef) -> Node | None:
    start, end = option.binding_span
    node = ctx.root.descendant_for_byte_range(start, end)
    while node is not None and not (node.type == "binding" and node.start_byte == start
                                    and node.end_byte == end):
        node = node.parent
    return node


def lcp(a: Sequence[str | None], b: Sequence[str | None]) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def moved_value(ctx: FileContext, option: OptionDef, binding: Node,
                new_value: str | None = None) -> str:
    """The binding's value text (wrappers kept), relative to the binding's column.

    `new_value` (relative text) replaces the unwrapped value inside the wrappers.
    """
    expr = syntax.binding_value(binding)
    source = ctx.source
    start, end = option.value_span
    if new_value is None:
        text = node_text(source, expr)
    else:
        head = source[expr.start_byte:start].decode("utf-8", "replace")
        tail = source[end:expr.end_byte].decode("utf-8", "replace")
        return head + new_value + tail
    if _has_multiline_plain_string(expr):
        return text
    column = column_of(source, binding.start_byte)[1] - 1
    return shift_lines(text, -column) or text


def relocate(ctx: FileContext, option: OptionDef, old: tuple[str, ...],
             entries: Sequence[Entry], *, new_value: str | None = None) -> Relocation:
    """Edits that define `entries` instead of the binding of `option` (which covers `old`).

    `entries[0]` is the renamed definition itself; its path must start with the new name.
    Raises `Conflict` with a reason when this cannot be done mechanically.
    """
    binding = binding_node(ctx, option)
    if binding is None:
        raise Conflict("the definition was not found in the syntax tree")
    if any(part is None for part in option.path):
        raise Conflict("the path has a dynamic (${...}) part")
    target = entries[0].path
    first = option.first_part
    common = lcp(old, target)
    chain = enclosing_sets(binding, option)
    if not chain:
        raise Conflict("the definition is not inside an attribute set")
    new_length = len(target) - (len(option.path) - len(old))
    if len(entries) == 1 and first <= common and first < new_length \
            and first < len(option.attr_spans):
        placement = descend(chain[0][0], first, entries[0], skip=binding)
        if chain[0][0].type == "rec_attrset_expression" and target[first] != option.path[first]:
            raise Conflict(f"{option.path[first]} is a name bound by `rec {{ }}`: renaming it "
                           f"could break references to it; rename it by hand")
        if placement.node is chain[0][0] and not placement.exact:
            return _rename_in_place(ctx, option, old, target, binding, new_value)
    names = syntax.attrpath_names(syntax.binding_attrpath(binding))
    if len(names) > len(option.path) - first:
        # `home-manager.users.<name>.programs.x = v;` in a NixOS module: the binding's own
        # prefix names another module system; keep it and place the new binding beside.
        prefix = ctx.source[syntax.binding_attrpath(binding).start_byte:
                            option.attr_spans[first][0]].decode("utf-8", "replace")
        if first > common:
            raise Conflict(f"{'.'.join(old)} is nested below where the new path starts; "
                           f"move it by hand")
        return _move(ctx, binding, entries, chain[0][0], first, binding, prefix=prefix)
    for index, (node, depth, anchor) in enumerate(chain):
        if depth <= common and depth < len(target):
            if any(n.type == "rec_attrset_expression" for n, _, _ in chain[:index]):
                raise Conflict(f"{'.'.join(old)} is inside `rec {{ }}`: moving it out could "
                               f"change what its value refers to; move it by hand")
            return _move(ctx, binding, entries, node, depth, anchor)
    raise Conflict(
        f"{'.'.join(old)} is written inside an expression (mkIf, let, function) that does not "
        f"enclose {'.'.join(target)}; move it by hand"
    )


def _rename_in_place(ctx: FileContext, option: OptionDef, old: tuple[str, ...],
                     target: tuple[str, ...], binding: Node, new_value: str | None
                     ) -> Relocation:
    first = option.first_part
    start = option.attr_spans[first][0]
    end = option.attr_spans[len(old) - 1][1]
    rest = target[first:len(target) - (len(option.path) - len(old))]
    edits = [Edit(ctx.path, start, end, emit.attrpath(rest))]
    touched: list[Span] = [(start, end)]
    if new_value is not None:
        indent = " " * (column_of(ctx.source, binding.start_byte)[1] - 1)
        edits.append(Edit(ctx.path, *option.value_span, indent_following(new_value, indent)))
        touched.append(option.value_span)
    return Relocation(tuple(edits), tuple(touched), in_place=True)


def enclosing_sets(binding: Node, option: OptionDef) -> list[tuple[Node, int, Node]]:
    """(attrset, depth, anchor) from the binding outwards, while each set is directly the
    value of a binding of the next. `depth` counts the path parts written outside the set;
    `anchor` is the binding of that set that contains the definition."""
    spans = option.attr_spans
    out: list[tuple[Node, int, Node]] = []
    node = binding
    while True:
        parent = node.parent
        if parent is None or parent.type != "binding_set":
            break
        attrset = parent.parent
        if attrset is None or attrset.type not in ATTRSETS:
            break
        depth = sum(1 for span in spans if span[1] <= attrset.start_byte)
        out.append((attrset, depth, node))
        holder = attrset.parent
        while holder is not None and holder.type == "parenthesized_expression":
            holder = holder.parent
        if holder is None or holder.type != "binding":
            break
        names = syntax.attrpath_names(syntax.binding_attrpath(holder))
        outer = sum(1 for span in spans if span[1] <= holder.start_byte)
        if depth - outer != len(names):
            break  # e.g. `home-manager.users.<name> = { ... }`: another module system
        node = holder
    return out


@dataclass(frozen=True)
class Placement:
    node: Node  # the attrset to insert into
    depth: int  # path parts written outside it
    exact: bool = False  # `node` is the value of the target path itself


def descend(attrset: Node, depth: int, entry: Entry, *, skip: Node | None) -> Placement:
    """The deepest existing literal attrset on the way to `entry.path`, checking that
    defining the rest there duplicates nothing."""
    path = entry.path
    while True:
        rest = path[depth:]
        deeper: Placement | None = None
        for binding in syntax.bindings(attrset):
            if binding.type in ("inherit", "inherit_from"):
                attrs = binding.child_by_field_name("attrs")
                names = [syntax.attr_name(a) for a in attrs.named_children] if attrs else []
                if rest[0] in names:
                    raise Conflict(f"{'.'.join(path[:depth + 1])} is already inherited here")
                continue
            if binding.type != "binding" or (skip is not None and binding.id == skip.id):
                continue
            names = syntax.attrpath_names(syntax.binding_attrpath(binding))
            common = lcp(names, rest)
            if common == 0:
                continue
            value = syntax.strip_parens(syntax.binding_value(binding))
            line = binding.start_point[0] + 1
            if common == len(names) and len(names) < len(rest):
                if value is None or value.type not in ATTRSETS:
                    raise Conflict(f"{'.'.join(path[:depth + len(names)])} is already defined "
                                   f"at line {line} by an expression nqd cannot merge into")
                deeper = Placement(value, depth + len(names))
                break
            if common == len(rest):
                if len(names) == len(rest):
                    if entry.keys and value is not None and value.type in ATTRSETS:
                        deeper = Placement(value, depth + len(names), exact=True)
                        break
                    raise Conflict(f"{'.'.join(path)} is already defined at line {line}")
                if not entry.is_set:
                    raise Conflict(f"{'.'.join(path)} already has definitions below it at "
                                   f"line {line}")
        if deeper is None:
            return Placement(attrset, depth)
        if deeper.exact:
            for key, _ in entry.keys:
                descend(deeper.node, deeper.depth, Entry((*path, key), "", False), skip=None)
            return deeper
        attrset, depth = deeper.node, deeper.depth


def _move(ctx: FileContext, binding: Node, entries: Sequence[Entry], scope: Node, depth: int,
          anchor: Node, *, prefix: str = "") -> Relocation:
    source = ctx.source
    removal, comments, trailing = removal_span(source, binding)
    removed = binding
    holder = None if prefix else _emptied_holder(binding, scope)
    while holder is not None:  # `a = { moved = v; };` would be left as `a = { };`
        removal, outer, _ = removal_span(source, holder)
        comments = outer + comments
        removed = holder
        holder = _emptied_holder(holder, scope)
    inserts: dict[int, list[str]] = {}
    indents: dict[int, str | None] = {}
    for index, entry in enumerate(entries):
        placement = Placement(scope, depth) if prefix else descend(scope, depth, entry,
                                                                    skip=removed)
        if placement.node.type == "rec_attrset_expression" and placement.node.id != scope.id:
            raise Conflict(f"{'.'.join(entry.path[:placement.depth])} is a `rec {{ }}` set: "
                           f"moving a value into it could change what it refers to")
        if placement.exact:
            lines = [f"{emit.attrpath((key,))} = {text};" for key, text in entry.keys]
        else:
            lines = [f"{prefix}{emit.attrpath(entry.path[placement.depth:])} = {entry.text};"]
        if index == 0:
            lines = [*comments, *lines[:-1], lines[-1] + (f" {trailing}" if trailing else "")]
        where = anchor if placement.node.id == scope.id else _last_binding(placement.node)
        if where is not None and where.id != removed.id and removal[0] <= where.start_byte \
                and where.end_byte <= removal[1]:
            where = removed  # the anchor itself goes away: insert where it was
        position, indent = _insertion_point(source, where, placement.node)
        inserts.setdefault(position, []).extend(lines)
        indents.setdefault(position, indent)
    edits = [Edit(ctx.path, *removal, "")]
    for position, lines in inserts.items():
        indent = indents[position]
        if indent is None and any("#" in line for line in lines):
            # Comments cannot share a line with code that follows: open lines instead.
            base = source[line_start(source, position):].decode("utf-8", "replace")
            base = base[:len(base) - len(base.lstrip(" "))]
            inner = base + "  "
            text = "".join("\n" + inner + indent_following(line, inner) for line in lines) \
                + "\n" + base
        elif indent is None:
            text = " " + " ".join(lines)
        else:
            block = "\n".join(indent + indent_following(line, indent) for line in lines)
            text = ("\n" + block) if position == len(source) or source[position - 1:position] \
                != b"\n" else block + "\n"
        edits.append(Edit(ctx.path, position, position, text))
    return Relocation(tuple(edits), (removal,), in_place=False)


def removal_span(source: bytes, binding: Node) -> tuple[Span, list[str], str]:
    """The bytes to delete for `binding`: its whole lines (with the comment lines directly
    above it) when it stands alone on them; also those comments and a trailing comment."""
    start, end = binding.start_byte, binding.end_byte
    if indentation(source, start) is None or not rest_is_blank_or_comment(source, end):
        stop = end
        while source[stop:stop + 1] == b" ":
            stop += 1
        return (start, stop), [], ""
    first = line_start(source, start)
    comments: list[str] = []
    while first > 0:
        previous = line_start(source, first - 1)
        if not is_comment_line(source, previous):
            break
        comments.insert(0, source[previous:first - 1].decode("utf-8", "replace").strip())
        first = previous
    last = line_end(source, end)
    trailing = source[end:last].decode("utf-8", "replace").strip()
    stop = min(last + 1, len(source))
    return (first, past_double_blank(source, first, stop)), comments, trailing


def _emptied_holder(binding: Node, scope: Node) -> Node | None:
    """The binding whose literal set holds only `binding` (and no comments), below `scope`."""
    attrset = binding.parent.parent if binding.parent is not None else None
    if attrset is None or attrset.type not in ATTRSETS or attrset.id == scope.id:
        return None
    if len(list(syntax.bindings(attrset))) != 1 or any(
            n.type == "comment" and not (binding.start_byte <= n.start_byte < binding.end_byte)
            for n in syntax.walk(attrset)):
        return None
    holder = attrset.parent
    while holder is not None and holder.type == "parenthesized_expression":
        holder = holder.parent
    return holder if holder is not None and holder.type == "binding" else None


def _last_binding(attrset: Node) -> Node | None:
    found = None
    for binding in syntax.bindings(attrset):
        found = binding
    return found


def _insertion_point(source: bytes, after: Node | None, attrset: Node) -> tuple[int, str | None]:
    """Where to insert after binding `after` (or into an empty `attrset`) and the
    indentation of the new lines (None: on the same line)."""
    if after is None:
        brace = attrset.child(0) if attrset.type == "attrset_expression" else attrset.child(1)
        return brace.end_byte, None
    indent = indentation(source, after.start_byte)
    if indent is None or not rest_is_blank_or_comment(source, after.end_byte):
        return after.end_byte, None
    end = line_end(source, after.end_byte)
    return (end + 1 if end < len(source) else end), indent


def _has_multiline_plain_string(node: Node) -> bool:
    return any(n.type == "string_expression" and b"\n" in n.text for n in syntax.walk(node))
