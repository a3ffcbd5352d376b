"""A small, partial evaluator for the static parts of Nix module source.

It understands what option-rename call sites are built from: string and list literals,
`++`, `+` on strings, `//`, `let`, lambdas, attribute sets, and a handful of library
functions (`map`, `concatMap`, `genList`, `mapAttrsToList`, `flatten`, `toList`, `id`,
Home Manager's `mkSettingsRenamedOptionModules`, and the `mk*OptionModule` family, which
evaluate to `ModuleCall` records). Anything else raises `Unresolved` with a reason, so the
caller can report the call site as skipped instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nqd.nix.parser import Node
from nqd.nix.syntax import attr_name, attrpath_names, strip_parens

MODULE_FUNCTIONS: dict[str, int] = {
    "mkRenamedOptionModule": 2,
    "mkRenamedOptionModuleWith": 1,
    "mkAliasOptionModule": 2,
    "mkAliasOptionModuleMD": 2,
    "mkRemovedOptionModule": 2,
    "mkChangedOptionModule": 3,
    "mkMergedOptionModule": 3,
}

_MAX_STEPS = 200_000


class Unresolved(Exception):
    """The expression cannot be evaluated statically; `str(exc)` says why."""


@dataclass
class Thunk:
    """A lazily evaluated expression in an environment (or a ready value)."""

    node: Node | None
    env: Env | None
    value: Any = None
    forced: bool = False
    failure: str | None = None

    @classmethod
    def of(cls, value: Any) -> Thunk:
        return cls(None, None, value, True)

    @classmethod
    def unknown(cls, reason: str) -> Thunk:
        return cls(None, None, None, False, reason)


@dataclass
class Env:
    names: dict[str, Thunk] = field(default_factory=dict)
    parent: Env | None = None

    def lookup(self, name: str) -> Thunk | None:
        env: Env | None = self
        while env is not None:
            if name in env.names:
                return env.names[name]
            env = env.parent
        return None


@dataclass(frozen=True)
class Lambda:
    param: str | None
    formals: tuple[tuple[str, Node | None], ...] | None
    body: Node
    env: Env


@dataclass(frozen=True)
class Builtin:
    name: str
    arity: int
    args: tuple[Thunk, ...] = ()


@dataclass(frozen=True)
class ModuleCall:
    """A fully applied `mk*OptionModule` call; `node` is the syntactic call site."""

    function: str
    args: tuple[Thunk, ...]
    node: Node
    origin: Node | None = None  # where this instance comes from (a list element), if known

    def located(self, origin: Node | None) -> ModuleCall:
        if origin is None or self.origin is not None:
            return self
        return ModuleCall(self.function, self.args, self.node, origin)


BUILTINS: dict[str, int] = {
    "map": 2,
    "concatMap": 2,
    "genList": 2,
    "mapAttrsToList": 2,
    "forEach": 2,
    "flatten": 1,
    "concatLists": 1,
    "toList": 1,
    "id": 1,
    "attrNames": 1,
    "attrValues": 1,
    "mapAttrs": 2,
    "flip": 3,
    "toSnakeCase": 1,
    "toLower": 1,
    "toString": 1,
    "mkSettingsRenamedOptionModules": 4,
    **MODULE_FUNCTIONS,
}
_LIB_ROOTS = frozenset({"lib", "builtins", "hm", "lists", "attrsets", "strings", "deprecations"})


def to_snake_case(text: str) -> str:
    """Home Manager's `lib.hm.strings.toSnakeCase` (camelCase → camel_case)."""
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), text).removeprefix("_")


class Evaluator:
    """Evaluates nodes of one parsed file."""

    def __init__(self, source: bytes) -> None:
        self.source = source
        self.steps = 0

    # -- forcing ------------------------------------------------------------------
    def force(self, thunk: Thunk) -> Any:
        if thunk.forced:
            return thunk.value
        if thunk.failure is not None:
            raise Unresolved(thunk.failure)
        assert thunk.node is not None and thunk.env is not None
        thunk.failure = "infinite recursion"
        try:
            value = self.eval(thunk.node, thunk.env)
        except Unresolved as exc:
            thunk.failure = str(exc)
            raise
        thunk.value, thunk.forced, thunk.failure = value, True, None
        return value

    def string(self, thunk: Thunk) -> str:
        value = self.force(thunk)
        if not isinstance(value, str):
            raise Unresolved(f"expected a string, got {type(value).__name__}")
        return value

    def string_list(self, thunk: Thunk) -> list[str]:
        value = self.force(thunk)
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise Unresolved(f"expected a list of names, got {type(value).__name__}")
        return [self.string(t) for t in value]

    def deep_list(self, value: Any) -> list[Any]:
        """Flatten nested lists of thunks into forced values."""
        if not isinstance(value, list):
            return [value]
        out: list[Any] = []
        for item in value:
            out.extend(self.deep_list(self.force(item)))
        return out

    # -- evaluation ---------------------------------------------------------------
    def eval(self, node: Node, env: Env) -> Any:
        self.steps += 1
        if self.steps > _MAX_STEPS:
            raise Unresolved("expression too complex to evaluate statically")
        node = strip_parens(node)
        handler: Callable[[Node, Env], Any] | None = getattr(self, f"_eval_{node.type}", None)
        if handler is None:
            raise Unresolved(f"unsupported expression `{node.type}`")
        return handler(node, env)

    def _eval_string_expression(self, node: Node, env: Env) -> str:
        return self._string_parts(node, env)

    def _eval_indented_string_expression(self, node: Node, env: Env) -> str:
        from nqd.nix.syntax import static_string

        value = static_string(node)
        if value is not None:
            return value
        return self._string_parts(node, env)

    def _string_parts(self, node: Node, env: Env) -> str:
        from nqd.nix.syntax import _unescape

        parts: list[str] = []
        for child in node.named_children:
            if child.type == "string_fragment":
                parts.append(child.text.decode("utf-8", "replace"))
            elif child.type == "escape_sequence":
                parts.append(_unescape(child.text.decode("utf-8", "replace")))
            elif child.type == "interpolation":
                inner = child.child_by_field_name("expression")
                value = self.eval(inner, env)
                if not isinstance(value, str):
                    raise Unresolved("interpolation of a non-string")
                parts.append(value)
            else:
                raise Unresolved(f"unsupported string part `{child.type}`")
        return "".join(parts)

    def _eval_integer_expression(self, node: Node, env: Env) -> int:
        return int(node.text.decode())

    def _eval_list_expression(self, node: Node, env: Env) -> list[Thunk]:
        return [Thunk(child, env) for child in node.named_children if child.type != "comment"]

    def _eval_attrset_expression(self, node: Node, env: Env) -> dict[str, Thunk]:
        return self._attrs(node, env, env)

    def _eval_rec_attrset_expression(self, node: Node, env: Env) -> dict[str, Thunk]:
        inner = Env({}, env)
        attrs = self._attrs(node, env, inner)
        inner.names.update(attrs)
        return attrs

    def _attrs(self, node: Node, outer: Env, value_env: Env) -> dict[str, Thunk]:
        from nqd.nix.syntax import bindings

        attrs: dict[str, Thunk] = {}
        for binding in bindings(node):
            if binding.type == "binding":
                names = attrpath_names(binding.child_by_field_name("attrpath"))
                if None in names:
                    raise Unresolved("attribute set with a dynamic attribute name")
                target = attrs
                for name in names[:-1]:
                    assert name is not None
                    existing = target.get(name)
                    nested: dict[str, Thunk] = (
                        existing.value if existing is not None and existing.forced
                        and isinstance(existing.value, dict) else {}
                    )
                    target[name] = Thunk.of(nested)
                    target = nested
                last = names[-1]
                assert last is not None
                target[last] = Thunk(binding.child_by_field_name("expression"), value_env)
            elif binding.type in ("inherit", "inherit_from"):
                self._inherit(binding, outer, attrs)
        return attrs

    def _inherit(self, binding: Node, env: Env, into: dict[str, Thunk]) -> None:
        source = binding.child_by_field_name("expression")
        attrs = binding.child_by_field_name("attrs")
        names = [attr_name(a) for a in attrs.children_by_field_name("attr")] if attrs else []
        for name in names:
            if name is None:
                continue
            if source is None:
                found = env.lookup(name)
                into[name] = found or Thunk.unknown(f"`{name}` is not defined in this file")
            else:
                into[name] = _SelectThunk.make(self, source, env, name)

    def _eval_let_expression(self, node: Node, env: Env) -> Any:
        inner = Env({}, env)
        inner.names.update(self._attrs(node, inner, inner))
        return self.eval(node.child_by_field_name("body"), inner)

    def _eval_with_expression(self, node: Node, env: Env) -> Any:
        return self.eval(node.child_by_field_name("body"), env)

    def _eval_function_expression(self, node: Node, env: Env) -> Lambda:
        universal = node.child_by_field_name("universal")
        formals_node = node.child_by_field_name("formals")
        formals = None
        if formals_node is not None:
            formals = tuple(
                (f.child_by_field_name("name").text.decode(), f.child_by_field_name("default"))
                for f in formals_node.children_by_field_name("formal")
            )
        param = universal.text.decode() if universal is not None else None
        return Lambda(param, formals, node.child_by_field_name("body"), env)

    def _eval_variable_expression(self, node: Node, env: Env) -> Any:
        name = node.child_by_field_name("name").text.decode()
        found = env.lookup(name)
        if found is not None and not (name in BUILTINS and _is_opaque(found)):
            return self.force(found)
        if name in BUILTINS:
            return Builtin(name, BUILTINS[name])
        if name in ("true", "false"):
            return name == "true"
        if name == "null":
            return None
        raise Unresolved(f"`{name}` is not defined in this file")

    def _eval_select_expression(self, node: Node, env: Env) -> Any:
        base = strip_parens(node.child_by_field_name("expression"))
        names = attrpath_names(node.child_by_field_name("attrpath"))
        if (
            base.type == "variable_expression"
            and base.text.decode() in _LIB_ROOTS
            and _is_opaque(env.lookup(base.text.decode()))
        ):
            last = names[-1] if names else None
            if last in BUILTINS:
                return Builtin(last, BUILTINS[last])
            raise Unresolved(f"library function `{'.'.join(str(n) for n in names)}` not modelled")
        value = self.eval(base, env)
        for name in names:
            if name is None:
                raise Unresolved("dynamic attribute selection")
            if not isinstance(value, dict) or name not in value:
                default = node.child_by_field_name("default")
                if default is not None:
                    return self.eval(default, env)
                raise Unresolved(f"attribute `{name}` not found")
            value = self.force(value[name])
        return value

    def _eval_binary_expression(self, node: Node, env: Env) -> Any:
        op = node.child_by_field_name("operator").type
        left = self.eval(node.child_by_field_name("left"), env)
        right = self.eval(node.child_by_field_name("right"), env)
        if op == "++" and isinstance(left, list) and isinstance(right, list):
            return left + right
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            return left + right
        if op == "//" and isinstance(left, dict) and isinstance(right, dict):
            return {**left, **right}
        raise Unresolved(f"operator `{op}` on these operands is not modelled")

    def _eval_apply_expression(self, node: Node, env: Env) -> Any:
        function = self.eval(node.child_by_field_name("function"), env)
        return self.apply(function, Thunk(node.child_by_field_name("argument"), env), node)

    # -- application ----------------------------------------------------------------
    def apply(self, function: Any, arg: Thunk, site: Node) -> Any:
        if isinstance(function, Lambda):
            frame = Env({}, function.env)
            if function.param is not None:
                frame.names[function.param] = arg
            if function.formals is not None:
                given = self.force(arg)
                if not isinstance(given, dict):
                    raise Unresolved("function with formals applied to a non-attrset")
                for name, default in function.formals:
                    if name in given:
                        frame.names[name] = given[name]
                    elif default is not None:
                        frame.names[name] = Thunk(default, frame)
            return self.eval(function.body, frame)
        if isinstance(function, Builtin):
            args = (*function.args, arg)
            if len(args) < function.arity:
                return Builtin(function.name, function.arity, args)
            return self._call(function.name, args, site)
        raise Unresolved(f"cannot apply a {type(function).__name__}")

    def _call(self, name: str, args: tuple[Thunk, ...], site: Node) -> Any:
        if name in MODULE_FUNCTIONS:
            return ModuleCall(name, args, _call_site(site))
        if name in ("map", "forEach"):
            func, items = (args[0], args[1]) if name == "map" else (args[1], args[0])
            items_value = self.force(items)
            if not isinstance(items_value, list):
                raise Unresolved(f"{name} over a non-list")
            f = self.force(func)
            return [Thunk.of(_locate(self.apply(f, item, site), item.node)) for item in items_value]
        if name == "concatMap":
            mapped = self._call("map", args, site)
            return [t for item in mapped for t in _as_list(self.force(item))]
        if name == "genList":
            count = self.force(args[1])
            if not isinstance(count, int) or count > 10_000:
                raise Unresolved("genList with a non-literal length")
            f = self.force(args[0])
            return [Thunk.of(self.apply(f, Thunk.of(i), site)) for i in range(count)]
        if name == "mapAttrsToList":
            attrs = self.force(args[1])
            if not isinstance(attrs, dict):
                raise Unresolved("mapAttrsToList over a non-attrset")
            f = self.force(args[0])
            out = []
            for key in sorted(attrs):
                partial = self.apply(f, Thunk.of(key), site)
                value = self.apply(partial, attrs[key], site)
                out.append(Thunk.of(_locate(value, attrs[key].node)))
            return out
        if name in ("flatten", "concatLists"):
            return [Thunk.of(v) for v in self.deep_list(self.force(args[0]))]
        if name == "toList":
            value = self.force(args[0])
            return value if isinstance(value, list) else [args[0]]
        if name == "id":
            return self.force(args[0])
        if name == "flip":
            return self.apply(self.apply(self.force(args[0]), args[2], site), args[1], site)
        if name == "mapAttrs":
            attrs = self.force(args[1])
            if not isinstance(attrs, dict):
                raise Unresolved("mapAttrs over a non-attrset")
            f = self.force(args[0])
            return {
                key: Thunk.of(_locate(
                    self.apply(self.apply(f, Thunk.of(key), site), attrs[key], site),
                    attrs[key].node))
                for key in sorted(attrs)
            }
        if name == "attrValues":
            attrs = self.force(args[0])
            if not isinstance(attrs, dict):
                raise Unresolved("attrValues of a non-attrset")
            return [attrs[k] for k in sorted(attrs)]
        if name == "attrNames":
            attrs = self.force(args[0])
            if not isinstance(attrs, dict):
                raise Unresolved("attrNames of a non-attrset")
            return [Thunk.of(k) for k in sorted(attrs)]
        if name == "toSnakeCase":
            return to_snake_case(self.string(args[0]))
        if name == "toString":
            value = self.force(args[0])
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise Unresolved("toString of a value that is not a string or integer")
            return str(value)
        if name == "toLower":
            return self.string(args[0]).lower()
        if name == "mkSettingsRenamedOptionModules":
            return self._settings_renames(args, site)
        raise Unresolved(f"library function `{name}` not modelled")

    def _settings_renames(self, args: tuple[Thunk, ...], site: Node) -> list[Thunk]:
        """Home Manager's `lib.hm.deprecations.mkSettingsRenamedOptionModules`."""
        old_prefix = self.string_list(args[0])
        new_prefix = self.string_list(args[1])
        options = self.force(args[2])
        transform: Any = Builtin("toSnakeCase", 1)
        if isinstance(options, dict) and "transform" in options:
            transform = self.force(options["transform"])
        out: list[Thunk] = []
        for spec_thunk in self.force(args[3]):
            spec = self.force(spec_thunk)
            if isinstance(spec, dict):
                old = self.string_list(spec["old"])
                new = self.string_list(spec["new"])
            else:
                old = self.string_list(spec_thunk)
                new = [self.apply(transform, Thunk.of(part), site) for part in old]
                if not all(isinstance(part, str) for part in new):
                    raise Unresolved("transform did not give strings")
            call = ModuleCall(
                "mkRenamedOptionModule",
                (_list_thunk(old_prefix + old), _list_thunk(new_prefix + new)),
                _call_site(site),
                spec_thunk.node,
            )
            out.append(Thunk.of(call))
        return out


def _locate(value: Any, origin: Node | None) -> Any:
    return value.located(origin) if isinstance(value, ModuleCall) else value


def _is_opaque(thunk: Thunk | None) -> bool:
    """Unbound, or bound to a function argument (such as a module's `lib`)."""
    return thunk is None or (thunk.node is None and not thunk.forced)


def _list_thunk(names: list[str]) -> Thunk:
    return Thunk.of([Thunk.of(n) for n in names])


def _as_list(value: Any) -> list[Thunk]:
    return value if isinstance(value, list) else [Thunk.of(value)]


def _call_site(node: Node) -> Node:
    """The outermost application node of the call chain `node` belongs to."""
    while node.parent is not None and node.parent.type == "apply_expression" and (
        node.parent.child_by_field_name("function") == node
    ):
        node = node.parent
    return node


class _SelectThunk:
    @staticmethod
    def make(evaluator: Evaluator, source: Node, env: Env, name: str) -> Thunk:
        try:
            attrs = evaluator.eval(source, env)
        except Unresolved as exc:
            return Thunk.unknown(str(exc))
        if isinstance(attrs, dict) and name in attrs:
            thunk: Thunk = attrs[name]
            return thunk
        return Thunk.unknown(f"`inherit ({name})` from an unknown set")
