{ ... }:

{
  networking.wireless = {
    enable = true;
    userControlled = {
      enable = true;
    };
  };
  # group is removed in 26.05 with no replacement; while it is set, the rename cannot
  # write userControlled = true (a duplicate attribute): both stay findings.
  networking.wireless.userControlled.group = "wheel";
}
