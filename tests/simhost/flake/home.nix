{ pkgs, ... }:
{
  home.username = "alice";
  home.homeDirectory = "/home/alice";
  home.packages = [ pkgs.ripgrep ];
  home.stateVersion = "25.05";
}
