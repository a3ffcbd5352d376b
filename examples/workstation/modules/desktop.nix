{ config, lib, pkgs, ... }:

{
  # COSMIC (beta) and Hyprland, with GNOME kept as a fallback session.
  services.desktopManager.cosmic.enable = true;
  programs.hyprland = {
    enable = true;
    withUWSM = true;
  };

  services.xserver = {
    enable = true;
    xkb.layout = "us";
    desktopManager.gnome.enable = true;
    displayManager.gdm = {
      enable = true;
      wayland = true;
    };
  };

  # Lock the session when idle; suspend on lid close.
  services.logind.extraConfig = ''
    IdleAction=lock
    IdleActionSec=15min
    HandleLidSwitch=suspend
  '';

  hardware.graphics.enable = true;
  services.pipewire = {
    enable = true;
    pulse.enable = true;
  };

  fonts.packages = with pkgs; [
    noto-fonts
    noto-fonts-emoji
    fira-code
  ];
}
