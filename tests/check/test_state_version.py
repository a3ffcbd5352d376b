"""stateVersion: a raise in the working tree (against git HEAD) or past the running release
is reported, never made."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from nqd.cli import main

CONFIG = '{ ... }: {\n  services.postgresql.enable = true;\n  system.stateVersion = "%s";\n}\n'


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                        "PATH": "/usr/bin:/bin", "HOME": str(root)})


def _findings(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    main(["check", *args, "--from", "25.05", "--format", "json"])
    return [f for f in json.loads(capsys.readouterr().out)["findings"] if f["rule"] == "NQD501"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_a_raise_in_the_working_tree_is_reported_against_git_head(
        tmp_path: Path, kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = tmp_path / "configuration.nix"
    module.write_text(CONFIG % "25.05")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "configuration.nix")
    _git(tmp_path, "commit", "-q", "-m", "install")
    assert _findings([str(tmp_path)], capsys) == []
    module.write_text(CONFIG % "25.11")
    found = _findings([str(tmp_path)], capsys)
    assert len(found) == 1
    assert "raised from 25.05 to 25.11" in found[0]["message"]
    assert found[0]["replacement"] == "25.05" and found[0]["fixable"] is False
    # Without git history it is still past the running release.
    found = _findings([str(tmp_path), "--no-git"], capsys)
    assert len(found) == 1 and "newer than the release" in found[0]["message"]
