{ config, pkgs, ... }:

{
  home.username = "me";
  # Interpolation: never half-converted, left as a finding.
  programs.git.extraConfig = ''
    [core]
      pager = ${pkgs.less}/bin/less
  '';
}
