"""The package alias reader: plain, pkgs.x, throw, warnOnInstantiate, python aliases."""

from __future__ import annotations

from pathlib import Path

from nqd.knowledge.extract.aliases import extract_aliases

FORMS = Path(__file__).parent / "fixtures" / "forms"


def test_alias_forms() -> None:
    facts, skipped = extract_aliases((FORMS / "aliases.nix").read_bytes(), "aliases.nix")
    by_old = {f.old: f for f in facts}
    assert {old: (f.kind, f.new) for old, f in by_old.items()} == {
        "oldtool": ("renamed-package", "newtool"),
        "oldlib": ("renamed-package", "newlib"),
        "gone-app": ("removed-package", None),
        "oldeditor": ("renamed-package", "neweditor"),
        "oldkernel": ("renamed-package", "linuxKernel.packages.linux_6_12"),
    }
    assert by_old["gone-app"].message == (
        "'gone-app' has been removed as it was unmaintained upstream")
    assert by_old["oldeditor"].warning == "'oldeditor' has been renamed to 'neweditor'"
    assert by_old["oldtool"].line == 9
    assert [(s.line, s.reason.split(":")[0]) for s in skipped] == [
        (14, "alias value not understood")]


def test_python_aliases_are_prefixed_but_pkgs_targets_are_top_level() -> None:
    facts, _ = extract_aliases(
        (FORMS / "python-aliases.nix").read_bytes(), "python-aliases.nix", "python3Packages.")
    assert {f.old: f.new for f in facts} == {
        "python3Packages.old-parser": "python3Packages.new-parser",
        "python3Packages.dead-module": None,
        "python3Packages.toplevel-tool": "some-tool",
    }
