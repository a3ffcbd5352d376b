# A NixOS 25.05 developer workstation, in the style of the research document:
# COSMIC + Hyprland (and GNOME), rootless Podman with a local AI stack, a Python AI/ML
# environment, and Home Manager as a NixOS module. Written for nixos-quick-deploy's
# examples; `nqd check examples/workstation` lists what 25.11 needs changed.
{
  description = "hyperd's workstation";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
    home-manager = {
      url = "github:nix-community/home-manager/release-25.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    nix-flatpak.url = "github:gmodena/nix-flatpak/?ref=v0.6.0";
  };

  outputs = { self, nixpkgs, home-manager, nix-flatpak, ... }: {
    nixosConfigurations.workstation = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        ./hosts/workstation/configuration.nix
        nix-flatpak.nixosModules.nix-flatpak
        home-manager.nixosModules.home-manager
        {
          home-manager.useGlobalPkgs = true;
          home-manager.useUserPackages = true;
          home-manager.users.hyperd = import ./home/home.nix;
        }
      ];
    };
  };
}
