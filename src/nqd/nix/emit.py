"""The one Nix emitter: Python values to Nix source text.

Used by `fix` (replacement text), `containers import` and `init` (whole modules). Strings
are escaped for Nix (`"`, `\\`, `${`), multi-line strings use `''` with `''$`/`'''` escapes,
attribute names are quoted when they are not identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Union

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_'-]*$")
_KEYWORDS = frozenset(
    {"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"}
)
INDENT = "  "


@dataclass(frozen=True)
class Raw:
    """A Nix expression written as is, e.g. `pkgs.git` or `config.users.users.me.uid`."""

    text: str


@dataclass(frozen=True)
class Comment:
    """A comment line placed before the next attribute of an attrset (key is ignored)."""

    text: str


@dataclass(frozen=True)
class With:
    """`with SCOPE; BODY`, e.g. `with pkgs; [ git ]`."""

    scope: str
    body: NixValue


@dataclass(frozen=True)
class Apply:
    """`FUNC ARG1 ARG2`, e.g. `lib.mkForce true`."""

    func: str
    args: tuple[NixValue, ...]


@dataclass(frozen=True)
class Function:
    """A module function `{ a, b, ... }: BODY`."""

    formals: tuple[str, ...]
    body: NixValue
    ellipsis: bool = True


@dataclass(frozen=True)
class Lambda:
    """A one-argument function `PARAM: BODY`, e.g. `ps: with ps; [ numpy ]`."""

    param: str
    body: NixValue


@dataclass(frozen=True)
class Let:
    """`let NAME = VALUE; ... in BODY`."""

    bindings: Mapping[str, NixValue]
    body: NixValue


@dataclass(frozen=True)
class AttrSet:
    """An attrset whose entries keep their order; keys may be dotted paths (tuples)."""

    entries: Sequence[tuple[str | tuple[str, ...] | Comment, NixValue]] = field(
        default_factory=tuple
    )
    rec: bool = False


NixValue = Union[  # noqa: UP007 - recursive alias needs Union on 3.11
    None, bool, int, float, str, Raw, With, Apply, Function, Lambda, Let, AttrSet,
    Sequence["NixValue"], Mapping[str, "NixValue"],
]


def identifier_or_string(name: str) -> str:
    """An attribute name as Nix needs it: bare when an identifier, else quoted."""
    if _IDENT.match(name) and name not in _KEYWORDS:
        return name
    return string(name)


def attrpath(parts: Sequence[str]) -> str:
    return ".".join(identifier_or_string(p) for p in parts)


def string(value: str, indent: int = 0) -> str:
    """A Nix string literal for `value`: `"..."`, or `''...''` for multi-line text."""
    if "\n" in value.rstrip("\n") and "\r" not in value and "\t" not in value:
        return _indented_string(value, indent)
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{out}"'


def _indented_string(value: str, indent: int) -> str:
    pad = INDENT * (indent + 1)
    escaped = value.replace("''", "'''").replace("${", "''${")
    lines = escaped.split("\n")
    trailing_newline = lines and lines[-1] == ""
    if trailing_newline:
        lines = lines[:-1]
    body = "\n".join((pad + line) if line else "" for line in lines)
    closing = INDENT * indent
    if trailing_newline:
        return f"''\n{body}\n{closing}''"
    return f"''\n{body}{closing}''" if not body else f"''\n{body}''"


def emit(value: NixValue, indent: int = 0) -> str:
    """Nix source for `value`, formatted with two-space indentation."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value >= 0 else f"({value})"
    if isinstance(value, float):
        text = repr(value)
        return text if value >= 0 else f"({text})"
    if isinstance(value, str):
        return string(value, indent)
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, With):
        return f"with {value.scope}; {emit(value.body, indent)}"
    if isinstance(value, Apply):
        args = " ".join(_argument(a, indent) for a in value.args)
        return f"{value.func} {args}"
    if isinstance(value, Function):
        names = (*value.formals, "...") if value.ellipsis else value.formals
        if not names:
            return f"{{ }}: {emit(value.body, indent)}"
        return f"{{ {', '.join(names)} }}:\n{INDENT * indent}{emit(value.body, indent)}"
    if isinstance(value, Lambda):
        if not _IDENT.match(value.param) or value.param in _KEYWORDS:
            raise ValueError(f"not a Nix identifier for a function parameter: {value.param!r}")
        return f"{value.param}: {emit(value.body, indent)}"
    if isinstance(value, Let):
        pad = INDENT * (indent + 1)
        lines = [f"{pad}{identifier_or_string(k)} = {emit(v, indent + 1)};"
                 for k, v in value.bindings.items()]
        return "let\n" + "\n".join(lines) + f"\n{INDENT * indent}in\n{INDENT * indent}" + emit(
            value.body, indent
        )
    if isinstance(value, AttrSet):
        return _attrset(value.entries, indent, value.rec)
    if isinstance(value, Mapping):
        return _attrset(list(value.items()), indent, False)
    if isinstance(value, Sequence):
        return _list(value, indent)
    raise TypeError(f"cannot emit {type(value).__name__} as Nix")


def _argument(value: NixValue, indent: int) -> str:
    text = emit(value, indent)
    needs_parens = isinstance(value, Apply | With | Function | Lambda | Let) or (
        isinstance(value, Raw) and " " in value.text.strip() and not _is_atomic(value.text)
    )
    return f"({text})" if needs_parens else text


def _is_atomic(text: str) -> bool:
    text = text.strip()
    return (text[:1], text[-1:]) in {("(", ")"), ("[", "]"), ("{", "}"), ('"', '"')}


def _attrset(
    entries: Sequence[tuple[str | tuple[str, ...] | Comment, NixValue]], indent: int, rec: bool
) -> str:
    prefix = "rec " if rec else ""
    if not entries:
        return prefix + "{ }"
    pad = INDENT * (indent + 1)
    lines: list[str] = []
    for key, val in entries:
        if isinstance(key, Comment):
            lines.extend(f"{pad}# {line}".rstrip() for line in key.text.splitlines())
            continue
        name = attrpath(key) if isinstance(key, tuple) else identifier_or_string(key)
        lines.append(f"{pad}{name} = {emit(val, indent + 1)};")
    return prefix + "{\n" + "\n".join(lines) + "\n" + INDENT * indent + "}"


def _list(items: Sequence[NixValue], indent: int) -> str:
    if not items:
        return "[ ]"
    rendered = [_argument(item, indent + 1) for item in items]
    if sum(len(r) for r in rendered) < 60 and all("\n" not in r for r in rendered):
        return "[ " + " ".join(rendered) + " ]"
    pad = INDENT * (indent + 1)
    return "[\n" + "\n".join(pad + r for r in rendered) + "\n" + INDENT * indent + "]"
