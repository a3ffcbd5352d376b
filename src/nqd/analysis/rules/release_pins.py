"""Release pins outside flake inputs that still follow the release being upgraded from:
niv's and npins' pins (NQD402), and in `.nix` files `builtins.fetchTarball`/`fetchGit`
of nixpkgs or Home Manager and `system.autoUpgrade.channel` (NQD403)."""

from __future__ import annotations

from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.analysis.flake_bump import bumped_url
from nqd.analysis.releases import NIXPKGS, RELEASE_REPOS, release_of_ref
from nqd.knowledge.model import Evidence, Severity
from nqd.model.flake_url import parse_flake_url

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
OLD_RELEASE_URL = Rule(
    "NQD403", "url-pin-old-release",
    "A fetchTarball/fetchGit of nixpkgs or Home Manager, or system.autoUpgrade.channel, "
    "still names the old release.",
    "Configurations without a flake often import Home Manager as "
    "`builtins.fetchTarball https://github.com/nix-community/home-manager/archive/"
    "release-25.05.tar.gz`. After the system moves to the new release that Home Manager "
    "stays on the old one, and Home Manager warns that its release differs from nixpkgs'. "
    "`system.autoUpgrade.channel` on the old channel makes automatic upgrades rebuild the "
    "system from the old release. `nqd fix` moves the release in the URL (or fetchGit's "
    "`ref`); a pinned `sha256`/`hash`/`rev` must change with it and is left for a person "
    "(`nix-prefetch-url --unpack URL` prints the new hash).",
    'home-manager = builtins.fetchTarball "https://github.com/nix-community/home-manager/'
    'archive/release-25.05.tar.gz";',
    'home-manager = builtins.fetchTarball "https://github.com/nix-community/home-manager/'
    'archive/release-25.11.tar.gz";',
)
RULES = (OLD_RELEASE_PIN, OLD_RELEASE_URL)
# A file can only fetch or set these if it names them (see nqd.model.interest).
INTEREST: frozenset[str] = frozenset({"fetchTarball", "fetchGit", "autoUpgrade"})
_PIN_EVIDENCE = (
    Evidence(url="https://github.com/nmattia/niv#tracking-a-nixpkgs-branch"),
    Evidence(url="https://github.com/andir/npins#adding-dependencies"),
)
_URL_EVIDENCE = (
    Evidence(url="https://nix-community.github.io/home-manager/#sec-install-nixos-module"),
    Evidence(url="https://search.nixos.org/options?show=system.autoUpgrade.channel"),
)
_CHANNEL = ("system", "autoUpgrade", "channel")


def check(ctx: RuleContext) -> Iterable[Finding]:
    yield from check_pins(ctx)
    yield from check_fetched(ctx)
    yield from check_auto_upgrade(ctx)


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


def check_fetched(ctx: RuleContext) -> Iterable[Finding]:
    """Home Manager and nix-darwin fetched on a release older than the target (there is
    one of each, it must follow the system); nixpkgs fetched on the release being
    upgraded from (an older one is kept on purpose, for one package)."""
    for fetched in ctx.model.fetched_sources():
        repo = (fetched.owner_repo or "").lower()
        release = release_of_ref(fetched.ref)
        if repo not in RELEASE_REPOS or release is None or release >= ctx.to_release \
                or (repo == NIXPKGS and release < ctx.from_release):
            continue
        new_ref = bumped_url(fetched.ref or "", ctx.to_release)
        hashed = " Its pinned hash must change too (`nix-prefetch-url --unpack URL`)." \
            if fetched.hashed else ""
        yield Finding(
            OLD_RELEASE_URL.id, OLD_RELEASE_URL.name, Severity.WARNING, fetched.pos,
            f"{fetched.function} of {fetched.owner_repo} follows {fetched.ref}; the upgrade "
            f"needs {new_ref}.{hashed}",
            replacement=bumped_url(fetched.url, ctx.to_release), evidence=_URL_EVIDENCE,
            fixable=not fetched.hashed,
            fix_note="change the hash with the URL: `nix-prefetch-url --unpack URL`"
            if fetched.hashed else None,
        )


def check_auto_upgrade(ctx: RuleContext) -> Iterable[Finding]:
    for option in ctx.model.defines(_CHANNEL):
        if option.path != _CHANNEL or not isinstance(option.literal, str) \
                or option.lines is None:
            continue
        owner_repo, ref = parse_flake_url(option.literal)
        release = release_of_ref(ref)
        if (owner_repo or "").lower() != NIXPKGS or release is None \
                or release >= ctx.to_release:
            continue
        new_url = bumped_url(option.literal, ctx.to_release)
        yield Finding(
            OLD_RELEASE_URL.id, OLD_RELEASE_URL.name, Severity.WARNING,
            option.lines.source_pos(*option.value_span),
            f"system.autoUpgrade.channel follows {ref}: automatic upgrades would rebuild the "
            f"system from {release}; the upgrade needs {new_url}",
            context=option.context, replacement=new_url, evidence=_URL_EVIDENCE, fixable=True,
        )
