"""Release pins in `.nix` files of configurations without a flake: Home Manager (or
nixpkgs) fetched with `builtins.fetchTarball`/`fetchGit`, and `system.autoUpgrade.channel`
(NQD403, fixed by `nqd fix` unless a hash is pinned too); and release detection from them
on a machine that is not NixOS."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from nqd.cli import main
from tests.check.helpers import write_tree

HM = "https://github.com/nix-community/home-manager/archive/release-25.05.tar.gz"
CONFIG = f"""\
{{ config, pkgs, ... }}:
let
  home-manager = builtins.fetchTarball {HM};
  pinned = builtins.fetchTarball {{
    url = "{HM}";
    sha256 = "1iqfq5lz3102cp3ryqqqs2hr2bdmwn0mdajprh1ls5h5nsfkigs1";
  }};
  hm-git = builtins.fetchGit {{
    url = "https://github.com/nix-community/home-manager";
    ref = "refs/heads/release-25.05";
  }};
  old = import (fetchTarball "https://github.com/NixOS/nixpkgs/archive/nixos-24.11.tar.gz") {{ }};
  also = import (fetchTarball "https://github.com/NixOS/nixpkgs/archive/nixos-25.05.tar.gz") {{ }};
in
{{
  imports = [ (import "${{home-manager}}/nixos") ];
  system.autoUpgrade.channel = "https://nixos.org/channels/nixos-25.05";
}}
"""


def _findings(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["check", *args, "--no-git", "--format", "json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, json.loads(out)


def _nqd403(report: dict[str, object]) -> list[tuple[int, bool, str]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [(f["location"]["line"], f["fixable"], f["message"]) for f in findings
            if f["rule"] == "NQD403"]


def test_fetched_home_manager_and_auto_upgrade_channel_on_the_old_release(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"configuration.nix": CONFIG})
    _code, report = _findings(capsys, str(tmp_path), "--from", "25.05")
    found = _nqd403(report)
    assert [(line, fixable) for line, fixable, _ in found] == [
        (3, True),    # the URI literal
        (5, False),   # a sha256 is pinned with it
        (10, True),   # fetchGit's ref
        (13, True),   # nixpkgs on the release being left (24.11 on line 12 is kept)
        (17, True),   # system.autoUpgrade.channel
    ]
    assert "fetchTarball of nix-community/home-manager follows release-25.05; the upgrade " \
        "needs release-25.11." in found[0][2]
    assert "nix-prefetch-url --unpack URL" in found[1][2]
    assert "automatic upgrades would rebuild the system from 25.05" in found[4][2]


def test_fix_moves_the_releases_and_leaves_hashed_pins_alone(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"configuration.nix": CONFIG})
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    main(["fix", str(tmp_path), "--from", "25.05", "--write"])
    err = capsys.readouterr().err
    written = (tmp_path / "configuration.nix").read_text()
    expected = (CONFIG.replace(f"fetchTarball {HM}", f"fetchTarball {HM}".replace(
                    "25.05", "25.11"))
                .replace("refs/heads/release-25.05", "refs/heads/release-25.11")
                .replace("archive/nixos-25.05", "archive/nixos-25.11")
                .replace("channels/nixos-25.05", "channels/nixos-25.11"))
    assert written == expected  # the hashed pin (line 5) and the 24.11 nixpkgs are kept
    assert "by hand" in err and "configuration.nix:5  NQD403" in err
    if shutil.which("nix-instantiate"):
        subprocess.run(["nix-instantiate", "--parse", str(tmp_path / "configuration.nix")],
                       check=True, capture_output=True)
    main(["fix", str(tmp_path), "--from", "25.05", "--write"])
    capsys.readouterr()
    assert (tmp_path / "configuration.nix").read_text() == expected  # nothing more to do


def test_on_a_machine_that_is_not_nixos_the_files_pins_name_the_release(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import nqd.analysis.engine as engine
    import nqd.analysis.releases as releases

    real = releases.detect_release
    monkeypatch.setattr(engine, "detect_release", lambda model, pins=None, pinning_files=None:
                        real(model, tmp_path / "no-os-release", pins, pinning_files))
    write_tree(tmp_path, {"configuration.nix": CONFIG})
    _code, report = _findings(capsys, str(tmp_path))
    assert report["from"] == "25.05"
    assert str(report["release_source"]).startswith(
        "system.autoUpgrade.channel (https://nixos.org/channels/nixos-25.05)")
    # Without the channel, Home Manager's release speaks for the system.
    (tmp_path / "configuration.nix").write_text(
        CONFIG.replace('  system.autoUpgrade.channel = "https://nixos.org/channels/nixos-25.05";\n',
                       ""))
    _code, report = _findings(capsys, str(tmp_path))
    assert report["from"] == "25.05"
    assert "fetchTarball of nix-community/home-manager (release-25.05)" in \
        str(report["release_source"])


def test_the_markdown_checklist_counts_these_pins(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"configuration.nix": """\
        { ... }: { system.autoUpgrade.channel = "https://nixos.org/channels/nixos-25.05"; }
        """})
    main(["check", str(tmp_path), "--from", "25.05", "--no-git", "--format", "markdown"])
    assert "- [ ] Flake inputs moved" in capsys.readouterr().out
    (tmp_path / "configuration.nix").write_text(
        '{ ... }: { system.autoUpgrade.channel = "https://nixos.org/channels/nixos-25.11"; }\n')
    main(["check", str(tmp_path), "--from", "25.05", "--no-git", "--format", "markdown"])
    assert "- [x] Flake inputs moved" in capsys.readouterr().out
