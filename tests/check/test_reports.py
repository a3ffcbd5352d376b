"""Every output format: JSON against its documented schema, SARIF against the official
2.1.0 schema, markdown checklist marks, terminal grouping; exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from nqd.cli import main
from tests.check.helpers import write_tree

CONFIG = {
    "flake.nix": """
        {
          inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
          outputs = { nixpkgs, ... }: {
            nixosConfigurations.box =
              nixpkgs.lib.nixosSystem { modules = [ ./configuration.nix ]; };
          };
        }
    """,
    "configuration.nix": """
        { pkgs, ... }: {
          services.xserver.desktopManager.gnome.enable = true;
          services.logind.extraConfig = "IdleAction=lock";
          services.postgresql.enable = true;
          fonts.packages = [ pkgs.noto-fonts-emoji ];
          system.stateVersion = "25.05";
        }
    """,
}
SCHEMA = Path(__file__).parents[2] / "src/nqd/report/check-output.schema.json"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out


@pytest.fixture
def config(tmp_path: Path, kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_tree(tmp_path / "cfg", CONFIG)
    monkeypatch.chdir(root)
    return root


def test_json_matches_its_schema_and_carries_every_field(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["check", ".", "--format", "json"], capsys)
    data = json.loads(out)
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert code == 1
    assert (data["from"], data["to"]) == ("25.05", "25.11")
    assert data["summary"]["error"] == 1 and data["summary"]["info"] == 1
    by_rule = {f["rule"]: f for f in data["findings"]}
    gnome = by_rule["NQD101"]
    assert gnome["location"] == {"path": "configuration.nix", "line": 2, "column": 3,
                                 "end_line": 2, "end_column": 47}
    assert gnome["replacement"] == "services.desktopManager.gnome.enable"
    assert gnome["fixable"] is True and gnome["evidence"][0]["url"]
    assert by_rule["NQD102"]["severity"] == "error"
    assert by_rule["NQD201"]["replacement"] == "noto-fonts-color-emoji"
    assert by_rule["NQD401"]["location"]["path"] == "flake.nix"


def _official_sarif_schema() -> dict[str, object]:
    path = os.environ.get("NQD_SARIF_SCHEMA")
    if not path or not Path(path).is_file():
        pytest.skip("official SARIF 2.1.0 schema not available: set NQD_SARIF_SCHEMA "
                    "(.ci/run fetches it from the npm registry)")
    return json.loads(Path(path).read_text())  # type: ignore[no-any-return]


def test_sarif_validates_against_the_official_schema(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema = _official_sarif_schema()
    _, out = run(["check", ".", "--format", "sarif"], capsys)
    data = json.loads(out)
    jsonschema.validate(data, schema)
    run_ = data["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules)
    for result in run_["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "://" not in uri
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in run_["results"]}
    assert levels["NQD102"] == "error" and levels["NQD701"] == "note"


def test_markdown_checklist_marks_only_what_was_verified(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(["check", ".", "--format", "markdown"], capsys)
    assert out.startswith("# NixOS upgrade report: 25.05 → 25.11")
    assert "- [ ] Flake inputs moved to `nixos-25.11`" in out
    assert "- [x] `stateVersion` left unchanged (`system.stateVersion = \"25.05\"`)" in out
    assert "- [ ] No finding that fails evaluation remains." in out
    assert "--switch-generation" in out and "nix flake update --flake PATH" in out
    # After the user fixes everything, the same items are checked.
    (config / "flake.nix").write_text((config / "flake.nix").read_text()
                                      .replace("nixos-25.05", "nixos-25.11"))
    (config / "configuration.nix").write_text("{ ... }: { system.stateVersion = \"25.05\"; }\n")
    _, out = run(["check", ".", "--from", "25.05", "--format", "markdown"], capsys)
    assert "- [x] Flake inputs moved" in out and "- [x] No finding that fails" in out


def test_text_report_groups_by_file_with_a_summary(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(["check", "."], capsys)
    lines = out.splitlines()
    assert "configuration.nix" in lines and "flake.nix" in lines
    assert lines.index("configuration.nix") < lines.index("flake.nix")
    assert "findings in 2 files: 1 error," in out


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 1), ("warning", 1), ("info", 1)])
def test_exit_code_follows_fail_on(config: Path, capsys: pytest.CaptureFixture[str],
                                   fail_on: str, expected: int) -> None:
    assert run(["check", ".", "--fail-on", fail_on], capsys)[0] == expected


def test_exit_codes_for_warnings_and_info_only(tmp_path: Path, kb_dir: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"configuration.nix": """
        { ... }: { services.postgresql.enable = true; system.stateVersion = "25.05"; }
    """})
    args = ["check", str(tmp_path), "--from", "25.05"]
    assert run(args, capsys)[0] == 0
    assert run([*args, "--fail-on", "warning"], capsys)[0] == 0
    assert run([*args, "--fail-on", "info"], capsys)[0] == 1
    (tmp_path / "configuration.nix").write_text("{ ... }: { }\n")
    assert run([*args, "--fail-on", "info"], capsys)[0] == 0


def test_output_file_is_written_and_stdout_stays_clean(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = config.parent / "report.sarif"
    code = main(["check", ".", "--format", "sarif", "--output", str(target)])
    out, err = capsys.readouterr()
    assert code == 1 and out == "" and "wrote sarif report" in err
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_multi_hop_keeps_the_rename_when_the_next_hop_only_notes_behaviour(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.check.helpers import change, write_kb

    write_kb(tmp_path / "kb", {
        ("25.05", "25.11"): [change("nixos", "renamed-option", "a.old", "a.new", fixable=True)],
        ("25.11", "26.05"): [change("nixos", "behaviour", "a.new", None, message="a.new acts")],
    })
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(tmp_path / "kb"))
    write_tree(tmp_path / "cfg", {"configuration.nix": "{ ... }: { a.old = 1; }\n"})
    _, out = run(["check", str(tmp_path / "cfg"), "--from", "25.05", "--to", "26.05",
                     "--format", "json"], capsys)
    rules = {(f["rule"], f["replacement"]) for f in json.loads(out)["findings"]}
    assert ("NQD101", "a.new") in rules


def test_a_note_already_in_the_message_is_not_printed_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from tests.check.helpers import change, write_kb

    note = "Migrate to services.alloy; the old agent reached its end of life."
    kb = write_kb(tmp_path / "kb", {("25.05", "25.11"): [
        change("nixos", "removed-module", "services.oldagent", None,
               message=f"services.oldagent was removed. {note}", migration=note),
        change("nixos", "removed-option", "services.other.extraConfig", None,
               message="services.other.extraConfig was removed.",
               migration="Use services.other.settings."),
    ]})
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(kb))
    (tmp_path / "configuration.nix").write_text(
        "{ ... }: { services.oldagent.enable = true; services.other.extraConfig = \"\"; }\n")
    code = main(["check", str(tmp_path / "configuration.nix"), "--from", "25.05", "--no-git"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.count(note) == 1  # in the message only
    assert "↳ Use services.other.settings." in out  # a note that adds something is shown


def test_sarif_uris_are_percent_encoded_and_absolute_outside_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.parse import unquote, urlparse

    from nqd.report.sarif import artifact_location

    repo = tmp_path / "repo"
    (repo / "my hosts").mkdir(parents=True)
    monkeypatch.chdir(repo)
    inside = artifact_location(repo / "my hosts" / "c++#1.nix")
    assert inside == {"uri": "my%20hosts/c%2B%2B%231.nix", "uriBaseId": "%SRCROOT%"}
    outside = artifact_location(tmp_path / "elsewhere" / "a b.nix")
    assert "uriBaseId" not in outside
    parsed = urlparse(outside["uri"])
    assert parsed.scheme == "file" and unquote(parsed.path) == str(tmp_path / "elsewhere/a b.nix")


def test_a_configuration_with_nothing_to_check_still_gets_a_document_in_every_format(
        tmp_path: Path, kb_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """On the newest release nqd knows there is nothing to check (exit 0): a pipeline
    asking for JSON, SARIF or markdown still gets a valid document saying why, not an
    empty output (seen in a field test)."""
    root = write_tree(tmp_path / "cfg", {
        "flake.nix": '{ inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";'
                     " outputs = _: { }; }\n",
        "configuration.nix": "{ ... }: { services.logind.extraConfig = \"x\"; }\n"})
    monkeypatch.chdir(root)
    code, out = run(["check", ".", "--format", "json"], capsys)
    data = json.loads(out)
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert code == 0 and data["findings"] == [] and (data["from"], data["to"]) == \
        ("26.05", "26.11")
    assert [d["code"] for d in data["diagnostics"]] == ["nothing-to-check"]
    assert main(["check", ".", "--format", "sarif", "-o", "report.sarif"]) == 0
    sarif = json.loads((root / "report.sarif").read_text())
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert sarif["runs"][0]["results"] == [] and notes[0]["level"] == "note"
    assert "newest release nqd knows" in notes[0]["message"]["text"]
    if os.environ.get("NQD_SARIF_SCHEMA"):
        jsonschema.validate(sarif, _official_sarif_schema())
    assert main(["check", ".", "--format", "markdown", "-o", "report.md"]) == 0
    assert "Nothing to check: this configuration is on NixOS 26.05" in \
        (root / "report.md").read_text()
    assert main(["check", "."]) == 0  # the terminal: one line, no document
    _out, err = capsys.readouterr()
    assert "newest release nqd knows" in err and "warning" not in err
