"""Flake inputs that still pin the release being upgraded from."""

from __future__ import annotations

from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.analysis.flake_bump import bumped_url
from nqd.analysis.releases import pins_release
from nqd.knowledge.model import Evidence, Severity

OLD_RELEASE_INPUT = Rule(
    "NQD401", "flake-input-old-release", "A flake input still pins the old release branch.",
    "Until the input points at the new release branch (and `nix flake update --flake PATH` "
    "refreshes flake.lock), nothing of the new release is built. nixpkgs and Home Manager "
    "must move together: Home Manager warns when its release differs from nixpkgs'.",
    'inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";',
    'inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";',
)
RULES = (OLD_RELEASE_INPUT,)
# Names this rule looks for beyond the knowledge's own (see nqd.model.interest).
INTEREST: frozenset[str] = frozenset()
_EVIDENCE = (
    Evidence(url="https://nix.dev/manual/nix/stable/command-ref/new-cli/nix3-flake-update"),
    Evidence(url="https://nix-community.github.io/home-manager/#sec-upgrade-release"),
)


def check(ctx: RuleContext) -> Iterable[Finding]:
    """Inputs of nixpkgs, Home Manager and nix-darwin that pin a release being upgraded
    from. An input pinned to an older release than that is kept on purpose (a second,
    older nixpkgs for one package) and left alone; other repositories' branches are
    theirs to name."""
    for flake_input in ctx.model.flake_inputs():
        release = pins_release(flake_input)
        if release is None or not ctx.from_release <= release < ctx.to_release:
            continue
        new_url = bumped_url(flake_input.url, ctx.to_release)
        yield Finding(
            OLD_RELEASE_INPUT.id, OLD_RELEASE_INPUT.name, Severity.WARNING, flake_input.pos,
            f"input {flake_input.name} pins {flake_input.ref}; the upgrade needs "
            f"{new_url}, then `nix flake update --flake {flake_input.pos.path.parent}`",
            replacement=new_url, evidence=_EVIDENCE, fixable=True,
        )

