{ config, lib, pkgs, ... }:

let
  cfg = config.workstation.desktop;
in
{
  options.workstation.desktop.enable = lib.mkEnableOption "the desktop";

  config = lib.mkMerge [
    (lib.mkIf cfg.enable {
      services.xserver = {
        enable = true;
      };
      services.desktopManager.gnome.enable = true;
    })
    {
      services.displayManager.gdm.enable = cfg.enable;
    }
  ];
}
