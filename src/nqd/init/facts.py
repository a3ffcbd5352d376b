"""Every option `nqd init` may emit, the release it exists from, and where that was checked.

Patterns use `*` for one name (a user, a container) and end in `**` for free-form
settings. A test reads every generated module back and fails on an option path no fact
covers, or on one whose fact starts after the profile's release. docs/init.md explains
the evidence column.
"""

from __future__ import annotations

from dataclasses import dataclass

_NIXPKGS = "NixOS/nixpkgs"
_HM = "nix-community/home-manager"
LONG_STANDING = "long-standing option; module path given, not re-read for this table"


@dataclass(frozen=True)
class OptionFact:
    pattern: str
    context: str  # "nixos" or "home"
    since: str  # first release with the option
    evidence: str

    def matches(self, path: tuple[str, ...]) -> bool:
        parts = self.pattern.split(".")
        if parts[-1] == "**":
            head = parts[:-1]
            return len(path) > len(head) and _match(head, path[: len(head)])
        return len(parts) == len(path) and _match(parts, path)


def _match(pattern: list[str], path: tuple[str, ...]) -> bool:
    return all(p in ("*", name) for p, name in zip(pattern, path, strict=True))


def _f(pattern: str, since: str, evidence: str, context: str = "nixos") -> OptionFact:
    return OptionFact(pattern, context, since, evidence)


def _ls(path: str) -> str:
    return f"{_NIXPKGS} {path}: {LONG_STANDING}"


FACTS: tuple[OptionFact, ...] = (
    # Desktops and display managers (25.11 moved GNOME and GDM out of services.xserver).
    _f("services.desktopManager.cosmic.enable", "25.05",
       f"{_NIXPKGS} nixos/modules/services/desktop-managers/cosmic.nix @04cf77ab "
       "(mkEnableOption \"COSMIC desktop environment\")"),
    _f("services.displayManager.cosmic-greeter.enable", "25.05",
       f"{_NIXPKGS} nixos/modules/services/display-managers/cosmic-greeter.nix @1af70b1d"),
    _f("services.desktopManager.gnome.enable", "25.11",
       f"{_NIXPKGS} nixos/modules/services/desktop-managers/gnome.nix @5584692b; "
       "rl-2511: services.xserver.desktopManager.gnome -> services.desktopManager.gnome"),
    _f("services.displayManager.gdm.enable", "25.11",
       f"{_NIXPKGS} nixos/modules/services/display-managers/gdm.nix @4436175e; rl-2511 move"),
    _f("services.desktopManager.plasma6.enable", "24.05",
       f"{_NIXPKGS} nixos/modules/services/desktop-managers/plasma6.nix @a6b82fe2"),
    _f("services.displayManager.sddm.enable", "24.05",
       f"{_NIXPKGS} nixos/modules/services/display-managers/sddm.nix @1c60f9fc"),
    _f("services.displayManager.sddm.wayland.enable", "24.05",
       f"{_NIXPKGS} nixos/modules/services/display-managers/sddm.nix @1c60f9fc"),
    _f("programs.hyprland.enable", "23.11",
       f"{_NIXPKGS} nixos/modules/programs/wayland/hyprland.nix @9585e5d3"),
    _f("programs.hyprland.withUWSM", "24.11",
       f"{_NIXPKGS} nixos/modules/programs/wayland/hyprland.nix @9585e5d3"),
    _f("programs.hyprland.xwayland.enable", "23.11",
       f"{_NIXPKGS} nixos/modules/programs/wayland/hyprland.nix @9585e5d3"),
    _f("services.pipewire.**", "21.05", _ls("nixos/modules/services/desktops/pipewire/")),
    _f("security.rtkit.enable", "16.03", _ls("nixos/modules/security/rtkit.nix")),
    _f("networking.networkmanager.enable", "14.04",
       _ls("nixos/modules/services/networking/networkmanager.nix")),
    _f("hardware.bluetooth.enable", "14.04", _ls("nixos/modules/services/hardware/bluetooth.nix")),
    _f("services.printing.enable", "14.04", _ls("nixos/modules/services/printing/cupsd.nix")),
    # GPU.
    _f("hardware.graphics.enable", "24.11", _ls("nixos/modules/hardware/graphics.nix")),
    _f("hardware.graphics.enable32Bit", "24.11", _ls("nixos/modules/hardware/graphics.nix")),
    _f("hardware.graphics.extraPackages", "24.11", _ls("nixos/modules/hardware/graphics.nix")),
    _f("services.lact.enable", "25.05",
       f"{_NIXPKGS} nixos/modules/services/hardware/lact.nix @e944ac95 (mkEnableOption: a "
       "boolean, not \"auto\")"),
    _f("hardware.amdgpu.overdrive.enable", "25.05",
       f"{_NIXPKGS} nixos/modules/services/hardware/amdgpu.nix @12b50956 "
       "(overdrive.enable, ppfeaturemask)"),
    _f("services.xserver.videoDrivers", "14.04", _ls("nixos/modules/services/x11/xserver.nix")),
    _f("hardware.nvidia.modesetting.enable", "21.05",
       _ls("nixos/modules/hardware/video/nvidia.nix")),
    _f("hardware.nvidia.open", "22.11",
       _ls("nixos/modules/hardware/video/nvidia.nix") + "; no default since 24.11 (must be set)"),
    _f("hardware.nvidia.nvidiaSettings", "22.05", _ls("nixos/modules/hardware/video/nvidia.nix")),
    _f("hardware.nvidia.powerManagement.enable", "20.09",
       _ls("nixos/modules/hardware/video/nvidia.nix")),
    _f("hardware.nvidia.package", "18.03", _ls("nixos/modules/hardware/video/nvidia.nix")),
    _f("hardware.nvidia-container-toolkit.enable", "24.05",
       _ls("nixos/modules/services/hardware/nvidia-container-toolkit/default.nix")),
    # Boot.
    _f("boot.kernelPackages", "14.04", _ls("nixos/modules/system/boot/kernel.nix")),
    _f("boot.loader.efi.canTouchEfiVariables", "14.12",
       f"{_NIXPKGS} nixos/modules/system/boot/loader/efi.nix @757cb18c"),
    _f("boot.loader.systemd-boot.enable", "16.09",
       f"{_NIXPKGS} nixos/modules/system/boot/loader/systemd-boot/systemd-boot.nix @739bd2dc"),
    _f("boot.loader.systemd-boot.configurationLimit", "20.03",
       f"{_NIXPKGS} nixos/modules/system/boot/loader/systemd-boot/systemd-boot.nix @739bd2dc"),
    _f("boot.loader.limine.enable", "25.05",
       f"{_NIXPKGS} nixos/modules/system/boot/loader/limine/limine.nix @0148e16d"),
    _f("boot.loader.limine.maxGenerations", "25.05",
       f"{_NIXPKGS} nixos/modules/system/boot/loader/limine/limine.nix @0148e16d"),
    _f("boot.loader.refind.enable", "25.11",
       f"{_NIXPKGS} nixos/modules/system/boot/loader/refind/refind.nix @2d43f87d (new in 25.11)"),
    _f("boot.loader.refind.maxGenerations", "25.11",
       f"{_NIXPKGS} nixos/modules/system/boot/loader/refind/refind.nix @2d43f87d"),
    # System.
    _f("system.nixos-init.enable", "25.11",
       f"{_NIXPKGS} nixos-init module (options.system.nixos-init; asserts initrd systemd, "
       "etc overlay, userborn or sysusers)"),
    _f("boot.initrd.systemd.enable", "22.11", _ls("nixos/modules/system/boot/systemd/initrd.nix")),
    _f("system.etc.overlay.enable", "24.05", _ls("nixos/modules/system/etc/etc-activation.nix")),
    _f("services.userborn.enable", "24.11", _ls("nixos/modules/services/system/userborn.nix")),
    _f("networking.firewall.enable", "14.04",
       f"{_NIXPKGS} nixos/modules/services/networking/firewall.nix @0192bb84"),
    _f("networking.firewall.backend", "25.11",
       f"{_NIXPKGS} nixos/modules/services/networking/firewall.nix @0192bb84 (enum iptables, "
       "nftables, firewalld)"),
    _f("networking.nftables.enable", "21.11",
       _ls("nixos/modules/services/networking/nftables.nix")),
    _f("services.firewalld.enable", "25.11",
       f"{_NIXPKGS} firewall.nix @0192bb84 reads config.services.firewalld.enable; rl-2511 "
       "new module"),
    _f("nix.settings.**", "22.05", _ls("nixos/modules/config/nix.nix")),
    _f("nix.gc.**", "14.04", _ls("nixos/modules/services/misc/nix-gc.nix")),
    _f("nixpkgs.config.allowUnfree", "14.04", _ls("nixos/modules/misc/nixpkgs.nix")),
    _f("nixpkgs.hostPlatform", "22.05", _ls("nixos/modules/misc/nixpkgs.nix")),
    _f("networking.hostName", "14.04", _ls("nixos/modules/tasks/network-interfaces.nix")),
    _f("time.timeZone", "14.04", _ls("nixos/modules/config/locale.nix")),
    _f("i18n.defaultLocale", "14.04", _ls("nixos/modules/config/i18n.nix")),
    _f("system.stateVersion", "16.03", _ls("nixos/modules/misc/version.nix")),
    _f("environment.systemPackages", "14.04", _ls("nixos/modules/config/system-path.nix")),
    _f("systemd.tmpfiles.rules", "17.09", _ls("nixos/modules/system/boot/systemd/tmpfiles.nix")),
    _f("users.users.*.isNormalUser", "15.09", _ls("nixos/modules/config/users-groups.nix")),
    _f("users.users.*.description", "14.04", _ls("nixos/modules/config/users-groups.nix")),
    _f("users.users.*.extraGroups", "14.04", _ls("nixos/modules/config/users-groups.nix")),
    _f("users.users.*.shell", "14.04", _ls("nixos/modules/config/users-groups.nix")),
    _f("users.users.*.uid", "14.04", _ls("nixos/modules/config/users-groups.nix")),
    _f("users.users.*.autoSubUidGidRange", "21.05", _ls("nixos/modules/config/users-groups.nix")),
    _f("users.users.*.linger", "24.11",
       _ls("nixos/modules/config/users-groups.nix")
       + "; oci-containers.nix @035a24e7 reads users.users.<user>.linger"),
    _f("programs.zsh.enable", "14.04", _ls("nixos/modules/programs/zsh/zsh.nix")),
    _f("programs.fish.enable", "14.12", _ls("nixos/modules/programs/fish.nix")),
    # Containers.
    _f("virtualisation.containers.enable", "20.09",
       _ls("nixos/modules/virtualisation/containers.nix")),
    _f("virtualisation.podman.enable", "20.09", _ls("nixos/modules/virtualisation/podman/")),
    _f("virtualisation.podman.dockerCompat", "20.09", _ls("nixos/modules/virtualisation/podman/")),
    _f("virtualisation.podman.defaultNetwork.settings.**", "22.11",
       _ls("nixos/modules/virtualisation/podman/")),
    _f("virtualisation.oci-containers.backend", "20.09",
       f"{_NIXPKGS} nixos/modules/virtualisation/oci-containers.nix @035a24e7"),
    *(
        _f(f"virtualisation.oci-containers.containers.*.{name}", since,
           f"{_NIXPKGS} nixos/modules/virtualisation/oci-containers.nix @035a24e7"
           + (" (no healthcheck option: health via extraOptions --health-*)"
              if name == "extraOptions" else ""))
        for name, since in (
            ("image", "20.09"), ("cmd", "20.09"), ("ports", "20.09"), ("volumes", "20.09"),
            ("environment.**", "20.09"), ("environmentFiles", "21.05"),
            ("extraOptions", "20.09"), ("podman.user", "25.05"), ("podman.sdnotify", "25.05"),
        )
    ),
    # Extra inputs (their own modules, pinned by the flake).
    _f("services.flatpak.enable", "18.03", _ls("nixos/modules/services/desktops/flatpak.nix")),
    _f("services.flatpak.packages", "23.11",
       "gmodena/nix-flatpak modules/options.nix (services.flatpak.packages)"),
    _f("sops.defaultSopsFile", "22.05", "Mic92/sops-nix modules/sops/default.nix"),
    _f("sops.age.keyFile", "22.05", "Mic92/sops-nix modules/sops/default.nix"),
    _f("sops.secrets.*.owner", "22.05", "Mic92/sops-nix modules/sops/default.nix"),
    # Home Manager as a NixOS module.
    _f("home-manager.useGlobalPkgs", "20.09", f"{_HM} nixos/common.nix: {LONG_STANDING}"),
    _f("home-manager.useUserPackages", "20.09", f"{_HM} nixos/common.nix: {LONG_STANDING}"),
    _f("home-manager.backupFileExtension", "20.09", f"{_HM} nixos/common.nix: {LONG_STANDING}"),
    _f("home-manager.users.*", "20.09", f"{_HM} nixos/common.nix: {LONG_STANDING}"),
    # Home Manager.
    _f("home.username", "20.09", f"{_HM} modules/home-environment.nix", "home"),
    _f("home.homeDirectory", "20.09", f"{_HM} modules/home-environment.nix", "home"),
    _f("home.stateVersion", "20.09", f"{_HM} modules/misc/version.nix", "home"),
    _f("programs.home-manager.enable", "20.09", f"{_HM} modules/programs/home-manager.nix",
       "home"),
    _f("programs.git.enable", "20.09", f"{_HM} modules/programs/git.nix", "home"),
    _f("programs.git.settings.**", "25.11",
       f"{_HM} modules/programs/git.nix @3ee51fbd L307-322: userName/userEmail/aliases renamed "
       "to settings.user.name/settings.user.email/settings.alias (nqd knowledge 25.11)",
       "home"),
    _f("programs.delta.enable", "25.11",
       f"{_HM} modules/programs/delta.nix @3ee51fbd L20 and @0aba806c (moved out of "
       "programs.git.delta)", "home"),
    _f("programs.delta.enableGitIntegration", "25.11",
       f"{_HM} modules/programs/delta.nix @0aba806c (must be explicit)", "home"),
    _f("programs.neovim.enable", "20.09", f"{_HM} modules/programs/neovim.nix", "home"),
    _f("programs.neovim.defaultEditor", "23.05", f"{_HM} modules/programs/neovim.nix", "home"),
    _f("programs.neovim.vimAlias", "20.09", f"{_HM} modules/programs/neovim.nix", "home"),
    _f("programs.helix.enable", "22.05", f"{_HM} modules/programs/helix.nix", "home"),
    _f("programs.vscode.enable", "20.09", f"{_HM} modules/programs/vscode.nix", "home"),
    _f("programs.emacs.enable", "20.09", f"{_HM} modules/programs/emacs.nix", "home"),
    _f("programs.direnv.enable", "20.09", f"{_HM} modules/programs/direnv.nix", "home"),
    _f("programs.direnv.nix-direnv.enable", "21.11", f"{_HM} modules/programs/direnv.nix",
       "home"),
    _f("programs.bash.enable", "20.09", f"{_HM} modules/programs/bash.nix", "home"),
    _f("programs.zsh.enable", "20.09", f"{_HM} modules/programs/zsh.nix", "home"),
    _f("programs.fish.enable", "20.09", f"{_HM} modules/programs/fish.nix", "home"),
)


def _order(release: str) -> tuple[int, int]:
    """Releases before 20.05 were YY.03/YY.09, which `Release` does not model."""
    year, month = release.split(".")
    return int(year), int(month)


def fact_for(path: tuple[str, ...], context: str) -> OptionFact | None:
    return next((f for f in FACTS if f.context == context and f.matches(path)), None)


def problems(path: tuple[str, ...], context: str, release: str) -> str | None:
    """Why `path` may not exist in `release`, or None when a fact covers it."""
    fact = fact_for(path, context)
    dotted = ".".join(path)
    if fact is None:
        return f"{context} option {dotted}: no fact records that it exists"
    if _order(fact.since) > _order(release):
        return f"{context} option {dotted}: exists only from {fact.since}, not in {release}"
    return None
