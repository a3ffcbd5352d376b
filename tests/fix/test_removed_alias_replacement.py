"""A package alias turned into a throw that names its target ("'foo' has been renamed
to/replaced by 'bar'") is an error for check and a mechanical replacement for fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nqd.cli import main
from nqd.knowledge.extract.aliases import replacement_named_in
from tests.check.helpers import change, write_kb


def test_the_replacement_is_read_from_nixpkgs_wording() -> None:
    assert replacement_named_in(
        "'noto-fonts-emoji' has been renamed to/replaced by 'noto-fonts-color-emoji'"
    ) == "noto-fonts-color-emoji"
    assert replacement_named_in("'av_13' has been renamed to/replaced by 'av'") == "av"
    assert replacement_named_in("foo was removed because it was unmaintained") is None
    # Hand-written throws: only a rename or merge said of the alias itself.
    merged = "'rofi-wayland' has been merged into 'rofi'"
    assert replacement_named_in(merged, "rofi-wayland") == "rofi"
    assert replacement_named_in(merged) is None  # whose merge: unknown without the name
    assert replacement_named_in("'libtorrent' has been renamed to 'libtorrent-rakshasa' for "
                                "clearer distinction", "libtorrent") == "libtorrent-rakshasa"
    assert replacement_named_in(  # names another alias's merge: not this one's target
        "'rofi-emoji-wayland' has been merged into `rofi-emoji as 'rofi-wayland' has been "
        "merged into 'rofi'", "rofi-emoji-wayland") is None
    for advice in ("'garage_1_2_0' has been removed. Use 'garage_1' instead.",
                   "'podofo_0_9' has been deprecated, it may be replaced by 'podofo0'",
                   "'ryujinx' has been replaced by 'ryubing' as the new upstream"):
        assert replacement_named_in(advice, advice.split("'")[1]) is None


def test_check_reports_an_error_and_fix_replaces_the_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    kb = write_kb(tmp_path / "kb", {("25.05", "25.11"): [change(
        "nixpkgs", "removed-package", "noto-fonts-emoji", "noto-fonts-color-emoji",
        message="'noto-fonts-emoji' has been renamed to/replaced by 'noto-fonts-color-emoji'",
        fixable=True)]})
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(kb))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    config = tmp_path / "cfg"
    config.mkdir()
    module = config / "configuration.nix"
    module.write_text("{ pkgs, ... }: {\n  # fonts\n  fonts.packages = with pkgs; [\n"
                      "    noto-fonts-emoji noto-fonts-emoji-blob\n  ];\n"
                      "  environment.systemPackages = [ pkgs.noto-fonts-emoji ];\n}\n")
    monkeypatch.chdir(config)
    assert main(["check", ".", "--from", "25.05", "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["rule"], f["severity"], f["fixable"]) for f in findings] == \
        [("NQD202", "error", True)] * 2
    assert main(["fix", ".", "--from", "25.05", "--write"]) == 0
    capsys.readouterr()
    assert module.read_text() == (
        "{ pkgs, ... }: {\n  # fonts\n  fonts.packages = with pkgs; [\n"
        "    noto-fonts-color-emoji noto-fonts-emoji-blob\n  ];\n"
        "  environment.systemPackages = [ pkgs.noto-fonts-color-emoji ];\n}\n")
    assert main(["check", ".", "--from", "25.05"]) == 0
