{ config, pkgs, lib, ... }:

{
  home.username = "hyperd";
  home.homeDirectory = "/home/hyperd";

  home.packages = with pkgs; [
    firefox
    vscodium
    btop
  ];

  programs.git = {
    enable = true;
    userName = "Hyper D";
    userEmail = "hyperd@example.org";
    aliases = {
      co = "checkout";
      st = "status -sb";
    };
    extraConfig = {
      init.defaultBranch = "main";
      pull.rebase = true;
    };
    delta.enable = true;
  };

  programs.password-store.enable = true;

  programs.zsh = {
    enable = true;
    enableCompletion = true;
  };

  # Never raise this on upgrades: it keeps stateful defaults of the first install.
  home.stateVersion = "25.05";
}
