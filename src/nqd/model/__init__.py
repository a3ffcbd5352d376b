"""The configuration model: what a set of Nix files defines, as the module system sees it."""
