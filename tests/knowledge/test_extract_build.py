"""`nqd kb extract`: OLD/NEW diff, evidence, curated merge, determinism, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from nqd.cli import main
from nqd.knowledge.loader import load_file

FIXTURES = Path(__file__).parent / "fixtures"
OLD_SHA = "1111111111111111111111111111111111111111"
NEW_SHA = "2222222222222222222222222222222222222222"


def extract(tmp_path: Path, *extra: str, name: str = "out.json") -> tuple[int, dict[str, Any]]:
    out = tmp_path / name
    code = main([
        "kb", "extract", "--from", "25.05", "--to", "25.11",
        "--nixpkgs", str(FIXTURES / "nixpkgs-old"), str(FIXTURES / "nixpkgs-new"),
        "--nixpkgs-commit", OLD_SHA, NEW_SHA,
        "--home-manager", str(FIXTURES / "hm-old"), str(FIXTURES / "hm-new"),
        "--home-manager-commit", OLD_SHA, NEW_SHA,
        *extra, "--out", str(out),
    ])
    return code, json.loads(out.read_text()) if out.exists() else {}


def by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in doc["changes"]}


def test_only_what_is_new_in_new_is_emitted(tmp_path: Path) -> None:
    code, doc = extract(tmp_path)
    assert code == 0
    assert sorted(by_id(doc)) == [
        "home-manager:renamed-option:programs.tool.userName",
        "nixos:removed-option:services.foo.sslCert",  # a rename in OLD became a removal
        "nixos:renamed-option:services.foo.port",
        "nixos:renamed-option:services.xserver.foo.enable",
        "nixpkgs:removed-package:legacy-kernel",  # a forward in OLD became a throw
        "nixpkgs:removed-package:linux_5_4",
        "nixpkgs:renamed-package:oldtool",
        "nixpkgs:renamed-package:python3Packages.old-parser",
    ]  # services.foo.addr and `ancient` existed in OLD: not changes of this pair


def test_change_fields_and_evidence(tmp_path: Path) -> None:
    _, doc = extract(tmp_path)
    changes = by_id(doc)
    rename = changes["nixos:renamed-option:services.foo.port"]
    assert rename["old"] == "services.foo.port"
    assert rename["new"] == "services.foo.settings.port"
    assert rename["fixable"] is True
    assert rename["evidence"] == [{
        "url": f"https://github.com/NixOS/nixpkgs/blob/{NEW_SHA}/nixos/modules/services/foo.nix#L7",
        "repo": "NixOS/nixpkgs", "path": "nixos/modules/services/foo.nix", "line": 7,
        "commit": NEW_SHA,
    }]
    removed = changes["nixpkgs:removed-package:linux_5_4"]
    assert removed["fixable"] is False
    assert "reached its end of life" in removed["message"]
    hm = changes["home-manager:renamed-option:programs.tool.userName"]
    assert hm["new"] == "programs.tool.settings.user.name"
    assert hm["evidence"][0]["url"].startswith(
        f"https://github.com/nix-community/home-manager/blob/{NEW_SHA}/modules/programs/tool.nix#L")
    assert doc["sources"]["counts"]["nixpkgs:removed-package"] == 2
    assert doc["sources"]["extractor"]["name"] == "nqd kb extract"


def test_output_is_deterministic_and_loadable(tmp_path: Path) -> None:
    extract(tmp_path, name="a.json")
    extract(tmp_path, name="b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    pair = load_file(tmp_path / "a.json")
    assert (pair.from_release, pair.to_release) == ("25.05", "25.11")
    ids = [c.id for c in pair.changes]
    assert ids == sorted(ids)


def curated_file(tmp_path: Path, changes: list[dict[str, Any]]) -> Path:
    path = tmp_path / "curated.json"
    path.write_text(json.dumps({"from": "25.05", "to": "25.11", "changes": changes}))
    return path


CURATED_EVIDENCE = {"url": "https://example.org/release-notes#foo"}


def test_curated_entry_overrides_text_and_keeps_both_evidences(tmp_path: Path) -> None:
    curated = curated_file(tmp_path, [
        {"id": "nixos:renamed-option:services.foo.port", "area": "nixos",
         "kind": "renamed-option", "old": "services.foo.port", "new": "services.foo.settings.port",
         "message": "Curated wording.", "migration": "Curated migration.", "fixable": False,
         "example": {"before": "a", "after": "b"}, "evidence": [CURATED_EVIDENCE]},
        {"id": "nixos:behaviour:services.foo", "area": "nixos", "kind": "behaviour",
         "old": "services.foo", "new": None, "message": "Only curated.",
         "evidence": [CURATED_EVIDENCE]},
    ])
    code, doc = extract(tmp_path, "--curated", str(curated))
    assert code == 0
    changes = by_id(doc)
    merged = changes["nixos:renamed-option:services.foo.port"]
    assert merged["message"] == "Curated wording."
    assert merged["migration"] == "Curated migration."
    assert merged["fixable"] is False
    assert merged["example"] == {"before": "a", "after": "b"}
    assert CURATED_EVIDENCE in merged["evidence"]
    assert any(e.get("path") == "nixos/modules/services/foo.nix" for e in merged["evidence"])
    assert changes["nixos:behaviour:services.foo"]["message"] == "Only curated."
    assert doc["sources"]["curated"] == {"file": "curated.json", "entries": 2, "overrides": 1}


def test_mini_tree_manifest_gives_each_file_its_origin(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    (old).mkdir()
    (old / ".nqd-sources.json").write_text(json.dumps({"files": {}}))
    shutil.copytree(FIXTURES / "nixpkgs-new", new)
    rel = "nixos/modules/services/foo.nix"
    (new / ".nqd-sources.json").write_text(json.dumps(
        {"files": {rel: {"repo": "someone/nixpkgs", "commit": "abcdef1234567"}}}))
    out = tmp_path / "mini.json"
    assert main(["kb", "extract", "--from", "25.11", "--to", "26.05",
                 "--nixpkgs", str(old), str(new), "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    port = by_id(doc)["nixos:renamed-option:services.foo.port"]
    assert port["evidence"][0]["url"] == (
        f"https://github.com/someone/nixpkgs/blob/abcdef1234567/{rel}#L7")
    # files without a manifest entry fall back to the tree's repository and release ref
    alias = by_id(doc)["nixpkgs:renamed-package:oldtool"]
    assert alias["evidence"][0]["url"].startswith(
        "https://github.com/NixOS/nixpkgs/blob/nixos-26.05/pkgs/top-level/aliases.nix#L")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "25.05", "--to", "26.05"], "--to must be the release after --from"),
        (["--from", "25.05", "--to", "25.11"], "give --nixpkgs OLD NEW"),
        (["--from", "25.5", "--to", "25.11"], "not a NixOS release"),
    ],
)
def test_bad_usage_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = main(["kb", "extract", *args, "--out", str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.json").exists()


def test_missing_tree_and_bad_curated_are_input_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["kb", "extract", "--from", "25.05", "--to", "25.11",
                 "--home-manager", str(tmp_path / "nope"), str(FIXTURES / "hm-new"),
                 "--out", str(tmp_path / "x.json")])
    assert code == 2
    assert "is not a directory" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"changes": [{"id": "nixos:behaviour:x"}]}))
    code, _ = extract(tmp_path, "--curated", str(bad))
    err = capsys.readouterr().err
    assert code == 2
    assert "lacks" in err and "Traceback" not in err
    wrong_pair = curated_file(tmp_path, [])
    wrong_pair.write_text(json.dumps({"from": "25.11", "to": "26.05", "changes": []}))
    code, _ = extract(tmp_path, "--curated", str(wrong_pair))
    assert code == 2
    assert "is for from 25.11" in capsys.readouterr().err


def test_stats_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extract(tmp_path)
    capsys.readouterr()
    assert main(["kb", "stats", str(tmp_path / "out.json")]) == 0
    out = capsys.readouterr().out
    assert "25.05→25.11 (out.json): 8 changes" in out
    assert "nixpkgs:removed-package" in out
