{ config, lib, ... }:

{
  # The set sits under mkIf below the point where the paths part: left for a person.
  services.xserver = lib.mkIf config.services.xserver.enable {
    desktopManager.gnome.enable = true;
  };
  system.stateVersion = "25.05";
}
