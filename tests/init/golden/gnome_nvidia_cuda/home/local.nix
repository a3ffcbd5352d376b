# Your own settings. `nqd init` created this file once and never overwrites it.
{ pkgs, ... }:
{
  # Add Home Manager options here, e.g. home.packages = [ pkgs.gimp ];.
}
