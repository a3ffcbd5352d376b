"""The bundled example against the shipped knowledge: the README's first command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "workstation"


def test_example_reports_all_three_severities_with_the_expected_findings() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nqd", "check", str(EXAMPLE), "--format", "json", "--no-git"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1, proc.stderr  # an error-level finding: logind extraConfig
    data = json.loads(proc.stdout)
    assert (data["from"], data["to"]) == ("25.05", "25.11")
    assert "flake input nixpkgs" in data["release_source"]
    summary = data["summary"]
    assert summary["error"] >= 1 and summary["warning"] >= 1 and summary["info"] >= 1
    found = {(f["rule"], f["location"]["path"].split("/")[-1], f["replacement"])
             for f in data["findings"]}
    assert ("NQD102", "desktop.nix", None) in found  # services.logind.extraConfig
    assert ("NQD101", "desktop.nix", "services.desktopManager.gnome.enable") in found
    assert ("NQD101", "home.nix", "programs.git.settings.user.name") in found
    assert ("NQD401", "flake.nix", "github:NixOS/nixpkgs/nixos-25.11") in found
    assert any(rule == "NQD601" for rule, _, _ in found)  # NetworkManager VPN plugins
    # stateVersion is kept at 25.05, so it is never reported as raised.
    assert not any(rule == "NQD501" for rule, _, _ in found)
    contexts = {f["location"]["path"].split("/")[-1]: f["context"] for f in data["findings"]}
    assert contexts["home.nix"] == "home-manager" and contexts["desktop.nix"] == "nixos"


def test_example_files_parse_with_the_reference_parser() -> None:
    import shutil

    import pytest

    if shutil.which("nix-instantiate") is None:
        pytest.skip("nix-instantiate (Debian nix-bin) not installed")
    for path in EXAMPLE.rglob("*.nix"):
        proc = subprocess.run(["nix-instantiate", "--parse", str(path)], capture_output=True,
                              check=False)
        assert proc.returncode == 0, (path, proc.stderr)

