"""One rule per module. Each module defines `RULES: tuple[Rule, ...]` and
`check(ctx: RuleContext) -> Iterable[Finding]`. Adding a rule touches its own file and
this list only. A module that judges a change in detail may also define
`settles(ctx: RuleContext) -> frozenset[str]`: the ids of changes whose generic note
(NQD701-703) says nothing more for this configuration.
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
