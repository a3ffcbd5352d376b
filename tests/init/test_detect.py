"""Machine defaults from a prepared root tree (a stand-in for / or /mnt) and lspci text."""

from __future__ import annotations

import os
from pathlib import Path

from nqd.init.detect import detect, gpu_from_lspci_text, installed_state_version
from nqd.runtime.host import LocalHost

LSPCI_HYBRID = """\
00:02.0 VGA compatible controller: Intel Corporation Alder Lake-P GT2 [Iris Xe Graphics] (rev 0c)
00:14.0 USB controller: Intel Corporation Alder Lake PCH USB 3.2 xHCI Host Controller (rev 01)
01:00.0 3D controller: NVIDIA Corporation GA107M [GeForce RTX 3050 Mobile] (rev a1)
"""
LSPCI_AMD = """\
03:00.0 VGA compatible controller: Advanced Micro Devices, Inc. [AMD/ATI] Navi 31 (rev c8)
00:14.0 SMBus: Advanced Micro Devices, Inc. [AMD] FCH SMBus Controller (rev 61)
"""
LSPCI_NONE = "00:1f.3 Audio device: Intel Corporation Cannon Lake PCH cAVS (rev 10)\n"


def test_gpu_from_lspci_text() -> None:
    assert gpu_from_lspci_text(LSPCI_HYBRID) == "nvidia"
    assert gpu_from_lspci_text(LSPCI_AMD) == "amd"
    assert gpu_from_lspci_text(LSPCI_NONE) is None


def _root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    for card, vendor in (("card0", "0x8086"), ("card1", "0x1002")):
        dev = root / "sys/class/drm" / card / "device"
        dev.mkdir(parents=True)
        (dev / "vendor").write_text(vendor + "\n")
    (root / "sys/class/drm/card1-DP-1").mkdir()  # connectors are not cards
    (root / "etc/nixos").mkdir(parents=True)
    (root / "etc/hostname").write_text("studio.lan\n")
    os.symlink("/etc/zoneinfo/Europe/Lisbon", root / "etc/localtime")
    (root / "etc/nixos/hardware-configuration.nix").write_text("{ ... }: { }\n")
    (root / "etc/nixos/configuration.nix").write_text(
        '{ ... }:\n{\n  system.stateVersion = "23.11";\n}\n')
    return root


def test_detect_reads_the_root_tree(tmp_path: Path) -> None:
    root = _root(tmp_path)
    facts = detect(root, LocalHost())
    assert facts.hostname == "studio"
    assert facts.timezone == "Europe/Lisbon"
    assert facts.gpu == "amd"  # discrete AMD preferred over integrated Intel
    assert facts.hardware_config == root / "etc/nixos/hardware-configuration.nix"
    assert facts.state_version == "23.11"
    assert facts.user is None  # not taken from this machine's environment for another root


def test_detect_on_an_empty_root(tmp_path: Path) -> None:
    facts = detect(tmp_path, LocalHost())
    assert facts == type(facts)(None, None, None, None, None, None, None)


def test_detect_on_this_machine_does_not_fail() -> None:
    facts = detect(Path("/"), LocalHost())
    assert facts.hostname  # every machine has a name


def test_installed_state_version_uses_the_tree(tmp_path: Path) -> None:
    conf = tmp_path / "configuration.nix"
    conf.write_text('{ ... }:\n{\n  # system.stateVersion = "19.09";\n'
                    '  services.foo.stateVersion = "1.0";\n'
                    '  system = { stateVersion = "22.05"; };\n}\n')
    assert installed_state_version(conf) == "22.05"
    conf.write_text('{ ... }:\n{\n  system.stateVersion = lib.trivial.release;\n}\n')
    assert installed_state_version(conf) is None
    assert installed_state_version(tmp_path / "missing.nix") is None
