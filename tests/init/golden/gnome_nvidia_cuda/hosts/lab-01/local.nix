# Your own settings. `nqd init` created this file once and never overwrites it.
{ pkgs, ... }:
{
  # Add NixOS options here, e.g. environment.systemPackages = [ pkgs.firefox ];.
}
