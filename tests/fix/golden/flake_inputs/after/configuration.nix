{ ... }:
{
  system.stateVersion = "25.05";
}
