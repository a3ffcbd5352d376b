"""Desktops (COSMIC, Hyprland, GNOME, Plasma 6), the display manager, and what every
graphical session needs (PipeWire, NetworkManager)."""

from __future__ import annotations

from nqd.init.features.base import Contribution, Entry, NixModule, attrs, opt
from nqd.init.profile import Profile
from nqd.nix.emit import Comment

# The greeter each desktop brings when `display_manager = "auto"`.
_AUTO_DM = {"cosmic": "cosmic-greeter", "gnome": "gdm", "plasma6": "sddm", "hyprland": "sddm"}


def display_manager(profile: Profile) -> str:
    if profile.headless:
        return "none"
    if profile.display_manager != "auto":
        return profile.display_manager
    return _AUTO_DM[profile.desktops[0]]


def _desktop_module(name: str) -> NixModule:
    if name == "cosmic":
        body = attrs(
            (Comment("COSMIC: the Rust desktop environment from System76 (beta in 25.11)."),
             None),
            (opt("services.desktopManager.cosmic.enable"), True),
        )
    elif name == "hyprland":
        body = attrs(
            (opt("programs.hyprland"), attrs(
                ("enable", True),
                (Comment("Start Hyprland as a systemd session through UWSM."), None),
                ("withUWSM", True),
                (opt("xwayland.enable"), True),
            )),
        )
    elif name == "gnome":
        body = attrs(
            (Comment("Since 25.11 GNOME lives under services.desktopManager, "
                     "not services.xserver."), None),
            (opt("services.desktopManager.gnome.enable"), True),
        )
    else:
        body = attrs((opt("services.desktopManager.plasma6.enable"), True))
    return NixModule(f"modules/desktop/{name}.nix", f"Desktop: {name}.", body)


def _common(profile: Profile) -> NixModule:
    dm = display_manager(profile)
    entries: list[Entry] = [
        (opt("services.pipewire"), attrs(
            ("enable", True), (opt("alsa.enable"), True), (opt("pulse.enable"), True))),
        (opt("security.rtkit.enable"), True),
        (opt("networking.networkmanager.enable"), True),
        (opt("hardware.bluetooth.enable"), True),
        (opt("services.printing.enable"), True),
    ]
    if dm == "cosmic-greeter":
        entries.append((opt("services.displayManager.cosmic-greeter.enable"), True))
    elif dm == "gdm":
        entries.append((opt("services.displayManager.gdm.enable"), True))
    elif dm == "sddm":
        entries.append((opt("services.displayManager.sddm"), attrs(
            ("enable", True), (opt("wayland.enable"), True))))
    return NixModule("modules/desktop/common.nix",
                     f"What every graphical session needs; display manager: {dm}.",
                     attrs(*entries))


def contribute(profile: Profile) -> Contribution:
    if profile.headless:
        return Contribution()
    modules = (_common(profile), *(_desktop_module(d) for d in profile.desktops))
    return Contribution(nixos=modules, user_groups=("networkmanager",))
