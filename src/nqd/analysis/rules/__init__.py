"""One rule per module. Each module defines `RULES: tuple[Rule, ...]` and
`check(ctx: RuleContext) -> Iterable[Finding]`. Adding a rule touches its own file and
this list only.
"""

RULE_MODULES = (
    "syntax",
    "options",
    "packages",
    "read_refs",
    "flake_inputs",
    "release_pins",
    "state_version",
    "networkmanager",
    "xserver_drivers",
    "changed_defaults",
    "stateful_images",
)
