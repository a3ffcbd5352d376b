{ config, pkgs, ... }:

{
  # Home Manager as a NixOS module: paths below home-manager.users.<name> are Home
  # Manager options.
  home-manager.users.me = { pkgs, ... }: {
    programs.git = {
      enable = true;
      settings.user.name = "Me";
    };
    programs.delta.enable = true;
    programs.delta.enableGitIntegration = true;
    home.stateVersion = "25.05";
  };
  home-manager.users.other.programs.git.settings.user.email = "other@example.org";
  home-manager.users.other.programs.delta.enable = true; # pager
  home-manager.users.other.programs.delta.enableGitIntegration = true;
  # NixOS's own programs.git is not Home Manager's: untouched.
  programs.git.enable = true;
  system.stateVersion = "25.05";
}
