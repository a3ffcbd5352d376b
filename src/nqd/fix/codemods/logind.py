"""RFC 42 conversions of systemd INI text: `services.logind.extraConfig` →
`services.logind.settings.Login`, `systemd.extraConfig` → `systemd.settings.Manager`.

Matches: findings on those two options (removed in 25.11: evaluation fails).
Why: `extraConfig` is not forwarded; its `Key=Value` lines must become attributes. Values
are typed (`yes`/`no` → booleans, integers → integers, the rest strings) and comment
lines are kept as Nix comments. Text with `${...}` interpolation, other sections, line
continuations or repeated keys is left as a finding with the reason: never half-converted.
"""

from __future__ import annotations

from nqd.analysis.findings import Finding
from nqd.fix.base import FileContext, Fix, Outcome, Refusal
from nqd.fix.ini import IniLine, Unconvertible, parse_systemd
from nqd.fix.relocate import Conflict, Entry, binding_node, moved_value, relocate
from nqd.nix import emit

NAME = "systemd-ini"
EXPLANATION = "convert INI lines of extraConfig into RFC 42 settings attributes"
# old option → (new option, the INI section its lines belong to)
CONVERSIONS = {
    "services.logind.extraConfig": ("services.logind.settings.Login", "Login"),
    "systemd.extraConfig": ("systemd.settings.Manager", "Manager"),
}


def matches(finding: Finding) -> bool:
    return finding.change is not None and finding.change.old in CONVERSIONS \
        and finding.rule in ("NQD101", "NQD102", "NQD103")


def fix(ctx: FileContext, finding: Finding) -> Outcome:
    assert finding.change is not None and finding.change.old is not None
    new_name, section = CONVERSIONS[finding.change.old]
    old = tuple(finding.change.old.split("."))
    option = ctx.option_at(finding, old)
    if option is None or option.path != old:
        return Refusal(finding, "the definition was not found in the file")
    if not isinstance(option.literal, str):
        return Refusal(finding, f"{finding.change.old} is not a plain string (it uses "
                                f"interpolation or an expression): write {new_name} by hand")
    try:
        lines = parse_systemd(option.literal, section)
    except Unconvertible as exc:
        return Refusal(finding, f"cannot convert {finding.change.old}: {exc}")
    other = sorted({line.section[0] for line in lines if line.section != (section,)})
    if other:
        return Refusal(finding, f"{finding.change.old} has sections other than [{section}] "
                                f"({', '.join(other)}): convert by hand")
    return convert(ctx, finding, old, tuple(new_name.split(".")), lines)


def convert(ctx: FileContext, finding: Finding, old: tuple[str, ...], new: tuple[str, ...],
            lines: list[IniLine], *, nested: bool = False) -> Outcome:
    """Replace the definition at `old` by `new = { <lines> };` (wrappers kept)."""
    option = ctx.option_at(finding, old)
    binding = binding_node(ctx, option) if option is not None else None
    if option is None or binding is None:
        return Refusal(finding, "the definition was not found in the syntax tree")
    value = emit.emit(attrset(lines, nested))
    keys = tuple((line.key, emit.emit(line.value)) for line in lines
                 if line.key is not None and len(line.section) <= 1 and not nested)
    entry = Entry(new, moved_value(ctx, option, binding, value), is_set=not option.wrappers,
                  keys=keys if not option.wrappers else ())
    try:
        moved = relocate(ctx, option, old, [entry], new_value=value)
    except Conflict as exc:
        return Refusal(finding, str(exc))
    count = sum(1 for line in lines if line.key is not None)
    return Fix(finding, moved.edits, f"{'.'.join(old)} ({count} settings) → {'.'.join(new)}",
               touched=moved.touched, new_paths=(new,))


def attrset(lines: list[IniLine], nested: bool) -> emit.AttrSet:
    """The lines as an attrset: flat keys, or `section.sub.key` paths when `nested`."""
    entries: list[tuple[str | tuple[str, ...] | emit.Comment, emit.NixValue]] = []
    for line in lines:
        if line.key is None:
            if line.comment:
                entries.append((emit.Comment(line.comment), None))
        elif nested:
            entries.append(((*line.section, line.key), line.value))
        else:
            entries.append((line.key, line.value))
    return emit.AttrSet(tuple(entries))
