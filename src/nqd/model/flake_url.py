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


def parse_flake_url(url: str) -> tuple[str | None, str | None]:
    """(owner/repo, ref) of a flake URL such as `github:NixOS/nixpkgs/nixos-25.05`."""
    match = _FLAKE_URL.match(url) or _HTTP_URL.match(url)
    if not match:
        return None, None
    ref = match.group("ref") or None
    query = match.group("query") or ""
    for item in query.split("&"):
        key, _, value = item.partition("=")
        if key == "ref" and value:
            ref = value.removeprefix("refs/heads/")
    return f"{match.group('owner')}/{match.group('repo')}", ref
