"""Flake inputs, and niv or npins pins, that still follow the release being upgraded from."""

from __future__ import annotations

from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.analysis.flake_bump import bumped_url
from nqd.analysis.releases import RELEASE_REPOS, pins_release, release_of_ref
from nqd.knowledge.model import Evidence, Severity

OLD_RELEASE_INPUT = Rule(
    "NQD401", "flake-input-old-release", "A flake input still pins the old release branch.",
    "Until the input points at the new release branch (and `nix flake update --flake PATH` "
    "refreshes flake.lock), nothing of the new release is built. nixpkgs and Home Manager "
    "must move together: Home Manager warns when its release differs from nixpkgs'.",
    'inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";',
    'inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";',
)
OLD_RELEASE_PIN = Rule(
    "NQD402", "pinned-source-old-release",
    "A niv or npins pin still follows the old release branch or channel.",
    "Configurations without a flake pin nixpkgs and Home Manager with niv (nix/sources.json) "
    "or npins (npins/sources.json). Until the pin follows the new release, nothing of it is "
    "built. The pin's tool moves it, fetching the new revision and its hash (nqd cannot "
    "compute the hash, so it does not edit the file): `niv update nixpkgs -b nixos-25.11`, "
    "`npins add github NixOS nixpkgs -b nixos-25.11 --name nixpkgs`, or for a channel pin "
    "`npins add channel nixos-25.11 --name nixpkgs` (an existing pin of that name is "
    "replaced).",
    '"nixpkgs": { "branch": "nixos-25.05", "owner": "NixOS", "repo": "nixpkgs", ... }',
    '"nixpkgs": { "branch": "nixos-25.11", "owner": "NixOS", "repo": "nixpkgs", ... }',
)
RULES = (OLD_RELEASE_INPUT, OLD_RELEASE_PIN)
# Names this rule looks for beyond the knowledge's own (see nqd.model.interest).
INTEREST: frozenset[str] = frozenset()
_EVIDENCE = (
    Evidence(url="https://nix.dev/manual/nix/stable/command-ref/new-cli/nix3-flake-update"),
    Evidence(url="https://nix-community.github.io/home-manager/#sec-upgrade-release"),
)
_PIN_EVIDENCE = (
    Evidence(url="https://github.com/nmattia/niv#tracking-a-nixpkgs-branch"),
    Evidence(url="https://github.com/andir/npins#adding-dependencies"),
)
def check(ctx: RuleContext) -> Iterable[Finding]:
    yield from check_inputs(ctx)
    yield from check_pins(ctx)


def check_inputs(ctx: RuleContext) -> Iterable[Finding]:
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


def check_pins(ctx: RuleContext) -> Iterable[Finding]:
    """niv and npins pins of nixpkgs, Home Manager and nix-darwin on a release being
    upgraded from (older pins are kept on purpose, as for flake inputs)."""
    for pin in ctx.model.pinned_sources:
        release = release_of_ref(pin.ref)
        if (pin.owner_repo or "").lower() not in RELEASE_REPOS or release is None \
                or not ctx.from_release <= release < ctx.to_release:
            continue
        new_ref = bumped_url(pin.ref or "", ctx.to_release)
        if pin.tool == "niv":
            command = f"niv update {pin.name} -b {new_ref}"
        elif pin.channel:
            command = f"npins add channel {new_ref} --name {pin.name}"
        else:
            owner, _, repo = (pin.owner_repo or "").partition("/")
            command = f"npins add github {owner} {repo} -b {new_ref} --name {pin.name}"
        yield Finding(
            OLD_RELEASE_PIN.id, OLD_RELEASE_PIN.name, Severity.WARNING, pin.pos,
            f"{pin.tool} pin {pin.name} follows {pin.ref}; the upgrade needs {new_ref}: run "
            f"`{command}` in {pin.pos.path.parent.parent}",
            replacement=new_ref, evidence=_PIN_EVIDENCE, fixable=False,
        )
