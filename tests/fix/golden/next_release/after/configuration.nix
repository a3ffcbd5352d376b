{ ... }:

{
  # The new name is the parent of the old one.
  networking.wireless.userControlled = true;
  services.desktopManager.gnome.enable = true;
  system.stateVersion = "25.05";
}
