{ config, lib, pkgs, ... }:

{
  services.xserver = {
    enable = true;
    xkb.layout = "us";
    # GNOME, kept as a fallback.
    desktopManager.gnome.enable = true;
    displayManager.gdm = {
      enable = lib.mkDefault true; # GDM on Wayland
      wayland = true;
    };
  };

  # The new home of the display managers already exists here: merge, no duplicate.
  services.displayManager = {
    autoLogin.enable = false;
  };

  system.stateVersion = "25.05";
}
