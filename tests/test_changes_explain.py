"""`nqd changes` and `nqd explain` through the real CLI, on small hand-written knowledge dirs
(`NQD_KNOWLEDGE_DIR`) and on the shipped curated files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nqd.cli import main
from nqd.knowledge.loader import curated_dir

EV = [{"url": "https://example.org/evidence-1", "repo": "NixOS/nixpkgs",
       "path": "nixos/modules/rename.nix", "line": 10, "commit": "a" * 40}]
EV2 = [{"url": "https://example.org/evidence-2"}]


def _change(kind: str, old: str | None, new: str | None, area: str = "nixos",
            **extra: Any) -> dict[str, Any]:
    return {"id": f"{area}:{kind}:{old or new}", "area": area, "kind": kind, "old": old,
            "new": new, "message": f"{kind} {old} {new}", "evidence": EV, **extra}


def _write(directory: Path, frm: str, to: str, changes: list[dict[str, Any]]) -> None:
    doc = {"schema_version": 1, "from": frm, "to": to, "sources": {}, "changes": changes}
    (directory / f"{to}.json").write_text(json.dumps(doc))


@pytest.fixture
def kb_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _write(tmp_path, "25.05", "25.11", [
        _change("renamed-option", "services.alpha.enable", "services.beta.enable",
                fixable=True, migration="Rename it.",
                example={"before": "services.alpha.enable = true;",
                         "after": "services.beta.enable = true;"}),
        _change("removed-package", "oldtool", None, area="nixpkgs"),
        _change("changed-default", "services.db.package", "services.db.package",
                condition={"state_version_below": "25.11", "requires": ["services.db.enable"],
                           "unset": ["services.db.package"]}),
        _change("renamed-option", "programs.git.userName", "programs.git.settings.user.name",
                area="home-manager", fixable=True),
    ])
    second = _change("renamed-option", "services.beta.enable", "services.gamma.enable",
                     fixable=True)
    second["evidence"] = EV2
    _write(tmp_path, "25.11", "26.05", [
        second,
        _change("version-bump", "gcc", "gcc15", area="nixpkgs"),
    ])
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(tmp_path))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def as_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, Any]]:
    code, out, _ = run(capsys, *argv, "--format", "json")
    assert code == 0
    data: list[dict[str, Any]] = json.loads(out)
    return data


# --- changes ------------------------------------------------------------------------------


def test_changes_defaults_to_the_oldest_pair(kb_dir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    data = as_json(capsys, "changes")
    assert {(c["from"], c["to"]) for c in data} == {("25.05", "25.11")}
    assert len(data) == 4


def test_changes_json_shape(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = as_json(capsys, "changes", "--from", "25.05")
    rename = next(c for c in data if c["id"] == "nixos:renamed-option:services.alpha.enable")
    for key in ("id", "area", "kind", "old", "new", "evidence", "message", "migration",
                "fixable", "severity", "from", "to"):
        assert key in rename
    assert rename["severity"] == "warning" and rename["fixable"] is True
    assert rename["evidence"] == EV
    default = next(c for c in data if c["kind"] == "changed-default")
    assert default["condition"] == {"state_version_below": "25.11",
                                    "requires": ["services.db.enable"],
                                    "unset": ["services.db.package"]}


def test_changes_filters(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert [c["id"] for c in as_json(capsys, "changes", "--area", "nixpkgs")] == \
        ["nixpkgs:removed-package:oldtool"]
    assert {c["kind"] for c in as_json(capsys, "changes", "--kind", "renamed-option")} == \
        {"renamed-option"}
    assert [c["id"] for c in as_json(capsys, "changes", "--search", "GIT.USER")] == \
        ["home-manager:renamed-option:programs.git.userName"]
    assert as_json(capsys, "changes", "--search", "no-such-thing") == []


def test_changes_multi_hop_chains_a_rename_of_a_rename(
        kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = as_json(capsys, "changes", "--from", "25.05", "--to", "26.05")
    chained = next(c for c in data if c["id"] == "nixos:renamed-option:services.alpha.enable")
    assert chained["new"] == "services.gamma.enable"
    assert chained["to"] == "26.05"
    assert [e["url"] for e in chained["evidence"]] == [EV[0]["url"], EV2[0]["url"]]
    assert any(c["id"] == "nixpkgs:version-bump:gcc" for c in data)


def test_changes_text_is_grouped_by_kind(kb_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "changes", "--from", "25.05", "--to", "26.05")
    assert code == 0
    assert "Changes 25.05 → 26.05" in out
    renamed = out.index("renamed-option (")
    removed = out.index("removed-package (1)")
    assert renamed < removed  # Kind order
    assert "services.alpha.enable" in out and "services.gamma.enable" in out
    assert "25.05→26.05" in out  # release column for multi-hop tables


@pytest.mark.parametrize(("argv", "message"), [
    (["changes", "--from", "25.07"], "not a NixOS release"),
    (["changes", "--from", "25.11", "--to", "25.05"], "must be after"),
    (["changes", "--from", "26.05", "--to", "26.11"], "no release knowledge for 26.05→26.11"),
])
def test_changes_bad_range_is_exit_2(kb_dir: Path, capsys: pytest.CaptureFixture[str],
                                     argv: list[str], message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_malformed_knowledge_file_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "25.11.json").write_text('{"schema_version": 1, "from": "25.05"')
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(tmp_path))
    code, _, err = run(capsys, "changes")
    assert code == 2 and "invalid knowledge file" in err


def test_missing_knowledge_dir_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(tmp_path / "absent"))
    code, _, err = run(capsys, "changes")
    assert code == 2 and "does not exist" in err


def test_empty_data_dir_falls_back_to_curated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(tmp_path))
    code, out, err = run(capsys, "changes", "--format", "json")
    assert code == 0 and "curated changes only" in err
    ids = {c["id"] for c in json.loads(out)}
    assert "nixos:changed-default:services.postgresql.package" in ids


def test_shipped_knowledge_chains_25_05_to_26_05(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(curated_dir()))
    data = as_json(capsys, "changes", "--from", "25.05", "--to", "26.05")
    pairs = {(c["from"], c["to"]) for c in data}
    assert ("25.05", "25.11") in pairs and ("25.11", "26.05") in pairs


# --- explain ------------------------------------------------------------------------------


def test_explain_change_page_sections(kb_dir: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "services.alpha.enable")
    assert code == 0
    for section in ("What changed", "Why it matters", "Example", "Before:", "After:", "Fix",
                    "Evidence"):
        assert section in out, section
    assert "25.05→25.11" in out
    assert "services.alpha.enable → services.beta.enable" in out
    assert "`nqd fix` applies this automatically." in out
    assert "NixOS/nixpkgs:nixos/modules/rename.nix:10@aaaaaaaaaaaa" in out


def test_explain_condition_and_not_fixable(kb_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "nixos:changed-default:services.db.package")
    assert code == 0
    assert "Applies when" in out and "system.stateVersion below 25.11" in out
    assert "it does not set services.db.package" in out
    assert "`nqd fix` does not apply this" in out


def test_explain_by_new_name_and_json(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = as_json(capsys, "explain", "services.beta.enable")
    # the new name of the first hop and the old name of the second
    assert {c["id"] for c in data} == {"nixos:renamed-option:services.alpha.enable",
                                       "nixos:renamed-option:services.beta.enable"}


def test_explain_prefix_lists_changes_below(kb_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "programs.git")
    assert code == 0 and "home-manager:renamed-option:programs.git.userName" in out


def test_explain_unknown_key_suggests(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "explain", "services.alpha.enabel")
    assert code == 2 and out == ""
    assert "did you mean" in err and "services.alpha.enable" in err
    assert len(err.strip().splitlines()) == 1


def test_explain_unknown_key_without_close_match(kb_dir: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "explain", "zzzzqqqq")
    assert code == 2 and "did you mean" not in err and "nqd changes --search" in err


def test_explain_rule_page(kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nqd.report.explain import known_rules

    rule = known_rules()[0]
    code, out, _ = run(capsys, "explain", rule.id.lower())
    assert code == 0
    assert out.startswith(f"{rule.id} {rule.name}")
    assert "What it flags" in out and "Why it matters" in out


def test_known_rules_tolerates_missing_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    import nqd.analysis.rules as rules_pkg
    from nqd.report.explain import known_rules

    present = known_rules()
    monkeypatch.setattr(rules_pkg, "RULE_MODULES", (*rules_pkg.RULE_MODULES, "not_written_yet"))
    assert [r.id for r in known_rules()] == [r.id for r in present]


def test_explain_real_curated_entry(monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(curated_dir()))
    code, out, _ = run(capsys, "explain", "services.logind.extraConfig")
    assert code == 0
    assert "services.logind.settings.Login" in out and "IdleAction" in out
    assert "rl-2511.section.md" in out
