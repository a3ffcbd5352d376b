"""Release knowledge: what changed between consecutive NixOS releases, with evidence."""
