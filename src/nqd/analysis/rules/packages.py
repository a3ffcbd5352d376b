"""Package attributes that were renamed (aliases) or removed (throws)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.knowledge.model import Change, Kind

RENAMED = Rule(
    "NQD201", "renamed-package", "A package you use is now an alias of another name.",
    "Aliases keep working for a while, print a warning with `nixpkgs.config.allowAliases`, "
    "and are removed later.",
    "environment.systemPackages = [ pkgs.noto-fonts-emoji ];",
    "environment.systemPackages = [ pkgs.noto-fonts-color-emoji ];",
)
REMOVED = Rule(
    "NQD202", "removed-package", "A package you use was removed.",
    "The attribute now throws: evaluation fails with the removal message.",
)
RULES = (RENAMED, REMOVED)
# Names this rule looks for beyond the knowledge's own (see nqd.model.interest).
INTEREST: frozenset[str] = frozenset()
_PYTHON_SET = re.compile(r"^python3\d*Packages\.")


def normalise(attr: str) -> str:
    """Package sets with one alias file: `python313Packages.x` is matched as `python3Packages.x`."""
    return _PYTHON_SET.sub("python3Packages.", attr)


def inherit_note(old: str, new: str, base: str = "pkgs") -> str:
    """What to write instead of `inherit (pkgs) old;`, whose binding name is the old name."""
    name = old.split(".")[-1]
    return f"`inherit ({base}) {name}` also names the binding {name}: write " \
        f"`{name} = {base}.{new};`"


def check(ctx: RuleContext) -> Iterable[Finding]:
    changes: dict[str, Change] = {}
    for change in ctx.of_kind(Kind.RENAMED_PACKAGE, Kind.REMOVED_PACKAGE):
        if change.old:
            changes.setdefault(normalise(change.old), change)
    for ref in ctx.model.packages():
        parts = normalise(ref.attr).split(".")
        for length in range(len(parts), 0, -1):
            found = changes.get(".".join(parts[:length]))
            if found is None:
                continue
            change = found
            rule = RENAMED if change.kind is Kind.RENAMED_PACKAGE else REMOVED
            name = ".".join(parts[:length])
            if change.kind is Kind.RENAMED_PACKAGE:
                message = f"package {name} was renamed to {change.new} in {change.to_release}"
            elif change.new:
                message = (f"package {name} was removed in {change.to_release} (evaluation "
                           f"fails); use {change.new}, which the old alias pointed to")
            else:
                message = f"package {name} was removed in {change.to_release}: {change.message}"
            fixable = change.fixable and not (ref.via_inherit or ref.via_argument)
            note = inherit_note(name, change.new) if ref.via_inherit and change.new else (
                f"`{name}` is an argument of this file (callPackage passes packages by name): "
                f"rename the argument and its uses to {change.new}"
                if ref.via_argument and change.new else None)
            yield Finding(
                rule=rule.id, rule_name=rule.name, severity=change.effective_severity,
                pos=ref.pos, message=message, context=ref.context, replacement=change.new,
                evidence=change.evidence, change=change, fixable=fixable,
                fix_note=note or (None if fixable else (change.migration or None)),
            )
            break
