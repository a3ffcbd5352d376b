"""Values of the configuration model."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


@dataclass(frozen=True)
class SourcePos:
    """A span in a file: 1-based line/column (characters) and the byte range."""

    path: Path
    line: int
    column: int
    end_line: int
    end_column: int
    start_byte: int = 0
    end_byte: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class Context(StrEnum):
    """Which module system a definition belongs to."""

    NIXOS = "nixos"
    HOME_MANAGER = "home-manager"
    DARWIN = "nix-darwin"
    FLAKE = "flake"  # flake.nix outputs/inputs, outside any module
    UNKNOWN = "unknown"


Span = tuple[int, int]  # byte range [start, end) in a file


class FileLines:
    """Turns byte spans of one file into `SourcePos`, on demand: the model keeps spans and
    computes lines and columns only for what is reported."""

    __slots__ = ("index", "path")

    def __init__(self, path: Path, source: bytes) -> None:
        from nqd.nix.parser import LineIndex

        self.path = path
        self.index = LineIndex(source)

    def source_pos(self, start: int, end: int) -> SourcePos:
        line, column = self.index.position(start)
        end_line, end_column = self.index.position(end)
        return SourcePos(self.path, line, column, end_line, end_column, start, end)


@dataclass(frozen=True)
class OptionDef:
    """`path = value` as the module system sees it.

    `path` is the full option path (nested sets and dotted paths joined, mk* wrappers and
    `config = ...` unwrapped); `None` parts are dynamic (`${...}`). `first_part` is the index
    in `path` where this binding's own attrpath starts (parts before it come from enclosing
    sets), so a binding "covers" a path P when `first_part < len(P) <= len(path)`.
    The model holds spans, not syntax nodes, so that it can be built in worker processes;
    `fix` re-parses a file to edit it.
    """

    path: tuple[str | None, ...]
    context: Context
    pos_span: Span  # this binding's part of the attrpath
    binding_span: Span  # the whole `a.b = value;` binding
    attr_spans: tuple[Span, ...]  # each part of path, across nested sets
    value_span: Span  # the unwrapped value expression
    value_type: str  # grammar node type of the unwrapped value, e.g. "string_expression"
    literal: str | bool | int | None  # the value when it is a literal string/bool/int
    first_part: int = 0
    wrappers: tuple[str, ...] = ()  # mkIf/mkForce/... between the binding and the value
    is_set: bool = False  # the value is an attrset whose bindings are recorded too
    lines: FileLines | None = field(default=None, compare=False, repr=False)

    @property
    def pos(self) -> SourcePos:
        """Where this binding's attrpath is written."""
        assert self.lines is not None
        return self.lines.source_pos(*self.pos_span)

    @property
    def dotted(self) -> str:
        return ".".join(p if p is not None else "<dynamic>" for p in self.path)

    def startswith(self, prefix: tuple[str, ...]) -> bool:
        return self.path[: len(prefix)] == prefix

    def covers(self, prefix: tuple[str, ...]) -> bool:
        """This binding is where `prefix` is (first) written, dotted or nested."""
        return self.first_part < len(prefix) <= len(self.path) and self.startswith(prefix)


@dataclass(frozen=True)
class PackageRef:
    """A reference to a package attribute: `pkgs.foo`, `pkgs.python3Packages.foo`, or `foo`
    inside `with pkgs;`. `attr` is the path below `pkgs` (e.g. `python3Packages.foo`)."""

    attr: str
    lines: FileLines = field(compare=False, repr=False)
    span: Span  # the reference's text (`pkgs.foo` or `foo`)
    via_with: bool
    context: Context
    via_inherit: bool = False  # `inherit (pkgs) foo;`: the binding's name is the old name too
    via_argument: bool = False  # `{ foo, ... }:` of a file callPackage fills by name

    @property
    def pos(self) -> SourcePos:
        return self.lines.source_pos(*self.span)


@dataclass(frozen=True)
class ReadRef:
    """A read-side reference: `config.services.x.y` (kind "config") or `pkgs.system`."""

    kind: str  # "config" or "pkgs"
    path: tuple[str, ...]
    lines: FileLines = field(compare=False, repr=False)
    span: Span
    context: Context
    via_inherit: bool = False  # `inherit (pkgs) system;`
    base: str = "pkgs"  # the package set as written: `prev` in an overlay's `prev.system`

    @property
    def pos(self) -> SourcePos:
        return self.lines.source_pos(*self.span)


@dataclass(frozen=True)
class FlakeInput:
    """A flake input's url, with the ref/branch it pins."""

    name: str
    url: str
    pos: SourcePos
    span: Span  # the string expression holding the url
    owner_repo: str | None  # e.g. "NixOS/nixpkgs"
    ref: str | None  # e.g. "nixos-25.05"


@dataclass(frozen=True)
class LockedInput:
    """An input's `original.ref` from flake.lock, and the version it is locked to where the
    locked URL names one (FlakeHub's `.../0.2505.812345+rev-.../source.tar.gz`)."""

    name: str
    owner_repo: str | None
    ref: str | None
    path: Path
    locked_ref: str | None = None


@dataclass(frozen=True)
class FetchedSource:
    """`builtins.fetchTarball` or `builtins.fetchGit` of a static URL: a source pinned in a
    `.nix` file, as configurations without a flake pin Home Manager (or nixpkgs)."""

    function: str  # "fetchTarball" or "fetchGit"
    url: str
    owner_repo: str | None
    ref: str | None  # the branch in the URL, or fetchGit's `ref`
    pos: SourcePos  # the string (or URI) that names the branch: the URL, or the `ref`
    hashed: bool  # a sha256/hash/narHash/rev is given: it must change with the branch


@dataclass(frozen=True)
class PinnedSource:
    """A source pinned by niv (`nix/sources.json`) or npins (`npins/sources.json`): the
    branch or channel it follows, and where that is written."""

    tool: str  # "niv" or "npins"
    name: str
    owner_repo: str | None
    ref: str | None  # the branch, or the channel name of an npins channel pin
    channel: bool  # an npins channel pin (`npins add channel`)
    pos: SourcePos


@dataclass(frozen=True)
class Diagnostic:
    """A problem with the input itself (syntax error, unreadable file, missing import)."""

    code: str  # "syntax-error", "unreadable", "binary", "missing-import", ...
    message: str
    path: Path
    pos: SourcePos | None = None


@dataclass
class FileModel:
    """What one parsed file contributes."""

    path: Path
    source: bytes
    context: Context
    options: list[OptionDef] = field(default_factory=list)
    packages: list[PackageRef] = field(default_factory=list)
    reads: list[ReadRef] = field(default_factory=list)
    flake_inputs: list[FlakeInput] = field(default_factory=list)
    fetched: list[FetchedSource] = field(default_factory=list)


@dataclass
class ConfigModel:
    """The whole configuration: every file, its definitions, and problems found reading it."""

    roots: list[Path]
    files: dict[Path, FileModel] = field(default_factory=dict)
    locked_inputs: list[LockedInput] = field(default_factory=list)
    pinned_sources: list[PinnedSource] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Definitions by their first path element, and by their first two.
    _by_root: dict[tuple[str | None, ...], list[OptionDef]] | None = field(default=None,
                                                                          repr=False)

    def options(self, context: Context | None = None) -> list[OptionDef]:
        return [
            o for f in self.files.values() for o in f.options
            if context is None or o.context == context
        ]

    def packages(self) -> list[PackageRef]:
        return [p for f in self.files.values() for p in f.packages]

    def reads(self) -> list[ReadRef]:
        return [r for f in self.files.values() for r in f.reads]

    def flake_inputs(self) -> list[FlakeInput]:
        return [i for f in self.files.values() for i in f.flake_inputs]

    def fetched_sources(self) -> list[FetchedSource]:
        return [s for f in self.files.values() for s in f.fetched]

    def defines(self, path: tuple[str, ...], context: Context | None = None) -> list[OptionDef]:
        """Definitions at `path` or below it."""
        if not path:
            return self.options(context)
        if self._by_root is None:
            by_root: dict[tuple[str | None, ...], list[OptionDef]] = {}
            for option in self.options():
                if option.path:
                    by_root.setdefault(option.path[:1], []).append(option)
                if len(option.path) > 1:
                    by_root.setdefault(option.path[:2], []).append(option)
            self._by_root = by_root
        return [o for o in self._by_root.get(path[:2], ())
                if o.startswith(path) and (context is None or o.context == context)]

    def state_version(self, context: Context) -> tuple[str, OptionDef] | None:
        """The literal stateVersion of a context (`system.stateVersion`/`home.stateVersion`)."""
        path = ("system", "stateVersion") if context != Context.HOME_MANAGER \
            else ("home", "stateVersion")
        for option in self.options(context):
            if option.path == path and isinstance(option.literal, str):
                return option.literal, option
        return None
