"""Bump a flake's release-pinned inputs (`nixos-25.05` → `nixos-25.11`) through the syntax tree.

Only `inputs.<name>.url` bindings with a static string value are touched, and inside
them only the release number of a branch ref (`nixos-YY.MM`, `nixos-YY.MM-small`,
`nixpkgs-YY.MM-darwin`, `release-YY.MM`, `nix-darwin-YY.MM`, a channel tarball's
`nixos-YY.MM`) or a FlakeHub version (`0.YYMM`, `0.YYMM.*`; a pinned `=0.YYMM.N` becomes
`0.YYMM`, the newest of the new release, since its patch number means nothing there).
Everything else in the file keeps its bytes. The URL value (not the Nix source) is
matched with a pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nqd.errors import InputError, NqdError
from nqd.fsutil import atomic_write
from nqd.nix import syntax
from nqd.nix.edits import Edit, apply_edits
from nqd.nix.parser import Node, column_of, parse
from nqd.releases import Release

# A branch name carrying a release, bounded by URL separators.
_BRANCH = re.compile(
    r"(?<![A-Za-z0-9.])(?P<branch>nixos|nixpkgs|release|nix-darwin)-(?P<release>\d{2}\.\d{2})"
    r"(?=$|[-/?&#]|\.tar\b|\.zip\b)"  # GitHub archives: .../release-25.05.tar.gz
)
# A FlakeHub version in a `flakehub.com/f/OWNER/REPO/VERSION` path segment.
_FLAKEHUB_VERSION = re.compile(
    r"(?<=/)(?P<version>[=~^]?0\.(?P<release>\d{2}(?:05|11))(?P<patch>\.\d+)?)(?=$|[./?#])"
)
_ATTRSETS = ("attrset_expression", "rec_attrset_expression")


@dataclass(frozen=True)
class InputBump:
    """One input whose URL moves to the target release."""

    input: str
    old_url: str
    new_url: str
    line: int
    edits: tuple[Edit, ...]


def flake_file(path: Path) -> Path:
    """`path` itself when it is a file, else `path/flake.nix`."""
    path = Path(path)
    return path if path.is_file() else path / "flake.nix"


def plan_input_bumps(path: Path, source: bytes, target: Release) -> list[InputBump]:
    """The bumps that move the release-pinned inputs of nixpkgs, Home Manager and
    nix-darwin in `source` to `target`. Inputs pinned to an older release than the one
    `inputs.nixpkgs` pins are kept on purpose (a second, older nixpkgs for one package)
    and left alone, as are other repositories' branches."""
    parsed = parse(source)
    if parsed.has_errors:
        problem = parsed.problems(1)[0]
        raise InputError(f"{path}:{problem.line}:{problem.column}: {problem.message}")
    top = _top_attrset(parsed.root)
    if top is None:
        return []
    pinned: list[tuple[str, Node, Release]] = []
    for names, value in _bindings_with_paths(top, ()):
        if len(names) != 3 or names[0] != "inputs" or names[2] != "url" or names[1] is None:
            continue
        release = _pinned_release(value)
        if release is not None:
            pinned.append((names[1], value, release))
    since = next((release for name, _, release in pinned if name == "nixpkgs"), None)
    bumps = []
    for name, value, release in pinned:
        if since is not None and release < since:
            continue
        bump = _bump_url(path, source, name, value, target)
        if bump is not None:
            bumps.append(bump)
    return bumps


def _pinned_release(value: Node) -> Release | None:
    """The release a static input URL of nixpkgs, Home Manager or nix-darwin pins."""
    from nqd.analysis.releases import RELEASE_REPOS, release_of_ref
    from nqd.model.flake_url import parse_flake_url

    url = syntax.static_string(value) if value is not None else None
    if url is None:
        return None
    owner_repo, ref = parse_flake_url(url)
    if (owner_repo or "").lower() not in RELEASE_REPOS:
        return None
    return release_of_ref(ref)


def bumped_source(path: Path, source: bytes, target: Release) -> bytes:
    """`source` with its inputs bumped to `target` (idempotent)."""
    edits = [e for bump in plan_input_bumps(path, source, target) for e in bump.edits]
    return apply_edits(source, edits)


def bump_flake(path: Path, target: Release, *, write: bool = True) -> list[InputBump]:
    """Bump the inputs of the flake at `path` (a directory or its flake.nix) to `target`.

    Writes the file atomically (keeping its mode) when `write` and anything changed.
    """
    file = flake_file(path)
    try:
        source = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror or exc}") from exc
    bumps = plan_input_bumps(file, source, target)
    if write and bumps:
        atomic_write(file, apply_edits(source, [e for b in bumps for e in b.edits]))
    return bumps


def _top_attrset(root: Node) -> Node | None:
    node = root.child_by_field_name("expression")  # not a leading comment
    if node is None:
        node = next((c for c in root.named_children if c.type != "comment"), None)
    while node is not None:
        node = syntax.strip_parens(node)
        if node.type in _ATTRSETS:
            return node
        if node.type == "let_expression":
            node = node.child_by_field_name("body")
        else:
            return None
    return None


def _bindings_with_paths(
    attrset: Node, prefix: tuple[str | None, ...]
) -> Iterator[tuple[tuple[str | None, ...], Node]]:
    for binding in syntax.bindings(attrset):
        if binding.type != "binding":
            continue
        names = (*prefix, *syntax.attrpath_names(syntax.binding_attrpath(binding)))
        value = syntax.strip_parens(syntax.binding_value(binding))
        yield names, value
        if value is not None and value.type in _ATTRSETS:
            yield from _bindings_with_paths(value, names)


def _bump_url(
    path: Path, source: bytes, name: str, value: Node, target: Release
) -> InputBump | None:
    url = syntax.static_string(value)
    if url is None or value.type != "string_expression":
        return None
    edits = literal_release_edits(path, value, target)
    if not edits:
        return None
    line, _ = column_of(source, value.start_byte)
    return InputBump(name, url, bumped_url(url, target), line, tuple(edits))


def literal_release_edits(path: Path, literal: Node, target: Release) -> list[Edit]:
    """Edits moving each release older than `target` named in a string literal's text
    (or a URI literal's) to `target`; escapes and interpolations are left alone."""
    pieces = [literal] if literal.type == "uri_expression" else \
        [f for f in literal.named_children if f.type == "string_fragment"]
    edits: list[Edit] = []
    for piece in pieces:
        text = piece.text.decode("utf-8", "replace")
        for start, end, replacement in _stale_releases(text, target):
            byte_start = piece.start_byte + len(text[:start].encode())
            edits.append(Edit(path, byte_start, byte_start + len(text[start:end].encode()),
                              replacement))
    return edits


def bumped_url(url: str, target: Release) -> str:
    """`url` with the release of each release branch in it older than `target` moved to
    `target` (`.../nixos-25.05` → `.../nixos-25.11`)."""
    for start, end, replacement in reversed(_stale_releases(url, target)):
        url = url[:start] + replacement + url[end:]
    return url


def _stale_releases(text: str, target: Release) -> list[tuple[int, int, str]]:
    """Character spans of releases older than `target` in branch names and FlakeHub
    versions, each with its replacement."""
    spans = []
    for match in _BRANCH.finditer(text):
        try:
            current = Release.parse(match.group("release"))
        except NqdError:
            continue
        if current < target:
            spans.append((*match.span("release"), str(target)))
    if "flakehub.com/" in text:
        for match in _FLAKEHUB_VERSION.finditer(text):
            digits = match.group("release")
            if Release.parse(f"{digits[:2]}.{digits[2:]}") >= target:
                continue
            new = f"{target.year:02d}{target.month:02d}"
            if match.group("patch") or match.group("version")[0] in "=~^":
                spans.append((*match.span("version"), f"0.{new}"))
            else:
                spans.append((*match.span("release"), new))
    return sorted(spans)
