{ config, lib, pkgs, ... }:

{
  fonts.packages = with pkgs; [
    noto-fonts
    noto-fonts-color-emoji # colour emoji
    fira-code
  ];
  environment.systemPackages = [
    pkgs.noto-fonts-color-emoji
    pkgs.python313Packages.torch
    (pkgs.python3.withPackages (ps: with ps; [ numpy torch ]))
  ];
  environment.variables.PYTHONPATH = with pkgs.python3Packages; "${torch}/lib";
  system.stateVersion = "25.05";
}
