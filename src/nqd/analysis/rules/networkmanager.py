"""NetworkManager with VPN use but no VPN plugins listed (25.11 installs none by default)."""

from __future__ import annotations

from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.knowledge.model import Evidence, Severity
from nqd.model.types import Context
from nqd.releases import Release

NO_VPN_PLUGINS = Rule(
    "NQD601", "networkmanager-vpn-plugins", "NetworkManager is used with a VPN but "
    "`networking.networkmanager.plugins` lists no plugin.",
    "Since NixOS 25.11 NetworkManager installs no VPN plugins by default; each one must be "
    "listed in `networking.networkmanager.plugins` (not `vpnPlugins`, which does not exist).",
    "networking.networkmanager.enable = true;",
    "networking.networkmanager.enable = true;\n"
    "networking.networkmanager.plugins = with pkgs; [ networkmanager-openvpn ];",
)
RULES = (NO_VPN_PLUGINS,)
_SINCE = Release(25, 11)
# VPN client → the NetworkManager plugin for it. WireGuard is built into NetworkManager and
# needs no plugin, so `wireguard-tools` says nothing here.
_PLUGIN_OF = {"openvpn": "networkmanager-openvpn", "openconnect": "networkmanager-openconnect",
              "vpnc": "networkmanager-vpnc", "openfortivpn": "networkmanager-fortisslvpn",
              "strongswan": "networkmanager_strongswan", "xl2tpd": "networkmanager-l2tp",
              "sstp": "networkmanager-sstp", "iodine": "networkmanager-iodine"}
_VPN_PACKAGES = frozenset({*_PLUGIN_OF, *_PLUGIN_OF.values()})
# Names this rule looks for (see nqd.model.interest).
INTEREST = frozenset({"networkmanager", *_VPN_PACKAGES})
_EVIDENCE = (Evidence(
    url="https://github.com/NixOS/nixpkgs/blob/release-25.11/nixos/doc/manual/release-notes/"
        "rl-2511.section.md", repo="NixOS/nixpkgs",
    path="nixos/doc/manual/release-notes/rl-2511.section.md"),)


def check(ctx: RuleContext) -> Iterable[Finding]:
    if not (ctx.from_release < _SINCE <= ctx.to_release):
        return
    enabled = [o for o in ctx.model.options(Context.NIXOS)
               if o.path == ("networking", "networkmanager", "enable") and o.literal is True]
    if not enabled:
        return
    if ctx.model.defines(("networking", "networkmanager", "plugins"), Context.NIXOS):
        return
    vpn = sorted({p.attr for p in ctx.model.packages() if p.attr in _VPN_PACKAGES})
    if not vpn:
        return
    suggestion = " ".join(sorted({_PLUGIN_OF.get(p, p) for p in vpn}))
    yield Finding(
        NO_VPN_PLUGINS.id, NO_VPN_PLUGINS.name, Severity.WARNING, enabled[0].pos,
        f"NetworkManager is enabled and VPN packages are installed ({', '.join(vpn)}), but "
        f"{ctx.to_release} installs no VPN plugin by default: set "
        f"networking.networkmanager.plugins = with pkgs; [ {suggestion} ];",
        Context.NIXOS, replacement=f"networking.networkmanager.plugins = with pkgs; "
                                   f"[ {suggestion} ];",
        evidence=_EVIDENCE, fixable=False,
        fix_note="add the plugins you use to networking.networkmanager.plugins",
    )
