"""`nqd init`: generate a modular workstation flake for a release from a profile."""
