"""Package and read-side references in one parsed file: `pkgs.foo`, `foo` inside
`with pkgs;` (lexical scope tracked, as in Nix: lexical bindings win over `with`),
`python3.withPackages (ps: with ps; ...)`, `inherit (pkgs) foo`, `config.a.b`, `pkgs.system`,
and in overlays (`final: prev: { ... }`) the reads `prev.system`, `final.hostPlatform`.
"""

from __future__ import annotations

from nqd.model.types import Context, FileLines, PackageRef, ReadRef
from nqd.nix.parser import Node, captures
from nqd.nix.syntax import (
    MODULE_WRAPPERS,
    attr_name,
    attrpath_names,
    binding_attrpath,
    bindings,
    first_name,
    function_name,
    parameters,
    strip_parens,
    word_nodes,
)

# Names that are never packages even inside `with pkgs;` (Nix builtins and constants).
_BUILTIN_NAMES = frozenset(
    {"true", "false", "null", "builtins", "import", "throw", "abort", "toString", "map",
     "baseNameOf", "dirOf", "isNull", "removeAttrs", "derivation", "fetchTarball", "placeholder",
     "scopedImport", "__curPos", "fetchGit", "fetchurl", "fetchTree"}
)
# Attributes of a package that are not themselves packages: `python3.withPackages` is `python3`.
PACKAGE_METHODS = frozenset(
    {"withPackages", "override", "overrideAttrs", "overridePythonAttrs", "overrideDerivation",
     "passthru", "meta", "version", "pname", "src", "outPath", "buildEnv", "env"}
)
_PKGS_READS = frozenset({"system", "hostPlatform", "buildPlatform", "targetPlatform"})
# Arguments that make a file a module (or a shell/flake helper), not a callPackage'd package.
_MODULE_ARGUMENTS = frozenset({"config", "options", "pkgs", "modulesPath", "osConfig",
                               "nixosConfig", "darwinConfig", "inputs", "self"})
# `final: prev: body`: an overlay when it is an element of an `overlays` list, the value
# of a flake's `overlays.<name>`/`overlay`, or anywhere with the conventional names.
_OVERLAY_QUERY = """
(function_expression universal: (identifier)
  body: (function_expression universal: (identifier))) @overlay
"""
_OVERLAY_READS_QUERY = """
(select_expression expression: (variable_expression) @base) @sel
(inherit_from expression: (variable_expression) @source) @inh
"""
_OVERLAY_NAMES = frozenset({"final", "prev", "self", "super"})


def _lexically_bound(node: Node) -> frozenset[str]:
    """Names bound around `node` by enclosing functions, lets and recursive sets."""
    names: set[str] = set()
    child = node
    parent = node.parent
    while parent is not None:
        if parent.type == "function_expression" and parent.child_by_field_name("body") == child:
            names.update(parameters(parent))
        elif parent.type in ("let_expression", "rec_attrset_expression"):
            names |= bound_names(parent)
        child, parent = parent, parent.parent
    return frozenset(names)


class ReferenceFinder:
    """Finds package references and read-side references, tracking lexical scope and
    `with` scopes (lexical bindings win over `with`, as in Nix)."""

    def __init__(self, lines: FileLines, packages: list[PackageRef],
                 reads: list[ReadRef]) -> None:
        self.lines = lines
        self.packages = packages  # found references are appended to these lists
        self.reads = reads

    def arguments(self, top: Node) -> None:
        """`{ lib, stdenv, wrapGAppsHook }:` at the top of a file that is no module (no
        `config`, `pkgs`, `options` argument): the shape of a package `callPackage` fills
        by name, so each argument names a package."""
        top = strip_parens(top)
        if top is None or top.type != "function_expression":
            return
        formals = top.child_by_field_name("formals")
        if formals is None:
            return
        names = [(f.child_by_field_name("name"), f) for f in formals.named_children]
        idents = [(n, f) for n, f in names if n is not None]
        if any(n.text.decode() in _MODULE_ARGUMENTS for n, _ in idents):
            return
        for ident, formal in idents:
            name = ident.text.decode()
            if formal.child_by_field_name("default") is None and name not in _PKGS_READS:
                self.packages.append(PackageRef(name, self.lines, (ident.start_byte,
                                                ident.end_byte), False, Context.UNKNOWN,
                                                via_argument=True))

    def walk(self, top: Node) -> None:
        """Selects on `pkgs`/`config` and `inherit (pkgs)` anywhere (a byte search finds the
        words, the tree says what each is), and bare names inside `with pkgs;` scopes
        (walked with lexical scope tracking)."""
        source = self.lines.index.source
        with_bodies: list[tuple[int, int]] = []
        for node in _keyword_parents(top, source, b"with", "with_expression"):
            if any(s <= node.start_byte and node.end_byte <= e for s, e in with_bodies):
                continue  # nested in a with scope already walked
            env = node.child_by_field_name("environment")
            if self.with_prefix(env, frozenset(), node) is None:
                continue
            with_bodies.append((node.start_byte, node.end_byte))
            self.scoped_walk(node, _lexically_bound(node))
        for node in _selects_on(top, source):
            if not any(s <= node.start_byte and node.end_byte <= e for s, e in with_bodies):
                self.select(node, frozenset(), ())
        for node in _keyword_parents(top, source, b"inherit", "inherit_from"):
            self.inherit_from(node, frozenset(), ())
        if b"final" in source or b"prev" in source or b"super" in source \
                or b"overlay" in source:
            self.overlay_reads(top)

    def overlay_reads(self, top: Node) -> None:
        """`prev.system`, `final.hostPlatform`, `inherit (prev) system;` in overlays: their
        arguments are package sets, read as `pkgs` is. Package names selected from them are
        not recorded (an overlay's own attributes are often the names it overrides)."""
        for overlay in captures(_OVERLAY_QUERY, top).get("overlay", ()):
            inner = overlay.child_by_field_name("body")
            names = {overlay.child_by_field_name("universal").text.decode(),
                     inner.child_by_field_name("universal").text.decode()}
            if not _is_overlay(overlay, names):
                continue
            names.discard("_")  # an unused argument: `_` is rebound by any `_: x:` inside
            found = captures(_OVERLAY_READS_QUERY, inner.child_by_field_name("body"))
            for select in found.get("sel", ()):
                base = select.child_by_field_name("expression")
                name = attr_name(select.child_by_field_name("attrpath")
                                 .children_by_field_name("attr")[0])
                written = base.text.decode()
                if written in names and name in _PKGS_READS \
                        and not _rebound(select, inner, names):
                    self.reads.append(ReadRef(
                        "pkgs", (name,), self.lines,
                        (select.start_byte, select.child_by_field_name("attrpath").end_byte),
                        Context.UNKNOWN, base=written))
            for node in found.get("inh", ()):
                written = node.child_by_field_name("expression").text.decode()
                attrs = node.child_by_field_name("attrs")
                if written not in names or attrs is None or _rebound(node, inner, names):
                    continue
                for attr in attrs.named_children:
                    if attr_name(attr) in _PKGS_READS:
                        self.reads.append(ReadRef("pkgs", (str(attr_name(attr)),), self.lines,
                                                  (attr.start_byte, attr.end_byte),
                                                  Context.UNKNOWN, via_inherit=True,
                                                  base=written))

    def scoped_walk(self, top: Node, outer: frozenset[str]) -> None:
        # (node, names bound lexically, innermost-first `with` package prefixes: None = not pkgs)
        stack: list[tuple[Node, frozenset[str], tuple[str | None, ...]]] = [
            (top, outer, ())
        ]
        while stack:
            node, bound, withs = stack.pop()
            kind = node.type
            if kind == "function_expression":
                bound = bound.union(parameters(node))
            elif kind in ("let_expression", "rec_attrset_expression"):
                bound = bound | bound_names(node)
            elif kind == "with_expression":
                env = node.child_by_field_name("environment")
                body = node.child_by_field_name("body")
                if env is not None:
                    stack.append((env, bound, withs))
                if body is not None:
                    stack.append((body, bound, (self.with_prefix(env, bound, node), *withs)))
                continue
            elif kind == "select_expression":
                if self.select(node, bound, withs):
                    default = node.child_by_field_name("default")
                    if default is not None:
                        stack.append((default, bound, withs))
                    continue
            elif kind == "variable_expression":
                self.variable(node, bound, withs)
                continue
            for child in reversed(node.named_children):
                stack.append((child, bound, withs))

    def with_prefix(self, env: Node | None, bound: frozenset[str], with_node: Node) -> str | None:
        """'' for `with pkgs;`, 'python3Packages.' for `with pkgs.python3Packages;` or
        `python3.withPackages (ps: with ps; ...)`; None when the scope is not a package set."""
        env = strip_parens(env) if env is not None else None
        if env is None:
            return None
        if env.type == "variable_expression":
            name = env.text.decode()
            if name == "pkgs":
                return ""
            return self.with_packages_argument(name, with_node)
        if env.type == "select_expression":
            base = strip_parens(env.child_by_field_name("expression"))
            names = attrpath_names(env.child_by_field_name("attrpath"))
            if base.type == "variable_expression" and base.text.decode() == "pkgs" \
                    and all(n is not None for n in names) and names[0] not in ("lib",):
                return ".".join(n for n in names if n) + "."
        return None

    def with_packages_argument(self, name: str, with_node: Node) -> str | None:
        """`python3.withPackages (ps: with ps; [ ... ])`: `ps` is `python3Packages`."""
        func = with_node.parent
        while func is not None and func.type == "parenthesized_expression":
            func = func.parent
        if func is None or func.type != "function_expression":
            return None
        universal = func.child_by_field_name("universal")
        if universal is None or universal.text.decode() != name:
            return None
        apply = func.parent
        while apply is not None and apply.type == "parenthesized_expression":
            apply = apply.parent
        if apply is None or apply.type != "apply_expression":
            return None
        callee = strip_parens(apply.child_by_field_name("function"))
        if callee.type != "select_expression":
            return None
        names = attrpath_names(callee.child_by_field_name("attrpath"))
        if names[-1:] != ["withPackages"]:
            return None
        base = strip_parens(callee.child_by_field_name("expression"))
        interpreter = [*([base.text.decode()] if base.type == "variable_expression" else []),
                       *names[:-1]]
        interpreter = [n for n in interpreter if n and n != "pkgs"]
        if len(interpreter) == 1 and interpreter[0].startswith("python"):
            return f"{interpreter[0]}Packages."
        return None

    def select(self, node: Node, bound: frozenset[str],
               withs: tuple[str | None, ...]) -> bool:
        """Record `pkgs.x.y`, `config.a.b`; True when the whole select was consumed."""
        base = strip_parens(node.child_by_field_name("expression"))
        if base is None or base.type != "variable_expression":
            return False
        base_name = base.text.decode()
        names: list[str] = []
        for attr in node.child_by_field_name("attrpath").children_by_field_name("attr"):
            name = attr_name(attr)
            if name is None:
                break
            names.append(name)
        while len(names) > 1 and names[-1] in PACKAGE_METHODS:
            names.pop()
        if not names:
            return False
        span = (node.start_byte, node.child_by_field_name("attrpath").end_byte)
        lines = self.lines
        if base_name == "config":
            self.reads.append(ReadRef("config", tuple(names), lines, span, Context.UNKNOWN))
            return True
        if base_name == "pkgs":
            if names[0] in _PKGS_READS:
                self.reads.append(ReadRef("pkgs", tuple(names), lines, span,
                                                  Context.UNKNOWN))
            elif names[0] != "lib":
                self.packages.append(
                    PackageRef(".".join(names), lines, span, False, Context.UNKNOWN))
            return True
        prefix = self.with_package_prefix(base_name, bound, withs)
        if prefix is not None:
            full = [base_name, *names]
            while len(full) > 1 and full[-1] in PACKAGE_METHODS:
                full.pop()
            self.packages.append(PackageRef(
                prefix + ".".join(full), lines, span, True, Context.UNKNOWN))
            return True
        return False

    def variable(self, node: Node, bound: frozenset[str], withs: tuple[str | None, ...]) -> None:
        name = node.text.decode()
        prefix = self.with_package_prefix(name, bound, withs)
        if prefix is not None:
            span = (node.start_byte, node.end_byte)
            self.packages.append(
                PackageRef(prefix + name, self.lines, span, True, Context.UNKNOWN))

    def inherit_from(self, node: Node, bound: frozenset[str],
                     withs: tuple[str | None, ...]) -> None:
        source = strip_parens(node.child_by_field_name("expression"))
        if source is None or source.type != "variable_expression" or source.text != b"pkgs":
            return
        attrs = node.child_by_field_name("attrs")
        for attr in attrs.named_children if attrs is not None else ():
            name = attr_name(attr)
            if not name:
                continue
            span = (attr.start_byte, attr.end_byte)
            if name in _PKGS_READS:  # `inherit (pkgs) system;` reads pkgs.system
                self.reads.append(ReadRef("pkgs", (name,), self.lines, span, Context.UNKNOWN,
                                          via_inherit=True))
            else:
                self.packages.append(PackageRef(name, self.lines, span, False,
                                                Context.UNKNOWN, via_inherit=True))

    @staticmethod
    def with_package_prefix(name: str, bound: frozenset[str],
                            withs: tuple[str | None, ...]) -> str | None:
        if name in bound or name in _BUILTIN_NAMES or not withs:
            return None
        return withs[0]


def _selects_on(top: Node, source: bytes) -> list[Node]:
    """Outside `with pkgs;` scopes only selects on `pkgs` and `config` can be references:
    `pkgs.x`, `config.a.b` inside `top`, in source order."""
    found = []
    for word in (b"pkgs", b"config"):
        for name in word_nodes(top, source, word):
            variable = name.parent
            if variable is None or variable.type != "variable_expression":
                continue
            select = variable.parent
            if select is not None and select.type == "select_expression" \
                    and select.child_by_field_name("expression") == variable:
                found.append(select)
    return sorted(found, key=_start) if len(found) > 1 else found


def _keyword_parents(top: Node, source: bytes, keyword: bytes, kind: str) -> list[Node]:
    """The `kind` nodes inside `top` that start with `keyword` (`with`, `inherit`), in
    source order."""
    found = []
    for token in word_nodes(top, source, keyword):
        parent = token.parent
        if parent is not None and parent.type == kind and parent.start_byte == token.start_byte:
            found.append(parent)
    return found


def _start(node: Node) -> int:
    return node.start_byte  # type: ignore[no-any-return]


def _is_overlay(function: Node, names: set[str]) -> bool:
    """An overlay by its names (`final: prev:`, `self: super:`, `_prev` or `_` for an unused
    one), or by its place: an element of an `overlays` list, a flake's `overlays.<name>`."""
    plain = {name.removeprefix("_") for name in names}
    if len(names) == 2 and plain <= _OVERLAY_NAMES | {""} and plain & _OVERLAY_NAMES:
        return True
    parent = function.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is not None and parent.type == "list_expression":
        while parent is not None and (  # `overlays = [ ... ] ++ mkAfter [ ... ]`
                parent.type in ("list_expression", "binary_expression",
                                "parenthesized_expression")
                or (parent.type == "apply_expression"
                    and (function_name(parent.child_by_field_name("function")) or "")
                    in MODULE_WRAPPERS)):
            parent = parent.parent
        return parent is not None and parent.type == "binding" \
            and attrpath_names(binding_attrpath(parent))[-1:] == ["overlays"]
    if parent is not None and parent.type == "binding":
        attrs = attrpath_names(binding_attrpath(parent))
        return "overlays" in attrs[:-1] or attrs[-1:] in (["overlay"], ["overlays"])
    return False


def _rebound(node: Node, overlay_body: Node, names: set[str]) -> bool:
    """Whether a function or `let` between `node` and the overlay rebinds one of `names`."""
    parent = node.parent
    while parent is not None and parent != overlay_body:
        if parent.type == "function_expression":
            bound: set[str] | frozenset[str] = set(parameters(parent))
        elif parent.type in ("let_expression", "rec_attrset_expression"):
            bound = bound_names(parent)
        else:
            bound = frozenset()
        if bound & names:
            return True
        parent = parent.parent
    return False


def bound_names(node: Node) -> frozenset[str]:
    names = set()
    for binding in bindings(node):
        if binding.type == "binding":
            first = first_name(binding)
            if first:
                names.add(first)
        else:
            attrs = binding.child_by_field_name("attrs")
            for attr in attrs.named_children if attrs is not None else ():
                name = attr_name(attr)
                if name:
                    names.add(name)
    return frozenset(names)


