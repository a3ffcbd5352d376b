"""Date-window mode of `nqd kb extract`: dated alias comments, window edges, unassigned
entries (hand-written fixtures), and facts of the shipped data checked against the snapshot."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from nqd.cli import main
from nqd.errors import UsageError
from nqd.knowledge.extract.build import Tree
from nqd.knowledge.extract.window import Window, comment_date, select, window_changes
from nqd.knowledge.loader import KnowledgeBase, load_file

FIXTURE = Path(__file__).parent / "fixtures" / "window"
SHA = "3333333333333333333333333333333333333333"
DATA = Path(__file__).parents[2] / "src" / "nqd" / "knowledge" / "data"
SNAPSHOT = "4aa6836a648ca76c68866decf0c8965e36ec2a3b"
D = dt.date.fromisoformat
WINDOW = Window(D("2025-05-16"), D("2025-11-14"), ((D("2025-11-14"), D("2025-11-26")),))


@pytest.mark.parametrize(("comment", "day", "converted", "problem"), [
    ("# Added 2025-08-12", "2025-08-12", None, ""),
    ("# added 2025-9-3", "2025-09-03", None, ""),
    ("# Converted to throw 2025-10-27", "2025-10-27", "throw", ""),
    ("# Converted to warning 2025-10-28", "2025-10-28", "warning", ""),
    ("# Addd 2025-08-08", "2025-08-08", None, ""),
    ("# 2025-05-21", "2025-05-21", None, ""),
    ("# Added 2026-04-02. preserve, reason: upstream name", "2026-04-02", None, ""),
    ("# Added 2025-09-37", None, None, "invalid date 2025-09-37"),
    ("# preserve, reason: common typo", None, None, "comment has no date"),
    ("", None, None, "no comment on the entry's line"),
])
def test_comment_dates(comment: str, day: str | None, converted: str | None,
                       problem: str) -> None:
    got = comment_date(comment)
    assert (got.day, got.converted, got.problem) == (D(day) if day else None, converted, problem)


def test_window_edges_start_inclusive_end_exclusive_uncertain_excluded() -> None:
    assert WINDOW.place(D("2025-05-15")) == "before"
    assert WINDOW.place(D("2025-05-16")) == "in"
    assert WINDOW.place(D("2025-11-13")) == "in"
    assert WINDOW.place(D("2025-11-14")) == "uncertain"
    assert WINDOW.place(D("2025-11-25")) == "uncertain"
    assert WINDOW.place(D("2025-11-26")) == "after"


def test_empty_window_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="empty date interval"):
        Window(D("2025-11-14"), D("2025-05-16"))


def test_selection_of_the_fixture() -> None:
    selection = select(Tree(FIXTURE, "NixOS/nixpkgs", SHA, "master"), WINDOW)
    chosen = {fact.old: (fact.kind, fact.new, day.day) for fact, day in selection.chosen}
    assert chosen == {
        "edge-start": ("renamed-package", "newer-edge", D("2025-05-16")),
        "renamed-tool": ("renamed-package", "fresh-tool", D("2025-06-01")),
        "warned-tool": ("renamed-package", "kind-tool", D("2025-07-02")),
        "gone-lib": ("removed-package", None, D("2025-10-27")),
        "short-date": ("renamed-package", "short-target", D("2025-09-03")),
        "toolset.member": ("removed-package", None, D("2025-08-08")),
        "multi-line": ("renamed-package", "single-line", D("2025-08-09")),
        "python3Packages.old_py": ("renamed-package", "python3Packages.new-py", D("2025-06-06")),
    }
    assert dict(selection.counts) == {
        "before": 1, "in": 8, "uncertain": 1, "after": 3, "undated": 4}
    reasons = {u["old"]: u["reason"] for u in selection.unassigned}
    assert reasons == {
        "fuzzy-tool": "dated 2025-11-20 inside an uncertain branch-off interval",
        "undated-tool": "no comment on the entry's line",
        "typo-guard": "comment has no date",
        "bad-date": "invalid date 2025-09-37",
        "leading": "no comment on the entry's line",
    }
    assert [(s.line, s.reason.split(":")[0]) for s in selection.skipped] == [
        (26, "alias value not understood")]


def test_changes_carry_date_tags_and_line_evidence() -> None:
    selection = select(Tree(FIXTURE, "Some/fork", SHA, "master"), WINDOW)
    changes = {c["id"]: c for c in window_changes(selection)}
    gone = changes["nixpkgs:removed-package:gone-lib"]
    assert gone["message"].endswith("'gone-lib' was dropped, use 'other-lib'")
    assert gone["fixable"] is False and gone["new"] is None
    assert gone["tags"] == ["source:dated-alias", "dated:2025-10-27", "converted-to:throw"]
    assert gone["evidence"] == [{
        "repo": "Some/fork", "path": "pkgs/top-level/aliases.nix", "line": 13, "commit": SHA,
        "url": f"https://github.com/Some/fork/blob/{SHA}/pkgs/top-level/aliases.nix#L13"}]
    warned = changes["nixpkgs:renamed-package:warned-tool"]
    assert (warned["new"], warned["fixable"]) == ("kind-tool", True)
    assert changes["nixpkgs:renamed-package:multi-line"]["evidence"][0]["line"] == 24


def run_extract(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "out.json"
    code = main(["kb", "extract", "--from", "25.05", "--to", "25.11", *args, "--out", str(out)])
    return code, json.loads(out.read_text()) if out.exists() else {}


def test_cli_snapshot_only_writes_a_valid_file(tmp_path: Path) -> None:
    code, doc = run_extract(
        tmp_path, "--nixpkgs-snapshot", str(FIXTURE), "--nixpkgs-snapshot-commit", SHA,
        "--nixpkgs-snapshot-repo", "Some/fork", "--window", "2025-05-16", "2025-11-14",
        "--uncertain", "2025-11-14", "2025-11-26")
    assert code == 0
    assert len(doc["changes"]) == 8
    record = doc["sources"]["dated_snapshot"]
    assert record["repo"] == "Some/fork" and record["commit"] == SHA
    assert record["window"] == {"start": "2025-05-16", "end_exclusive": "2025-11-14",
                                "uncertain": [["2025-11-14", "2025-11-26"]]}
    assert "dated comment" in record["method"]
    assert len(record["unassigned"]) == 5
    pair = load_file(tmp_path / "out.json")  # schema and model validation
    assert len(pair.changes) == 8


@pytest.mark.parametrize("args", [
    ["--window", "2025-05-16", "2025-11-14"],
    ["--nixpkgs-snapshot", str(FIXTURE)],
    ["--nixpkgs-snapshot", str(FIXTURE), "--window", "2025-05-16", "tomorrow"],
    ["--nixpkgs-snapshot", str(FIXTURE), "--window", "2025-11-14", "2025-05-16"],
    ["--nixpkgs-snapshot", str(FIXTURE / "missing"), "--window", "2025-05-16", "2025-11-14"],
    ["--nixpkgs-snapshot", str(FIXTURE), "--nixpkgs-snapshot-repo", "nofork",
     "--window", "2025-05-16", "2025-11-14"],
    ["--nixpkgs-snapshot", str(FIXTURE), "--nixpkgs-snapshot-commit", "xyz",
     "--window", "2025-05-16", "2025-11-14"],
])
def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run_extract(tmp_path, *args)
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


# Facts of the shipped data, each checked by hand against the snapshot
# (Swarsel/nixpkgs 4aa6836a, pkgs/top-level/aliases.nix / python-aliases.nix).
SHIPPED = [
    ("25.11", "nixpkgs:renamed-package:nettools", "net-tools", "aliases.nix", 1636,
     "2025-06-11"),
    ("25.11", "nixpkgs:removed-package:amdvlk", None, "aliases.nix", 314, "2025-09-20"),
    # The throw says "'noto-fonts-emoji' has been renamed to/replaced by
    # 'noto-fonts-color-emoji'": the replacement is recorded (and fix applies it).
    ("25.11", "nixpkgs:removed-package:noto-fonts-emoji", "noto-fonts-color-emoji",
     "aliases.nix", 1710, "2025-10-27"),
    ("25.11", "nixpkgs:renamed-package:python3Packages.casbin", "python3Packages.pycasbin",
     "python-aliases.nix", 166, "2025-06-12"),
    ("26.05", "nixpkgs:removed-package:neofetch", None, "aliases.nix", 1617, "2026-03-02"),
    ("26.05", "nixpkgs:removed-package:nodePackages", None, "aliases.nix", 1700,
     "2026-03-03"),
    ("26.05", "nixpkgs:removed-package:docker_28", None, "aliases.nix", 691, "2026-05-18"),
    ("26.05", "nixpkgs:removed-package:python3Packages.django_4", None,
     "python-aliases.nix", 199, "2026-03-30"),
]


@pytest.mark.parametrize(("release", "ident", "new", "path", "line", "day"), SHIPPED)
def test_shipped_dated_aliases(release: str, ident: str, new: str | None, path: str,
                               line: int, day: str) -> None:
    raw = json.loads((DATA / f"{release}.json").read_text())
    changes = {c["id"]: c for c in raw["changes"]}
    change = changes[ident]
    assert change["new"] == new
    assert f"dated:{day}" in change["tags"]
    assert {"repo": "Swarsel/nixpkgs", "path": f"pkgs/top-level/{path}", "line": line,
            "commit": SNAPSHOT,
            "url": f"https://github.com/Swarsel/nixpkgs/blob/{SNAPSHOT}/pkgs/top-level/"
                   f"{path}#L{line}"} in change["evidence"]
    other = "26.05" if release == "25.11" else "25.11"
    assert ident not in {c["id"] for c in json.loads((DATA / f"{other}.json").read_text())[
        "changes"]}


def test_shipped_window_record_and_no_entry_outside_its_window() -> None:
    for release, start, end in (("25.11", "2025-05-17", "2025-11-01"),
                                ("26.05", "2025-11-26", "2026-05-23")):
        raw = json.loads((DATA / f"{release}.json").read_text())
        record = raw["sources"]["dated_snapshot"]
        assert record["commit"] == SNAPSHOT and record["repo"] == "Swarsel/nixpkgs"
        assert (record["window"]["start"], record["window"]["end_exclusive"]) == (start, end)
        days = [t.split(":", 1)[1] for c in raw["changes"] for t in c.get("tags", [])
                if t.startswith("dated:")]
        assert len(days) > 500
        assert all(start <= day < end for day in days)


def test_entries_dated_near_the_25_11_branch_off_are_not_assigned() -> None:
    """nekoray (2025-11-10) and pingvin-share (2025-11-08, whose module removal the 26.05 notes
    list) fall into the uncertain interval before the 25.11 branch-off: in no release."""
    for release in ("25.11", "26.05"):
        raw = json.loads((DATA / f"{release}.json").read_text())
        ids = {c["id"] for c in raw["changes"]}
        assert "nixpkgs:renamed-package:nekoray" not in ids
        assert "nixpkgs:removed-package:pingvin-share" not in ids
        unassigned = {u["old"]: u["reason"] for u in raw["sources"]["dated_snapshot"]["unassigned"]}
        assert unassigned["nekoray"] == "dated 2025-11-10 inside an uncertain branch-off interval"


def test_shipped_knowledge_loads_fast_enough() -> None:
    import time

    begin = time.perf_counter()
    KnowledgeBase.load()
    assert time.perf_counter() - begin < 1.0


RENAME_COMMIT = "3b20077cd82fd1f099e92e2792d73e3176d4869d"


@pytest.mark.parametrize(("module", "line"), [
    ("services.polipo", 216), ("services.siproxd", 239), ("services.clamsmtp", 113)])
def test_rename_nix_removals_cite_release_notes_and_rename_nix(module: str, line: int) -> None:
    """Removed modules of rename.nix that the 25.11 release notes name (lines checked by hand
    in faukah/nixpkgs 3b20077c nixos/modules/rename.nix)."""
    raw = json.loads((DATA / "25.11.json").read_text())
    change = {c["id"]: c for c in raw["changes"]}[f"nixos:removed-module:{module}"]
    paths = {(e["repo"], e["path"], e.get("line")) for e in change["evidence"]}
    assert ("faukah/nixpkgs", "nixos/modules/rename.nix", line) in paths
    assert ("NixOS/nixpkgs", "nixos/doc/manual/release-notes/rl-2511.section.md", None) in paths
    assert module not in {c["old"] for c in json.loads((DATA / "26.05.json").read_text())[
        "changes"]}


def test_check_reports_a_dated_package_removal_and_a_removed_module(tmp_path: Path) -> None:
    from nqd.analysis.engine import run_check
    from nqd.releases import Release

    config = tmp_path / "configuration.nix"
    config.write_text(
        "{ pkgs, ... }:\n{\n  services.polipo.enable = true;\n"
        "  environment.systemPackages = [ pkgs.neofetch pkgs.nettools ];\n}\n")
    result = run_check([tmp_path], Release.parse("25.05"), Release.parse("26.05"))
    messages = [f"{f.rule} {f.message}" for f in result.findings]
    assert any("services.polipo" in m for m in messages), messages
    assert any("neofetch" in m and "26.05" in m for m in messages), messages
    assert any("nettools" in m and "net-tools" in m for m in messages), messages
