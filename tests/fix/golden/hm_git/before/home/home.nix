{ config, pkgs, ... }:

{
  home.username = "me";

  programs.git = {
    enable = true;
    # Identity
    userName = "Me Myself";
    userEmail = "me@example.org";
    aliases = {
      co = "checkout";
      st = "status -sb";
    };
    extraConfig = {
      init.defaultBranch = "main";
    };
    delta.enable = true;
  };

  # Already migrated elsewhere: new settings merge into this set.
  programs.git.settings.core.editor = "nvim";

  home.stateVersion = "25.05";
}
