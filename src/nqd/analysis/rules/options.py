"""Definitions of options and modules that were renamed, changed or removed."""

from __future__ import annotations

from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.knowledge.model import Area, Change, Kind
from nqd.model.types import Context, OptionDef

RENAMED = Rule(
    "NQD101", "renamed-option", "An option you define was renamed.",
    "The old name still evaluates through an alias and prints a deprecation warning; the "
    "alias is removed in a later release, and then evaluation fails.",
    "services.xserver.displayManager.gdm.enable = true;",
    "services.displayManager.gdm.enable = true;",
)
REMOVED = Rule(
    "NQD102", "removed-option", "An option you define was removed.",
    "Evaluation fails with the removal message. There is no mechanical replacement: the "
    "message says what to do instead.",
)
CHANGED = Rule(
    "NQD103", "changed-option", "An option you define was replaced by one with another type.",
    "The old option is translated by a function (mkChangedOptionModule / mkMergedOptionModule) "
    "and warns; the new option takes a differently shaped value.",
)
REMOVED_MODULE = Rule(
    "NQD104", "removed-module", "A module whose options you set was removed.",
    "Every option of a removed module fails evaluation.",
)
RULES = (RENAMED, REMOVED, CHANGED, REMOVED_MODULE)
# Names this rule looks for beyond the knowledge's own (see nqd.model.interest).
INTEREST: frozenset[str] = frozenset()
_RULE_OF = {Kind.RENAMED_OPTION: RENAMED, Kind.REMOVED_OPTION: REMOVED,
            Kind.CHANGED_OPTION: CHANGED, Kind.REMOVED_MODULE: REMOVED_MODULE}
AREA_OF_CONTEXT = {Context.NIXOS: Area.NIXOS, Context.HOME_MANAGER: Area.HOME_MANAGER}


def option_path(text: str) -> tuple[str, ...]:
    return tuple(text.split("."))


_Entry = tuple[tuple[str, ...], Change]


def check(ctx: RuleContext) -> Iterable[Finding]:
    by_area: dict[Area, list[tuple[tuple[str, ...], Change]]] = {}
    for change in ctx.of_kind(*_RULE_OF):
        if change.old:
            by_area.setdefault(change.area, []).append((option_path(change.old), change))
    # Index the changes by their first two path elements (one for one-element paths), so
    # each definition meets only candidates (`programs.*` alone holds hundreds).
    short: dict[tuple[Area, str], list[_Entry]] = {}
    index: dict[tuple[Area, str, str], list[_Entry]] = {}
    for area, entries in by_area.items():
        for path, change in entries:
            if len(path) == 1:
                short.setdefault((area, path[0]), []).append((path, change))
            else:
                index.setdefault((area, path[0], path[1]), []).append((path, change))
    for option in ctx.model.options():
        option_area = AREA_OF_CONTEXT.get(option.context)
        if option_area is None or not option.path or option.path[0] is None:
            continue
        head = option.path[0]
        candidates = short.get((option_area, head), [])
        if len(option.path) > 1 and option.path[1] is not None:
            candidates = [*candidates, *index.get((option_area, head, option.path[1]), ())]
        for path, change in candidates:
            if option.covers(path):
                yield finding(option, change, path)


def finding(option: OptionDef, change: Change, old_path: tuple[str, ...]) -> Finding:
    rule = _RULE_OF[change.kind]
    written = option.dotted if len(option.path) == len(old_path) else ".".join(old_path)
    if change.kind is Kind.RENAMED_OPTION:
        message = f"{written} was renamed to {change.new} in {change.to_release}"
    elif change.kind is Kind.REMOVED_MODULE:
        message = f"the module of {change.old} was removed in {change.to_release}: {change.message}"
    elif change.kind is Kind.CHANGED_OPTION:
        message = f"{written} was replaced by {change.new} in {change.to_release}"
        if change.transform and change.old and change.new:
            from nqd.knowledge.transforms import as_definition

            definition = as_definition(change.transform, change.old, change.new)
            message += f", converted: `{definition}`" if definition is not None \
                else f", converted by `{' '.join(change.transform.split())}`"
    else:
        message = f"{written} was removed in {change.to_release}: {change.message}"
    return Finding(
        rule=rule.id, rule_name=rule.name, severity=change.effective_severity, pos=option.pos,
        message=message, context=option.context, replacement=change.new,
        evidence=change.evidence, change=change, fixable=change.fixable,
        fix_note=None if change.fixable else (change.migration or None),
    )
