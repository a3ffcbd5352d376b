"""The knowledge the fix tests run against: the curated 25.05→25.11 and 25.11→26.05 files
shipped with nqd, plus test-fixture entries for codemods the curated files do not exercise
(package renames, `pkgs.system`, `systemd.extraConfig`). The fixtures are shaped like the
extracted data, not shipped knowledge; `systemd.extraConfig` is real (nixpkgs
`nixos/modules/system/boot/systemd.nix`: `mkRemovedOptionModule [ "systemd" "extraConfig" ]
"Use systemd.settings.Manager instead."`). Written to a temporary directory and used
through NQD_KNOWLEDGE_DIR."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nqd.knowledge.loader import curated_dir

NIXPKGS_ALIASES = "https://github.com/NixOS/nixpkgs/blob/nixos-25.11/pkgs/top-level/aliases.nix"
SYSTEMD_MODULE = ("https://github.com/NixOS/nixpkgs/blob/nixos-25.11/nixos/modules/system/boot/"
                  "systemd.nix")

EXTRA_25_11: list[dict[str, Any]] = [
    {"id": "nixpkgs:renamed-package:noto-fonts-emoji", "area": "nixpkgs",
     "kind": "renamed-package", "old": "noto-fonts-emoji", "new": "noto-fonts-color-emoji",
     "message": "noto-fonts-emoji was renamed to noto-fonts-color-emoji", "fixable": True,
     "evidence": [{"url": NIXPKGS_ALIASES}]},
    {"id": "nixpkgs:renamed-package:python3Packages.pytorch", "area": "nixpkgs",
     "kind": "renamed-package", "old": "python3Packages.pytorch", "new": "python3Packages.torch",
     "message": "pytorch is torch", "fixable": True, "evidence": [{"url": NIXPKGS_ALIASES}]},
    {"id": "nixpkgs:renamed-package:system", "area": "nixpkgs", "kind": "renamed-package",
     "old": "system", "new": "stdenv.hostPlatform.system",
     "message": "pkgs.system is an alias of stdenv.hostPlatform.system", "fixable": True,
     "evidence": [{"url": NIXPKGS_ALIASES}]},
    {"id": "nixos:removed-option:systemd.extraConfig", "area": "nixos",
     "kind": "removed-option", "old": "systemd.extraConfig", "new": "systemd.settings.Manager",
     "message": "Use systemd.settings.Manager instead.", "fixable": True,
     "transform": "ini-lines-to-attrs", "evidence": [{"url": SYSTEMD_MODULE}]},
]


def write_test_kb(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for source in sorted(Path(curated_dir()).glob("*.json")):
        data = json.loads(source.read_text())
        if data["to"] == "25.11":
            shipped = {change["id"] for change in data["changes"]}
            data["changes"] = [*data["changes"],
                               *(c for c in EXTRA_25_11 if c["id"] not in shipped)]
        (directory / source.name).write_text(json.dumps(data))
    return directory
