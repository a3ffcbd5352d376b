"""`nqd fix` end to end: dry run, --write, idempotence, --undo byte for byte, the git
guard, verification before writing, the bundled example, bad input."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nqd.analysis.engine import run_check
from nqd.cli import main
from nqd.errors import InputError
from nqd.fix.apply import verify
from nqd.fix.plan import FileChange, plan_fixes
from nqd.knowledge.loader import KnowledgeBase
from tests.fix.helpers import FROM, TO, copy_tree, nix_files, nix_parse_all
from tests.fix.kb import write_test_kb

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workstation"


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_tree(EXAMPLE, tmp_path / "workstation")


def test_dry_run_prints_a_diff_and_writes_nothing(example: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = nix_files(example)
    code, out, err = run_cli(["fix", str(example)], capsys)
    assert nix_files(example) == before
    assert "-  services.logind.extraConfig = ''" in out
    assert "+  services.logind.settings.Login = {" in out
    assert "dry run: nothing written" in err
    assert "next: nix flake update --flake workstation" in err  # relative to the cwd
    assert code == 1  # the NetworkManager plugins finding is left for a person


def test_example_converts_cleanly(example: Path, kb: KnowledgeBase,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["fix", "--write", str(example)], capsys)
    assert code == 1  # written, but NQD601 (NetworkManager plugins) is left for a person
    assert "wrote 12 fixes to 4 files" in err
    assert "not fixed" not in err
    result = run_check([example], FROM, TO, kb=kb)
    assert [f.message for f in result.findings if f.fixable] == []
    assert not result.diagnostics
    nix_parse_all(sorted(example.rglob("*.nix")))


def test_second_write_is_a_no_op(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(["fix", "--write", str(example)], capsys)
    written = nix_files(example)
    _, out, err = run_cli(["fix", "--write", str(example)], capsys)
    assert nix_files(example) == written
    assert "nothing to fix mechanically" in err
    assert "still locked to 25.05" in err  # not a new 25.11 → 26.05 run
    assert out == ""


def test_undo_restores_byte_identical_originals_and_modes(
        example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = example / "home" / "home.nix"
    home.chmod(0o640)
    original = nix_files(example)
    run_cli(["fix", "--write", str(example)], capsys)
    assert nix_files(example) != original
    assert home.stat().st_mode & 0o777 == 0o640
    code, out, _ = run_cli(["fix", "--undo"], capsys)
    assert code == 0 and "restored" in out
    assert nix_files(example) == original
    assert home.stat().st_mode & 0o777 == 0o640
    code, _, err = run_cli(["fix", "--undo"], capsys)
    assert code == 2 and "nothing to undo" in err


def test_undo_refuses_over_later_edits_unless_forced(
        example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = nix_files(example)
    run_cli(["fix", "--write", str(example)], capsys)
    desktop = example / "modules" / "desktop.nix"
    desktop.write_bytes(desktop.read_bytes() + b"# edited after the fix\n")
    code, _, err = run_cli(["fix", "--undo"], capsys)
    assert code == 2 and "changed since the fix" in err and "desktop.nix" in err
    assert b"edited after the fix" in desktop.read_bytes()
    code, _, _ = run_cli(["fix", "--undo", "--force"], capsys)
    assert code == 0 and nix_files(example) == original


def _git(cwd: Path, *args: str) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                   cwd=cwd, check=True, capture_output=True)


def test_refuses_uncommitted_changes_unless_forced(
        example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _git(example, "init", "-q")
    _git(example, "add", ".")
    _git(example, "commit", "-q", "-m", "initial")
    desktop = example / "modules" / "desktop.nix"
    desktop.write_bytes(desktop.read_bytes().replace(b"us", b"de"))
    before = nix_files(example)
    code, _, err = run_cli(["fix", "--write", str(example)], capsys)
    assert code == 2
    assert "uncommitted changes in" in err and "desktop.nix" in err and "--force" in err
    assert len(err.strip().splitlines()) == 1
    assert nix_files(example) == before
    code, _, err = run_cli(["fix", "--write", "--force", str(example)], capsys)
    assert "wrote 12 fixes" in err and nix_files(example) != before


def test_files_that_cannot_be_analysed_are_named(
        example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`fix` says which files it skipped, as `check` does (it said nothing before)."""
    (example / "modules" / "blob.nix").write_bytes(b"\x00\x01binary")
    _, _, err = run_cli(["fix", str(example)], capsys)
    assert "blob.nix: binary file (contains NUL bytes), skipped" in err


def _unlocked_flake(root: Path, url: str) -> Path:
    """A flake never built (no flake.lock) on `url`, with one module."""
    root.mkdir()
    (root / "flake.nix").write_text(f'{{ inputs.nixpkgs.url = "{url}"; outputs = _: {{ }}; }}\n')
    (root / "configuration.nix").write_text(
        '{ ... }: { services.logind.extraConfig = "HandleLidSwitch=ignore"; }\n')
    return root


def test_a_second_write_waits_until_the_moved_release_was_built(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """After `--write` moved the inputs to 25.11, the flake names 25.11 before anything was
    built from it: a second run must not take that for the running release and start
    25.11 → 26.05 (field test). A flake.lock written since (a build, `nix flake update`),
    or an explicit --from, lets it go on."""
    config = _unlocked_flake(tmp_path / "cfg", "github:NixOS/nixpkgs/nixos-25.05")
    code, _, err = run_cli(["fix", "--write", str(config)], capsys)
    assert "nixos-25.11" in (config / "flake.nix").read_text()
    code, _, err = run_cli(["fix", "--write", str(config)], capsys)
    assert code == 2 and "nothing shows 25.11 was built since (its flake.lock" in err
    assert "nixos-25.11" in (config / "flake.nix").read_text()  # not 26.05
    code, _, err = run_cli(["fix", str(config), "--from", "25.11"], capsys)
    assert code in (0, 1) and "NixOS 25.11 → 26.05" in err
    (config / "flake.lock").write_text(
        '{"nodes": {"root": {"inputs": {"nixpkgs": "nixpkgs"}}, "nixpkgs": {"original": '
        '{"type": "github", "owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-25.11"}}}, '
        '"root": "root", "version": 7}')
    code, _, err = run_cli(["fix", str(config)], capsys)
    assert code in (0, 1) and "NixOS 25.11 → 26.05" in err


def test_a_move_of_another_configuration_does_not_hold_this_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _unlocked_flake(tmp_path / "one", "github:NixOS/nixpkgs/nixos-25.05")
    other = _unlocked_flake(tmp_path / "two", "github:NixOS/nixpkgs/nixos-25.11")
    run_cli(["fix", "--write", str(first)], capsys)
    code, _, err = run_cli(["fix", str(other)], capsys)
    assert code in (0, 1) and "NixOS 25.11 → 26.05" in err


def test_clean_git_tree_is_written(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _git(example, "init", "-q")
    _git(example, "add", ".")
    _git(example, "commit", "-q", "-m", "initial")
    _, _, err = run_cli(["fix", "--write", str(example)], capsys)
    assert "wrote 12 fixes" in err


def test_only_selects_rules(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(["fix", "--write", "--only", "NQD401", str(example)], capsys)
    run_cli(["fix", "--write", str(example), "--only", "NQD113,NQD401"], capsys)
    changed = {name for name, text in nix_files(example).items()
               if text != (EXAMPLE / name).read_bytes()}
    assert changed == {"flake.nix", "modules/ai-ml.nix"}


def test_unparsable_results_are_never_written(tmp_path: Path) -> None:
    target = tmp_path / "m.nix"
    target.write_bytes(b"{ a = 1; }\n")
    with pytest.raises(InputError, match="does not parse"):
        verify([FileChange(target, b"{ a = 1; }\n", b"{ a = 1; \n")])


def test_nix_instantiate_gets_the_last_word(tmp_path: Path) -> None:
    from nqd.runtime.host import LocalHost

    if LocalHost().which("nix-instantiate") is None:
        pytest.skip("nix-instantiate is not on PATH (Debian package nix-bin)")
    # tree-sitter accepts a duplicate attribute; Nix's parser does not.
    target = tmp_path / "m.nix"
    with pytest.raises(InputError, match="nix-instantiate --parse rejects"):
        verify([FileChange(target, b"{ a = 1; }\n", b"{ a = 1; a = 2; }\n")])


def test_state_version_is_never_changed(tmp_path: Path) -> None:
    """Even when (wrong) knowledge renames stateVersion, fix leaves it alone."""
    import json

    kb_dir = write_test_kb(tmp_path / "kb")
    data = json.loads((kb_dir / "25.11.json").read_text())
    data["changes"].append({
        "id": "nixos:renamed-option:system.stateVersion", "area": "nixos",
        "kind": "renamed-option", "old": "system.stateVersion", "new": "system.release",
        "message": "wrong on purpose", "fixable": True,
        "evidence": [{"url": "https://example.invalid/test-fixture"}]})
    (kb_dir / "25.11.json").write_text(json.dumps(data))
    module = _module_path(tmp_path)
    module.write_text('{ ... }: {\n  system.stateVersion = "25.05";\n}\n')
    plan = plan_fixes([module.parent], FROM, TO, kb=KnowledgeBase.load(kb_dir))
    assert plan.files == []
    assert [r.reason for r in plan.refused] == ["nqd never changes stateVersion"]


def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["fix", str(tmp_path / "missing")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(["fix", "--undo", "--write"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "configuration.nix").write_text("{ services.x = ; }\n")
    code, _, err = run_cli(["fix", "--from", "25.05", str(broken)], capsys)
    assert "Traceback" not in err


def test_prefix_renames_move_whole_sets(tmp_path: Path) -> None:
    """A rename of a whole option set (mkRenamedOptionModule on a prefix) moves every
    definition below it, whether written as a set or dotted (test-fixture change)."""
    kb = _kb_with_renames(tmp_path, {"services.xserver.displayManager.gdm":
                                     "services.displayManager.gdm"})
    module = _module_path(tmp_path)
    module.write_text(
        "{ ... }:\n{\n  services.xserver = {\n    enable = true;\n"
        "    displayManager.gdm = {\n      enable = true;\n      wayland = true;\n    };\n"
        "  };\n  services.xserver.displayManager.gdm.autoSuspend = false;\n}\n")
    plan = plan_fixes([module.parent], FROM, TO, kb=kb)
    assert plan.refused == []
    assert plan.files[0].after.decode() == (
        "{ ... }:\n{\n  services.xserver = {\n    enable = true;\n  };\n"
        "  services.displayManager.gdm = {\n    enable = true;\n    wayland = true;\n"
        "    autoSuspend = false;\n  };\n}\n")  # the second round merges into the moved set
    module.write_bytes(plan.files[0].after)
    assert [f for f in run_check([module.parent], FROM, TO, kb=kb).findings if f.fixable] == []


def test_values_never_move_across_rec_scopes(tmp_path: Path, kb: KnowledgeBase) -> None:
    module = _module_path(tmp_path)
    module.write_text("{ ... }:\n{\n  services.xserver = rec {\n    enable = true;\n"
                      "    desktopManager.gnome.enable = enable;\n  };\n}\n")
    plan = plan_fixes([module.parent], FROM, TO, kb=kb)
    assert plan.files == []
    assert ["inside `rec { }`" in r.reason for r in plan.refused] == [True]


def test_with_scope_renames_respect_lexical_bindings(tmp_path: Path, kb: KnowledgeBase) -> None:
    module = _module_path(tmp_path)
    module.write_text("{ pkgs, ... }:\nlet\n  noto-fonts-color-emoji = null;\nin\n{\n"
                      "  fonts.packages = with pkgs; [ noto-fonts-emoji ];\n}\n")
    plan = plan_fixes([module.parent], FROM, TO, kb=kb)
    assert plan.files == []
    assert ["would win over `with`" in r.reason for r in plan.refused] == [True]


def test_sets_emptied_by_several_moves_are_removed_and_written_empty_sets_kept(
        tmp_path: Path) -> None:
    """Two fixes each move one binding out of `gdm = { ... }`: neither sees the set become
    empty alone; the round's pruning removes it, and `xserver` around it (test-fixture
    changes). A set the user wrote empty stays."""
    kb = _kb_with_gdm_renames(tmp_path)
    module = _module_path(tmp_path)
    module.write_text(
        "{ ... }:\n{\n  services = {\n    xserver = {\n      displayManager.gdm = {\n"
        "        enable = true;\n        wayland = false;\n      };\n    };\n"
        "    printing.enable = true;\n  };\n  programs.bash = { };\n}\n")
    plan = plan_fixes([module.parent], FROM, TO, kb=kb)
    assert plan.refused == []
    after = plan.files[0].after.decode()
    assert "xserver" not in after and "{ }" not in after.replace("programs.bash = { };", "")
    assert "programs.bash = { };" in after  # written empty by the user: kept
    assert "printing.enable = true;" in after
    module.write_bytes(plan.files[0].after)
    nix_parse_all([module])
    model = run_check([module.parent], FROM, TO, kb=kb, prefilter=False).model
    defined = {o.dotted: o.literal for o in model.options() if not o.is_set}
    assert defined["services.displayManager.gdm.enable"] is True
    assert defined["services.displayManager.gdm.wayland"] is False
    assert [f for f in run_check([module.parent], FROM, TO, kb=kb).findings if f.fixable] == []


def test_inherit_from_pkgs_is_not_offered_as_fixable(tmp_path: Path, kb: KnowledgeBase) -> None:
    """`inherit (pkgs) x;` names the binding `x` too: check says how to rewrite it instead
    of promising a fix that fix would refuse (seen in real configurations)."""
    module = _module_path(tmp_path, "home.nix")
    module.write_text("{ pkgs, ... }:\nlet\n  inherit (pkgs) system noto-fonts-emoji;\nin\n{\n"
                      "  fonts.packages = [ noto-fonts-emoji ];\n  x = system;\n}\n")
    result = run_check([module.parent], FROM, TO, kb=kb)
    found = {f.rule: f for f in result.findings}
    assert set(found) == {"NQD201", "NQD113"}  # pkgs.system is a read, not a package
    assert not any(f.fixable for f in found.values())
    assert "write `system = pkgs.stdenv.hostPlatform.system;`" in str(found["NQD113"].fix_note)
    plan = plan_fixes([module.parent], FROM, TO, kb=kb)
    assert plan.files == [] and plan.refused == [] and len(plan.manual) == 2


def _module_path(tmp_path: Path, name: str = "configuration.nix") -> Path:
    """Where a test writes its module: `cfg/<name>` under `tmp_path` (the directory made)."""
    module = tmp_path / "cfg" / name
    module.parent.mkdir()
    return module


def _kb_with_gdm_renames(tmp_path: Path) -> KnowledgeBase:
    """gdm's `enable` and `wayland` renamed one by one, not as a set (test fixtures)."""
    return _kb_with_renames(tmp_path, {f"services.xserver.displayManager.gdm.{name}":
                                       f"services.displayManager.gdm.{name}"
                                       for name in ("enable", "wayland")})


def _kb_with_renames(tmp_path: Path, renames: dict[str, str]) -> KnowledgeBase:
    """The fix tests' knowledge with these NixOS renames as the only entries for their old
    paths (test fixtures, not shipped facts)."""
    import json

    kb_dir = write_test_kb(tmp_path / "kb")
    data = json.loads((kb_dir / "25.11.json").read_text())
    data["changes"] = [c for c in data["changes"] if c["old"] not in renames]
    for old, new in renames.items():
        data["changes"].append({
            "id": f"nixos:renamed-option:{old}", "area": "nixos", "kind": "renamed-option",
            "old": old, "new": new, "message": "fixture", "fixable": True,
            "evidence": [{"url": "https://example.invalid/test-fixture"}]})
    (kb_dir / "25.11.json").write_text(json.dumps(data))
    return KnowledgeBase.load(kb_dir)


def test_a_delta_set_renamed_in_place_gains_git_integration_inside(
        tmp_path: Path, kb: KnowledgeBase) -> None:
    """`programs.git.delta = { ... };` written dotted is renamed in place, not moved: the
    set still needs `enableGitIntegration` (seen in a real configuration)."""
    module = _module_path(tmp_path, "home.nix")
    module.write_text("{ ... }:\n{\n  programs.git.delta = {\n    enable = true;\n"
                      "    options.side-by-side = true;\n  };\n}\n")
    plan = plan_fixes([module.parent], FROM, TO, kb=kb)
    assert plan.files[0].after.decode() == (
        "{ ... }:\n{\n  programs.delta = {\n    enable = true;\n"
        "    options.side-by-side = true;\n    enableGitIntegration = true;\n  };\n}\n")


def test_a_package_the_file_overrides_itself_is_left_whole(
        tmp_path: Path, kb: KnowledgeBase) -> None:
    """`packageOverrides = pkgs: { noto-fonts-emoji = ...; }` defines the old name: renaming
    only the uses would silently drop the override (seen with vaapiIntel in a real config)."""
    module = _module_path(tmp_path)
    module.write_text(
        "{ pkgs, ... }:\n{\n  nixpkgs.config.packageOverrides = pkgs: {\n"
        "    noto-fonts-emoji = pkgs.noto-fonts-emoji.override { x = 1; };\n  };\n"
        "  fonts.packages = with pkgs; [ noto-fonts-emoji ];\n}\n")
    plan = plan_fixes([module.parent], FROM, TO, kb=kb)
    assert plan.files == []
    assert len(plan.refused) == 2
    assert all("defines `noto-fonts-emoji` itself" in r.reason for r in plan.refused)


def test_a_module_defining_options_under_a_package_name_does_not_override_it(
        tmp_path: Path) -> None:
    """`system.stateVersion` in a module is an option, not a package `system` the file
    defines (a field-test configuration had ten uses of `system` left unfixed for it)."""
    module = _module_path(tmp_path)
    module.write_text(
        '{ pkgs, inputs, ... }: {\n  environment.systemPackages = with pkgs; [\n'
        '    inputs.zen-browser.packages."${system}".default\n  ];\n'
        '  system.stateVersion = "24.11";\n}\n')
    plan = plan_fixes([module.parent], FROM, TO)  # the shipped knowledge
    assert not [r for r in plan.refused if "itself" in r.reason]
    assert 'packages."${stdenv.hostPlatform.system}".default' in plan.files[0].after.decode()


@pytest.mark.parametrize(("listing", "expected"), [
    ("with pkgs; [\n    noto-fonts-color-emoji\n    noto-fonts-emoji # old\n    git\n  ]",
     "with pkgs; [\n    noto-fonts-color-emoji\n    # old\n    git\n  ]"),  # comment kept
    ("[ pkgs.noto-fonts-emoji pkgs.git pkgs.noto-fonts-color-emoji ]",
     "[ pkgs.git pkgs.noto-fonts-color-emoji ]"),
    ("with pkgs; [\n    pkgs.noto-fonts-color-emoji\n    noto-fonts-emoji\n  ]",
     "with pkgs; [\n    pkgs.noto-fonts-color-emoji\n  ]"),
    # not the same list, or the name bound by a let: renamed, not removed
    ("[ pkgs.noto-fonts-emoji ] ++ [ pkgs.noto-fonts-color-emoji ]",
     "[ pkgs.noto-fonts-color-emoji ] ++ [ pkgs.noto-fonts-color-emoji ]"),
    ("let noto-fonts-color-emoji = 1; in with pkgs; [ noto-fonts-color-emoji noto-fonts-emoji ]",
     None),
])
def test_a_renamed_package_listed_already_under_its_new_name_is_removed(
        tmp_path: Path, kb: KnowledgeBase, listing: str, expected: str | None) -> None:
    """`[ noto-fonts noto-fonts-extra ]`: renaming the second made a duplicate (field
    test); the old entry goes, with its line when it stood alone; a comment beside it
    stays."""
    module = _module_path(tmp_path)
    module.write_text(f"{{ pkgs, ... }}: {{\n  fonts.packages = {listing};\n}}\n")
    plan = plan_fixes([module.parent], FROM, TO, kb=kb)
    if expected is None:  # the let-bound name is no package: the plain rename is refused
        assert plan.files == []
        assert [r.reason.split(" here,")[0] for r in plan.refused] == [
            "`noto-fonts-color-emoji` is bound by a let or function argument"]
        return
    assert plan.files[0].after.decode() == \
        f"{{ pkgs, ... }}: {{\n  fonts.packages = {expected};\n}}\n"


def test_bindings_moved_out_together_leave_no_double_blank_line(tmp_path: Path) -> None:
    """Two neighbouring bindings moved out of a set, between blank lines: each removal
    alone kept its neighbours' blank lines, together they left two (field test)."""
    kb = _kb_with_gdm_renames(tmp_path)
    module = _module_path(tmp_path)
    module.write_text(
        '{ ... }:\n{\n  services.xserver = {\n    layout = "gb";\n\n    # GDM\n'
        "    displayManager.gdm.enable = true;\n    displayManager.gdm.wayland = false;\n\n"
        "    # KDE\n    # displayManager.sddm.enable = true;\n  };\n}\n")
    after = plan_fixes([module.parent], FROM, TO, kb=kb).files[0].after.decode()
    assert '    layout = "gb";\n\n    # KDE\n' in after
    assert "\n\n\n" not in after and "services.displayManager.gdm" in after


def test_an_emptied_set_with_a_comment_about_it_stays(tmp_path: Path) -> None:
    kb = _kb_with_gdm_renames(tmp_path)
    module = _module_path(tmp_path)
    module.write_text(
        "{ ... }:\n{\n  services = {\n    # the login screen\n    xserver = {\n"
        "      displayManager.gdm = {\n        enable = true;\n        wayland = false;\n"
        "      };\n    };\n  };\n}\n")
    plan = plan_fixes([module.parent], FROM, TO, kb=kb)
    after = plan.files[0].after.decode()
    assert "# the login screen" in after  # never dropped
    assert "services.displayManager.gdm" in after or "displayManager.gdm.enable" in after
