"""NQD601: NetworkManager VPN plugins for the clients a configuration installs."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.analysis.engine import run_check
from nqd.releases import Release


@pytest.mark.parametrize(("packages", "expected"), [
    ("openfortivpn wireguard-tools", "[ networkmanager-fortisslvpn ]"),
    ("openvpn openconnect", "[ networkmanager-openconnect networkmanager-openvpn ]"),
    ("wireguard-tools", None),  # WireGuard is built into NetworkManager
])
def test_networkmanager_plugins_suggested_for_the_vpn_clients_in_use(
        tmp_path: Path, packages: str, expected: str | None) -> None:
    (tmp_path / "configuration.nix").write_text(
        "{ pkgs, ... }: {\n  networking.networkmanager.enable = true;\n"
        f"  environment.systemPackages = with pkgs; [ {packages} ];\n}}\n")
    result = run_check([tmp_path], Release.parse("25.05"), Release.parse("25.11"))
    found = [f for f in result.findings if f.rule == "NQD601"]
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].replacement is not None
        assert found[0].replacement.endswith(expected + ";")


@pytest.mark.parametrize(("plugins", "noted"), [
    ("", True),
    ("networking = { networkmanager.plugins = with pkgs; [ networkmanager-strongswan ]; };",
     False),
])
def test_the_vpn_plugins_note_is_only_for_configurations_that_list_none(
        tmp_path: Path, plugins: str, noted: bool) -> None:
    """25.11's note that VPN plugins must now be listed (shipped knowledge) is not for a
    configuration that lists them already (a field-test configuration did, nested)."""
    (tmp_path / "configuration.nix").write_text(
        f"{{ pkgs, ... }}: {{\n  networking.networkmanager.enable = true;\n  {plugins}\n}}\n")
    result = run_check([tmp_path], Release.parse("25.05"), Release.parse("25.11"))
    note = "nixos:behaviour:networking.networkmanager.plugins"
    notes = [f for f in result.findings if f.change is not None and f.change.id == note]
    assert bool(notes) is noted
