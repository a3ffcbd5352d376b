"""The name prefilter (nqd.model.interest) never changes what check finds."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.analysis.engine import run_check
from nqd.model.interest import Interest
from nqd.releases import Release
from tests.check.helpers import write_tree

EXAMPLE = Path(__file__).parents[2] / "examples" / "workstation"


def _keys(result):  # type: ignore[no-untyped-def]
    return sorted((str(f.pos), f.rule, f.message) for f in result.findings)


@pytest.mark.parametrize(("source", "target"), [("25.05", "25.11"), ("25.05", "26.05"),
                                                ("25.11", "26.05")])
def test_example_findings_are_the_same_with_and_without_the_prefilter(
        source: str, target: str) -> None:
    args = ([EXAMPLE], Release.parse(source), Release.parse(target))
    with_filter = run_check(*args, prefilter=True)
    without = run_check(*args, prefilter=False)
    assert _keys(with_filter) == _keys(without)
    assert with_filter.findings  # the comparison is not vacuous


def test_lite_files_still_give_syntax_errors_imports_and_contexts(
        tmp_path: Path, kb_dir: Path) -> None:
    write_tree(tmp_path, {
        "configuration.nix": "{ ... }: { imports = [ ./plain.nix ./missing.nix ]; }\n",
        "plain.nix": "{ ... }: { imports = [ ./deep.nix ]; boot.loader.grub.enable = false; }\n",
        "deep.nix": "{ ... }: { services.xserver.desktopManager.gnome.enable = true; }\n",
        "broken.nix": "{ a = ; }\n",
    })
    result = run_check([tmp_path], Release.parse("25.05"))
    rules = {(f.rule, f.pos.path.name) for f in result.findings}
    assert ("NQD001", "broken.nix") in rules
    assert ("NQD002", "configuration.nix") in rules
    assert ("NQD101", "deep.nix") in rules  # reached through a lite file, as NixOS
    assert result.model.files[tmp_path / "plain.nix"].options == []  # it was read lite


def test_interest_matches_whole_names_and_quoted_parts() -> None:
    interest = Interest.of(["desktopManager", "org.gnome.shell", "noto-fonts-emoji"])
    assert interest.wants(b"{ services.xserver.desktopManager.gnome.enable = true; }")
    assert interest.wants(b'{ dconf.settings."org.gnome.shell".x = 1; }')
    assert interest.wants(b"with pkgs; [ noto-fonts-emoji ]")
    assert not interest.wants(b"with pkgs; [ noto-fonts-emoji-blob ]")
    assert not interest.wants(b"{ services.xserver.displayManagers = { }; }")


def test_knowledge_cache_is_used_and_invalidated_by_a_changed_file(tmp_path: Path) -> None:
    import json
    import os

    from nqd.knowledge.loader import _cache_path, load_file
    from tests.check.helpers import change

    data = tmp_path / "25.11.json"
    body = {"schema_version": 1, "from": "25.05", "to": "25.11", "sources": {},
            "changes": [change("nixos", "renamed-option", "a.b", "a.c")]}
    data.write_text(json.dumps(body))
    first = load_file(data)
    cache = _cache_path(data)
    assert cache is not None and cache.is_file()
    assert load_file(data) == first
    body["changes"] = [change("nixos", "renamed-option", "a.b", "a.d")]
    data.write_text(json.dumps(body))
    os.utime(data, ns=(1, 1))  # a different mtime, whatever the clock's resolution
    assert load_file(data).changes[0].new == "a.d"
    assert not cache.exists()  # the stale entry was replaced
    broken = _cache_path(data)
    assert broken is not None
    broken.write_bytes(b"not a pickle")
    assert load_file(data).changes[0].new == "a.d"


def test_an_option_path_needs_all_its_parts_in_the_file() -> None:
    interest = Interest.of([], ["services.xserver.desktopManager.gnome.enable",
                                'programs."my.tool".enable'])
    assert not interest.wants(b"{ services.xserver.enable = true; gnome = 1; }")
    assert interest.wants(b"{ services = { xserver.desktopManager = { gnome.enable = true; }; }; }")
    assert interest.wants(b'{ programs."my.tool".enable = true; }')  # quoted: by substring
