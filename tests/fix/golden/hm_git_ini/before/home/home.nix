{ config, lib, pkgs, ... }:

{
  home.username = "me";
  programs.git.enable = true;
  programs.git.extraConfig = ''
    [core]
      editor = nvim
      autocrlf = false
    # rewrite GitHub URLs to SSH
    [url "git@github.com:"]
      insteadOf = https://github.com/
    [pull]
      rebase = true
  '';
  programs.git.delta.enable = lib.mkDefault false;
  home.stateVersion = "25.05";
}
