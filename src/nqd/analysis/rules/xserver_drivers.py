"""X11 driver names that no NixOS module provides: an evaluation error from 26.05 on.

26.05's xserver module asserts that every name in `services.xserver.videoDrivers` is a
driver some module set up ("Unknown X11 driver 'x' specified in
`services.xserver.videoDrivers`"); before, unknown names were ignored. Which names NixOS
provides, read at Swarsel/nixpkgs 4aa6836a (a fork of NixOS/nixpkgs tracking master in
2026): `nixos/modules/services/x11/xserver.nix` maps every `xf86-video-*` package it knows
and four aliases; `hardware/video/nvidia.nix` adds `nvidia`, `hardware/video/displaylink.nix`
declares `displaylink` externally configured.

A list of literal names is decided here: unknown names are a warning (a module of the
configuration's own, or of an input, could still provide them), and when every name is
known the generic behaviour note on the option is not given (`settles`).
"""

from __future__ import annotations

from collections.abc import Iterable

from nqd.analysis.context import RuleContext
from nqd.analysis.findings import Finding, Rule
from nqd.knowledge.model import Evidence, Severity
from nqd.model.types import ConfigModel, Context, OptionDef
from nqd.nix import syntax
from nqd.nix.parser import parse
from nqd.releases import Release

UNKNOWN_DRIVER = Rule(
    "NQD602", "unknown-x11-driver",
    "`services.xserver.videoDrivers` names a driver no NixOS module provides.",
    "From NixOS 26.05 on, every name in `services.xserver.videoDrivers` must be a driver a "
    "module set up, or evaluation fails with \"Unknown X11 driver\"; before, unknown names "
    "were ignored silently. Old names such as `amdgpu-pro` or `nvidiaLegacy470` must go "
    "(`hardware.nvidia.package` selects a legacy NVIDIA driver).",
    'services.xserver.videoDrivers = [ "amdgpu-pro" "modesetting" ];',
    'services.xserver.videoDrivers = [ "modesetting" ];',
)
RULES = (UNKNOWN_DRIVER,)
INTEREST = frozenset({"videoDrivers", "videoDriver"})
# The change whose generic note this rule replaces when it can decide.
_CHANGE_ID = "nixos:behaviour:services.xserver.videoDrivers"
_SINCE = Release(26, 5)
_SNAPSHOT = "https://github.com/Swarsel/nixpkgs/blob/4aa6836a648ca76c68866decf0c8965e36ec2a3b/"
_EVIDENCE = tuple(
    Evidence(url=_SNAPSHOT + path, repo="Swarsel/nixpkgs", path=path,
             commit="4aa6836a648ca76c68866decf0c8965e36ec2a3b")
    for path in ("nixos/modules/services/x11/xserver.nix",
                 "nixos/modules/hardware/video/nvidia.nix",
                 "nixos/modules/hardware/video/displaylink.nix"))
# xserver.nix: `knownVideoDriverPackages` (xf86-video-<name>) and `videoDriverAliases`.
_XSERVER_DRIVERS = frozenset({
    "amdgpu", "apm", "ark", "ast", "ati", "chips", "cirrus", "dummy", "fbdev", "geode",
    "i128", "i740", "intel", "mga", "neomagic", "nested", "nouveau", "nv", "omap",
    "openchrome", "qxl", "r128", "s3virge", "savage", "siliconmotion", "sis", "sisusb",
    "suncg6", "sunffb", "sunleo", "tdfx", "trident", "v4l", "vbox", "vesa", "vmware",
    "voodoo", "modesetting", "radeon", "vboxvideo", "virtualbox"})
KNOWN_DRIVERS = _XSERVER_DRIVERS | {"nvidia", "displaylink"}
_ENABLE = ("services", "xserver", "enable")
_DRIVER_OPTIONS = (("services", "xserver", "videoDrivers"),
                   ("services", "xserver", "videoDriver"))
# A configuration that sets these itself may provide any name.
_OWN_DRIVERS = (("services", "xserver", "drivers"),
                ("services", "xserver", "externallyConfiguredDrivers"))


def check(ctx: RuleContext) -> Iterable[Finding]:
    if not ctx.from_release < _SINCE <= ctx.to_release:
        return
    if any(ctx.model.defines(path, Context.NIXOS) for path in _OWN_DRIVERS):
        return
    # The assertion is part of the X server's configuration: it holds once X is enabled
    # (here, or by a desktop that enables it).
    enabled = any(o.literal is True for o in ctx.model.defines(_ENABLE, Context.NIXOS))
    when = "" if enabled else " once the X server is enabled (a desktop may enable it)"
    for option, names in _literal_lists(ctx.model):
        unknown = [name for name in names if name not in KNOWN_DRIVERS]
        if not unknown or option.lines is None:
            continue
        listed = ", ".join(f'"{name}"' for name in unknown)
        yield Finding(
            UNKNOWN_DRIVER.id, UNKNOWN_DRIVER.name, Severity.WARNING,
            option.lines.source_pos(*option.value_span),
            f"{option.dotted} lists {listed}, which no NixOS module provides: from 26.05 on "
            f"evaluation fails{when} (\"Unknown X11 driver\"), unless a module of your own "
            f"or of an input sets it up",
            option.context, evidence=_EVIDENCE, fixable=False,
            fix_note="remove the name (NixOS provides modesetting, amdgpu, intel, nouveau, "
                     "nvidia, displaylink and the other xf86-video drivers)",
        )


def settles(ctx: RuleContext) -> frozenset[str]:
    """The generic videoDrivers note, when every definition of the drivers is a list of
    literal names this rule judged."""
    model = ctx.model
    definitions = [o for path in _DRIVER_OPTIONS for o in model.defines(path, Context.NIXOS)]
    if not definitions or any(model.defines(path, Context.NIXOS) for path in _OWN_DRIVERS) \
            or len(_literal_lists(model)) != len(definitions):
        return frozenset()
    return frozenset({_CHANGE_ID})


def _literal_lists(model: ConfigModel) -> list[tuple[OptionDef, list[str]]]:
    """Each definition of the drivers whose value is written as literal names."""
    found = []
    for path in _DRIVER_OPTIONS:
        for option in model.defines(path, Context.NIXOS):
            if option.path != path:
                continue
            if isinstance(option.literal, str):  # the obsolete `videoDriver = "x";`
                found.append((option, [option.literal]))
                continue
            names = _list_of_strings(model, option)
            if names is not None:
                found.append((option, names))
    return found


def _list_of_strings(model: ConfigModel, option: OptionDef) -> list[str] | None:
    if option.value_type != "list_expression" or option.lines is None:
        return None
    source = model.files[option.lines.path].source \
        if option.lines.path in model.files else None
    if source is None:
        return None
    start, end = option.value_span
    parsed = parse(source[start:end])
    if parsed.has_errors:
        return None
    return syntax.string_list(parsed.root.child_by_field_name("expression"))
