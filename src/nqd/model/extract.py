"""Per-file extraction: one parsed Nix file → the facts it contributes (`FileFacts`).

Pure and picklable, so that large trees can be extracted in worker processes. Definitions
whose context depends on who imports the file carry `Context.UNKNOWN`; the builder
replaces it with the file's context once the import graph is known.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nqd.model.flake_url import parse_flake_url
from nqd.model.interest import Interest
from nqd.model.references import ReferenceFinder
from nqd.model.types import (
    Context,
    FetchedSource,
    FileLines,
    FlakeInput,
    OptionDef,
    PackageRef,
    ReadRef,
    SourcePos,
    Span,
)
from nqd.nix.parser import Node, ParsedFile, SyntaxProblem, captures, parse
from nqd.nix.syntax import (
    MODULE_WRAPPERS,
    application,
    attr_name,
    attrpath_names,
    bindings,
    first_name,
    function_name,
    static_string,
    strip_parens,
)

_ATTRSETS = ("attrset_expression", "rec_attrset_expression")
_NOT_DEFINITIONS = frozenset({"options", "meta", "disabledModules", "_file", "key", "freeformType"})
_MODULE_LIST_CALLS = {
    "nixosSystem": Context.NIXOS,
    "darwinSystem": Context.DARWIN,
    "homeManagerConfiguration": Context.HOME_MANAGER,
}
_MODULE_LIST_WORDS = tuple(name.encode() for name in _MODULE_LIST_CALLS)
# `fetchTarball x`, `builtins.fetchGit { ... }` anywhere in a file.
_FETCH_QUERY = """
((apply_expression function: (_) @fn) @call
 (#match? @fn "^(builtins\\.)?fetch(Tarball|Git)$"))
"""
_HASH_ATTRS = frozenset({"sha256", "hash", "narHash", "rev"})
@dataclass(frozen=True)
class ImportRef:
    """`imports = [ ./x.nix ]` (or a module list entry): where it points and from where."""

    target: Path  # resolved (symlinks followed) when the file was read
    pos: SourcePos
    context: Context  # UNKNOWN: the importing file's context
    written: str  # the path as written, relative to the importing file (`./x.nix`)


@dataclass
class FileFacts:
    path: Path
    source: bytes
    problems: list[SyntaxProblem] = field(default_factory=list)
    options: list[OptionDef] = field(default_factory=list)
    packages: list[PackageRef] = field(default_factory=list)
    reads: list[ReadRef] = field(default_factory=list)
    flake_inputs: list[FlakeInput] = field(default_factory=list)
    imports: list[ImportRef] = field(default_factory=list)
    fetched: list[FetchedSource] = field(default_factory=list)
    is_flake: bool = False
    # First names of the module's definitions (`boot`, `home`, ...), for guessing the
    # context of a file nobody imports; recorded in lite mode too.
    top_roots: list[str] = field(default_factory=list)
    lite: bool = False  # definitions and references were not recorded (see model.interest)
    unanalysed: str | None = None  # why nothing beyond syntax was recorded (too deep)


def set_context(value: OptionDef | PackageRef | ReadRef, context: Context) -> None:
    """Give a freshly extracted value its context once the import graph knows it.

    The values are frozen for every reader; this is only called on values that the
    extraction just created and no one else holds yet (dataclasses.replace costs ~30x).
    """
    object.__setattr__(value, "context", context)


def extract_file(path: Path, source: bytes, interest: Interest | None = None) -> FileFacts:
    """Parse `source` and extract everything the model needs from it; with an `interest`
    that the file does not meet, only syntax problems, imports and top-level names."""
    parsed = parse(source)
    facts = FileFacts(path=path, source=source, is_flake=path.name == "flake.nix")
    facts.lite = interest is not None and not facts.is_flake and not interest.wants(source)
    if parsed.has_errors:
        facts.problems = parsed.problems()
        return facts
    try:
        _Extractor(parsed, facts).run()
    except RecursionError:  # nesting deeper than the interpreter's stack: syntax only
        unanalysed = FileFacts(path=path, source=source, is_flake=facts.is_flake,
                               lite=facts.lite)
        unanalysed.unanalysed = "nested too deeply to analyse; only its syntax was checked"
        return unanalysed
    return facts


class _Extractor:
    def __init__(self, parsed: ParsedFile, facts: FileFacts) -> None:
        self.source = parsed.source
        self.root = parsed.root
        self.facts = facts
        # Byte ranges of module code with an explicit context (home-manager.users.<n>,
        # inline modules of nixosSystem/homeManagerConfiguration): references inside them
        # take that context.
        self.context_spans: list[tuple[int, int, Context]] = []
        self.lines = FileLines(facts.path, parsed.source)

    # -- positions -----------------------------------------------------------------------
    def pos(self, start: int, end: int) -> SourcePos:
        return self.lines.source_pos(start, end)

    def node_pos(self, node: Node) -> SourcePos:
        return self.pos(node.start_byte, node.end_byte)

    # -- entry ---------------------------------------------------------------------------
    def run(self) -> None:
        top = self.root.child_by_field_name("expression") or (
            self.root.named_children[0] if self.root.named_children else None
        )
        if top is None:
            return
        if self.facts.is_flake:
            body = _module_body(top)
            if body is not None and body.type in _ATTRSETS:
                for binding in bindings(body):
                    self.binding(binding, (), (), Context.FLAKE)
            self.collect_flake_inputs()
        else:
            self.module(top, Context.UNKNOWN)
        self.module_lists()
        if not self.facts.lite and (b"fetchTarball" in self.source or b"fetchGit" in self.source):
            self.fetched_sources()
        if not self.facts.lite:
            finder = ReferenceFinder(self.lines, self.facts.packages, self.facts.reads)
            finder.arguments(top)
            finder.walk(top)
            self.assign_reference_contexts()

    def assign_reference_contexts(self) -> None:
        if not self.context_spans:
            return
        spans = sorted(self.context_spans, key=lambda s: s[1] - s[0])  # innermost first

        def context_at(span: Span) -> Context:
            for start, end, context in spans:
                if start <= span[0] and span[1] <= end:
                    return context
            return Context.UNKNOWN

        refs: list[PackageRef | ReadRef] = [*self.facts.packages, *self.facts.reads]
        for ref in refs:
            set_context(ref, context_at(ref.span))

    # -- modules -------------------------------------------------------------------------
    def module(self, expr: Node, context: Context) -> None:
        """A module: a path (import), `import ./x`, a function or an attrset."""
        expr = strip_parens(expr)
        if expr is None:
            return
        written = self.import_target(expr)
        if written is not None:
            target = resolve_import(self.facts.path, written)
            self.facts.imports.append(ImportRef(target, self.node_pos(expr), context, written))
            return
        if context is not Context.UNKNOWN:
            self.context_spans.append((expr.start_byte, expr.end_byte, context))
        body = _module_body(expr)
        if body is None or body.type not in _ATTRSETS:
            return
        named = [(b, name) for b in bindings(body) if (name := first_name(b)) is not None]
        full_form = any(name in ("config", "options") for _, name in named)
        if context is Context.UNKNOWN:
            self.facts.top_roots.extend(_definition_roots(named, full_form))
        # Lite files record no definitions; only imports (and Home Manager modules, which
        # give imported files their context) are followed.
        imports_only = self.facts.lite and b"home-manager" not in self.source
        if imports_only and b"imports" not in self.source:
            return
        for binding, name in named:
            names = _names(binding)
            if names == ["imports"]:
                self.imports(binding.child_by_field_name("expression"), context)
            elif imports_only:
                continue
            elif full_form:
                if name == "config":
                    self.binding(binding, (), (), context, skip=1)
            elif name not in _NOT_DEFINITIONS:
                self.binding(binding, (), (), context)

    def imports(self, expr: Node, context: Context) -> None:
        expr = strip_parens(expr)
        if expr is None or expr.type != "list_expression":
            return
        for element in expr.named_children:
            self.module(element, context)

    def import_target(self, expr: Node) -> str | None:
        """`./x.nix`, `import ./x.nix`, `(import ./x.nix)` → the path as written."""
        expr = strip_parens(expr)
        if expr.type == "apply_expression":
            func, args = application(expr)
            if function_name(func) == "import" and len(args) >= 1:
                expr = strip_parens(args[0])
        if expr.type != "path_expression":
            return None
        text = self.source[expr.start_byte : expr.end_byte].decode("utf-8", "replace")
        if "${" in text or not (text.startswith("./") or text.startswith("../")):
            return None
        return text

    def module_lists(self) -> None:
        """`nixosSystem { modules = [ ... ]; }` and friends, anywhere in the file."""
        if not any(word in self.source for word in _MODULE_LIST_WORDS):
            return  # a byte prefilter only: the tree below decides
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node.type == "apply_expression":
                func, args = application(node)
                context = _MODULE_LIST_CALLS.get(function_name(func) or "")
                if context is not None and args:
                    arg = strip_parens(args[-1])
                    if arg.type in _ATTRSETS:
                        for binding in bindings(arg):
                            if binding.type == "binding" and _names(binding) == ["modules"]:
                                self.imports(binding.child_by_field_name("expression"), context)
            stack.extend(node.named_children)

    def fetched_sources(self) -> None:
        """`builtins.fetchTarball "URL"`, `fetchTarball { url = "URL"; sha256 = ...; }`,
        `builtins.fetchGit { url = "URL"; ref = "BRANCH"; }` with static strings (or URI
        literals)."""
        calls = captures(_FETCH_QUERY, self.root).get("call", [])
        for call in sorted(calls, key=lambda node: node.start_byte):
            func, args = application(call)
            if not args:
                continue
            function = "fetchGit" if (function_name(func) or "").endswith("fetchGit") \
                else "fetchTarball"
            arg = strip_parens(args[0])
            url_node, ref_node, hashed = arg, None, False
            if arg is not None and arg.type in _ATTRSETS:
                named = {first_name(b): b.child_by_field_name("expression")
                         for b in bindings(arg) if b.type == "binding"}
                url_node, ref_node = named.get("url"), named.get("ref")
                hashed = bool(_HASH_ATTRS & named.keys())
            url = _static_text(url_node)
            if url is None:
                continue
            owner_repo, ref = parse_flake_url(url)
            pos_node = url_node
            written_ref = _static_text(ref_node)
            if written_ref is not None:
                ref, pos_node = written_ref.removeprefix("refs/heads/"), ref_node
            self.facts.fetched.append(FetchedSource(function, url, owner_repo, ref,
                                                    self.node_pos(pos_node), hashed))

    # -- definitions ---------------------------------------------------------------------
    def binding(
        self,
        binding: Node,
        prefix: tuple[str | None, ...],
        prefix_spans: tuple[Span, ...],
        context: Context,
        skip: int = 0,
    ) -> None:
        if binding.type == "inherit" or binding.type == "inherit_from":
            self.inherit(binding, prefix, prefix_spans, context)
            return
        if binding.type != "binding":
            return
        attrpath = binding.child_by_field_name("attrpath")
        parts = attrpath.children_by_field_name("attr")[skip:]
        path = prefix + tuple(attr_name(p) for p in parts)
        spans = prefix_spans + tuple((p.start_byte, p.end_byte) for p in parts)
        if not parts:  # `config = { ... };` in a full-form module
            self.values(binding.child_by_field_name("expression"), path, spans, context,
                        binding, len(prefix), ())
            return
        self.values(binding.child_by_field_name("expression"), path, spans, context, binding,
                    len(prefix), ())

    def inherit(
        self, node: Node, prefix: tuple[str | None, ...], prefix_spans: tuple[Span, ...],
        context: Context,
    ) -> None:
        attrs = node.child_by_field_name("attrs")
        if attrs is None:
            return
        for attr in attrs.named_children:
            if attr.is_missing:  # `inherit (x);` names nothing
                continue
            name = attr_name(attr)
            span = (attr.start_byte, attr.end_byte)
            self.facts.options.append(OptionDef(
                path=(*prefix, name), context=context, pos_span=span, lines=self.lines,
                binding_span=(node.start_byte, node.end_byte), attr_spans=(*prefix_spans, span),
                value_span=span, value_type="inherit", literal=None, first_part=len(prefix),
            ))

    def values(
        self,
        value: Node,
        path: tuple[str | None, ...],
        spans: tuple[Span, ...],
        context: Context,
        binding: Node,
        first_part: int,
        wrappers: tuple[str, ...],
    ) -> None:
        """Record `path = value` and descend into attrsets, through mk* wrappers."""
        value = strip_parens(value)
        if value is None:
            return
        output = _module_output(path) if context in (Context.FLAKE, Context.UNKNOWN) else None
        if output is not None:  # `nixosModules.desktop = { pkgs, ... }: { ... };`
            self.module(value, output)
            return
        if context is Context.FLAKE and path == ("outputs",):
            self.flake_outputs(value)
            return
        if self.facts.lite and path[:1] != ("home-manager",):
            return  # lite: only follow where Home Manager modules may be imported
        if context in (Context.NIXOS, Context.UNKNOWN) and len(path) >= 2 \
                and path[:2] == ("home-manager", "users") and len(path) >= 3:
            self.home_manager_user(value, path, spans, binding, first_part, wrappers)
            return
        nixos_like = context in (Context.NIXOS, Context.UNKNOWN)
        if nixos_like and path == ("home-manager", "sharedModules"):
            self.imports(value, Context.HOME_MANAGER)
        if value.type == "apply_expression":
            func, args = application(value)
            name = function_name(func)
            merged = strip_parens(args[0]) if name == "mkMerge" and len(args) == 1 else None
            if merged is not None and merged.type == "list_expression":
                for element in merged.named_children:
                    self.values(element, path, spans, context, binding, first_part,
                                (*wrappers, "mkMerge"))
                return
            if name in MODULE_WRAPPERS and len(args) == MODULE_WRAPPERS[name] + 1:
                self.values(args[-1], path, spans, context, binding, first_part,
                            (*wrappers, name))
                return
        body = value
        while body.type in ("let_expression", "with_expression"):
            body = strip_parens(body.child_by_field_name("body"))
        is_set = body.type in _ATTRSETS
        if path and not self.facts.lite:
            self.facts.options.append(OptionDef(
                path=path, context=context,
                pos_span=(spans[first_part][0] if first_part < len(spans)
                          else binding.start_byte, spans[-1][1]), lines=self.lines,
                binding_span=(binding.start_byte, binding.end_byte), attr_spans=spans,
                value_span=(value.start_byte, value.end_byte), value_type=value.type,
                literal=_literal(value), first_part=first_part, wrappers=wrappers,
                is_set=is_set,
            ))
        if is_set:
            for inner in bindings(body):
                self.binding(inner, path, spans, context)
        elif body.type == "binary_expression" and _operator(body) == "//":
            for side in ("left", "right"):
                operand = strip_parens(body.child_by_field_name(side))
                if operand is not None and operand.type in _ATTRSETS:
                    for inner in bindings(operand):
                        self.binding(inner, path, spans, context)

    def flake_outputs(self, value: Node) -> None:
        """A flake's `outputs`: through its function, `let` and `with`, the set of outputs
        (where `nixosModules.<name>` and friends are modules), or flake-parts' `mkFlake
        { ... } module` (whose `flake.modules.nixos.<name>` are)."""
        body = value
        for _ in range(20):
            body = strip_parens(body)
            if body is None or body.type not in ("function_expression", "let_expression",
                                                 "with_expression"):
                break
            body = body.child_by_field_name("body")
        if body is None:
            return
        if body.type in _ATTRSETS:
            for inner in bindings(body):
                self.binding(inner, (), (), Context.FLAKE)
        elif body.type == "apply_expression":
            func, args = application(body)
            if function_name(func) == "mkFlake" and args:
                self.module(args[-1], Context.UNKNOWN)

    def home_manager_user(
        self, value: Node, path: tuple[str | None, ...], spans: tuple[Span, ...], binding: Node,
        first_part: int, wrappers: tuple[str, ...],
    ) -> None:
        """`home-manager.users.<name>...`: a Home Manager module, paths relative to the user."""
        rest, rest_spans = path[3:], spans[3:]
        self.context_spans.append((value.start_byte, value.end_byte, Context.HOME_MANAGER))
        if not rest:
            self.module(value, Context.HOME_MANAGER)
            return
        if rest == ("imports",):
            self.imports(value, Context.HOME_MANAGER)
            return
        self.values(value, rest, rest_spans, Context.HOME_MANAGER, binding,
                    max(0, first_part - 3), wrappers)

    # -- flake inputs --------------------------------------------------------------------
    def collect_flake_inputs(self) -> None:
        for option in self.facts.options:
            if len(option.path) == 3 and option.path[0] == "inputs" and option.path[2] == "url" \
                    and isinstance(option.literal, str) and option.path[1] is not None:
                owner_repo, ref = parse_flake_url(option.literal)
                self.facts.flake_inputs.append(FlakeInput(
                    name=option.path[1], url=option.literal,
                    pos=self.pos(*option.value_span), span=option.value_span,
                    owner_repo=owner_repo, ref=ref,
                ))


# Flake outputs and flake-parts options whose values are modules, by module system.
_MODULE_SETS = {"nixosModules": Context.NIXOS, "homeManagerModules": Context.HOME_MANAGER,
                "homeModules": Context.HOME_MANAGER, "darwinModules": Context.DARWIN}
_SINGLE_MODULES = {"nixosModule": Context.NIXOS, "homeManagerModule": Context.HOME_MANAGER,
                   "darwinModule": Context.DARWIN}
_FLAKE_PARTS_CLASSES = {"nixos": Context.NIXOS, "homeManager": Context.HOME_MANAGER,
                        "darwin": Context.DARWIN}


def _module_output(path: tuple[str | None, ...]) -> Context | None:
    """The module system of a module defined at `path`: `nixosModules.<name>`,
    `homeModules.<name>`, `darwinModule`, flake-parts' `flake.modules.nixos.<name>`..."""
    if len(path) >= 2 and path[-2] in _MODULE_SETS and path[-1] is not None:
        return _MODULE_SETS[str(path[-2])]
    if path and path[-1] in _SINGLE_MODULES:
        return _SINGLE_MODULES[str(path[-1])]
    if len(path) >= 4 and path[-4:-2] == ("flake", "modules") \
            and path[-2] in _FLAKE_PARTS_CLASSES and path[-1] is not None:
        return _FLAKE_PARTS_CLASSES[str(path[-2])]
    return None


def resolve_import(importer: Path, written: str) -> Path:
    """Where an import written in `importer` points, symlinks resolved."""
    return Path(os.path.realpath(os.path.join(importer.parent, written)))


def _module_body(expr: Node) -> Node | None:
    """The attrset of a module, through `{ ... }:`, `let ... in`, `with lib;` and parens."""
    expr = strip_parens(expr)
    for _ in range(20):
        if expr is None:
            return None
        if expr.type == "function_expression" or expr.type in ("let_expression", "with_expression"):
            expr = strip_parens(expr.child_by_field_name("body"))
        else:
            return expr
    return None


def _definition_roots(named: list[tuple[Node, str]], full_form: bool) -> list[str]:
    """First names of a module's definitions (`named`: its bindings and their first names),
    through `config = mkIf c { ... }` and `mkMerge [ ... ]` in full-form modules."""
    roots: list[str] = []
    for binding, name in named:
        if not full_form:
            if name not in _NOT_DEFINITIONS and name != "imports":
                roots.append(name)
            continue
        if name != "config":
            continue
        names = _names(binding)
        if len(names) > 1 and names[1] is not None:
            roots.append(names[1])
            continue
        pending = [binding.child_by_field_name("expression")]
        while pending:
            value = strip_parens(pending.pop())
            if value is None:
                continue
            if value.type == "apply_expression":
                func, args = application(value)
                fname = function_name(func)
                if fname == "mkMerge" and args and strip_parens(args[0]).type == "list_expression":
                    pending.extend(strip_parens(args[0]).named_children)
                elif fname in MODULE_WRAPPERS and len(args) == MODULE_WRAPPERS[fname] + 1:
                    pending.append(args[-1])
            elif value.type in _ATTRSETS:
                roots.extend(n for b in bindings(value) if (n := first_name(b)) is not None)
    return roots


def _static_text(node: Node | None) -> str | None:
    """A string literal's value, or a URI literal's text (`fetchTarball https://...;`)."""
    node = strip_parens(node) if node is not None else None
    if node is None:
        return None
    if node.type == "uri_expression":
        return str(node.text.decode("utf-8", "replace"))
    return static_string(node)


def _names(binding: Node) -> list[str | None]:
    return attrpath_names(binding.child_by_field_name("attrpath"))


def _operator(node: Node) -> str:
    op = node.child_by_field_name("operator")
    return op.text.decode() if op is not None else ""


def _literal(node: Node) -> str | bool | int | None:
    if node.type in ("string_expression", "indented_string_expression"):
        value: str | None = static_string(node)
        return value
    if node.type == "variable_expression":
        text = str(node.text.decode())
        if text in ("true", "false"):
            return text == "true"
    if node.type == "integer_expression":
        return int(str(node.text.decode()))
    return None
