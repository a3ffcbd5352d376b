"""The shipped data files: schema-valid, loadable, fast, and right about facts checked by hand
against the real sources (Home Manager release branches, nixpkgs files at recorded commits)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from nqd.errors import InputError
from nqd.knowledge.loader import KnowledgeBase, data_dir, load_file
from nqd.knowledge.model import Kind
from nqd.releases import Release

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "nqd" / "knowledge" / "data"
SCHEMA = json.loads((SHIPPED.parent / "schema.json").read_text())
HM_2511 = "3ee51fbdac8c8bdfe1e7e1fcaba6520a563f394f"


def shipped(release: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SHIPPED / f"{release}.json").read_text())
    return doc


def change(release: str, change_id: str) -> dict[str, Any] | None:
    return next((c for c in shipped(release)["changes"] if c["id"] == change_id), None)


@pytest.mark.parametrize("release", ["25.11", "26.05"])
def test_shipped_file_is_valid_against_the_schema(release: str) -> None:
    doc = shipped(release)
    jsonschema.validate(doc, SCHEMA)
    ids = [c["id"] for c in doc["changes"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert doc["sources"]["extractor"]["name"] == "nqd kb extract"


def test_git_user_name_moved_under_settings_in_home_manager_25_11() -> None:
    # release-25.11 modules/programs/git.nix: mkSettingsRenamedOptionModules with
    # { old = [ "userName" ]; new = [ "user" "name" ]; }; absent on release-25.05.
    moved = change("25.11", "home-manager:renamed-option:programs.git.userName")
    assert moved is not None
    assert moved["new"] == "programs.git.settings.user.name"
    assert moved["fixable"] is True
    assert any(e.get("commit") == HM_2511 and e.get("path") == "modules/programs/git.nix"
               for e in moved["evidence"])
    assert change("26.05", "home-manager:renamed-option:programs.git.userName") is None


def test_git_delta_became_programs_delta_in_home_manager_25_11() -> None:
    moved = change("25.11", "home-manager:renamed-option:programs.git.delta.enable")
    assert moved is not None and moved["new"] == "programs.delta.enable"


def test_gnome_and_gdm_left_services_xserver_in_nixos_25_11() -> None:
    gnome = change("25.11", "nixos:renamed-option:services.xserver.desktopManager.gnome.enable")
    gdm = change("25.11", "nixos:renamed-option:services.xserver.displayManager.gdm.enable")
    assert gnome is not None and gnome["new"] == "services.desktopManager.gnome.enable"
    assert gdm is not None and gdm["new"] == "services.displayManager.gdm.enable"


def test_logind_extra_config_is_removed_not_forwarded_in_25_11() -> None:
    removed = change("25.11", "nixos:removed-option:services.logind.extraConfig")
    assert removed is not None and removed["kind"] == "removed-option"
    lid = change("25.11", "nixos:renamed-option:services.logind.lidSwitch")
    assert lid is not None and lid["new"] == "services.logind.settings.Login.HandleLidSwitch"


def test_gdm_wayland_removed_in_26_05() -> None:
    removed = change("26.05", "nixos:removed-option:services.displayManager.gdm.wayland")
    assert removed is not None
    assert "GNOME 50" in removed["message"]


# The dated fork copies of nixos/modules/rename.nix that bracket each release window
# (docs/knowledge.md, "rename.nix"): only the NEW copy of a pair can be cited by an extracted
# removal, and the release-notes entries it confirms keep their curated text.
RENAME_NEW = {
    "25.11": ("Mic92/nixpkgs", "01b0378fd05aa8830b515098111702d98103f69b"),
    "26.05": ("kodek/nixpkgs", "1c289ce141f5c2b2e32be53023fdaaa6893c9f14"),
}


@pytest.mark.parametrize(
    ("release", "module", "line"),
    [("25.11", "services.mx-puppet-discord", 193), ("25.11", "virtualisation.lxd", 369),
     ("26.05", "services.xtreemfs", 518), ("26.05", "services.promtail", 235)],
)
def test_rename_nix_removals_between_dated_copies(release: str, module: str, line: int) -> None:
    removed = change(release, f"nixos:removed-module:{module}")
    assert removed is not None
    repo, commit = RENAME_NEW[release]
    assert {"repo": repo, "commit": commit, "path": "nixos/modules/rename.nix", "line": line,
            "url": f"https://github.com/{repo}/blob/{commit}/nixos/modules/rename.nix#L{line}",
            } in removed["evidence"]


def test_rename_nix_evidence_comes_only_from_the_documented_copies() -> None:
    allowed = {("faukah/nixpkgs", "3b20077cd82fd1f099e92e2792d73e3176d4869d"), *RENAME_NEW.values()}
    for release in ("25.11", "26.05"):
        for item in shipped(release)["changes"]:
            for e in item["evidence"]:
                if e.get("path") == "nixos/modules/rename.nix":
                    assert (e["repo"], e["commit"]) in allowed, item["id"]
    lxd = change("25.11", "nixos:removed-module:virtualisation.lxd")
    assert lxd is not None and "source:mkRemovedOptionModule" in lxd["tags"]
    assert any(e["path"].endswith("rl-2511.section.md") for e in lxd["evidence"])
    # Before the 26.05 OLD copy (Sylonin, >= 2025-11-29): not visible to the pair.
    assert change("26.05", "nixos:removed-module:services.preload") is None


def test_every_extracted_change_cites_a_source_line() -> None:
    for release in ("25.11", "26.05"):
        for item in shipped(release)["changes"]:
            tags = item.get("tags", [])
            if any(t.startswith("source:mk") for t in tags):
                cited = [e for e in item["evidence"] if e.get("line") and e.get("commit")]
                assert cited, item["id"]
                assert all(f"#L{e['line']}" in e["url"] for e in cited)


def test_the_shipped_knowledge_loads() -> None:
    # How fast: bench/bench_knowledge.py and docs/benchmarks.md, not a timed test.
    kb = KnowledgeBase.load(SHIPPED)
    assert set(kb.pairs) >= {("25.05", "25.11"), ("25.11", "26.05")}
    assert data_dir().is_dir()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid knowledge file"),
        ('{"schema_version": 2}', "schema_version must be 1"),
        ('{"schema_version": 1, "from": "25.05", "to": "25.11", "sources": {}, '
         '"changes": [{"id": "nixos:renamed-option:a", "area": "nixos"}]}', "lacks"),
        ('{"schema_version": 1, "from": "25.05", "to": "25.11", "sources": {}, "changes": ['
         '{"id": "nixos:renamed-option:a", "area": "nixos", "kind": "renamed-option", '
         '"old": "a", "new": "b", "message": "m", "evidence": [{"url": "u"}]},'
         '{"id": "nixos:renamed-option:a", "area": "nixos", "kind": "renamed-option", '
         '"old": "a", "new": "b", "message": "m", "evidence": [{"url": "u"}]}]}', "duplicate ids"),
        ('{"schema_version": 1, "from": "25.05", "to": "25.11", "sources": {}, "changes": ['
         '{"id": "nixos:bogus:a", "area": "nixos", "kind": "bogus", '
         '"old": "a", "new": "b", "message": "m", "evidence": [{"url": "u"}]}]}', "bogus"),
    ],
)
def test_malformed_file_is_an_input_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "25.11.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        load_file(path)


def _pair(tmp: Path, source: str, target: str, changes: list[dict[str, Any]]) -> None:
    doc = {"schema_version": 1, "from": source, "to": target, "sources": {}, "changes": changes}
    jsonschema.validate(doc, SCHEMA)
    (tmp / f"{target}.json").write_text(json.dumps(doc))


def _rename(area: str, kind: str, old: str, new: str | None, where: str) -> dict[str, Any]:
    return {"id": f"{area}:{kind}:{old}", "area": area, "kind": kind, "old": old, "new": new,
            "message": f"{old} → {new}", "fixable": new is not None,
            "evidence": [{"url": f"https://example.org/{where}"}]}


def test_chaining_resolves_a_rename_of_a_rename_across_two_hops(tmp_path: Path) -> None:
    _pair(tmp_path, "25.05", "25.11", [
        _rename("home-manager", "renamed-option", "programs.a.x", "programs.a.y", "hop1"),
        _rename("nixpkgs", "renamed-package", "oldpkg", "midpkg", "hop1"),
    ])
    _pair(tmp_path, "25.11", "26.05", [
        _rename("home-manager", "renamed-option", "programs.a.y", "programs.a.settings.z", "hop2"),
        _rename("nixpkgs", "removed-package", "midpkg", None, "hop2"),
    ])
    kb = KnowledgeBase.load(tmp_path)
    chained = {c.id: c for c in kb.chained(Release.parse("25.05"), Release.parse("26.05"))}
    first = chained["home-manager:renamed-option:programs.a.x"]
    assert first.new == "programs.a.settings.z"
    assert first.to_release == "26.05"
    assert [e.url for e in first.evidence] == ["https://example.org/hop1",
                                               "https://example.org/hop2"]
    gone = chained["nixpkgs:renamed-package:oldpkg"]
    assert gone.kind is Kind.REMOVED_PACKAGE and gone.fixable is False
    # one hop only: nothing to chain
    single = kb.chained(Release.parse("25.05"), Release.parse("25.11"))
    assert {c.new for c in single} == {"programs.a.y", "midpkg"}
