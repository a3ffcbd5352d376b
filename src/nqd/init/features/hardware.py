"""GPU (AMD with LACT and overdrive, NVIDIA, Intel), kernel track, boot loader."""

from __future__ import annotations

from nqd.init.features.base import Contribution, Entry, NixModule, attrs, opt
from nqd.init.profile import Profile
from nqd.nix.emit import Comment, Raw, With

# Kernel tracks are the release's unversioned package sets: a versioned attribute such as
# linuxPackages_6_17 is removed when that kernel reaches end of life.
KERNEL_TRACKS = {
    "lts": "linuxPackages",
    "latest": "linuxPackages_latest",
    "zen": "linuxPackages_zen",
    "xanmod": "linuxPackages_xanmod",
}


def _gpu(profile: Profile) -> Contribution:
    gpu = profile.gpu
    if gpu == "amd":
        body = attrs(
            (opt("hardware.graphics"), attrs(("enable", True), ("enable32Bit", True))),
            (Comment("LACT: GPU monitoring, fan curves and overclocking (enable is a boolean)."),
             None),
            (opt("services.lact.enable"), True),
            (Comment("Overdrive (amdgpu.ppfeaturemask) lets LACT change clocks and voltages."),
             None),
            (opt("hardware.amdgpu.overdrive.enable"), True),
        )
        return Contribution(nixos=(NixModule("modules/hardware/gpu-amd.nix", "AMD graphics.",
                                             body),), user_groups=("video", "render"))
    if gpu == "nvidia":
        entries: list[Entry] = [
            (opt("hardware.graphics.enable"), True),
            (opt("services.xserver.videoDrivers"), ["nvidia"]),
            (opt("hardware.nvidia"), attrs(
                (opt("modesetting.enable"), True),
                (Comment("The open kernel module (Turing and newer); set false for older "
                         "cards."), None),
                ("open", True),
                ("nvidiaSettings", True),
                (opt("powerManagement.enable"), False),
                ("package", Raw("config.boot.kernelPackages.nvidiaPackages.stable")),
            )),
        ]
        if profile.podman:
            entries.append((Comment("GPUs in containers: --device=nvidia.com/gpu=all (CDI)."),
                            None))
            entries.append((opt("hardware.nvidia-container-toolkit.enable"), True))
        return Contribution(
            nixos=(NixModule("modules/hardware/gpu-nvidia.nix", "NVIDIA graphics.",
                             attrs(*entries), ("config",)),),
            unfree=("the NVIDIA driver",), user_groups=("video",),
        )
    if gpu == "intel":
        body = attrs((opt("hardware.graphics"), attrs(
            ("enable", True),
            ("extraPackages", With("pkgs", [Raw("intel-media-driver")])),
        )))
        return Contribution(nixos=(NixModule("modules/hardware/gpu-intel.nix", "Intel graphics.",
                                             body, ("pkgs",)),), user_groups=("video",))
    return Contribution()


def _kernel(profile: Profile) -> Contribution:
    track = KERNEL_TRACKS[profile.kernel]
    body = attrs(
        (Comment(f"Kernel track '{profile.kernel}': {track} follows the release's kernels."),
         None),
        (opt("boot.kernelPackages"), Raw(f"pkgs.{track}")),
    )
    return Contribution(nixos=(NixModule("modules/boot/kernel.nix", "Kernel.", body,
                                         ("pkgs",)),))


def _loader(profile: Profile) -> Contribution:
    name = profile.bootloader
    if name == "systemd-boot":
        loader = (opt("boot.loader.systemd-boot"), attrs(("enable", True),
                                                        ("configurationLimit", 20)))
    elif name == "limine":
        loader = (opt("boot.loader.limine"), attrs(("enable", True), ("maxGenerations", 20)))
    else:
        loader = (opt("boot.loader.refind"), attrs(("enable", True), ("maxGenerations", 20)))
    body = attrs(loader, (opt("boot.loader.efi.canTouchEfiVariables"), True))
    return Contribution(nixos=(NixModule("modules/boot/loader.nix", f"Boot loader: {name}.",
                                         body),))


def contribute(profile: Profile) -> tuple[Contribution, ...]:
    return (_loader(profile), _kernel(profile), _gpu(profile))
