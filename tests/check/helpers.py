"""Small builders for check tests: write Nix trees and hand-made knowledge files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

EVIDENCE = [{"url": "https://example.invalid/test-fixture"}]


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def change(area: str, kind: str, old: str | None, new: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{area}:{kind}:{old or new}",
        "area": area, "kind": kind, "old": old, "new": new,
        "message": extra.pop("message", f"{old} → {new}"),
        "evidence": EVIDENCE, **extra,
    }


def write_kb(directory: Path, pairs: dict[tuple[str, str], list[dict[str, Any]]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for (source, target), changes in pairs.items():
        (directory / f"{target}.json").write_text(json.dumps({
            "schema_version": 1, "from": source, "to": target,
            "sources": {"test": "hand-written fixture"}, "changes": changes,
        }))
    return directory


FIXTURE_CHANGES = {
    ("25.05", "25.11"): [
        change("nixos", "renamed-option", "services.xserver.desktopManager.gnome.enable",
               "services.desktopManager.gnome.enable", fixable=True),
        change("nixos", "removed-option", "services.logind.extraConfig", None,
               message="use services.logind.settings.Login"),
        change("home-manager", "renamed-option", "programs.git.userName",
               "programs.git.settings.user.name", fixable=True),
        change("nixpkgs", "renamed-package", "noto-fonts-emoji", "noto-fonts-color-emoji",
               fixable=True),
        change("nixpkgs", "removed-package", "linuxPackages_5_4", None,
               message="linux 5.4 reached end of life"),
        change("nixpkgs", "renamed-package", "python3Packages.pytorch", "python3Packages.torch",
               fixable=True),
        change("nixpkgs", "renamed-package", "system", "stdenv.hostPlatform.system",
               fixable=True),
        change("nixos", "changed-default", "services.postgresql.package", None,
               message="PostgreSQL 17 is the default for stateVersion >= 25.11",
               condition={"requires": ["services.postgresql.enable"],
                          "unset": ["services.postgresql.package"]}),
    ],
    ("25.11", "26.05"): [
        change("nixos", "renamed-option", "services.desktopManager.gnome.enable",
               "services.gnome.desktop.enable", fixable=True),
    ],
}
