"""Overlays read the package set through their arguments: `prev.system` in
`final: prev: { ... }` is `pkgs.system` (deprecated in 25.11), found where a function is an
overlay (an `overlays` list, a flake's `overlays.<name>`, a whole `final: prev:` file) and
nowhere else (`mapAttrs (name: value: ...)` is no overlay)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nqd.cli import main
from nqd.model.builder import build_model
from tests.check.helpers import write_tree

FLAKE = """\
{
  outputs = { self, nixpkgs, unstable }: {
    overlays.default = final: prev: { arch = final.system; };
    nixosModules.ws = { lib, ... }: {
      nixpkgs.overlays = lib.mkAfter [
        (final: prev: {
          unstable = import unstable { system = prev.system; };
          shadowed = let prev = { system = 1; }; in prev.system;
        })
        (self: super: { inherit (super) hostPlatform; })
      ];
    };
    hosts = builtins.mapAttrs (name: value: { s = value.system; t = name.system; }) { };
    helper = a: b: a.system;
  };
}
"""


def _reads(tmp_path: Path) -> list[tuple[str, str, int, bool]]:
    model = build_model([tmp_path])
    return sorted((r.base, r.path[0], r.pos.line, r.via_inherit) for r in model.reads()
                  if r.kind == "pkgs")


def test_overlay_arguments_are_read_as_pkgs_and_nothing_else_is(tmp_path: Path) -> None:
    write_tree(tmp_path, {"flake.nix": FLAKE,
                          "overlays/default.nix": "final: prev: { x = prev.hostPlatform; }\n",
                          "lib/pair.nix": "name: value: { y = value.system; }\n"})
    assert _reads(tmp_path) == [
        ("final", "system", 3, False),
        ("prev", "hostPlatform", 1, False),   # overlays/default.nix: a whole overlay file
        ("prev", "system", 7, False),         # line 8 rebinds prev: not the package set
        ("super", "hostPlatform", 10, True),
    ]


def test_fix_rewrites_overlay_reads_in_place(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"flake.nix": FLAKE})
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["check", str(tmp_path), "--from", "25.05", "--no-git"]) in (0, 1)
    out = capsys.readouterr().out
    assert "prev.system is deprecated: use prev.stdenv.hostPlatform.system" in out
    main(["fix", str(tmp_path), "--from", "25.05", "--write"])
    capsys.readouterr()
    written = (tmp_path / "flake.nix").read_text()
    assert written == (FLAKE.replace("final.system", "final.stdenv.hostPlatform.system")
                       .replace("system = prev.system", "system = prev.stdenv.hostPlatform.system"))
    if shutil.which("nix-instantiate"):
        subprocess.run(["nix-instantiate", "--parse", str(tmp_path / "flake.nix")], check=True,
                       capture_output=True)


def test_a_set_of_overlays_with_unused_arguments(tmp_path: Path) -> None:
    """The overlays/default.nix of the common starter configuration: overlays bound to
    names of their own (`stable-packages = final: _prev: ...`, `flake-inputs = final: _:`),
    read through interpolations and nested `_: x:` lambdas (seen in real configurations)."""
    write_tree(tmp_path, {"overlays/default.nix": """\
{ inputs, ... }:
{
  flake-inputs = final: _: {
    inputs = builtins.mapAttrs (_: flake: (flake.packages or { }).${final.system} or { }) inputs;
  };
  stable-packages = final: _prev: {
    stable = import inputs.nixpkgs-stable { system = final.system; };
  };
  not-an-overlay = name: value: { s = value.system; };
}
"""})
    assert _reads(tmp_path) == [("final", "system", 4, False), ("final", "system", 7, False)]
