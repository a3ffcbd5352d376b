{ config, lib, pkgs, ... }:

{
  fonts.packages = with pkgs; [
    noto-fonts
    noto-fonts-emoji # colour emoji
    fira-code
  ];
  environment.systemPackages = [
    pkgs.noto-fonts-emoji
    pkgs.python313Packages.pytorch
    (pkgs.python3.withPackages (ps: with ps; [ numpy pytorch ]))
  ];
  environment.variables.PYTHONPATH = with pkgs.python3Packages; "${pytorch}/lib";
  system.stateVersion = "25.05";
}
