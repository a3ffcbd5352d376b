"""`nqd explain` pages, in the manner of ruff's rule pages.

A change page says what changed (and between which releases), why it matters, shows a
before/after example, the fix (and whether `nqd fix` applies it) and the evidence. A rule
page shows what a check rule flags and why.
"""

from __future__ import annotations

import importlib
import textwrap
from collections.abc import Iterable

from nqd.analysis.findings import Rule
from nqd.console import Console
from nqd.knowledge.model import Area, Change, Condition, Kind, Severity

_PRODUCT = {Area.NIXOS: "NixOS", Area.HOME_MANAGER: "Home Manager", Area.NIXPKGS: "Nixpkgs"}
_STATE_VERSION = {Area.NIXOS: "system.stateVersion", Area.HOME_MANAGER: "home.stateVersion",
                  Area.NIXPKGS: "system.stateVersion"}


def known_rules() -> list[Rule]:
    """Every `Rule` of the rule modules that exist (modules not written yet are skipped)."""
    from nqd.analysis.rules import RULE_MODULES

    rules: list[Rule] = []
    for name in RULE_MODULES:
        qualified = f"nqd.analysis.rules.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name != qualified:
                raise
            continue
        rules.extend(r for r in getattr(module, "RULES", ()) if isinstance(r, Rule))
    return rules


def find_rule(rules: Iterable[Rule], key: str) -> Rule | None:
    folded = key.casefold()
    for rule in rules:
        if folded in (rule.id.casefold(), rule.name.casefold()):
            return rule
    return None


def _indent(text: str, prefix: str = "    ") -> list[str]:
    """Code-like text indented as is."""
    return [prefix + line if line else "" for line in text.splitlines()] or [prefix]


def _prose(text: str, prefix: str = "    ", width: int = 88) -> list[str]:
    """A paragraph wrapped to `width` columns."""
    return textwrap.wrap(text, width=width, initial_indent=prefix, subsequent_indent=prefix,
                         break_on_hyphens=False, break_long_words=False) or [prefix]


def why_it_matters(change: Change) -> str:
    """One paragraph on the consequence of the change for a configuration that uses it."""
    product = f"{_PRODUCT[change.area]} {change.to_release}"
    severity = change.effective_severity
    subject = f"`{change.old}`" if change.old else "this"
    if severity is Severity.ERROR:
        if change.kind is Kind.BEHAVIOUR:
            return (f"Evaluation fails while a configuration sets {subject}: "
                    f"the option does not exist in {product}.")
        return f"Evaluation of {product} fails while a configuration still uses {subject}."
    if change.kind in (Kind.RENAMED_OPTION, Kind.RENAMED_PACKAGE):
        quiet = " silently (no warning yet)" if change.silent else " with a warning"
        return (f"{product} still accepts {subject}{quiet}; the old name is an alias that a "
                "later release removes.")
    if change.kind is Kind.CHANGED_DEFAULT:
        return ("Nothing fails: the value you get without setting the option changes. "
                "Where the value matters (stored data, security, networking), set it explicitly.")
    if change.kind in (Kind.NEW_OPTION, Kind.NEW_MODULE):
        return f"Not needed for the upgrade: new in {product} and worth knowing."
    if change.kind is Kind.VERSION_BUMP:
        return ("The configuration evaluates as before, but builds and programs now get "
                "a different version; check software that depends on it.")
    if severity is Severity.WARNING:
        return f"The configuration evaluates, but behaves differently on {product}."
    return f"Informational: review whether it matters to this configuration on {product}."


def describe_condition(change: Change, condition: Condition) -> list[str]:
    parts = []
    sv = _STATE_VERSION[change.area]
    if condition.state_version_below:
        parts.append(f"{sv} below {condition.state_version_below} keeps the old default "
                     f"(affected only if {sv} is raised, which you should not do)")
    if condition.state_version_at_least:
        parts.append(f"{sv} is {condition.state_version_at_least} or later")
    if condition.requires:
        parts.append("the configuration sets " + ", ".join(condition.requires))
    if condition.unset:
        parts.append("it does not set " + ", ".join(condition.unset))
    return parts


def render_change(change: Change, console: Console) -> list[str]:
    def bold(text: str) -> str:
        return console.style(text, "bold")

    name = change.old or change.new or change.id
    lines = [
        bold(f"{name}  ({change.kind.value}, {change.effective_severity.value})"),
        console.style(f"{change.id} · {_PRODUCT[change.area]} {change.release_pair}", "dim"),
        "",
        bold("What changed"),
        *_prose(change.message),
    ]
    if change.old and change.new and change.old != change.new:
        lines.append(f"    {change.old} → {change.new}")
    if change.condition is not None:
        parts = describe_condition(change, change.condition)
        if parts:
            lines += ["", bold("Applies when"), *(f"    - {p}" for p in parts)]
    lines += ["", bold("Why it matters"), *_prose(why_it_matters(change))]
    if change.example_before or change.example_after:
        lines += ["", bold("Example")]
        if change.example_before:
            lines += ["    Before:", *_indent(change.example_before, "      ")]
        if change.example_after:
            lines += ["    After:", *_indent(change.example_after, "      ")]
    lines += ["", bold("Fix")]
    if change.migration:
        lines += _prose(change.migration)
    elif change.new and change.kind in (Kind.RENAMED_OPTION, Kind.RENAMED_PACKAGE):
        lines.append(f"    Use `{change.new}` instead of `{change.old}`.")
    lines.append("    `nqd fix` applies this automatically." if change.fixable
                 else "    `nqd fix` does not apply this; change it by hand.")
    lines += ["", bold("Evidence")]
    for evidence in change.evidence:
        described = evidence.describe()
        lines.append(f"    - {described}")
        if described != evidence.url:
            lines.append(f"      {evidence.url}")
    return lines


def render_rule(rule: Rule, console: Console) -> list[str]:
    lines = [
        console.style(f"{rule.id} {rule.name}", "bold"),
        "",
        console.style("What it flags", "bold"),
        *_prose(rule.summary),
        "",
        console.style("Why it matters", "bold"),
        *_prose(rule.explanation),
    ]
    if rule.example_before or rule.example_after:
        lines += ["", console.style("Example", "bold")]
        if rule.example_before:
            lines += ["    Before:", *_indent(rule.example_before, "      ")]
        if rule.example_after:
            lines += ["    After:", *_indent(rule.example_after, "      ")]
    lines += ["", f"Run `nqd check` to see where it applies; `nqd changes --search {rule.name}` "
                  "lists related release changes."]
    return lines
