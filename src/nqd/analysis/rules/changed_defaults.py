"""Changed defaults, behaviour changes and opportunities whose condition this config meets."""

from __future__ import annotations

from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.analysis.rules.options import AREA_OF_CONTEXT, option_path
from nqd.knowledge.model import Area, Change, Kind
from nqd.model.types import ConfigModel, Context, OptionDef
from nqd.releases import Release

CHANGED_DEFAULT = Rule(
    "NQD701", "changed-default", "A default that this configuration relies on changes.",
    "Some defaults change with the release, some only with stateVersion. Where the value "
    "matters (data formats, security, networking), set it explicitly.",
)
BEHAVIOUR = Rule(
    "NQD702", "behaviour-change", "Behaviour this configuration uses changes.",
    "The option still exists, but what it does changed; read the migration note.",
)
OPPORTUNITY = Rule(
    "NQD703", "new-option", "A new option or module fits this configuration.",
    "Not required for the upgrade; worth adopting.",
)
RULES = (CHANGED_DEFAULT, BEHAVIOUR, OPPORTUNITY)
# Names this rule looks for beyond the knowledge's own (see nqd.model.interest).
INTEREST: frozenset[str] = frozenset()
_RULE_OF = {Kind.CHANGED_DEFAULT: CHANGED_DEFAULT, Kind.BEHAVIOUR: BEHAVIOUR,
            Kind.VERSION_BUMP: BEHAVIOUR, Kind.NEW_OPTION: OPPORTUNITY,
            Kind.NEW_MODULE: OPPORTUNITY}
_CONTEXT_OF_AREA = {Area.NIXOS: Context.NIXOS, Area.HOME_MANAGER: Context.HOME_MANAGER,
                    Area.NIXPKGS: Context.NIXOS}


def check(ctx: RuleContext) -> Iterable[Finding]:
    for change in ctx.of_kind(*_RULE_OF):
        anchor = _applies(ctx.model, change)
        if anchor is None:
            continue
        rule = _RULE_OF[change.kind]
        yield Finding(
            rule.id, rule.name, change.effective_severity, anchor.pos,
            f"{change.message} ({change.release_pair})", anchor.context,
            replacement=change.new, evidence=change.evidence, change=change,
            fixable=False, fix_note=change.migration or None,
        )


def _applies(model: ConfigModel, change: Change) -> OptionDef | None:
    """The definition that makes `change` relevant to this config, or None.

    Without a `requires` condition a change anchors at a definition of its `old` option
    (behaviour changes of an option you set); with one, at the first required definition.
    """
    context = _CONTEXT_OF_AREA[change.area]
    condition = change.condition
    required = list(condition.requires) if condition and condition.requires else (
        [change.old] if change.old and change.kind not in (Kind.NEW_OPTION, Kind.NEW_MODULE)
        else [])
    if not required:
        return None
    written_as = condition.written_as if condition else ()
    old = option_path(change.old) if change.old else None
    anchors = []
    for path_text in required:
        found = [o for o in model.defines(option_path(path_text), context)
                 if o.literal is not False
                 and not (written_as and o.path == old and _kind_of(o) not in (None, *written_as))]
        if not found:
            return None
        anchors.append(found[0])
    if condition:
        for path_text in condition.unset:
            if model.defines(option_path(path_text), context):
                return None
        if not _state_version_ok(model, context, condition.state_version_below,
                                 condition.state_version_at_least):
            return None
    return anchors[0]


# Grammar node types of literal values, by the kinds a condition's `written_as` names.
_VALUE_KINDS = {
    "string_expression": "string", "indented_string_expression": "string",
    "list_expression": "list", "attrset_expression": "attrset",
    "rec_attrset_expression": "attrset", "path_expression": "path",
    "integer_expression": "number", "float_expression": "number",
}


def _kind_of(option: OptionDef) -> str | None:
    """The kind of value a definition is written as, when it is a literal."""
    if isinstance(option.literal, bool):
        return "boolean"
    return _VALUE_KINDS.get(option.value_type)


def _state_version_ok(model: ConfigModel, context: Context, below: str | None,
                      at_least: str | None) -> bool:
    if below is None and at_least is None:
        return True
    found = model.state_version(context)
    if found is None:
        return True  # unknown: report, the message says what decides it
    try:
        value = Release.parse(found[0])
    except Exception:
        return True
    if below is not None and not value < Release.parse(below):
        return False
    return not (at_least is not None and value < Release.parse(at_least))


__all__ = ["AREA_OF_CONTEXT", "check"]
