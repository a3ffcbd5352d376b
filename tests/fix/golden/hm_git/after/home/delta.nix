{ config, pkgs, ... }:

{
  programs.git = {
    enable = true;
  };
  # delta as a whole set: it moves whole.
  programs.delta = {
    enable = true;
    options = {
      features = "decorations";
      side-by-side = true;
    };
    enableGitIntegration = true;
  };
}
