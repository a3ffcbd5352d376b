{ config, lib, pkgs, ... }:

{
  # Lock when idle; suspend on lid close.
  services.logind.settings.Login = {
    # idle handling
    IdleAction = "lock";
    IdleActionSec = "15min";
    KillUserProcesses = false;
    InhibitDelayMaxSec = 5;
    # A typed alias of the same section: merged into the converted set.
    HandleLidSwitch = "ignore";
  };

  systemd.settings.Manager = lib.mkForce {
    DefaultTimeoutStopSec = "10s";
  };

  system.stateVersion = "25.05";
}
