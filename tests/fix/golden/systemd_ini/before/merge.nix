{ config, lib, ... }:

{
  services.logind = {
    settings.Login = {
      HandlePowerKey = "poweroff";
    };
    extraConfig = "HandleLidSwitch=suspend";
  };
  system.stateVersion = "25.05";
}
