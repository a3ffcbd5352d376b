"""Flake input URLs: which repository and which ref (branch) they pin.

Besides `github:`/`gitlab:`/`sourcehut:` and GitHub archive URLs, two forms name a release
without a branch ref: NixOS channel URLs (`https://channels.nixos.org/nixos-25.05/
nixexprs.tar.xz`, as NixOS/nix's own flake uses since NixOS/nix#14669, or the bare
channel of `system.autoUpgrade.channel`), whose ref is the channel name, and FlakeHub
(`https://flakehub.com/f/NixOS/nixpkgs/0.2505.*`), whose ref is the version requirement
as written (see `nqd.analysis.releases.release_of_ref`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_FLAKE_URL = re.compile(
    r"^(?:github|gitlab|sourcehut):(?P<owner>[^/?#]+)/(?P<repo>[^/?#]+)(?:/(?P<ref>[^?#]*))?"
    r"(?:\?(?P<query>[^#]*))?"
)
_HTTP_URL = re.compile(
    r"^(?:git\+)?https?://(?:www\.)?github\.com/(?P<owner>[^/?#]+)/(?P<repo>[^/?#.]+)"
    r"(?:\.git)?(?:/archive/(?P<ref>[^?#]+?)\.tar\.gz)?(?:\?(?P<query>[^#]*))?"
)

_CHANNEL = re.compile(
    r"^https?://(?:channels\.nixos\.org|nixos\.org/channels)/(?P<ref>[^/?#]+)"
    r"(?:/nixexprs\.tar\.(?:xz|gz|bz2)|/)?(?:[?#]|$)"  # the bare channel: autoUpgrade.channel
)
_FLAKEHUB = re.compile(
    r"^https?://(?:api\.)?flakehub\.com/f/(?:pinned/)?(?P<owner>[^/?#]+)/(?P<repo>[^/?#]+)"
    r"(?:/(?P<ref>[^/?#]+?)(?:\.tar\.gz)?)?(?:[/?#]|$)"
)
NIXPKGS_REPO = "NixOS/nixpkgs"

# Indirect references (`nixpkgs/nixos-25.05`, `flake:home-manager`) of the flakes whose
# release branches nqd knows, as the default flake registry resolves them.
_INDIRECT = re.compile(r"^(?:flake:)?(?P<id>[A-Za-z][A-Za-z0-9_-]*)(?:/(?P<ref>[^?#]*))?"
                       r"(?:\?(?P<query>[^#]*))?$")
_REGISTRY = {"nixpkgs": NIXPKGS_REPO, "home-manager": "nix-community/home-manager",
             "nix-darwin": "nix-darwin/nix-darwin"}


def parse_flake_url(url: str) -> tuple[str | None, str | None]:
    """(owner/repo, ref) of a flake URL such as `github:NixOS/nixpkgs/nixos-25.05` or the
    indirect `nixpkgs/nixos-25.05`."""
    channel = _CHANNEL.match(url)
    if channel:
        return NIXPKGS_REPO, channel.group("ref")
    flakehub = _FLAKEHUB.match(url)
    if flakehub:
        ref = flakehub.group("ref")  # flake.lock keeps it percent-encoded (`0.2505.%2A`)
        return (f"{flakehub.group('owner')}/{flakehub.group('repo')}",
                unquote(ref) if ref else None)
    match = _FLAKE_URL.match(url) or _HTTP_URL.match(url)
    if match:
        owner_repo: str | None = f"{match.group('owner')}/{match.group('repo')}"
    else:
        match = _INDIRECT.match(url)
        if not match or match.group("id") not in _REGISTRY:
            return None, None
        owner_repo = _REGISTRY[match.group("id")]
    ref = match.group("ref") or None
    query = match.group("query") or ""
    for item in query.split("&"):
        key, _, value = item.partition("=")
        if key == "ref" and value:
            ref = value.removeprefix("refs/heads/")
    return owner_repo, ref
