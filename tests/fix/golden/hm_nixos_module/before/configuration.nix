{ config, pkgs, ... }:

{
  # Home Manager as a NixOS module: paths below home-manager.users.<name> are Home
  # Manager options.
  home-manager.users.me = { pkgs, ... }: {
    programs.git = {
      enable = true;
      userName = "Me";
      delta.enable = true;
    };
    home.stateVersion = "25.05";
  };
  home-manager.users.other.programs.git.userEmail = "other@example.org";
  home-manager.users.other.programs.git.delta.enable = true; # pager
  # NixOS's own programs.git is not Home Manager's: untouched.
  programs.git.enable = true;
  system.stateVersion = "25.05";
}
