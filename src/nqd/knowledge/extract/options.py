"""Collect `mk*OptionModule` calls (renamed, aliased, removed, changed, merged options)
from module sources, including those generated with `map`/`genList`/`mapAttrsToList`
over lists of names and Home Manager's `mkSettingsRenamedOptionModules`.

Call sites that cannot be evaluated statically are returned as `Skipped` with a reason.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from nqd.knowledge.extract.evaluate import (
    MODULE_FUNCTIONS,
    Env,
    Evaluator,
    Lambda,
    ModuleCall,
    Thunk,
    Unresolved,
)
from nqd.nix.parser import Node, ParsedFile, column_of, parse
from nqd.nix.syntax import application, function_name, parameters, strip_parens, text

# Path roots under which a two-component removed path is a whole module, not one option.
MODULE_ROOTS = frozenset(
    {"services", "programs", "hardware", "virtualisation", "security", "i18n", "xsession",
     "accounts", "wayland"}
)


RENAME_FILE = "nixos/modules/rename.nix"


@dataclass(frozen=True)
class OptionFact:
    """One renamed/removed/changed option, as declared in a module file."""

    kind: str  # renamed-option | removed-option | removed-module | changed-option
    old: str
    new: str | None
    path: str
    line: int
    function: str
    message: str = ""  # mkRemovedOptionModule's text
    silent: bool = False
    transform: str | None = None
    since_release: int | None = None
    merged_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    path: str
    line: int
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "reason": self.reason}


def dotted(names: list[str]) -> str:
    """`["services", "x"]` → `services.x`; stray whitespace inside a name (an upstream typo
    such as `"dontAssertNotificationDaemons "`) is dropped, and a name containing a dot or
    space is quoted as in Nix."""
    parts = []
    for name in names:
        name = name.strip()
        parts.append(f'"{name}"' if (not name or "." in name or " " in name) else name)
    return ".".join(parts)


def extract_options(source: bytes, path: str) -> tuple[list[OptionFact], list[Skipped]]:
    """All option facts of one file and the call sites skipped."""
    if b"OptionModule" not in source:
        return [], []
    parsed = parse(source)
    if parsed.has_errors:
        return [], [unparsable(parsed, path)]
    collector = _Collector(source, path)
    collector.visit(parsed.root)
    return collector.finish()


def unparsable(parsed: ParsedFile, path: str) -> Skipped:
    """A source file that does not parse: nothing is taken from it, and the report says so
    (an extraction with no changes must not look like a release without any)."""
    problem = parsed.problems(1)[0]
    return Skipped(path, problem.line, f"file does not parse ({problem.message}): nothing "
                                       f"extracted from it")


class _Collector:
    def __init__(self, source: bytes, path: str) -> None:
        self.source = source
        self.path = path
        self.evaluator = Evaluator(source)
        self.facts: list[OptionFact] = []
        self.covered: set[tuple[int, int]] = set()
        self.failures: dict[tuple[int, int], tuple[Node, str]] = {}
        self.call_sites: list[Node] = []
        self.env_cache: dict[tuple[int, int, str], Env] = {}

    # -- walking ------------------------------------------------------------------------
    def visit(self, node: Node) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type == "apply_expression" and not _is_function_child(current):
                head, _ = application(current)
                name = function_name(head)
                if name in MODULE_FUNCTIONS:
                    self.call_sites.append(current)
                    self._try(current, direct=True)
                    continue
                if self._may_generate(current, head) and self._try(current, direct=False):
                    self._mark_inner_sites(current)
                    continue
            stack.extend(reversed(current.named_children))

    def _mark_inner_sites(self, node: Node) -> None:
        for inner in _descendants(node):
            if inner.type == "apply_expression" and not _is_function_child(inner):
                head, _ = application(inner)
                if function_name(head) in MODULE_FUNCTIONS:
                    self.call_sites.append(inner)

    def _may_generate(self, node: Node, head: Node) -> bool:
        if b"OptionModule" in self.source[node.start_byte : node.end_byte]:
            return True
        _, args = application(node)
        return any(self._names_generator(part) for part in (head, *args))

    def _names_generator(self, node: Node) -> bool:
        """Whether `node` is a variable bound to a lambda that builds option modules."""
        node = strip_parens(node)
        if node.type != "variable_expression":
            return False
        bound = self.env_at(node).lookup(node.text.decode())
        if bound is None or bound.node is None:
            return False
        try:
            value = self.evaluator.force(bound)
        except Unresolved:
            return False
        return isinstance(value, Lambda) and b"OptionModule" in self.source[
            value.body.start_byte : value.body.end_byte
        ]

    def _try(self, node: Node, *, direct: bool) -> bool:
        self.evaluator.steps = 0
        env = self.env_at(node)
        try:
            value = self.evaluator.eval(node, env)
            calls = [v for v in self.evaluator.deep_list(value) if isinstance(v, ModuleCall)]
        except Unresolved as exc:
            if direct:
                self.failures[_key(node)] = (node, str(exc))
            return False
        if not calls:
            return False
        if not direct and len(calls) == 1:
            calls = [calls[0].located(node)]
        for call in calls:
            try:
                self.facts.extend(self._facts_of(call))
                self.covered.add(_key(call.node))
            except Unresolved as exc:
                self.failures.setdefault(_key(call.node), (call.node, str(exc)))
        return True

    # -- lexical environments ---------------------------------------------------------------
    def env_at(self, node: Node) -> Env:
        chain = []
        current = node
        while current.parent is not None:
            parent = current.parent
            if parent.type in ("let_expression", "rec_attrset_expression", "function_expression"):
                chain.append(parent)
            current = parent
        env = Env()
        for scope in reversed(chain):
            key = (*_key(scope), scope.type)
            cached = self.env_cache.get(key)
            if cached is None:
                cached = self._scope_env(scope, env)
                self.env_cache[key] = cached
            env = cached
        return env

    def _scope_env(self, scope: Node, parent: Env) -> Env:
        env = Env({}, parent)
        if scope.type == "function_expression":
            for name in parameters(scope):
                env.names[name] = Thunk.unknown(f"depends on function argument `{name}`")
            return env
        with contextlib.suppress(Unresolved):
            env.names.update(self.evaluator._attrs(scope, env, env))
        return env

    # -- facts ------------------------------------------------------------------------------
    def _facts_of(self, call: ModuleCall) -> list[OptionFact]:
        ev = self.evaluator
        line = column_of(self.source, (call.origin or call.node).start_byte)[0]
        fn = call.function
        args = call.args
        if fn in ("mkRenamedOptionModule", "mkAliasOptionModule", "mkAliasOptionModuleMD"):
            old, new = ev.string_list(args[0]), ev.string_list(args[1])
            return [OptionFact("renamed-option", dotted(old), dotted(new), self.path, line, fn,
                               silent=fn != "mkRenamedOptionModule")]
        if fn == "mkRenamedOptionModuleWith":
            spec = ev.force(args[0])
            if not isinstance(spec, dict) or "from" not in spec or "to" not in spec:
                raise Unresolved("mkRenamedOptionModuleWith without from/to")
            since = ev.force(spec["sinceRelease"]) if "sinceRelease" in spec else None
            return [OptionFact(
                "renamed-option", dotted(ev.string_list(spec["from"])),
                dotted(ev.string_list(spec["to"])), self.path, line, fn, silent=True,
                since_release=since if isinstance(since, int) else None,
            )]
        if fn == "mkRemovedOptionModule":
            old = ev.string_list(args[0])
            message = self._message(args[1])
            whole_module = (len(old) == 2 and old[0] in MODULE_ROOTS) or (
                self.path == RENAME_FILE)  # rename.nix lists "completely removed modules"
            kind = "removed-module" if whole_module else "removed-option"
            return [OptionFact(kind, dotted(old), None, self.path, line, fn, message=message)]
        if fn == "mkChangedOptionModule":
            source, target = ev.string_list(args[0]), ev.string_list(args[1])
            return [OptionFact("changed-option", dotted(source), dotted(target), self.path, line,
                               fn, transform=self._source_of(args[2]))]
        if fn == "mkMergedOptionModule":
            olds_value = ev.force(args[0])
            if not isinstance(olds_value, list):
                raise Unresolved("mkMergedOptionModule without a list of paths")
            olds = [dotted(ev.string_list(t)) for t in olds_value]
            merged = dotted(ev.string_list(args[1]))
            transform = self._source_of(args[2])
            return [
                OptionFact("changed-option", old_path, merged, self.path, line, fn,
                           transform=transform, merged_from=tuple(olds))
                for old_path in olds
            ]
        raise Unresolved(f"unknown function {fn}")

    def _message(self, thunk: Thunk) -> str:
        """The removal text on one line (indented strings are re-flowed)."""
        try:
            value = self.evaluator.string(thunk)
        except Unresolved:
            if thunk.node is None:
                return ""
            value = text(strip_parens(thunk.node), self.source).strip('"').strip("'")
        return " ".join(value.split())

    def _source_of(self, thunk: Thunk) -> str | None:
        if thunk.node is None:
            return None
        return " ".join(text(thunk.node, self.source).split())[:400]

    def finish(self) -> tuple[list[OptionFact], list[Skipped]]:
        skipped = []
        seen: set[tuple[int, int]] = set()
        for site in self.call_sites:
            key = _key(site)
            if key in self.covered or key in seen:
                continue
            seen.add(key)
            reason = self.failures.get(key, (site, "not evaluated"))[1]
            line = column_of(self.source, site.start_byte)[0]
            skipped.append(Skipped(self.path, line, reason))
        return self.facts, sorted(skipped, key=lambda s: s.line)


def _key(node: Node) -> tuple[int, int]:
    return (node.start_byte, node.end_byte)


def _is_function_child(node: Node) -> bool:
    parent = node.parent
    return bool(
        parent is not None and parent.type == "apply_expression"
        and parent.child_by_field_name("function") == node
    )


def _descendants(node: Node) -> list[Node]:
    out = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(current.named_children)
    return out
