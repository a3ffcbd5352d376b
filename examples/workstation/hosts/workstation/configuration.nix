{ config, lib, pkgs, ... }:

{
  imports = [
    ./hardware-configuration.nix
    ../../modules/desktop.nix
    ../../modules/networking.nix
    ../../modules/containers.nix
    ../../modules/ai-ml.nix
  ];

  # Kernel preference: zen first, the default LTS kernel as fallback.
  boot.kernelPackages = lib.mkDefault pkgs.linuxPackages_zen;
  boot.loader.systemd-boot.enable = true;
  boot.loader.efi.canTouchEfiVariables = true;

  networking.hostName = "workstation";
  time.timeZone = "Europe/Berlin";
  i18n.defaultLocale = "en_US.UTF-8";

  users.users.hyperd = {
    isNormalUser = true;
    description = "Hyper D";
    extraGroups = [ "wheel" "networkmanager" "video" ];
    shell = pkgs.zsh;
  };
  programs.zsh.enable = true;

  nix.settings = {
    experimental-features = [ "nix-command" "flakes" ];
    trusted-users = [ "root" "hyperd" ];
  };

  environment.systemPackages = with pkgs; [
    git
    vim
    wget
    curl
    htop
    ripgrep
    fd
    jq
  ];

  # The release this machine was first installed with. Never change it on upgrades.
  system.stateVersion = "25.05";
}
