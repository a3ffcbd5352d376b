{ config, lib, pkgs, ... }:

{
  # Lock when idle; suspend on lid close.
  services.logind.extraConfig = ''
    # idle handling
    IdleAction=lock
    IdleActionSec=15min
    KillUserProcesses=no
    InhibitDelayMaxSec=5
  '';

  # A typed alias of the same section: merged into the converted set.
  services.logind.lidSwitch = "ignore";

  systemd.extraConfig = lib.mkForce "DefaultTimeoutStopSec=10s";

  system.stateVersion = "25.05";
}
