"""The only module that talks to the Nix grammar (tree-sitter, via tree-sitter-language-pack).

Everything else sees `ParsedFile` and tree-sitter `Node`s through `nqd.nix.syntax`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from typing import Any

Node = Any  # tree_sitter.Node; the binding ships no type information


@dataclass(frozen=True)
class SyntaxProblem:
    """A place where the source does not parse: 1-based line and column, byte span."""

    line: int
    column: int
    end_line: int
    end_column: int
    start_byte: int
    end_byte: int
    message: str


@dataclass(frozen=True)
class ParsedFile:
    """Source bytes and their syntax tree."""

    source: bytes
    root: Node

    @property
    def has_errors(self) -> bool:
        return self.source.startswith(_BOM) or (
            bool(self.root.has_error) and bool(_collect_problems(self.root, self.source, 1)))

    def problems(self, limit: int = 20) -> list[SyntaxProblem]:
        found = _collect_problems(self.root, self.source, limit)
        if self.source.startswith(_BOM):  # tree-sitter skips it; Nix's lexer does not
            found.insert(0, SyntaxProblem(1, 1, 1, 2, 0, len(_BOM),
                                          "syntax error: the file starts with a UTF-8 byte "
                                          "order mark, which Nix does not accept"))
        return found[:limit]


_BOM = b"\xef\xbb\xbf"


@cache
def _language() -> Any:
    """The Nix grammar of tree-sitter-language-pack, its extension module loaded by file:
    importing the package first imports three grammars nqd does not use (about 20 ms, paid
    by every check). Falls back to the package's own loader."""
    from tree_sitter import Language

    try:
        return Language(_load_nix_binding().language())
    except Exception:  # an unexpected package layout: the documented way
        from tree_sitter_language_pack import get_language

        return get_language("nix")


def _load_nix_binding() -> Any:
    import importlib.machinery
    import importlib.util
    import os

    package = importlib.util.find_spec("tree_sitter_language_pack")
    if package is None or not package.submodule_search_locations:
        raise ImportError("tree-sitter-language-pack is not installed")
    directory = os.path.join(next(iter(package.submodule_search_locations)), "bindings")
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    path = next(os.path.join(directory, f"nix{suffix}") for suffix in suffixes
                if os.path.exists(os.path.join(directory, f"nix{suffix}")))
    loader = importlib.machinery.ExtensionFileLoader("tree_sitter_language_pack.bindings.nix",
                                                     path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    if spec is None:
        raise ImportError(path)
    return importlib.util.module_from_spec(spec)


@cache
def _parser() -> Any:
    from tree_sitter import Parser

    return Parser(_language())


def parse(source: bytes) -> ParsedFile:
    """Parse Nix source. Never raises on bad syntax: see `ParsedFile.problems`."""
    tree = _parser().parse(source)
    return ParsedFile(source=source, root=tree.root_node)


class LineIndex:
    """Byte offset → 1-based (line, character column), in O(log lines) per lookup.

    The line table is built on the first lookup: most files of a large tree never have a
    position reported."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.ascii = source.isascii()
        self._starts: list[int] | None = None

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            starts = [0]
            find = self.source.find
            index = find(b"\n")
            while index != -1:
                starts.append(index + 1)
                index = find(b"\n", index + 1)
            self._starts = starts
        return self._starts

    def position(self, byte_offset: int) -> tuple[int, int]:
        starts = self._line_starts()
        line = bisect_right(starts, byte_offset)
        start = starts[line - 1]
        if self.ascii:
            return line, byte_offset - start + 1
        return line, len(self.source[start:byte_offset].decode("utf-8", "replace")) + 1


@cache
def query(pattern: str) -> Any:
    """A compiled tree-sitter query over the Nix grammar (cached per pattern)."""
    from tree_sitter import Query

    return Query(_language(), pattern)


def captures(pattern: str, node: Node) -> dict[str, list[Node]]:
    """Run a query on `node`; its captures by name."""
    from tree_sitter import QueryCursor

    result: dict[str, list[Node]] = QueryCursor(query(pattern)).captures(node)
    return result


def column_of(source: bytes, byte_offset: int) -> tuple[int, int]:
    """1-based (line, column in characters) of a byte offset."""
    line_start = source.rfind(b"\n", 0, byte_offset) + 1
    line = source.count(b"\n", 0, byte_offset) + 1
    column = len(source[line_start:byte_offset].decode("utf-8", errors="replace")) + 1
    return line, column


def _collect_problems(root: Node, source: bytes, limit: int) -> list[SyntaxProblem]:
    problems: list[SyntaxProblem] = []
    if not root.has_error:
        return problems
    stack = [root]
    while stack and len(problems) < limit:
        node = stack.pop()
        if _empty_inherit(node):
            continue
        if node.is_missing or node.type == "ERROR":
            line, col = column_of(source, node.start_byte)
            end_line, end_col = column_of(source, node.end_byte)
            if node.is_missing:
                message = f"syntax error: missing {node.type!r}"
            else:
                snippet = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
                snippet = snippet.strip().splitlines()[0][:40] if snippet.strip() else ""
                message = f"syntax error: unexpected {snippet!r}" if snippet else "syntax error"
            problems.append(
                SyntaxProblem(line, col, end_line, end_col, node.start_byte, node.end_byte, message)
            )
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    problems.sort(key=lambda p: p.start_byte)
    return problems


def _empty_inherit(node: Node) -> bool:
    """The name tree-sitter-nix's grammar wants after `inherit`: Nix itself accepts
    `inherit;` and `inherit (x);` with none (`nix-instantiate --parse` does)."""
    parent = node.parent
    return bool(node.is_missing) and node.type == "identifier" and parent is not None \
        and parent.type == "inherited_attrs" and parent.named_child_count == 1
