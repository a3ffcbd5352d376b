{ config, lib, pkgs, ... }:

{
  # Lock when idle; suspend on lid close.
  services.logind.settings.Login = {
    # idle handling
    IdleAction = "lock";
    IdleActionSec = "15min";
    KillUserProcesses = false;
    InhibitDelayMaxSec = 5;
  };

  systemd.settings.Manager = lib.mkForce {
    DefaultTimeoutStopSec = "10s";
  };

  system.stateVersion = "25.05";
}
