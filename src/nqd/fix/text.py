"""Line-level helpers over source bytes: indentation, whole-line spans, re-indenting."""

from __future__ import annotations

from nqd.nix.parser import Node


def line_start(source: bytes, pos: int) -> int:
    return source.rfind(b"\n", 0, pos) + 1


def line_end(source: bytes, pos: int) -> int:
    end = source.find(b"\n", pos)
    return len(source) if end < 0 else end


def indentation(source: bytes, pos: int) -> str | None:
    """The whitespace before `pos` on its line, or None when code precedes it."""
    before = source[line_start(source, pos):pos].decode("utf-8", "replace")
    return before if before.strip() == "" else None


def rest_is_blank_or_comment(source: bytes, pos: int) -> bool:
    rest = source[pos:line_end(source, pos)].decode("utf-8", "replace").strip()
    return rest == "" or rest.startswith("#")


def past_double_blank(source: bytes, first: int, stop: int) -> int:
    """Where deleting the whole lines [first, stop) should end: past the blank line at
    `stop` too when a blank line also precedes `first`, so that no two are left together."""
    if first < 2 or stop >= len(source):
        return stop
    if source[line_start(source, first - 1):first].strip() or \
            source[stop:line_end(source, stop)].strip():
        return stop
    return min(line_end(source, stop) + 1, len(source))


def is_comment_line(source: bytes, start: int) -> bool:
    text = source[start:line_end(source, start)].decode("utf-8", "replace").strip()
    return text.startswith("#")


def node_text(source: bytes, node: Node) -> str:
    return source[node.start_byte:node.end_byte].decode("utf-8", "replace")


def shift_lines(text: str, delta: int) -> str | None:
    """Shift every line after the first by `delta` columns (None if it cannot)."""
    if delta == 0 or "\n" not in text:
        return text
    first, *rest = text.split("\n")
    out = [first]
    for line in rest:
        if not line.strip():
            out.append(line)
        elif delta > 0:
            out.append(" " * delta + line)
        elif line[:-delta].strip() == "":
            out.append(line[-delta:])
        else:
            return None
    return "\n".join(out)


def indent_following(text: str, indent: str) -> str:
    """Prefix every line after the first with `indent` (emitted text placed at a column)."""
    return "\n".join(
        line if i == 0 or not line else indent + line for i, line in enumerate(text.split("\n"))
    )
