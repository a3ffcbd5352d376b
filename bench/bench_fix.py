"""Time `nqd fix` planning on a generated configuration of N modules.

Each module defines GNOME/GDM renames (nested and dotted), a logind INI block, a renamed
package under `with pkgs;`, a `pkgs.system` read, and a Home Manager git block every
fifth module. Usage: python3 bench/bench_fix.py [N ...]  (knowledge: the fix tests' KB).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nqd.fix.plan import plan_fixes
from nqd.knowledge.loader import KnowledgeBase
from nqd.releases import Release
from tests.fix.kb import write_test_kb

NIXOS = """{ config, lib, pkgs, ... }:
{
  services.xserver = {
    enable = true;
    desktopManager.gnome.enable = true;
    displayManager.gdm = {
      enable = true;
      wayland = true;
    };
  };
  services.logind.extraConfig = ''
    IdleAction=lock
    IdleActionSec=15min
  '';
  fonts.packages = with pkgs; [ noto-fonts-emoji fira-code ];
  environment.variables.SYS_%(n)d = pkgs.system;
}
"""
HOME = """{ config, pkgs, ... }:
{
  programs.git = {
    enable = true;
    userName = "User %(n)d";
    userEmail = "u%(n)d@example.org";
    extraConfig = { init.defaultBranch = "main"; };
    delta.enable = true;
  };
}
"""


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        kb = KnowledgeBase.load(write_test_kb(Path(scratch) / "kb"))
        for size in sizes:
            root = Path(scratch) / f"cfg{size}"
            (root / "home").mkdir(parents=True)
            for n in range(size):
                (root / f"m{n}.nix").write_text(NIXOS % {"n": n})
                if n % 5 == 0:
                    (root / "home" / f"h{n}.nix").write_text(HOME % {"n": n})
            start = time.perf_counter()
            plan = plan_fixes([root], Release.parse("25.05"), Release.parse("25.11"), kb=kb)
            elapsed = time.perf_counter() - start
            print(f"{size:5d} NixOS modules + {len(range(0, size, 5))} HM: "
                  f"{len(plan.applied)} fixes in {len(plan.files)} files, "
                  f"{len(plan.refused)} refused, {elapsed:.2f} s")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 100, 300])
