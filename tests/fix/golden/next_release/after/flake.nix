{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05-small";
  inputs.home-manager.url = "github:nix-community/home-manager/release-26.05";
  inputs.old.url = "github:NixOS/nixpkgs/nixos-24.11"; # older than the source: kept (pinned on purpose)
  outputs = { nixpkgs, ... }: { };
}
