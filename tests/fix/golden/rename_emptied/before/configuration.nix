{ lib, ... }:

{
  services.xserver = {
    xkb.layout = "us";
    # Sets left empty by a move are removed with it (their comments move along).
    desktopManager = {
      gnome = {
        enable = true;
      };
    };
  };
  system.stateVersion = "25.05";
}
