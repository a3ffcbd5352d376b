{ config, lib, pkgs, ... }:

{
  home.username = "me";
  programs.git.enable = true;
  programs.git.settings = {
    core.editor = "nvim";
    core.autocrlf = false;
    # rewrite GitHub URLs to SSH
    url."git@github.com:".insteadOf = "https://github.com/";
    pull.rebase = true;
  };
  programs.delta.enable = lib.mkDefault false;
  home.stateVersion = "25.05";
}
