"""Optional inputs: Flatpak apps through nix-flatpak, secrets through sops-nix."""

from __future__ import annotations

from nqd.init.features.base import Contribution, FlakeInputSpec, NixModule, attrs, opt
from nqd.init.profile import Profile
from nqd.nix.emit import Comment, Raw

NIX_FLATPAK = FlakeInputSpec("nix-flatpak", "github:gmodena/nix-flatpak/?ref=latest", False,
                             "nixosModules.nix-flatpak")
SOPS_NIX = FlakeInputSpec("sops-nix", "github:Mic92/sops-nix", True, "nixosModules.sops")


def _flatpak(profile: Profile) -> Contribution:
    if not profile.flatpak:
        return Contribution()
    body = attrs((opt("services.flatpak"), attrs(
        ("enable", True),
        (Comment("Installed from Flathub by nix-flatpak at activation."), None),
        ("packages", list(profile.flatpak_apps)),
    )))
    return Contribution(nixos=(NixModule("modules/desktop/flatpak.nix", "Flatpak apps.", body),),
                        inputs=(NIX_FLATPAK,))


def _sops(profile: Profile) -> Contribution:
    if not profile.sops:
        return Contribution()
    body = attrs((opt("sops"), attrs(
        (Comment("Create it with: sops secrets/secrets.yaml (see README.md)."), None),
        ("defaultSopsFile", Raw("../../secrets/secrets.yaml")),
        (opt("age.keyFile"), profile.age_key_file),
    )))
    return Contribution(nixos=(NixModule("modules/secrets/sops.nix", "Secrets with sops-nix.",
                                         body),), inputs=(SOPS_NIX,))


def contribute(profile: Profile) -> tuple[Contribution, ...]:
    return (_flatpak(profile), _sops(profile))
