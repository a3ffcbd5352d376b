"""Renamed options: `old.path = v;` becomes `new.path = v;`, dotted or nested.

Matches: NQD101 findings whose change is a fixable `renamed-option`.
Why: the alias warns now and is removed later. The value (with any mkForce/mkDefault
wrapper) keeps its text; a binding nested too deep for the new path moves up to the
deepest enclosing set both paths share, inside the same mkIf/mkMerge branch, and merges
into a set that already holds the new path.
"""

from __future__ import annotations

from nqd.analysis.findings import Finding
from nqd.fix.base import FileContext, Fix, Outcome, Refusal
from nqd.fix.relocate import Conflict, Entry, binding_node, moved_value, relocate
from nqd.knowledge.model import Kind

NAME = "rename-option"
EXPLANATION = "rewrite the definition under the option's new name"
_STATE_VERSIONS = (("system", "stateVersion"), ("home", "stateVersion"))


def matches(finding: Finding) -> bool:
    change = finding.change
    return finding.rule == "NQD101" and finding.fixable and change is not None \
        and change.kind is Kind.RENAMED_OPTION and change.new is not None


def fix(ctx: FileContext, finding: Finding) -> Outcome:
    change = finding.change
    assert change is not None and change.old is not None and change.new is not None
    old, new = tuple(change.old.split(".")), tuple(change.new.split("."))
    return rename(ctx, finding, old, new)


def rename(ctx: FileContext, finding: Finding, old: tuple[str, ...], new: tuple[str, ...],
           extra: tuple[tuple[tuple[str, ...], str], ...] = (),
           description: str | None = None) -> Outcome:
    """Rename the definition of `finding` from `old` to `new` (plus `extra` definitions
    given as (path, value text) placed beside it)."""
    if old in _STATE_VERSIONS or new in _STATE_VERSIONS:
        return Refusal(finding, "nqd never changes stateVersion")
    option = ctx.option_at(finding, old)
    if option is None:
        return Refusal(finding, "the definition was not found in the file")
    if option.value_type == "inherit":
        return Refusal(finding, f"{option.dotted} is defined with `inherit`: write "
                                f"{'.'.join(new)} = ...; by hand")
    binding = binding_node(ctx, option)
    if binding is None:
        return Refusal(finding, "the definition was not found in the syntax tree")
    suffix = tuple(p for p in option.path[len(old):] if p is not None)
    target = (*new, *suffix)
    value = moved_value(ctx, option, binding)
    entries = [Entry(target, value, is_set=option.is_set and not option.wrappers)]
    entries += [Entry(path, text) for path, text in extra]
    try:
        moved = relocate(ctx, option, old, entries)
    except Conflict as exc:
        return Refusal(finding, str(exc))
    how = "renamed in place" if moved.in_place else "moved"
    return Fix(finding, moved.edits,
               description or f"{option.dotted} → {'.'.join(target)} ({how})",
               touched=moved.touched, new_paths=tuple(e.path for e in entries))
