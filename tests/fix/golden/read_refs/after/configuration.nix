{ config, lib, pkgs, ... }:

{
  # Reads of renamed names are rewritten, token by token.
  environment.etc."gnome-enabled".text =
    lib.boolToString config.services.desktopManager.gnome.enable;
  environment.variables.NIX_SYSTEM = pkgs.stdenv.hostPlatform.system;
  environment.variables.HOST = "${pkgs.stdenv.hostPlatform.system}-host";
  # pkgs.systemd and a user option sharing the suffix are not the renamed names.
  environment.systemPackages = [ pkgs.systemd ];
  environment.variables.MINE = lib.boolToString config.my.services.xserver.desktopManager.gnome.enable;
  system.stateVersion = "25.05";
}
