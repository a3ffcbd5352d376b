{ config, lib, ... }:

let
  idle = "15min";
in
{
  # Interpolation and a foreign section: both left as findings, untouched.
  services.logind.extraConfig = ''
    IdleActionSec=${idle}
  '';
  systemd.extraConfig = ''
    [Journal]
    Storage=volatile
  '';
  system.stateVersion = "25.05";
}
