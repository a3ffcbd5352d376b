"""Defaults for `nqd init` read from the machine: host name, user, time zone, GPU, the
existing hardware configuration and the stateVersion the system was installed with.

Files are read below `root` (normally `/`) so that tests can point at a prepared tree;
commands (`lspci`) run through the host seam.
"""

from __future__ import annotations

import contextlib
import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from nqd.runtime.host import Host

# PCI vendor ids (https://pci-ids.ucw.cz): AMD/ATI, NVIDIA, Intel.
_VENDORS = {"0x1002": "amd", "0x10de": "nvidia", "0x8086": "intel"}
_LSPCI_VENDORS = (("nvidia", "nvidia"), ("advanced micro devices", "amd"), ("amd/ati", "amd"),
                  ("ati technologies", "amd"), ("intel", "intel"))
_DISPLAY_CLASSES = ("vga compatible controller", "3d controller", "display controller")
_PREFERENCE = ("nvidia", "amd", "intel")  # a discrete card wins over integrated graphics


@dataclass(frozen=True)
class MachineFacts:
    """What the machine suggests; any field may be None when it cannot be told."""

    hostname: str | None
    user: str | None
    full_name: str | None
    timezone: str | None
    gpu: str | None
    hardware_config: Path | None
    state_version: str | None


def detect(root: Path = Path("/"), host: Host | None = None) -> MachineFacts:
    """Read the machine's defaults; never fails, unknown facts are None.

    For another root (a system mounted at /mnt) only files below it are read: no user from
    the environment, no `lspci` of the running machine.
    """
    live = root == Path("/")
    user, full_name = _user() if live else (None, None)
    return MachineFacts(
        hostname=_hostname(root),
        user=user,
        full_name=full_name,
        timezone=_timezone(root),
        gpu=(gpu_from_lspci(host) if live else None) or gpu_from_sys(root),
        hardware_config=_existing(root / "etc/nixos/hardware-configuration.nix"),
        state_version=installed_state_version(root / "etc/nixos/configuration.nix"),
    )


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _hostname(root: Path) -> str | None:
    name = _read(root / "etc/hostname")
    if not name and root == Path("/"):
        name = os.uname().nodename
    return name.split(".")[0] if name else None


def _user() -> tuple[str | None, str | None]:
    name = os.environ.get("SUDO_USER") or os.environ.get("USER")
    if not name or name == "root":
        return None, None
    try:
        gecos = pwd.getpwnam(name).pw_gecos.split(",")[0].strip()
    except KeyError:
        gecos = ""
    return name, gecos or None


def _timezone(root: Path) -> str | None:
    with contextlib.suppress(OSError, ValueError):
        target = os.readlink(root / "etc/localtime")
        marker = "zoneinfo/"
        if marker in target:
            return target.split(marker, 1)[1]
    return _read(root / "etc/timezone") or None


def gpu_from_sys(root: Path) -> str | None:
    """The GPU vendor from `/sys/class/drm/card*/device/vendor`."""
    found = set()
    drm = root / "sys/class/drm"
    with contextlib.suppress(OSError):
        for card in sorted(drm.glob("card[0-9]*")):
            vendor = _read(card / "device/vendor")
            if vendor and vendor.lower() in _VENDORS:
                found.add(_VENDORS[vendor.lower()])
    return next((v for v in _PREFERENCE if v in found), None)


def gpu_from_lspci(host: Host | None) -> str | None:
    """The GPU vendor from `lspci` output (display-class devices only)."""
    if host is None or host.which("lspci") is None:
        return None
    result = host.run(["lspci"], timeout=10)
    return gpu_from_lspci_text(result.stdout) if result.ok else None


def gpu_from_lspci_text(text: str) -> str | None:
    found = set()
    for line in text.lower().splitlines():
        if not any(cls in line for cls in _DISPLAY_CLASSES):
            continue
        for needle, vendor in _LSPCI_VENDORS:
            if needle in line:
                found.add(vendor)
                break
    return next((v for v in _PREFERENCE if v in found), None)


def installed_state_version(configuration: Path) -> str | None:
    """`system.stateVersion` as a static string in an existing configuration.nix, via the tree."""
    try:
        source = configuration.read_bytes()
    except OSError:
        return None
    from nqd.nix import syntax
    from nqd.nix.parser import parse

    parsed = parse(source)
    for node in syntax.walk(parsed.root):
        if node.type != "binding":
            continue
        names = syntax.attrpath_names(syntax.binding_attrpath(node))
        if names[-2:] == ["system", "stateVersion"] or (names == ["stateVersion"] and _inside(
            node, "system"
        )):
            value = syntax.static_string(syntax.strip_parens(syntax.binding_value(node)))
            if value:
                return value
    return None


def _inside(binding: object, name: str) -> bool:
    """Whether `binding` sits in `name = { ... }` (one level up)."""
    from nqd.nix import syntax

    node = getattr(binding, "parent", None)
    while node is not None and node.type != "binding":
        node = node.parent
    if node is None:
        return False
    return syntax.attrpath_names(syntax.binding_attrpath(node))[-1:] == [name]
