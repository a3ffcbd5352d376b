"""`nqd changes` without a filter summarises a long list instead of printing it all."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.cli import main
from tests.check.helpers import change, write_kb


def test_many_changes_are_summarised_unless_filtered_or_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    many = [change("nixpkgs", "removed-package", f"pkg{i}", None) for i in range(200)]
    many.append(change("nixos", "renamed-option", "a.b", "a.c"))
    monkeypatch.setenv("NQD_KNOWLEDGE_DIR", str(write_kb(tmp_path / "kb",
                                                         {("25.05", "25.11"): many})))
    assert main(["changes", "--from", "25.05"]) == 0
    out = capsys.readouterr().out
    assert "201 changes" in out and "200  nixpkgs" in out and "pkg17" not in out
    assert main(["changes", "--from", "25.05", "--all"]) == 0
    assert "pkg17" in capsys.readouterr().out
    assert main(["changes", "--from", "25.05", "--kind", "renamed-option"]) == 0
    out = capsys.readouterr().out
    assert "a.b" in out and "pkg17" not in out
