"""stateVersion: never raised on an upgrade."""

from __future__ import annotations

from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.knowledge.model import Evidence, Severity
from nqd.model.types import Context, OptionDef
from nqd.releases import Release

RAISED = Rule(
    "NQD501", "state-version-raised", "stateVersion was raised, or is set past the release "
    "the configuration runs.",
    "`system.stateVersion` and `home.stateVersion` record the release a machine was first "
    "installed with. Stateful defaults depend on them: the PostgreSQL major version (17 only "
    "for stateVersion >= 25.11, and it cannot read an older data directory without a "
    "migration), data directories, Home Manager's `programs.password-store.settings`. "
    "Raising it on an upgrade switches those defaults under existing data. Keep it.",
    'system.stateVersion = "25.11"; # on a machine installed with 25.05',
    'system.stateVersion = "25.05"; # unchanged, forever',
)
RULES = (RAISED,)
# Names this rule looks for (see nqd.model.interest).
INTEREST = frozenset({"stateVersion"})
_EVIDENCE = (
    Evidence(url="https://nixos.org/manual/nixos/stable/options#opt-system.stateVersion",
             repo="NixOS/nixpkgs", path="nixos/modules/misc/version.nix"),
    Evidence(url="https://nix-community.github.io/home-manager/options.xhtml#opt-home.stateVersion"),
)
_PATHS = {("system", "stateVersion"), ("home", "stateVersion")}


def check(ctx: RuleContext) -> Iterable[Finding]:
    for option in ctx.model.options():
        if option.path not in _PATHS or not isinstance(option.literal, str) \
                or option.context not in (Context.NIXOS, Context.HOME_MANAGER):
            continue
        try:
            value = Release.parse(option.literal)
        except Exception:
            continue
        previous = _previous_value(ctx, option)
        if previous is not None and previous < value:
            yield _finding(option, f"{option.dotted} was raised from {previous} to {value} in "
                                   f"the working tree: revert it to {previous}", str(previous))
        elif value > ctx.from_release:
            yield _finding(option, f"{option.dotted} = \"{value}\" is newer than the release "
                                   f"this configuration runs ({ctx.from_release}): stateVersion "
                                   "must stay at the release first installed", None)


def _previous_value(ctx: RuleContext, option: OptionDef) -> Release | None:
    facts = ctx.previous_facts(option.pos.path)
    if facts is None:
        return None
    for old in facts.options:
        if old.path == option.path and isinstance(old.literal, str):
            try:
                return Release.parse(old.literal)
            except Exception:
                return None
    return None


def _finding(option: OptionDef, message: str, replacement: str | None) -> Finding:
    return Finding(
        RAISED.id, RAISED.name, Severity.WARNING, option.pos, message, option.context,
        replacement=replacement, evidence=_EVIDENCE, fixable=False,
        fix_note="nqd never changes stateVersion; set it back by hand",
    )
