{ config, lib, ... }:

{
  services.logind = {
    settings.Login = {
      HandlePowerKey = "poweroff";
      HandleLidSwitch = "suspend";
    };
  };
  system.stateVersion = "25.05";
}
