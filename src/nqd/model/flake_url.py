"""Flake input URLs: which repository and which ref (branch) they pin."""

from __future__ import annotations

import re

_FLAKE_URL = re.compile(
    r"^(?:github|gitlab|sourcehut):(?P<owner>[^/?#]+)/(?P<repo>[^/?#]+)(?:/(?P<ref>[^?#]*))?"
    r"(?:\?(?P<query>[^#]*))?"
)
_HTTP_URL = re.compile(
    r"^(?:git\+)?https?://(?:www\.)?github\.com/(?P<owner>[^/?#]+)/(?P<repo>[^/?#.]+)"
    r"(?:\.git)?(?:/archive/(?P<ref>[^?#]+?)\.tar\.gz)?(?:\?(?P<query>[^#]*))?"
)


# Indirect references (`nixpkgs/nixos-25.05`, `flake:home-manager`) of the flakes whose
# release branches nqd knows, as the default flake registry resolves them.
_INDIRECT = re.compile(r"^(?:flake:)?(?P<id>[A-Za-z][A-Za-z0-9_-]*)(?:/(?P<ref>[^?#]*))?"
                       r"(?:\?(?P<query>[^#]*))?$")
_REGISTRY = {"nixpkgs": "NixOS/nixpkgs", "home-manager": "nix-community/home-manager",
             "nix-darwin": "nix-darwin/nix-darwin"}


def parse_flake_url(url: str) -> tuple[str | None, str | None]:
    """(owner/repo, ref) of a flake URL such as `github:NixOS/nixpkgs/nixos-25.05` or the
    indirect `nixpkgs/nixos-25.05`."""
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
