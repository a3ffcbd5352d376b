{ pkgs, ... }:
{
  networking.hostName = "ws";
  environment.systemPackages = [ pkgs.firefox pkgs.git ];
  services.openssh.enable = true;
  system.stateVersion = "25.05";
}
