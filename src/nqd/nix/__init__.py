"""Nix syntax: parsing, tree helpers, byte-span edits and the Nix emitter."""
