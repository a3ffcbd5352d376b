{ config, lib, pkgs, ... }:

{
  services.xserver = {
    enable = true;
    xkb.layout = "us";
    displayManager.gdm = {
      wayland = true;
    };
  };
  # GNOME, kept as a fallback.
  services.desktopManager.gnome.enable = true;

  # The new home of the display managers already exists here: merge, no duplicate.
  services.displayManager = {
    autoLogin.enable = false;
    gdm.enable = lib.mkDefault true; # GDM on Wayland
  };

  system.stateVersion = "25.05";
}
