{ pkgs, ... }:

let
  inherit (pkgs) noto-fonts-emoji;
in
{
  fonts.packages = [ noto-fonts-emoji ];
  system.stateVersion = "25.05";
}
