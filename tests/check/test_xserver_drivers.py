"""NQD602: X11 driver names no NixOS module provides fail evaluation from 26.05 on; the
generic behaviour note on `services.xserver.videoDrivers` is left out when every name was
checked (against the shipped knowledge)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.analysis.engine import run_check
from nqd.releases import Release

VIDEO_NOTE = "nixos:behaviour:services.xserver.videoDrivers"


def _check(tmp_path: Path, body: str, source: str = "25.11") -> tuple[list[str], bool]:
    (tmp_path / "configuration.nix").write_text(f"{{ lib, ... }}: {{ {body} }}\n")
    result = run_check([tmp_path], Release.parse(source))
    unknown = [f.message for f in result.findings if f.rule == "NQD602"]
    noted = any(f.change is not None and f.change.id == VIDEO_NOTE for f in result.findings)
    return unknown, noted


def test_known_drivers_get_neither_a_warning_nor_the_note(tmp_path: Path) -> None:
    assert _check(tmp_path, 'services.xserver.videoDrivers = [ "nvidia" ];') == ([], False)
    assert _check(tmp_path, 'services.xserver.videoDrivers = lib.mkDefault '
                            '[ "modesetting" "amdgpu" "displaylink" ];') == ([], False)


def test_unknown_names_are_named(tmp_path: Path) -> None:
    unknown, noted = _check(tmp_path, 'services.xserver.videoDrivers = '
                                      '[ "amdgpu-pro" "modesetting" "nvidiaLegacy470" ];')
    assert len(unknown) == 1 and '"amdgpu-pro", "nvidiaLegacy470"' in unknown[0]
    assert "Unknown X11 driver" in unknown[0] and not noted
    assert "once the X server is enabled" in unknown[0]  # the assertion needs X on
    unknown, _ = _check(tmp_path, 'services.xserver.enable = true; '
                                  'services.xserver.videoDrivers = [ "amdgpu-pro" ];')
    assert "evaluation fails (" in unknown[0]
    unknown, _ = _check(tmp_path, 'services.xserver.videoDriver = "ati_unfree";')
    assert len(unknown) == 1 and '"ati_unfree"' in unknown[0]


@pytest.mark.parametrize("body", [
    'services.xserver.videoDrivers = [ "nvidia" ] ++ lib.optional true "vendor-x";',
    'services.xserver.videoDrivers = [ "vendor-x" ]; '
    'services.xserver.drivers = [ { name = "vendor-x"; } ];',
])
def test_undecidable_lists_keep_the_note(tmp_path: Path, body: str) -> None:
    assert _check(tmp_path, body) == ([], True)


def test_nothing_before_26_05(tmp_path: Path) -> None:
    assert _check(tmp_path, 'services.xserver.videoDrivers = [ "amdgpu-pro" ];',
                  source="25.05") == ([], False)
