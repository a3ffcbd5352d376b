"""Reads of renamed or removed options (`config.x.y`) and deprecated `pkgs` attributes."""

from __future__ import annotations

from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.analysis.rules.options import AREA_OF_CONTEXT, option_path
from nqd.analysis.rules.packages import inherit_note
from nqd.knowledge.model import Area, Change, Kind

RENAMED_READ = Rule(
    "NQD111", "renamed-option-read", "You read an option through its old name.",
    "`config.<old>` still works through the alias, with a warning, until the alias is removed.",
    "config.services.xserver.displayManager.gdm.enable",
    "config.services.displayManager.gdm.enable",
)
REMOVED_READ = Rule(
    "NQD112", "removed-option-read", "You read an option that was removed.",
    "Reading a removed option fails evaluation.",
)
PKGS_ATTRIBUTE = Rule(
    "NQD113", "deprecated-pkgs-attribute", "You read a deprecated attribute of `pkgs`.",
    "Attributes such as `pkgs.system` are aliases of `pkgs.stdenv.hostPlatform.system` and "
    "are being phased out.",
    "pkgs.system", "pkgs.stdenv.hostPlatform.system",
)
RULES = (RENAMED_READ, REMOVED_READ, PKGS_ATTRIBUTE)
# Names this rule looks for beyond the knowledge's own (see nqd.model.interest).
INTEREST: frozenset[str] = frozenset()


def check(ctx: RuleContext) -> Iterable[Finding]:
    # By area and first path element: a read meets only the changes it can match.
    option_changes: dict[tuple[Area, str], list[tuple[tuple[str, ...], Change]]] = {}
    for c in ctx.of_kind(Kind.RENAMED_OPTION, Kind.REMOVED_OPTION):
        if c.old:
            path = option_path(c.old)
            option_changes.setdefault((c.area, path[0]), []).append((path, c))
    pkgs_changes = {c.old: c for c in ctx.of_kind(Kind.RENAMED_PACKAGE, Kind.REMOVED_PACKAGE)
                    if c.old and c.area is Area.NIXPKGS}
    for ref in ctx.model.reads():
        if ref.kind == "pkgs":
            change = pkgs_changes.get(".".join(ref.path[:1]))
            if change is not None:
                yield Finding(
                    PKGS_ATTRIBUTE.id, PKGS_ATTRIBUTE.name, change.effective_severity, ref.pos,
                    f"{ref.base}.{ref.path[0]} is deprecated: use {ref.base}.{change.new}"
                    if change.new else f"{ref.base}.{ref.path[0]} was removed: {change.message}",
                    ref.context, replacement=f"{ref.base}.{change.new}" if change.new else None,
                    evidence=change.evidence, change=change,
                    fixable=change.fixable and not ref.via_inherit,
                    fix_note=inherit_note(ref.path[0], change.new, ref.base)
                    if ref.via_inherit and change.new else None,
                )
            continue
        area = AREA_OF_CONTEXT.get(ref.context)
        if area is None or not ref.path:
            continue
        for path, change in option_changes.get((area, ref.path[0]), ()):
            if ref.path[: len(path)] != path:
                continue
            rule = RENAMED_READ if change.kind is Kind.RENAMED_OPTION else REMOVED_READ
            message = (f"config.{change.old} was renamed to config.{change.new}"
                       if change.kind is Kind.RENAMED_OPTION
                       else f"config.{change.old} was removed: {change.message}")
            yield Finding(
                rule.id, rule.name, change.effective_severity, ref.pos, message, ref.context,
                replacement=f"config.{change.new}" if change.new else None,
                evidence=change.evidence, change=change, fixable=change.fixable,
            )
            break
