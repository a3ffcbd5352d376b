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
