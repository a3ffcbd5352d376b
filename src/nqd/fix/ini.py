"""Parse INI-style free text (systemd `Key=Value` lines, git config) into typed values.

Used by the RFC 42 conversions. Anything it does not fully understand raises
`Unconvertible` with the reason: a conversion is all or nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SECTION = re.compile(r'^\[\s*([A-Za-z0-9_.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]$')
_INT = re.compile(r"^-?[0-9]+$")
_TRUE = frozenset({"yes", "true", "on"})
_FALSE = frozenset({"no", "false", "off"})

Value = str | bool | int


class Unconvertible(ValueError):
    """The text cannot be converted mechanically."""


@dataclass(frozen=True)
class IniLine:
    """One `key = value` (or a comment) of a section."""

    section: tuple[str, ...]  # ("Login",) or ("url", "ssh://host")
    key: str | None  # None: a comment line
    value: Value
    comment: str = ""


def typed(text: str) -> Value:
    """`yes`/`no` → bool, digits → int, anything else stays a string."""
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    if _INT.match(text) and (text == "0" or not text.lstrip("-").startswith("0")):
        return int(text)
    return text


def parse_systemd(text: str, default_section: str) -> list[IniLine]:
    """`Key=Value` lines of a systemd configuration file (no line continuations)."""
    lines: list[IniLine] = []
    section = (default_section,)
    seen: set[tuple[tuple[str, ...], str]] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line[0] in "#;":
            lines.append(IniLine(section, None, "", line[1:].strip()))
            continue
        header = _SECTION.match(line)
        if header and not header.group(2):
            section = (header.group(1),)
            continue
        if line.endswith("\\"):
            raise Unconvertible(f"line {number} continues on the next line")
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", key):
            raise Unconvertible(f"line {number} is not `Key=Value`: {line!r}")
        if (section, key) in seen:
            raise Unconvertible(f"{key} is set twice")
        seen.add((section, key))
        lines.append(IniLine(section, key, typed(value.strip())))
    return lines


def parse_git(text: str) -> list[IniLine]:
    """A git config text: `[section]`/`[section "sub"]` headers and `key = value` lines."""
    lines: list[IniLine] = []
    section: tuple[str, ...] | None = None
    seen: set[tuple[tuple[str, ...], str]] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line[0] in "#;":
            lines.append(IniLine(section or (), None, "", line[1:].strip()))
            continue
        header = _SECTION.match(line)
        if header:
            sub = header.group(2)
            section = (header.group(1),) if sub is None else (header.group(1), sub)
            continue
        if section is None:
            raise Unconvertible(f"line {number} is outside any [section]")
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not re.match(r"^[A-Za-z][A-Za-z0-9-]*$", key) or (sep and not value):
            raise Unconvertible(f"line {number} is not `key = value`: {line!r}")
        if any(c in value for c in "\\;#") or value.count('"') not in (0, 2):
            raise Unconvertible(f"line {number} uses git quoting or an inline comment")
        if value.startswith('"') and value.endswith('"'):
            value = value[1:-1]
        if (section, key) in seen:
            raise Unconvertible(f"{'.'.join(section)}.{key} is set twice (a multi-value key)")
        seen.add((section, key))
        lines.append(IniLine(section, key, typed(value) if sep else True))
    return lines
