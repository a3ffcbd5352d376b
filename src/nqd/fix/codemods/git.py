"""Home Manager git (25.11): `programs.git.extraConfig` given as INI text, and
`programs.git.delta.enable` → `programs.delta.enable` + `enableGitIntegration`.

Matches: findings on `programs.git.extraConfig` whose value is a string, and on
`programs.git.delta.enable`. (`userName`, `userEmail`, `aliases` and an attrset
`extraConfig` are plain renames, done by `rename_option`.)
Why: Home Manager 25.11 moved git's configuration under `programs.git.settings` and delta
into its own module, where git integration is a separate switch
(`programs.delta.enableGitIntegration`, default false: without it delta is no longer
git's pager). String `extraConfig` is converted section by section into `settings`
(`[url "x"] insteadOf = y` → `url."x".insteadOf = "y";`); git quoting, inline comments
and multi-value keys are left as a finding.
"""

from __future__ import annotations

from nqd.analysis.findings import Finding
from nqd.fix.base import FileContext, Outcome, Refusal
from nqd.fix.codemods.logind import convert
from nqd.fix.codemods.rename_option import rename
from nqd.fix.ini import Unconvertible, parse_git
from nqd.fix.relocate import binding_node, moved_value
from nqd.model.types import Context

NAME = "home-manager-git"
EXPLANATION = "move Home Manager git/delta options to their 25.11 homes"
EXTRA_CONFIG = ("programs", "git", "extraConfig")
DELTA_ENABLE = ("programs", "git", "delta", "enable")


def matches(finding: Finding) -> bool:
    change = finding.change
    return finding.rule == "NQD101" and change is not None and change.new is not None \
        and finding.context is not Context.NIXOS \
        and change.old in (".".join(EXTRA_CONFIG), ".".join(DELTA_ENABLE))


def fix(ctx: FileContext, finding: Finding) -> Outcome:
    assert finding.change is not None and finding.change.new is not None
    new = tuple(finding.change.new.split("."))
    if finding.change.old == ".".join(DELTA_ENABLE):
        return _delta(ctx, finding, new)
    option = ctx.option_at(finding, EXTRA_CONFIG)
    if option is None:
        return Refusal(finding, "the definition was not found in the file")
    if option.path != EXTRA_CONFIG or option.value_type not in (
            "string_expression", "indented_string_expression"):
        return rename(ctx, finding, EXTRA_CONFIG, new)
    if not isinstance(option.literal, str):
        return Refusal(finding, "programs.git.extraConfig uses string interpolation: "
                                "write programs.git.settings by hand")
    try:
        lines = parse_git(option.literal)
    except Unconvertible as exc:
        return Refusal(finding, f"cannot convert programs.git.extraConfig: {exc}")
    return convert(ctx, finding, EXTRA_CONFIG, new, lines, nested=True)


def _delta(ctx: FileContext, finding: Finding, new: tuple[str, ...]) -> Outcome:
    option = ctx.option_at(finding, DELTA_ENABLE)
    binding = binding_node(ctx, option) if option is not None else None
    if option is None or binding is None:
        return Refusal(finding, "the definition was not found in the file")
    if option.path != DELTA_ENABLE:
        return Refusal(finding, "programs.git.delta is defined as a whole set: move "
                                "its options to programs.delta by hand")
    integration = (*new[:-1], "enableGitIntegration")
    value = moved_value(ctx, option, binding)
    extra = () if option.literal is False else ((integration, value),)
    return rename(ctx, finding, DELTA_ENABLE, new, extra=extra,
                  description=f"programs.git.delta.enable → {'.'.join(new)}"
                              + (f" + {'.'.join(integration)}" if extra else ""))
