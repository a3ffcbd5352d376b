"""The flake input bump: only the release number inside release-pinned input URLs changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nqd.analysis.flake_bump import bump_flake, bumped_source, plan_input_bumps
from nqd.analysis.flake_outputs import flake_outputs
from nqd.errors import InputError
from nqd.releases import Release

R2511 = Release.parse("25.11")

FLAKE = b"""{
  # comments and layout survive
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
    small.url = "github:NixOS/nixpkgs/nixos-25.05-small";
    home-manager = {
      url = "github:nix-community/home-manager/release-25.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    unstable.url = "github:NixOS/nixpkgs/nixos-unstable";
    hardware.url = "github:NixOS/nixos-hardware";
    darwin.url = "git+https://github.com/LnL7/nix-darwin?ref=nix-darwin-25.05";
    newer.url = "github:NixOS/nixpkgs/nixos-26.05";
    dyn.url = "github:NixOS/nixpkgs/${branch}-25.05";
  };
  inputs.nixpkgs-darwin.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";
  outputs = { self, ... }: { note = "nixos-25.05"; nixosConfigurations.ws = { }; };
}
"""


def test_bumps_exactly_the_release_pinned_inputs() -> None:
    bumps = plan_input_bumps(Path("flake.nix"), FLAKE, R2511)
    assert {b.input: b.new_url for b in bumps} == {
        "nixpkgs": "github:NixOS/nixpkgs/nixos-25.11",
        "small": "github:NixOS/nixpkgs/nixos-25.11-small",
        "home-manager": "github:nix-community/home-manager/release-25.11",
        "darwin": "git+https://github.com/LnL7/nix-darwin?ref=nix-darwin-25.11",
        "nixpkgs-darwin": "github:NixOS/nixpkgs/nixpkgs-25.11-darwin",
    }
    assert [b.line for b in bumps] == [4, 5, 7, 12, 16]


def test_only_the_release_bytes_change_and_bumping_is_idempotent() -> None:
    out = bumped_source(Path("flake.nix"), FLAKE, R2511)
    expected = (FLAKE.replace(b"nixos-25.05\";", b"nixos-25.11\";", 1)
                .replace(b"nixos-25.05-small", b"nixos-25.11-small")
                .replace(b"release-25.05", b"release-25.11")
                .replace(b"nix-darwin-25.05", b"nix-darwin-25.11")
                .replace(b"nixpkgs-25.05-darwin", b"nixpkgs-25.11-darwin"))
    assert out == expected
    assert b'note = "nixos-25.05"' in out  # not an input URL
    assert b"${branch}-25.05" in out  # interpolated: left alone
    assert bumped_source(Path("flake.nix"), out, R2511) == out


def test_bump_flake_writes_atomically_keeping_mode(tmp_path: Path) -> None:
    file = tmp_path / "flake.nix"
    file.write_bytes(FLAKE)
    os.chmod(file, 0o640)
    bumps = bump_flake(tmp_path, R2511)
    assert len(bumps) == 5
    assert file.read_bytes() == bumped_source(file, FLAKE, R2511)
    assert file.stat().st_mode & 0o777 == 0o640
    assert bump_flake(tmp_path, R2511) == []
    assert not [p for p in tmp_path.iterdir() if p.name != "flake.nix"]


def test_dry_plan_does_not_write(tmp_path: Path) -> None:
    file = tmp_path / "flake.nix"
    file.write_bytes(FLAKE)
    assert bump_flake(file, R2511, write=False)
    assert file.read_bytes() == FLAKE


def test_syntax_error_is_a_one_line_input_error(tmp_path: Path) -> None:
    (tmp_path / "flake.nix").write_bytes(b'{ inputs.nixpkgs.url = "x"; ')
    with pytest.raises(InputError, match=r"flake.nix:\d+:\d+: syntax error"):
        bump_flake(tmp_path, R2511)


def test_let_wrapped_flake_and_rec_sets() -> None:
    src = b'let b = "x"; in rec { inputs.nixpkgs = { url = "github:NixOS/nixpkgs/nixos-24.11"; }; }'
    bumps = plan_input_bumps(Path("f"), src, R2511)
    assert [b.new_url for b in bumps] == ["github:NixOS/nixpkgs/nixos-25.11"]


def test_flake_outputs_reads_configuration_names() -> None:
    outputs = flake_outputs(FLAKE)
    assert outputs.nixos == ("ws",)
    nested = b"""{ outputs = { ... }: let x = 1; in {
      nixosConfigurations = { a = 1; "b" = 2; };
      homeConfigurations."alice@a" = 3;
    }; }"""
    got = flake_outputs(nested)
    assert got.nixos == ("a", "b")
    assert got.home == ("alice@a",)


_RELEASES = ["23.11", "24.05", "24.11", "25.05", "25.11", "26.05"]
# Only nixpkgs, Home Manager and nix-darwin have release branches nqd moves.
_REPO = {"nixpkgs": "NixOS/nixpkgs", "home-manager": "nix-community/home-manager",
         "hm": "nix-darwin/nix-darwin", "n2": "NixOS/nixpkgs", '"with-dash"': "o/r"}
_BRANCHES = ["nixos-{}", "nixos-{}-small", "release-{}", "nixpkgs-{}-darwin", "nixos-unstable"]


@given(
    entries=st.lists(
        st.tuples(st.sampled_from(["nixpkgs", "home-manager", "hm", "n2", "\"with-dash\""]),
                  st.sampled_from(_BRANCHES), st.sampled_from(_RELEASES),
                  st.sampled_from([" ", "  ", "\n    ", " /* c */ "]), st.booleans()),
        min_size=1, max_size=4, unique_by=lambda e: e[0]),
    target=st.sampled_from(["25.11", "26.05"]),
)
def test_bump_changes_only_stale_release_numbers(
        entries: list[tuple[str, str, str, str, bool]], target: str) -> None:
    lines = []
    for name, branch, release, space, nested in entries:
        url = f'"github:{_REPO[name]}/{branch.format(release)}"'
        if nested:
            lines.append(f"  inputs.{name} = {{{space}url ={space}{url};{space}}};")
        else:
            lines.append(f"  inputs.{name}.url{space}={space}{url};")
    source = ("{\n" + "\n".join(lines) + "\n  outputs = _: { };\n}\n").encode()
    release = Release.parse(target)
    out = bumped_source(Path("flake.nix"), source, release)
    assert bumped_source(Path("flake.nix"), out, release) == out  # idempotent
    assert len(out) == len(source)  # YY.MM → YY.MM: same length, nothing else moves
    changed = [i for i, (a, b) in enumerate(zip(source, out, strict=True)) if a != b]
    for i in changed:  # only digits of release numbers change
        assert chr(source[i]).isdigit() and chr(out[i]).isdigit()
    pinned = {name: Release.parse(rel) for name, branch, rel, _, _ in entries
              if "{}" in branch and _REPO[name] != "o/r"}
    since = pinned.get("nixpkgs")  # older pins than inputs.nixpkgs are kept on purpose
    expected = sum(1 for rel in pinned.values()
                   if rel < release and (since is None or rel >= since))
    assert len(plan_input_bumps(Path("flake.nix"), source, release)) == expected


@pytest.mark.parametrize(("url", "bumped"), [
    ("https://channels.nixos.org/nixos-25.05/nixexprs.tar.xz",
     "https://channels.nixos.org/nixos-25.11/nixexprs.tar.xz"),
    ("https://github.com/NixOS/nixpkgs/archive/nixos-25.05.tar.gz",  # was read, not bumped
     "https://github.com/NixOS/nixpkgs/archive/nixos-25.11.tar.gz"),
    ("https://flakehub.com/f/NixOS/nixpkgs/0.2505.*.tar.gz",
     "https://flakehub.com/f/NixOS/nixpkgs/0.2511.*.tar.gz"),
    ("https://flakehub.com/f/nix-community/home-manager/0.2505",
     "https://flakehub.com/f/nix-community/home-manager/0.2511"),
    # A pinned patch number means nothing in the new release: its newest patch instead.
    ("https://flakehub.com/f/NixOS/nixpkgs/=0.2505.812345",
     "https://flakehub.com/f/NixOS/nixpkgs/0.2511"),
    ("https://flakehub.com/f/NixOS/nixpkgs/0.1", None),  # unstable: not a release pin
    ("https://example.org/f/NixOS/nixpkgs/0.2505", None),  # not FlakeHub
])
def test_channel_and_flakehub_urls_are_bumped(url: str, bumped: str | None) -> None:
    source = f'{{\n  inputs.nixpkgs.url = "{url}";\n  outputs = _: {{ }};\n}}\n'.encode()
    bumps = plan_input_bumps(Path("flake.nix"), source, R2511)
    assert [b.new_url for b in bumps] == ([bumped] if bumped else [])
    out = bumped_source(Path("flake.nix"), source, R2511)
    assert out == (source.replace(url.encode(), bumped.encode()) if bumped else source)
    assert bumped_source(Path("flake.nix"), out, R2511) == out
