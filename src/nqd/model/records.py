"""`FileFacts` as plain tuples (str, int, bool, bytes, tuples, lists): what worker
processes send back and what the facts cache stores.

Plain values pickle several times faster than the model's objects (no `Path`s, no
dataclass state), and they hold no source text: the reader attaches the bytes it already
has. Imports are kept as written and resolved again when read back, so that a cached
record follows symlinks as they are now.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from nqd.model.extract import FileFacts, ImportRef, resolve_import
from nqd.model.types import (
    Context,
    FetchedSource,
    FileLines,
    FlakeInput,
    OptionDef,
    PackageRef,
    ReadRef,
    SourcePos,
)
from nqd.nix.parser import SyntaxProblem

Record = tuple[Any, ...]
_T = TypeVar("_T")
FORMAT = 6  # bump when the tuple layout below changes
_CONTEXTS = {context.value: context for context in Context}


def _pos(pos: SourcePos) -> tuple[int, int, int, int, int, int]:
    return (pos.line, pos.column, pos.end_line, pos.end_column, pos.start_byte, pos.end_byte)


def to_record(facts: FileFacts) -> Record:
    return (
        str(facts.path),
        [(p.line, p.column, p.end_line, p.end_column, p.start_byte, p.end_byte, p.message)
         for p in facts.problems],
        [(o.path, o.context.value, o.pos_span, o.binding_span, o.attr_spans, o.value_span,
          o.value_type, o.literal, o.first_part, o.wrappers, o.is_set) for o in facts.options],
        [(p.attr, p.span, p.via_with, p.context.value, p.via_inherit, p.via_argument)
         for p in facts.packages],
        [(r.kind, r.path, r.span, r.context.value, r.via_inherit, r.base) for r in facts.reads],
        [(i.name, i.url, _pos(i.pos), i.span, i.owner_repo, i.ref) for i in facts.flake_inputs],
        [(i.written, _pos(i.pos), i.context.value) for i in facts.imports],
        [(f.function, f.url, f.owner_repo, f.ref, _pos(f.pos), f.hashed) for f in facts.fetched],
        facts.is_flake,
        list(facts.top_roots),
        facts.lite,
        facts.unanalysed,
    )


_new = object.__new__


def _restore(cls: type[_T], fields: dict[str, Any]) -> _T:
    """A frozen dataclass instance from fields that were valid when recorded, without its
    `__init__` (which sets each field through `object.__setattr__`: 3.6 µs against 0.3 µs
    for an option, and a large tree holds thousands). The classes restored here have no
    `__post_init__` and keep a `__dict__`."""
    value = _new(cls)
    value.__dict__.update(fields)
    return value


def from_record(record: Record, path: Path, source: bytes) -> FileFacts:
    """The facts of `record`, which was made from the file at `path` holding `source`."""
    (_, problems, options, packages, reads, flake_inputs, imports, fetched, is_flake,
     top_roots, lite, unanalysed) = record
    if not (problems or options or packages or reads or flake_inputs or imports or fetched):
        # Most files of a large tree: nothing but their top-level names (no positions).
        return FileFacts(path=path, source=source, is_flake=is_flake,
                         top_roots=list(top_roots), lite=lite, unanalysed=unanalysed)
    lines = FileLines(path, source)
    contexts = _CONTEXTS
    return FileFacts(
        path=path,
        source=source,
        problems=[SyntaxProblem(*p) for p in problems],
        options=[_restore(OptionDef, {
            "path": p, "context": contexts[c], "pos_span": pos, "binding_span": binding,
            "attr_spans": attrs, "value_span": value, "value_type": vtype, "literal": lit,
            "first_part": first, "wrappers": wrappers, "is_set": is_set, "lines": lines})
            for (p, c, pos, binding, attrs, value, vtype, lit, first, wrappers, is_set)
            in options],
        packages=[_restore(PackageRef, {
            "attr": attr, "lines": lines, "span": span, "via_with": via_with,
            "context": contexts[c], "via_inherit": inherited, "via_argument": argument})
            for attr, span, via_with, c, inherited, argument in packages],
        reads=[_restore(ReadRef, {
            "kind": kind, "path": p, "lines": lines, "span": span, "context": contexts[c],
            "via_inherit": inherited, "base": base})
            for kind, p, span, c, inherited, base in reads],
        flake_inputs=[FlakeInput(name, url, SourcePos(path, *pos), span, owner_repo, ref)
                      for name, url, pos, span, owner_repo, ref in flake_inputs],
        imports=[ImportRef(resolve_import(path, written), SourcePos(path, *pos), contexts[c],
                           written) for written, pos, c in imports],
        fetched=[FetchedSource(function, url, owner_repo, ref, SourcePos(path, *pos), hashed)
                 for function, url, owner_repo, ref, pos, hashed in fetched],
        is_flake=is_flake,
        top_roots=list(top_roots),
        lite=lite,
        unanalysed=unanalysed,
    )
