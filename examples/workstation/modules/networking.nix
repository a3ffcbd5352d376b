{ config, lib, pkgs, ... }:

{
  networking.networkmanager.enable = true;
  networking.firewall = {
    enable = true;
    allowedTCPPorts = [ 22 ];
  };

  # Work VPN: the OpenVPN plugin's GUI bits and the client.
  environment.systemPackages = with pkgs; [
    networkmanager-openvpn
    openvpn
  ];

  services.openssh = {
    enable = true;
    settings.PasswordAuthentication = false;
  };
}
