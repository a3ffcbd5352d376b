"""The knowledge extractor: release knowledge from nixpkgs and Home Manager sources.

`options` reads `mk*OptionModule` call sites, `aliases` reads package alias tables,
`build` diffs an OLD tree against a NEW one and writes a data file (`nqd kb extract`).
"""
