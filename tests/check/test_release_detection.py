"""Which release a configuration is on, as real repositories write their flakes (cases
from checking public configurations: docs/fix.md "Tried on real configurations")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nqd.cli import main
from tests.check.helpers import write_tree

LOCK_NODE = {"original": {"owner": "NixOS", "repo": "nixpkgs", "ref": "nixos-25.05",
                          "type": "github"}}


def _lock(ref: str, name: str = "nixpkgs") -> str:
    node = {"original": {**LOCK_NODE["original"], "ref": ref}}
    return json.dumps({"nodes": {"root": {"inputs": {name: name}}, name: node},
                       "root": "root", "version": 7})


def _check(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) \
        -> tuple[int, dict[str, object] | None, str]:
    code = main(["check", str(path), "--no-git", "--format", "json", *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, (json.loads(out) if out.strip() else None), err


def _flake_pinning(root: Path, url: str) -> Path:
    """A flake whose only input is nixpkgs at `url`."""
    flake = f'{{ inputs.nixpkgs.url = "{url}"; outputs = _: {{ }}; }}\n'
    return write_tree(root, {"flake.nix": flake})


def _input_findings(report: dict[str, object] | None) -> list[str]:
    assert report is not None
    findings = report["findings"]
    assert isinstance(findings, list)
    return sorted(f["message"].split()[1] for f in findings if f["rule"] == "NQD401")


def test_the_main_nixpkgs_input_decides_not_a_second_stable_one(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"flake.nix": """
        {
          inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-unstable";
          inputs.nixpkgs-stable.url = "github:nixos/nixpkgs/nixos-25.05";
          outputs = _: { };
        }
        """})
    code, report, err = _check(tmp_path, capsys)
    assert code == 2 and report is None
    assert "follows nixos-unstable" in err and "flake.nix:2" in err


def test_the_top_level_flake_decides_and_older_helper_pins_stay(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {
        "flake.nix": """
            {
              inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
              inputs.nixpkgs-old.url = "github:NixOS/nixpkgs/nixos-24.05"; # for one package
              inputs.droid.url = "github:nix-community/nix-on-droid/release-24.05";
              outputs = _: { };
            }
            """,
        "tools/flake.nix": """
            { inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11"; outputs = _: { }; }
            """,
    })
    (tmp_path / "tools" / "flake.lock").write_text(_lock("nixos-24.11"))
    _code, report, _ = _check(tmp_path, capsys)
    assert report is not None and report["from"] == "25.05" and report["to"] == "25.11"
    assert _input_findings(report) == ["nixpkgs"]  # not the helpers, not another project


def test_nix_darwin_inputs_are_detected_and_bumped_with_nixpkgs(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"flake.nix": """
        {
          inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";
          inputs.nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
          inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
          outputs = _: { };
        }
        """})
    _code, report, _ = _check(tmp_path, capsys)
    assert report is not None and report["from"] == "25.05"
    assert _input_findings(report) == ["home-manager", "nix-darwin", "nixpkgs"]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["fix", str(tmp_path / "flake.nix"), "--write"]) == 0
    capsys.readouterr()
    text = (tmp_path / "flake.nix").read_text()
    assert "nixpkgs-25.11-darwin" in text and "nix-darwin-25.11" in text \
        and "release-25.11" in text and "25.05" not in text


def test_indirect_references_name_a_release_too(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _flake_pinning(tmp_path, "nixpkgs/nixos-25.05")
    _code, report, _ = _check(tmp_path, capsys)
    assert report is not None and report["from"] == "25.05"
    assert _input_findings(report) == ["nixpkgs"]


def test_an_upgrade_under_way_is_finished_by_check_and_fix_alike(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Inputs already moved to 25.11 (by `nqd fix`), flake.lock not updated yet."""
    _flake_pinning(tmp_path, "github:NixOS/nixpkgs/nixos-25.11")
    (tmp_path / "flake.lock").write_text(_lock("nixos-25.05"))
    _code, report, _ = _check(tmp_path, capsys)
    assert report is not None and (report["from"], report["to"]) == ("25.05", "25.11")
    assert "still locked to 25.05" in str(report["release_source"])
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["fix", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "NixOS 25.05 → 25.11" in err and "nothing to fix mechanically" in err


def test_a_configuration_on_the_newest_known_release_has_nothing_to_check(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _flake_pinning(tmp_path, "github:NixOS/nixpkgs/nixos-26.05")
    (tmp_path / "flake.lock").write_text(_lock("nixos-26.05"))
    code = main(["check", str(tmp_path), "--no-git"])
    _out, err = capsys.readouterr()
    assert code == 0 and "newest release nqd knows" in err and "error" not in err
    assert main(["check", str(tmp_path), "--no-git", "--to", "26.11"]) == 2  # asked for it
    assert "no release knowledge for 26.05→26.11" in capsys.readouterr().err


def test_a_nixpkgs_input_nqd_cannot_read_is_not_replaced_by_a_backports_input(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`nixpkgs` from FlakeHub (weekly) with a second `release-25.05` input for backports:
    the second input says nothing about the system's release."""
    write_tree(tmp_path, {"flake.nix": """
        {
          inputs.nixpkgs.url = "https://flakehub.com/f/DeterminateSystems/nixpkgs-weekly/0.1";
          inputs.nixpkgs-backports.url = "github:nixos/nixpkgs/release-25.05";
          outputs = _: { };
        }
        """})
    code, report, err = _check(tmp_path, capsys)
    assert code == 2 and report is None
    assert "flake input nixpkgs (https://flakehub.com" in err and "--from" in err
    # Home Manager is released in step with nixpkgs: it may speak for a fork.
    (tmp_path / "flake.nix").write_text(
        '{ inputs.nixpkgs.url = "github:me/nixpkgs/my-branch";\n'
        '  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";\n'
        '  outputs = _: { }; }\n')
    code, report, _ = _check(tmp_path, capsys)
    assert report is not None and report["from"] == "25.05"


def test_a_lock_older_than_nqd_knows_does_not_stop_the_check(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Inputs on 25.05, flake.lock still 24.11 (a real configuration): check 25.05 → 25.11."""
    _flake_pinning(tmp_path, "github:NixOS/nixpkgs/nixos-25.05")
    (tmp_path / "flake.lock").write_text(_lock("nixos-24.11"))
    _code, report, _ = _check(tmp_path, capsys)
    assert report is not None and (report["from"], report["to"]) == ("25.05", "25.11")
    assert "still locked to 24.11" in str(report["release_source"])


def test_fix_twice_with_a_lock_older_than_nqd_knows_changes_nothing_the_second_time(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _flake_pinning(tmp_path, "github:NixOS/nixpkgs/nixos-25.05")
    (tmp_path / "flake.lock").write_text(_lock("nixos-24.11"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["fix", str(tmp_path), "--write"]) == 0
    assert "nixos-25.11" in (tmp_path / "flake.nix").read_text()
    capsys.readouterr()
    assert main(["fix", str(tmp_path), "--write"]) == 0
    assert "nixos-25.11" in (tmp_path / "flake.nix").read_text()  # not moved on to 26.05
    assert "nothing to fix mechanically" in capsys.readouterr().err


def test_the_tree_is_walked_once_for_detection_and_model(
        tmp_path: Path, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nqd.analysis.engine import run_check
    from nqd.model import files

    write_tree(tmp_path, {"flake.nix": """
        { inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05"; outputs = _: { }; }
        """, "hosts/a.nix": "{ ... }: { }\n"})
    walks: list[Path] = []
    real_walk = files._walk

    def counting_walk(root: Path, *args: object) -> None:
        walks.append(root)
        real_walk(root, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "_walk", counting_walk)
    result = run_check([tmp_path])
    assert str(result.from_release) == "25.05"
    assert walks == [tmp_path.resolve()]


@pytest.mark.parametrize(("url", "release"), [
    # NixOS channel tarballs, as NixOS/nix's own flake pins nixpkgs (NixOS/nix#14669).
    ("https://channels.nixos.org/nixos-25.05/nixexprs.tar.xz", "25.05"),
    ("https://nixos.org/channels/nixos-25.05-small/nixexprs.tar.xz", "25.05"),
    # FlakeHub: the minor version is the release (0.2505.* is nixos-25.05).
    ("https://flakehub.com/f/NixOS/nixpkgs/0.2505.*.tar.gz", "25.05"),
    ("https://flakehub.com/f/NixOS/nixpkgs/0.2505", "25.05"),
    ("https://flakehub.com/f/NixOS/nixpkgs/=0.2505.812345", "25.05"),
])
def test_channel_tarballs_and_flakehub_versions_name_a_release(
        url: str, release: str, tmp_path: Path, kb_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    _code, report, _ = _check(_flake_pinning(tmp_path, url), capsys)
    assert report is not None and report["from"] == release
    assert _input_findings(report) == ["nixpkgs"]


@pytest.mark.parametrize(("url", "said"), [
    ("https://flakehub.com/f/NixOS/nixpkgs/0.1", "follows 0.1"),
    ("https://flakehub.com/f/NixOS/nixpkgs/0.1.*.tar.gz", "follows 0.1.*"),
    ("https://channels.nixos.org/nixos-unstable/nixexprs.tar.xz", "follows nixos-unstable"),
    ("https://flakehub.com/f/NixOS/nixpkgs/*", "`*` moves to each new stable release"),
])
def test_flakehub_unstable_and_moving_versions_ask_for_from(
        url: str, said: str, tmp_path: Path, kb_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = _check(_flake_pinning(tmp_path, url), capsys)
    assert code == 2 and report is None
    assert said in err and "--from" in err and len(err.strip().splitlines()) == 1


def test_a_flakehub_upgrade_under_way_reads_the_percent_encoded_lock(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """flake.lock keeps FlakeHub URLs percent-encoded (`0.2505.%2A`)."""
    _flake_pinning(tmp_path, "https://flakehub.com/f/NixOS/nixpkgs/0.2511.*")
    original = {"type": "tarball", "url": "https://flakehub.com/f/NixOS/nixpkgs/0.2505.%2A"}
    (tmp_path / "flake.lock").write_text(json.dumps(
        {"nodes": {"root": {"inputs": {"nixpkgs": "nixpkgs"}},
                   "nixpkgs": {"original": original}}, "root": "root", "version": 7}))
    _code, report, _ = _check(tmp_path, capsys)
    assert report is not None and (report["from"], report["to"]) == ("25.05", "25.11")
    assert "still locked to 25.05" in str(report["release_source"])


NIV = """{
    "home-manager": {
        "branch": "release-25.05",
        "owner": "nix-community",
        "repo": "home-manager"
    },
    "nixpkgs-unstable": {"branch": "nixos-unstable", "owner": "NixOS", "repo": "nixpkgs"},
    "nixpkgs": {
        "branch": "nixos-25.05",
        "owner": "NixOS",
        "repo": "nixpkgs"
    }
}
"""
CONFIG = '{ ... }: { services.logind.extraConfig = "x"; system.stateVersion = "25.05"; }\n'


def _pin_findings(report: dict[str, object] | None) -> list[tuple[str, int, str]]:
    assert report is not None
    findings = report["findings"]
    assert isinstance(findings, list)
    return [(Path(f["location"]["path"]).name, f["location"]["line"], f["message"])
            for f in findings if f["rule"] == "NQD402"]


def test_niv_pins_name_the_release_and_say_how_to_move_them(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No flake: niv's nix/sources.json pins nixpkgs (README of nmattia/niv)."""
    write_tree(tmp_path, {"configuration.nix": CONFIG, "nix/sources.json": NIV})
    code, report, _ = _check(tmp_path, capsys)
    assert code == 1 and report is not None and report["from"] == "25.05"
    assert "niv pin nixpkgs (nixos-25.05)" in str(report["release_source"])
    assert _pin_findings(report) == [
        ("sources.json", 3, "niv pin home-manager follows release-25.05; the upgrade needs "
         f"release-25.11: run `niv update home-manager -b release-25.11` in {tmp_path}"),
        ("sources.json", 9, "niv pin nixpkgs follows nixos-25.05; the upgrade needs "
         f"nixos-25.11: run `niv update nixpkgs -b nixos-25.11` in {tmp_path}"),
    ]
    summary = report["summary"]
    assert isinstance(summary, dict) and summary["files"] == 2  # configuration.nix, pins


@pytest.mark.parametrize(("pin", "command"), [
    ({"type": "Channel", "name": "nixos-25.05", "url": "u", "hash": "h"},
     "npins add channel nixos-25.11 --name nixpkgs"),
    ({"type": "Git", "repository": {"type": "GitHub", "owner": "NixOS", "repo": "nixpkgs"},
      "branch": "nixos-25.05", "revision": "r", "url": "u", "hash": "h"},
     "npins add github NixOS nixpkgs -b nixos-25.11 --name nixpkgs"),
])
def test_npins_pins_name_the_release_too(
        pin: dict[str, object], command: str, tmp_path: Path, kb_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """npins/sources.json: channel and GitHub pins (README of andir/npins)."""
    sources = json.dumps({"pins": {"nixpkgs": pin}, "version": 5}, indent=2)
    write_tree(tmp_path, {"configuration.nix": CONFIG, "npins/sources.json": sources})
    _code, report, _ = _check(tmp_path, capsys)
    assert report is not None and report["from"] == "25.05"
    [(name, line, message)] = _pin_findings(report)
    key = '"name": "nixos-25.05"' if pin["type"] == "Channel" else '"branch": "nixos-25.05"'
    assert name == "sources.json" and sources.splitlines()[line - 1].strip().startswith(key)
    assert f"`{command}`" in message


def test_an_unstable_nixpkgs_pin_asks_for_from_and_a_flake_comes_first(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = json.dumps({"pins": {"nixpkgs": {"type": "Channel", "name": "nixpkgs-unstable"}},
                          "version": 5})
    write_tree(tmp_path, {"configuration.nix": CONFIG, "npins/sources.json": sources})
    code, report, err = _check(tmp_path, capsys)
    assert code == 2 and report is None
    assert "npins pin nixpkgs follows nixpkgs-unstable" in err and "--from" in err
    _flake_pinning(tmp_path, "github:NixOS/nixpkgs/nixos-25.05")
    _code, report, _ = _check(tmp_path, capsys)
    assert report is not None and "flake input nixpkgs" in str(report["release_source"])


@pytest.mark.parametrize("broken", ['{"nixpkgs": {', "[" * 100_000, "\udcff not json"])
def test_a_broken_pin_file_is_one_line_and_the_check_goes_on(
        broken: str, tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"configuration.nix": CONFIG})
    (tmp_path / "nix").mkdir()
    (tmp_path / "nix" / "sources.json").write_bytes(broken.encode("utf-8", "surrogateescape"))
    code, report, err = _check(tmp_path, capsys, "--from", "25.05")
    assert code == 1 and report is not None
    assert "cannot read niv's pins" in err and len(err.strip().splitlines()) == 1
    assert "NQD102" in {f["rule"] for f in report["findings"]}  # type: ignore[index, union-attr]


@pytest.mark.parametrize(("tool", "sources", "reason"), [
    ("npins", {"pins": {"nixpkgs": {"type": "Channel", "name": 42}}, "version": 5},
     "pin nixpkgs: name is not a string"),
    ("npins", {"version": 5}, "no pins object"),
    ("niv", {"nixpkgs": {"owner": "NixOS", "repo": "nixpkgs", "branch": ["nixos-25.05"]}},
     "pin nixpkgs: branch is not a string"),
])
def test_a_pin_file_of_the_wrong_shape_is_named_when_no_release_is_found(
        tool: str, sources: dict[str, object], reason: str, tmp_path: Path, kb_dir: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Valid JSON that is not what niv or npins write was ignored without a word, and the
    check then only said it could not tell the release (field test)."""
    location = "npins/sources.json" if tool == "npins" else "nix/sources.json"
    write_tree(tmp_path, {"configuration.nix": CONFIG, location: json.dumps(sources)})
    code, report, err = _check(tmp_path, capsys)
    assert code == 2 and report is None
    assert f"could not read: {tmp_path / location}: cannot read {tool}'s pins ({reason})" \
        in err


def test_fix_lists_pins_for_their_tools_and_leaves_them_alone(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {"configuration.nix": CONFIG, "nix/sources.json": NIV})
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    main(["fix", str(tmp_path), "--write"])
    err = capsys.readouterr().err
    assert "by hand" in err and "sources.json:9  NQD402" in err
    assert "`niv update nixpkgs -b nixos-25.11`" in err
    assert (tmp_path / "nix/sources.json").read_text() == NIV


def test_flakehub_newest_stable_is_read_from_the_locked_version(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`NixOS/nixpkgs/*` follows FlakeHub's newest stable release: flake.lock's locked URL
    names the version it resolved to. `nix flake update` moves it; there is no URL to bump."""
    _flake_pinning(tmp_path, "https://flakehub.com/f/NixOS/nixpkgs/*")
    node = {"original": {"type": "tarball", "url": "https://flakehub.com/f/NixOS/nixpkgs/%2A"},
            "locked": {"type": "tarball", "url": "https://api.flakehub.com/f/pinned/NixOS/"
                       "nixpkgs/0.2505.812345%2Brev-1c8ba8d3/0197-uuid/source.tar.gz"}}
    (tmp_path / "flake.lock").write_text(json.dumps(
        {"nodes": {"root": {"inputs": {"nixpkgs": "nixpkgs"}}, "nixpkgs": node},
         "root": "root", "version": 7}))
    _code, report, _ = _check(tmp_path, capsys)
    assert report is not None and (report["from"], report["to"]) == ("25.05", "25.11")
    assert "FlakeHub's newest stable release" in str(report["release_source"])
    assert _input_findings(report) == []


@pytest.mark.parametrize(("given", "noted"), [("25.05", True), ("25.11", False)])
def test_from_naming_another_release_than_the_pins_is_noted(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str], given: str,
        noted: bool) -> None:
    """`--from` wins, but a configuration pinning 25.11 checked `--from 25.05` says so (a
    field test applied 25.05's edits to configurations on 26.05 without a word)."""
    _flake_pinning(tmp_path, "github:NixOS/nixpkgs/nixos-25.11")
    _code, report, err = _check(tmp_path, capsys, "--from", given)
    assert report is not None and report["from"] == given
    codes = [d["code"] for d in report["diagnostics"]]  # type: ignore[index, union-attr]
    assert codes == (["release-differs"] if noted else [])
    assert ("the configuration pins 25.11 (flake input nixpkgs" in err) is noted


def test_a_release_nqd_does_not_know_is_reported_with_where_it_came_from(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _flake_pinning(tmp_path, "github:NixOS/nixpkgs/nixos-24.11")
    code, _report, err = _check(tmp_path, capsys)
    assert code == 2 and "no release knowledge for 24.11→25.05" in err
    assert "24.11 is from flake input nixpkgs (github:NixOS/nixpkgs/nixos-24.11)" in err
    code, _report, err = _check(tmp_path, capsys, "--from", "24.11")
    assert code == 2 and "is from" not in err  # the user said it
