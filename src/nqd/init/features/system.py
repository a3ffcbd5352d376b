"""Nix settings and binary caches, firewall backend, nixos-init."""

from __future__ import annotations

from nqd.init.features.base import Contribution, Entry, NixModule, attrs, opt
from nqd.init.profile import Profile
from nqd.nix.emit import Comment


def nix_settings(profile: Profile, unfree: tuple[str, ...]) -> NixModule:
    settings: list[Entry] = [
        ("experimental-features", ["nix-command", "flakes"]),
        ("auto-optimise-store", True),
        ("trusted-users", ["root", "@wheel"]),
    ]
    if profile.substituters:
        settings.append(("substituters", list(profile.substituters)))
        settings.append(("trusted-public-keys", list(profile.trusted_public_keys)))
    entries: list[Entry] = [
        (opt("nix.settings"), attrs(*settings)),
        (opt("nix.gc"), attrs(("automatic", True), ("dates", "weekly"),
                              ("options", "--delete-older-than 30d"))),
    ]
    if unfree:
        entries.append((Comment("Unfree packages used: " + ", ".join(unfree) + "."), None))
        entries.append((opt("nixpkgs.config.allowUnfree"), True))
    return NixModule("modules/nix.nix", "Nix itself: flakes, store optimisation, caches.",
                     attrs(*entries))


def _firewall(profile: Profile) -> Contribution:
    if profile.firewall_backend == "firewalld":
        entries: list[Entry] = [(opt("services.firewalld.enable"), True)]
    else:
        entries = [(opt("networking.nftables.enable"), True)]
    entries.append((opt("networking.firewall"), attrs(
        ("enable", True), ("backend", profile.firewall_backend))))
    return Contribution(nixos=(NixModule("modules/networking/firewall.nix",
                                         f"Firewall ({profile.firewall_backend}).",
                                         attrs(*entries)),))


def _nixos_init(profile: Profile) -> Contribution:
    if not profile.nixos_init:
        return Contribution()
    body = attrs(
        (Comment("nixos-init replaces the bash activation; it requires the three settings "
                 "below."), None),
        (opt("system.nixos-init.enable"), True),
        (opt("boot.initrd.systemd.enable"), True),
        (opt("system.etc.overlay.enable"), True),
        (opt("services.userborn.enable"), True),
    )
    return Contribution(nixos=(NixModule("modules/system/nixos-init.nix",
                                         "Bashless system initialisation (opt-in).", body),))


def contribute(profile: Profile) -> tuple[Contribution, ...]:
    return (_firewall(profile), _nixos_init(profile))
