{ config, lib, pkgs, ... }:

{
  # GNOME as the fallback session.
  services.xserver.desktopManager.gnome.enable = true; # keep this comment
  services.xserver.displayManager.gdm.enable = lib.mkForce true;

  # A user option that merely shares a suffix with a renamed one: untouched.
  my.services.xserver.desktopManager.gnome.enable = true;

  system.stateVersion = "25.05";
}
