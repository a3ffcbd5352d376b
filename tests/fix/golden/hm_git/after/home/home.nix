{ config, pkgs, ... }:

{
  home.username = "me";

  programs.git = {
    enable = true;
    settings = {
      init.defaultBranch = "main";
      alias = {
        co = "checkout";
        st = "status -sb";
      };
      # Identity
      user.name = "Me Myself";
      user.email = "me@example.org";
    };
  };
  programs.delta.enable = true;
  programs.delta.enableGitIntegration = true;

  # Already migrated elsewhere: new settings merge into this set.
  programs.git.settings.core.editor = "nvim";

  home.stateVersion = "25.05";
}
