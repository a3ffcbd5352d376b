"""The option-module reader: every mk*OptionModule form, generated calls, skipped sites."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.knowledge.extract.options import OptionFact, dotted, extract_options

FORMS = Path(__file__).parent / "fixtures" / "forms"


def facts_of(name: str) -> dict[str, OptionFact]:
    facts, _ = extract_options((FORMS / name).read_bytes(), name)
    return {f.old: f for f in facts}


def test_every_form_is_read_with_its_kind_and_target() -> None:
    facts = facts_of("every-form.nix")
    expected = {
        "services.foo.port": ("renamed-option", "services.foo.settings.port"),
        "services.foo.host": ("renamed-option", "services.foo.settings.host"),
        "services.foo.user": ("renamed-option", "services.foo.settings.user"),
        "services.foo.extraConfig": ("removed-option", None),
        "services.bar": ("removed-module", None),
        "services.foo.verbose": ("changed-option", "services.foo.logLevel"),
        "services.foo.listenHost": ("changed-option", "services.foo.listen"),
        "services.foo.listenPort": ("changed-option", "services.foo.listen"),
    }
    assert {old: (f.kind, f.new) for old, f in facts.items()} == expected


def test_silent_renames_and_since_release() -> None:
    facts = facts_of("every-form.nix")
    assert not facts["services.foo.port"].silent
    assert facts["services.foo.host"].silent
    assert facts["services.foo.host"].since_release == 2511
    assert facts["services.foo.user"].silent  # mkAliasOptionModule never warns


def test_removal_message_transform_and_lines() -> None:
    facts = facts_of("every-form.nix")
    assert facts["services.foo.extraConfig"].message == "Use services.foo.settings instead."
    assert facts["services.foo.extraConfig"].line == 12
    assert facts["services.foo.port"].line == 5
    transform = facts["services.foo.verbose"].transform
    assert transform is not None and '"debug"' in transform
    assert facts["services.foo.listenHost"].merged_from == (
        "services.foo.listenHost", "services.foo.listenPort")


def test_map_genlist_mapattrs_helpers_and_settings_renames() -> None:
    facts = facts_of("generated.nix")
    assert {old: f.new for old, f in facts.items()} == {
        "services.old-qux.enable": "services.qux.enable",
        "services.old-qux.package": "services.qux.package",
        "services.qux.slot0": None,
        "services.qux.slot1": None,
        "programs.baz.colour": "programs.baz.color",
        "programs.baz.fontSize": "programs.baz.settings.font_size",
        "programs.quux.lineNumbers": "programs.quux.settings.line_numbers",
        "programs.quux.userName": "programs.quux.settings.user.name",
    }
    # generated calls point at the list element they come from, not at the lambda
    assert facts["services.old-qux.enable"].line == 10
    assert facts["services.old-qux.package"].line == 11
    assert facts["programs.baz.fontSize"].line == 18


def test_flip_map_attr_values_and_for_each() -> None:
    facts = facts_of("more-generators.nix")
    assert {old: (f.kind, f.new) for old, f in facts.items()} == {
        "services.alpha": ("removed-module", None),
        "services.beta": ("removed-module", None),
        "programs.zed.theme": ("renamed-option", "programs.zed.colorScheme"),
        "services.web.port": ("renamed-option", "services.web.settings.port"),
    }
    assert facts["programs.zed.theme"].line == 8


def test_unresolvable_call_is_reported_with_file_and_line() -> None:
    facts, skipped = extract_options((FORMS / "skipped.nix").read_bytes(), "skipped.nix")
    assert [f.old for f in facts] == ["services.known.gone"]
    assert [(s.path, s.line) for s in skipped] == [("skipped.nix", 5)]
    assert "moduleName" in skipped[0].reason


def test_multi_line_removal_text_is_reflowed() -> None:
    source = b"""{ lib, ... }: {
  imports = [
    (lib.mkRemovedOptionModule [ "programs" "gone" ] ''
      The package was removed,
        consider `programs.other` instead.
    '')
  ];
}"""
    facts, _ = extract_options(source, "gone.nix")
    assert facts[0].kind == "removed-module"
    assert facts[0].message == "The package was removed, consider `programs.other` instead."


def test_removals_in_rename_nix_are_removed_modules() -> None:
    source = b"""{ lib, ... }: {
  imports = [
    (lib.mkRemovedOptionModule [ "services" "xserver" "desktopManager" "oldde" ] "Gone.")
    (lib.mkRemovedOptionModule [ "environment" "oldthing" "enable" ] "Gone too.")
  ];
}"""
    facts, _ = extract_options(source, "nixos/modules/rename.nix")
    assert {f.old: f.kind for f in facts} == {
        "services.xserver.desktopManager.oldde": "removed-module",
        "environment.oldthing.enable": "removed-module",
    }
    elsewhere, _ = extract_options(source, "nixos/modules/services/x.nix")
    assert {f.kind for f in elsewhere} == {"removed-option"}


def test_files_without_option_modules_are_not_parsed() -> None:
    assert extract_options(b"{ this is not even Nix", "x.nix") == ([], [])


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["services", "foo"], "services.foo"),
        (["programs", "hyprpanel", "dontAssert "], "programs.hyprpanel.dontAssert"),
        (["networking", "hosts", "127.0.0.1"], 'networking.hosts."127.0.0.1"'),
    ],
)
def test_dotted_paths(names: list[str], expected: str) -> None:
    assert dotted(names) == expected


def test_a_file_that_does_not_parse_is_reported_not_silently_empty() -> None:
    """QA pass: an unparsable rename.nix gave an extraction with no changes, exit 0, no
    word; an empty result must not look like a release without renames."""
    from nqd.knowledge.extract.aliases import extract_aliases

    broken = b'{ lib, ... }: {\n  imports = [ (lib.mkRemovedOptionModule [ "a" ] "x") ;\n}\n'
    facts, skipped = extract_options(broken, "nixos/modules/rename.nix")
    assert facts == [] and [s.line for s in skipped] == [2]
    assert "does not parse" in skipped[0].reason
    facts2, skipped2 = extract_aliases(b"self: super: {\n  a = ;\n}\n", "aliases.nix")
    assert facts2 == [] and "does not parse" in skipped2[0].reason
