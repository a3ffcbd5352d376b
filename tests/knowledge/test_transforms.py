"""Changed-option transforms shown as the definition to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.analysis.engine import run_check
from nqd.knowledge.transforms import as_definition
from nqd.releases import Release


@pytest.mark.parametrize(("transform", "expected"), [
    ('(config: lib.toList (lib.getAttrFromPath [ "a" "b" ] config))', "n.m = lib.toList a.b"),
    ("( cfg: [ \"${cfg.home.dir}/${cfg.a.b}\" ] )", 'n.m = [ "${cfg.home.dir}/${a.b}" ]'),
    ('(config: lib.getAttrFromPath [ "a" "other" ] config)',  # another option: left as is
     'n.m = lib.getAttrFromPath [ "a" "other" ] config'),
    ("(config:\n  lib.mkOrder 1500\n    (map f config.a.b))", "n.m = lib.mkOrder 1500 (map f a.b)"),
])
def test_reads_of_the_old_option_become_its_name(transform: str, expected: str) -> None:
    assert as_definition(transform, "a.b", "n.m") == expected


@pytest.mark.parametrize("transform", ["ini-lines-to-attrs", "(config: {", "{ a = 1; }",
                                       "{ config, ... }: config.a.b"])
def test_anything_but_a_one_argument_function_is_not_described(transform: str) -> None:
    assert as_definition(transform, "a.b", "n.m") is None


def test_the_changed_option_finding_says_what_to_write(tmp_path: Path) -> None:
    """Home Manager 26.05's waybar `systemd.target` (shipped knowledge): the finding
    showed the raw transform function before (seen in a field test)."""
    (tmp_path / "home.nix").write_text(
        '{ ... }: { home.stateVersion = "25.11"; programs.waybar.systemd.target = "x"; }\n')
    result = run_check([tmp_path], Release.parse("25.11"), Release.parse("26.05"))
    [finding] = [f for f in result.findings if f.rule == "NQD103"]
    assert finding.message.endswith(
        "converted: `programs.waybar.systemd.targets = lib.toList "
        "programs.waybar.systemd.target`")
