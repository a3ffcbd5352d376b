"""Home Manager git (25.11): `programs.git.extraConfig` given as INI text, and
`programs.git.delta.enable` → `programs.delta.enable` + `enableGitIntegration`.

Matches: findings on `programs.git.extraConfig` whose value is a string, and on
`programs.git.delta.enable` (a `programs.git.delta = { enable; options; package; }` set
moves whole to `programs.delta`: Home Manager renamed `delta.options` and `delta.package`
too). (`userName`, `userEmail`, `aliases` and an attrset
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
from nqd.fix.base import FileContext, Fix, Outcome, Refusal
from nqd.fix.codemods.logind import convert
from nqd.fix.codemods.rename_option import rename
from nqd.fix.ini import Unconvertible, parse_git
from nqd.fix.relocate import Conflict, Entry, binding_node, moved_value, relocate
from nqd.fix.text import indentation, line_end, rest_is_blank_or_comment
from nqd.model.types import Context, OptionDef
from nqd.nix import emit, syntax
from nqd.nix.parser import parse

NAME = "home-manager-git"
EXPLANATION = "move Home Manager git/delta options to their 25.11 homes"
EXTRA_CONFIG = ("programs", "git", "extraConfig")
DELTA_ENABLE = ("programs", "git", "delta", "enable")
DELTA = ("programs", "git", "delta")
DELTA_HOME = ("programs", "delta")
DELTA_KEYS = frozenset({"enable", "options", "package"})


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
    whole = _delta_set(ctx, option)
    if whole is not None and new[:-1] == DELTA_HOME:
        return _move_delta_set(ctx, finding, whole, extra)
    return rename(ctx, finding, DELTA_ENABLE, new, extra=extra,
                  description=f"programs.git.delta.enable → {'.'.join(new)}"
                              + (f" + {'.'.join(integration)}" if extra else ""))


def _delta_set(ctx: FileContext, enable: OptionDef) -> OptionDef | None:
    """`programs.git.delta = { enable; options; package; }` written as one literal set
    (Home Manager renamed `delta.options`/`delta.package` to `programs.delta.*` too)."""
    for option in ctx.model.options:
        if option.path != DELTA or not option.is_set or option.wrappers \
                or option.context is not enable.context \
                or not (option.value_span[0] <= enable.binding_span[0]
                        and enable.binding_span[1] <= option.value_span[1]):
            continue
        keys = {o.path[3] for o in ctx.model.options
                if o.path[:3] == DELTA and o.first_part == 3 and len(o.path) > 3
                and option.value_span[0] <= o.binding_span[0] < option.value_span[1]}
        return option if keys <= DELTA_KEYS else None
    return None


def _move_delta_set(ctx: FileContext, finding: Finding, whole: OptionDef,
                    extra: tuple[tuple[tuple[str, ...], str], ...]) -> Outcome:
    binding = binding_node(ctx, whole)
    if binding is None:
        return Refusal(finding, "the definition was not found in the syntax tree")
    original = text = moved_value(ctx, whole, binding)
    beside: list[Entry] = []
    for path, value in extra:  # inside the moved set where it is a literal set
        merged = with_binding(text, path[-1], value)
        if merged is None:
            beside.append(Entry(path, value))
        else:
            text = merged
    entries = [Entry(DELTA_HOME, text, is_set=True), *beside]
    try:
        # `programs.git.delta = { ... };` is renamed in place: its value gains the line too.
        moved = relocate(ctx, whole, DELTA, entries,
                         new_value=text if text != original else None)
    except Conflict as exc:
        return Refusal(finding, str(exc))
    return Fix(finding, moved.edits,
               "programs.git.delta → programs.delta"
               + (" + programs.delta.enableGitIntegration" if extra else ""),
               touched=moved.touched,
               new_paths=(*(e.path for e in entries), *(path for path, _ in extra)))


def with_binding(set_text: str, key: str, value: str) -> str | None:
    """`set_text` (a literal attribute set) with `key = value;` added after its last
    binding, on its own line at that binding's indentation; None if it is no such set."""
    source = set_text.encode()
    tree = parse(source)
    top = tree.root.named_children[0] if tree.root.named_children else None
    if tree.has_errors or top is None or top.type != "attrset_expression":
        return None
    bindings = list(syntax.bindings(top))
    if not bindings:
        return None
    last = bindings[-1]
    line = f"{emit.attrpath((key,))} = {value};"
    indent = indentation(source, last.start_byte)
    if indent is not None and rest_is_blank_or_comment(source, last.end_byte):
        at = line_end(source, last.end_byte)  # after a trailing comment, which stays put
        insert = f"\n{indent}{line}"
    else:
        at, insert = last.end_byte, f" {line}"
    return source[:at].decode() + insert + source[at:].decode()
