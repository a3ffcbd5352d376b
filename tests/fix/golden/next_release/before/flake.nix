{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11-small";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.11";
  inputs.old.url = "github:NixOS/nixpkgs/nixos-24.11"; # older than the source: kept (pinned on purpose)
  outputs = { nixpkgs, ... }: { };
}
