"""Bad input: a clear one-line message each, the right exit code, never a traceback,
and `check` never writes anything."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from nqd.cli import main
from tests.check.helpers import write_tree

GOOD = "{ ... }: { services.xserver.desktopManager.gnome.enable = true; }\n"


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def snapshot(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_syntax_error_is_a_finding_at_its_position_and_others_are_analysed(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"broken.nix": "{ ... }: {\n  a = ;\n}\n", "good.nix": GOOD})
    code, out, _ = run_cli(["check", str(tmp_path), "--from", "25.05", "--format", "json"],
                           capsys)
    import json

    findings = json.loads(out)["findings"]
    syntax = [f for f in findings if f["rule"] == "NQD001"]
    assert syntax and syntax[0]["location"]["line"] == 2
    assert syntax[0]["location"]["path"].endswith("broken.nix")
    assert any(f["rule"] == "NQD101" and f["location"]["path"].endswith("good.nix")
               for f in findings)
    assert code == 1
    # A file that is not Nix at all (a shell script named .nix) is one finding, as in Nix.
    (tmp_path / "broken.nix").write_text("#!/bin/sh\nset -e\nif [ -n \"$1\" ]; then\n"
                                         "  echo \"$1\" | tr a b\nfi\nexit 0\n")
    code, out, _ = run_cli(["check", str(tmp_path), "--from", "25.05", "--format", "json"],
                           capsys)
    syntax = [f for f in json.loads(out)["findings"] if f["rule"] == "NQD001"]
    assert len(syntax) == 1 and "more after it" in syntax[0]["message"]


def test_a_byte_order_mark_is_a_syntax_error_as_in_nix(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nix's lexer rejects a leading UTF-8 BOM ("unexpected invalid token"); tree-sitter
    skips it, so the file looked fine and its fix then failed verification (field test)."""
    (tmp_path / "bom.nix").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    code, out, _ = run_cli(["check", str(tmp_path), "--from", "25.05", "--format", "json"],
                           capsys)
    findings = json.loads(out)["findings"]
    assert [(f["rule"], f["location"]["line"], f["location"]["column"]) for f in findings] \
        == [("NQD001", 1, 1)]
    assert "byte order mark" in findings[0]["message"] and code == 1


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("binary.nix", b"\x00\x01\x02{ }", "binary file"),
    ("latin1.nix", "{ x = \"caf\xe9\"; }".encode("latin-1"), "not valid UTF-8"),
    ("empty.nix", b"   \n", "empty file"),
])
def test_unusable_files_get_one_line_each(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str],
        name: str, content: bytes, expected: str) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.nix").write_text(GOOD)
    code, out, err = run_cli(["check", str(tmp_path), "--from", "25.05"], capsys)
    lines = [line for line in err.splitlines() if name in line]
    assert len(lines) == 1 and expected in lines[0]
    assert "NQD101" in out  # the good file is still analysed
    assert code == 0  # warnings only: below the default --fail-on error


def test_huge_file_is_skipped(tmp_path: Path, kb_dir: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "huge.nix").write_bytes(b"{ a = \"" + b"x" * (5 * 1024 * 1024 + 10) + b"\"; }")
    (tmp_path / "small.nix").write_text("{ }\n")
    code, _, err = run_cli(["check", str(tmp_path), "--from", "25.05"], capsys)
    assert "huge.nix" in err and "limit 5 MB" in err
    assert code == 0


@pytest.mark.parametrize("content", [None, b"\x00binary"])
def test_nothing_to_analyse_is_bad_input(tmp_path: Path, kb_dir: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         content: bytes | None) -> None:
    """A directory without .nix files, or whose only file is unusable, is a mistaken path
    (exit 2), not a clean configuration (it was "No findings in 0 files", exit 0)."""
    if content is not None:
        (tmp_path / "only.nix").write_bytes(content)
    code, _, err = run_cli(["check", str(tmp_path), "--from", "25.05"], capsys)
    expected = "could be analysed: " if content else "no .nix files to check in "
    assert code == 2 and expected in err and err.count("\n") <= 2


def test_unreadable_paths_fifos_and_symlink_loops(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.nix").write_text(GOOD)
    (tmp_path / "dangling.nix").symlink_to(tmp_path / "nowhere.nix")
    (tmp_path / "a.nix").symlink_to(tmp_path / "b.nix")
    (tmp_path / "b.nix").symlink_to(tmp_path / "a.nix")
    os.mkfifo(tmp_path / "pipe.nix")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    code, out, err = run_cli(["check", str(tmp_path), "--from", "25.05"], capsys)
    assert "dangling.nix" in err and "a.nix" in err and "pipe.nix" in err
    assert "symlink loop" in err
    assert "NQD101" in out
    assert code == 0


def test_a_file_nested_deeper_than_the_stack_is_checked_for_syntax_only(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    depth = 5000  # far beyond Python's default recursion limit
    (tmp_path / "deep.nix").write_text(  # names a package the check looks for: read in full
        "{ lib, pkgs, ... }: { fonts.packages = [ pkgs.noto-fonts-emoji ]; x = "
        + "lib.mkIf true (" * depth + "{ y = 1; }" + ")" * depth + "; }\n")
    (tmp_path / "good.nix").write_text(GOOD)
    for extra in ([], ["--no-cache"]):
        code, out, err = run_cli(["check", str(tmp_path), "--from", "25.05", *extra], capsys)
        assert "Traceback" not in err
        lines = [line for line in err.splitlines() if "deep.nix" in line]
        assert len(lines) == 1 and "nested too deeply" in lines[0]
        assert "NQD101" in out  # the good file is still analysed
        assert code == 0


def test_a_symlink_to_a_sibling_directory_is_an_alias_not_a_loop(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`apps/aarch64-linux -> x86_64-linux` (seen in real configurations): the files are
    read once, and nothing is reported."""
    write_tree(tmp_path, {"apps/x86_64-linux/default.nix": GOOD})
    (tmp_path / "apps" / "aarch64-linux").symlink_to("x86_64-linux")
    code, out, err = run_cli(["check", str(tmp_path), "--from", "25.05"], capsys)
    assert err == "" and out.count("NQD101") == 1 and code == 0


def test_a_symlink_to_a_directory_outside_the_tree_is_not_walked(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A dotfiles repository linking `xdg/home -> ../../` (seen in a real one): walking it
    read every other repository beside it and took another flake's release. A file it
    holds is still read when the configuration imports it."""
    config = tmp_path / "config"
    write_tree(tmp_path, {
        "config/flake.nix": '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05"; '
                            'outputs = _: { }; }\n',
        "config/configuration.nix": "{ ... }: { imports = [ ./xdg/home/shared/hm.nix ]; }\n",
        "another/flake.nix": '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11"; '
                             'outputs = _: { }; }\n',
        "another/elsewhere.nix": GOOD,
        "shared/hm.nix": GOOD,
    })
    (config / "xdg").mkdir()
    (config / "xdg" / "home").symlink_to("../../")
    code, out, err = run_cli(["check", str(config), "--from", "25.05", "--format", "json"],
                             capsys)
    assert code == 0  # warnings only
    report = json.loads(out)
    paths = {Path(f["location"]["path"]).name for f in report["findings"]}
    assert "hm.nix" in paths and "elsewhere.nix" not in paths  # imported, not walked
    assert "symlink to a directory outside the checked path" in err and err.count("\n") == 1
    _code, out, err = run_cli(["check", str(config), "--format", "json"], capsys)
    assert json.loads(out)["from"] == "25.05"  # its own flake, not the other one


def test_a_path_that_is_a_symlink_loop_is_bad_input(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "self.nix").symlink_to(tmp_path / "self.nix")
    code, _, err = run_cli(["check", str(tmp_path / "self.nix"), "--from", "25.05"], capsys)
    assert code == 2 and "self.nix" in err and "Traceback" not in err


def test_import_cycles_and_missing_imports(tmp_path: Path, kb_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {
        "configuration.nix": "{ ... }: {\n  imports = [ ./a.nix ./missing.nix ./nodir ];\n}\n",
        "a.nix": "{ ... }: { imports = [ ./b.nix ]; }\n",
        "b.nix": "{ ... }: { imports = [ ./a.nix ]; }\n",
    })
    (tmp_path / "nodir").mkdir()
    code, out, _ = run_cli(["check", str(tmp_path / "configuration.nix"), "--from", "25.05"],
                           capsys)
    assert "NQD002" in out and "missing.nix" in out and "nodir/default.nix" in out
    assert "NQD003" in out and "import cycle" in out
    assert code == 1


def test_nonexistent_path_and_bad_release_are_usage_errors(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["check", str(tmp_path / "nope")], capsys)
    assert code == 2 and "no such file" in err
    (tmp_path / "m.nix").write_text(GOOD)
    code, _, err = run_cli(["check", str(tmp_path), "--from", "25.13"], capsys)
    assert code == 2 and "not a NixOS release" in err
    code, _, err = run_cli(["check", str(tmp_path), "--from", "25.11", "--to", "25.05"], capsys)
    assert code == 2 and "must be" in err
    code, _, err = run_cli(["check", str(tmp_path), "--from", "24.05"], capsys)
    assert code == 2 and "no release knowledge for 24.05" in err


def test_no_release_anywhere_asks_for_from(tmp_path: Path, kb_dir: Path,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m.nix").write_text('{ ... }: { system.stateVersion = "25.05"; }\n')
    import nqd.analysis.releases as releases

    real = releases.detect_release
    monkeypatch.setattr(
        releases, "detect_release",
        lambda model, os_release=tmp_path / "os-release", pins=None, pinning_files=None:
        real(model, os_release, pins, pinning_files))
    import nqd.analysis.engine as engine

    monkeypatch.setattr(engine, "detect_release", releases.detect_release)
    code, _, err = run_cli(["check", str(tmp_path)], capsys)
    assert code == 2 and "--from" in err  # stateVersion is never taken for the release
    # A flake on nixos-unstable is told so, in one line.
    (tmp_path / "flake.nix").write_text(
        '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable"; outputs = _: { }; }\n')
    code, _, err = run_cli(["check", str(tmp_path)], capsys)
    assert code == 2 and "follows nixos-unstable" in err and "--from" in err
    assert len(err.strip().splitlines()) == 1


def test_check_never_writes(tmp_path: Path, kb_dir: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"configuration.nix": GOOD, "broken.nix": "{ a = ; }"})
    before = snapshot(tmp_path)
    for fmt in ("text", "json", "sarif", "markdown"):
        run_cli(["check", str(tmp_path), "--from", "25.05", "--format", fmt], capsys)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("lock", ['{"nodes": ', "[" * 100_000, '{"nodes": {"root": 5}}'])
def test_a_broken_flake_lock_is_one_line_and_the_flake_still_decides(
        lock: str, tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"flake.nix": '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/'
                                       'nixos-25.05"; outputs = _: { }; }\n',
                          "configuration.nix": GOOD})
    (tmp_path / "flake.lock").write_text(lock)
    code, out, err = run_cli(["check", str(tmp_path), "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["from"] == "25.05"
    assert "cannot read flake.lock" in err and err.count("\n") == 1
