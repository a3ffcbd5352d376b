"""The `nqd init` profile: a TOML file describing one workstation, validated key by key.

Every problem is reported as one line naming the file and the dotted key, e.g.
`profile.toml: hardware.gpu: expected one of amd, nvidia, intel, none; got 'ati'`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nqd.errors import InputError

RELEASES = ("25.11", "26.05")
DESKTOPS = ("cosmic", "hyprland", "gnome", "plasma6", "none")
DISPLAY_MANAGERS = ("auto", "cosmic-greeter", "gdm", "sddm", "none")
KERNELS = ("lts", "latest", "zen", "xanmod")
GPUS = ("amd", "nvidia", "intel", "none")
BOOTLOADERS = ("systemd-boot", "limine", "refind")
FIREWALLS = ("nftables", "firewalld")
SHELLS = ("bash", "zsh", "fish")
HOME_MANAGER_MODES = ("nixos-module", "standalone")
PLATFORMS = ("x86_64-linux", "aarch64-linux")
INFERENCE = ("llama-cpp", "none")
POSTGRES = ("pgvector", "timescaledb", "none")
EDITORS = ("neovim", "helix", "vscode", "emacs")
TOOLSETS = ("base", "c", "rust", "go", "node", "python", "nix")

_HOSTNAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
_USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_TIMEZONE = re.compile(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$")
_LOCALE = re.compile(r"^[a-zA-Z]{2,3}(_[A-Z]{2})?\.UTF-8$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_NIX_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_FLATPAK_ID = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){2,}$")
_URL = re.compile(r"^https://[^\s\"]+$")
_KEY = re.compile(r"^[A-Za-z0-9._-]+:[A-Za-z0-9+/=]+$")

Checker = Callable[[Any], str | None]  # returns a problem text, or None when the value is fine


@dataclass(frozen=True)
class Field:
    """One profile key: how to check it and its default when the profile lacks it."""

    check: Checker
    default: Any
    help: str


def _string(pattern: re.Pattern[str] | None = None, what: str = "") -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"expected a string, got {_show(value)}"
        if pattern is not None and not pattern.match(value):
            return f"expected {what}; got {value!r}"
        return None
    return check


def _choice(choices: Sequence[str]) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or value not in choices:
            return f"expected one of {', '.join(choices)}; got {_show(value)}"
        return None
    return check


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, got {_show(value)}"


def _uid(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1000 <= value <= 59999:
        return f"expected a number from 1000 to 59999, got {_show(value)}"
    return None


def _list(item: Checker) -> Checker:
    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"expected a list, got {_show(value)}"
        for index, element in enumerate(value):
            problem = item(element)
            if problem:
                return f"item {index + 1}: {problem}"
        if len(set(map(str, value))) != len(value):
            return "lists an item twice"
        return None
    return check


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return f"{type(value).__name__} {value!r}"


DEFAULT_PYTHON_PACKAGES = (
    "numpy", "pandas", "scikit-learn", "torch", "transformers", "accelerate", "datasets",
    "sentence-transformers", "langchain", "jupyterlab",
)

def _login(value: Any) -> str | None:
    """A normal user's login name: not one of the system's own accounts."""
    problem = _string(_USERNAME, "a login name (lowercase, digits, '_', '-')")(value)
    if problem is None and value in _SYSTEM_ACCOUNTS:
        return f"{value!r} is a system account; name the person who logs in"
    return problem


_SYSTEM_ACCOUNTS = frozenset({"root", "nobody", "messagebus", "systemd-network", "sshd",
                              "nixbld", "polkituser", "daemon"})


def _timezone(value: Any) -> str | None:
    """A name from the tz database; checked against this machine's copy when it has one
    (NixOS builds with its own tzdata)."""
    problem = _string(_TIMEZONE, "a time zone such as Europe/Berlin")(value)
    if problem is not None:
        return problem
    import zoneinfo

    try:
        known = zoneinfo.available_timezones()
    except Exception:  # no tz database here: the pattern is all that can be checked
        return None
    if known and value not in known:
        return f"expected a time zone such as Europe/Berlin; {value!r} is not in the tz database"
    return None


FIELDS: dict[str, Field] = {
    "release": Field(_choice(RELEASES), "26.05", "NixOS release to generate for"),
    "hostname": Field(_string(_HOSTNAME, "a host name (letters, digits, '-')"), "nixos",
                      "networking.hostName"),
    "platform": Field(_choice(PLATFORMS), "x86_64-linux", "nixpkgs.hostPlatform"),
    "timezone": Field(_timezone, "UTC", "time.timeZone"),
    "locale": Field(_string(_LOCALE, "a UTF-8 locale such as en_US.UTF-8"), "en_US.UTF-8",
                    "i18n.defaultLocale"),
    "user.name": Field(_login, "nixos", "login name"),
    "user.full_name": Field(_string(), "", "users.users.<name>.description"),
    "user.shell": Field(_choice(SHELLS), "bash", "login shell"),
    "user.uid": Field(_uid, 1000, "static uid (rootless containers need one)"),
    "git.name": Field(_string(), "", "git user.name (empty: not set)"),
    "git.email": Field(_string(re.compile(r"^$|" + _EMAIL.pattern), "an e-mail address"), "",
                       "git user.email (empty: not set)"),
    "git.delta": Field(_boolean, True, "delta as git's pager"),
    "home_manager.mode": Field(_choice(HOME_MANAGER_MODES), "nixos-module",
                               "Home Manager as a NixOS module, or standalone"),
    "desktop.environments": Field(_list(_choice(DESKTOPS)), ["gnome"], "desktops to install"),
    "desktop.display_manager": Field(_choice(DISPLAY_MANAGERS), "auto", "login screen"),
    "hardware.gpu": Field(_choice(GPUS), "none", "graphics vendor"),
    "hardware.kernel": Field(_choice(KERNELS), "lts", "kernel track"),
    "hardware.bootloader": Field(_choice(BOOTLOADERS), "systemd-boot", "boot loader"),
    "system.nixos_init": Field(_boolean, False, "system.nixos-init (bashless boot)"),
    "system.firewall_backend": Field(_choice(FIREWALLS), "nftables", "firewall backend"),
    "containers.podman": Field(_boolean, True, "rootless podman"),
    "containers.ai_stack.enable": Field(_boolean, False, "the local AI container stack"),
    "containers.ai_stack.inference": Field(_choice(INFERENCE), "llama-cpp", "inference server"),
    "containers.ai_stack.postgres": Field(_choice(POSTGRES), "pgvector",
                                          "PostgreSQL 17 with an extension"),
    "containers.ai_stack.redis": Field(_boolean, True, "Redis"),
    "containers.ai_stack.qdrant": Field(_boolean, True, "Qdrant"),
    "containers.ai_stack.ollama": Field(_boolean, True, "Ollama"),
    "containers.ai_stack.open_webui": Field(_boolean, True, "Open WebUI"),
    "python.enable": Field(_boolean, False, "python3.withPackages ML environment"),
    "python.packages": Field(_list(_string(_NIX_IDENT, "a python3Packages attribute name")),
                             list(DEFAULT_PYTHON_PACKAGES), "python3Packages to include"),
    "dev.editors": Field(_list(_choice(EDITORS)), ["neovim"], "editors (Home Manager)"),
    "dev.toolsets": Field(_list(_choice(TOOLSETS)), ["base", "nix"], "developer tool sets"),
    "flatpak.enable": Field(_boolean, False, "Flatpak through nix-flatpak"),
    "flatpak.apps": Field(_list(_string(_FLATPAK_ID, "a Flatpak app id such as org.gimp.GIMP")),
                          [], "Flathub app ids"),
    "caches.substituters": Field(_list(_string(_URL, "an https:// URL")), [],
                                 "extra binary caches"),
    "caches.trusted_public_keys": Field(_list(_string(_KEY, "a key such as name-1:base64=")),
                                        [], "their public keys"),
    "secrets.sops": Field(_boolean, False, "sops-nix for secrets"),
    "secrets.age_key_file": Field(_string(re.compile(r"^/\S+$"), "an absolute path"),
                                  "/var/lib/sops-nix/key.txt", "sops-nix age key on the host"),
}

_TABLES = frozenset(
    ".".join(key.split(".")[:depth]) for key in FIELDS for depth in range(1, key.count(".") + 1)
)


@dataclass(frozen=True)
class AiStack:
    enable: bool
    inference: str
    postgres: str
    redis: bool
    qdrant: bool
    ollama: bool
    open_webui: bool


@dataclass(frozen=True)
class Profile:
    """A validated profile; `desktops` is empty for a headless machine."""

    release: str
    hostname: str
    platform: str
    timezone: str
    locale: str
    user: str
    full_name: str
    shell: str
    uid: int
    git_name: str
    git_email: str
    git_delta: bool
    home_manager: str
    desktops: tuple[str, ...]
    display_manager: str
    gpu: str
    kernel: str
    bootloader: str
    nixos_init: bool
    firewall_backend: str
    podman: bool
    ai_stack: AiStack
    python: bool
    python_packages: tuple[str, ...]
    editors: tuple[str, ...]
    toolsets: tuple[str, ...]
    flatpak: bool
    flatpak_apps: tuple[str, ...]
    substituters: tuple[str, ...]
    trusted_public_keys: tuple[str, ...]
    sops: bool
    age_key_file: str

    @property
    def cuda(self) -> bool:
        """CUDA builds of the ML packages: only with an NVIDIA GPU."""
        return self.gpu == "nvidia"

    @property
    def headless(self) -> bool:
        return not self.desktops


def flatten(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Dotted keys for the nested TOML tables, rejecting keys the profile does not know."""
    flat: dict[str, Any] = {}

    def visit(table: Mapping[str, Any], prefix: str) -> None:
        for key, value in table.items():
            dotted = f"{prefix}{key}"
            if dotted in _TABLES:
                if not isinstance(value, Mapping):
                    raise InputError(f"{where}: {dotted}: expected a table, got {_show(value)}")
                visit(value, dotted + ".")
            elif dotted in FIELDS:
                flat[dotted] = value
            else:
                close = difflib.get_close_matches(dotted, [*FIELDS, *_TABLES], n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise InputError(f"{where}: {dotted}: unknown key{hint}")

    visit(raw, "")
    return flat


def read_profile(path: Path) -> dict[str, Any]:
    """The dotted keys a profile file sets (no defaults applied)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such profile file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read profile: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    return flatten(raw, str(path))


def check_value(key: str, value: Any) -> str | None:
    """The problem with `value` for `key`, or None."""
    return FIELDS[key].check(value)


def build_profile(values: Mapping[str, Any], where: str = "profile") -> Profile:
    """Validate dotted `values` (missing keys take their defaults) into a `Profile`."""
    merged: dict[str, Any] = {key: spec.default for key, spec in FIELDS.items()}
    merged.update(values)
    for key, value in merged.items():
        problem = check_value(key, value)
        if problem:
            raise InputError(f"{where}: {key}: {problem}")
    desktops = tuple(merged["desktop.environments"])
    if "none" in desktops:
        if len(desktops) > 1:
            raise InputError(f"{where}: desktop.environments: 'none' cannot be combined "
                             "with a desktop")
        desktops = ()
    if not desktops and merged["desktop.display_manager"] not in ("auto", "none"):
        raise InputError(f"{where}: desktop.display_manager: a display manager needs a desktop "
                         "in desktop.environments")
    if merged["containers.ai_stack.enable"] and not merged["containers.podman"]:
        raise InputError(f"{where}: containers.ai_stack.enable: the AI stack runs on rootless "
                         "podman; set containers.podman = true")
    if len(merged["caches.substituters"]) and not merged["caches.trusted_public_keys"]:
        raise InputError(f"{where}: caches.trusted_public_keys: substituters need their "
                         "public keys")
    if merged["flatpak.enable"] and not desktops:
        raise InputError(f"{where}: flatpak.enable: Flatpak needs a desktop (XDG portals); "
                         "this profile is headless")
    if merged["flatpak.apps"] and not merged["flatpak.enable"]:
        raise InputError(f"{where}: flatpak.apps: set flatpak.enable = true to install apps")
    return Profile(
        release=merged["release"],
        hostname=merged["hostname"],
        platform=merged["platform"],
        timezone=merged["timezone"],
        locale=merged["locale"],
        user=merged["user.name"],
        full_name=merged["user.full_name"],
        shell=merged["user.shell"],
        uid=merged["user.uid"],
        git_name=merged["git.name"],
        git_email=merged["git.email"],
        git_delta=merged["git.delta"],
        home_manager=merged["home_manager.mode"],
        desktops=desktops,
        display_manager=merged["desktop.display_manager"],
        gpu=merged["hardware.gpu"],
        kernel=merged["hardware.kernel"],
        bootloader=merged["hardware.bootloader"],
        nixos_init=merged["system.nixos_init"],
        firewall_backend=merged["system.firewall_backend"],
        podman=merged["containers.podman"],
        ai_stack=AiStack(
            enable=merged["containers.ai_stack.enable"],
            inference=merged["containers.ai_stack.inference"],
            postgres=merged["containers.ai_stack.postgres"],
            redis=merged["containers.ai_stack.redis"],
            qdrant=merged["containers.ai_stack.qdrant"],
            ollama=merged["containers.ai_stack.ollama"],
            open_webui=merged["containers.ai_stack.open_webui"],
        ),
        python=merged["python.enable"],
        python_packages=tuple(merged["python.packages"]),
        editors=tuple(merged["dev.editors"]),
        toolsets=tuple(merged["dev.toolsets"]),
        flatpak=merged["flatpak.enable"],
        flatpak_apps=tuple(merged["flatpak.apps"]),
        substituters=tuple(merged["caches.substituters"]),
        trusted_public_keys=tuple(merged["caches.trusted_public_keys"]),
        sops=merged["secrets.sops"],
        age_key_file=merged["secrets.age_key_file"],
    )


DEFAULT_PROFILE_TOML = """\
# nqd init profile: one developer workstation. Every key is optional; a missing key is
# asked for interactively (with a default detected from this machine) or, with
# --non-interactive, takes the default shown here.

release = "26.05"             # 25.11 or 26.05: nixpkgs and Home Manager branches to pin
hostname = "workstation"
platform = "x86_64-linux"     # or aarch64-linux
timezone = "UTC"              # e.g. Europe/Berlin
locale = "en_US.UTF-8"

[user]
name = "dev"                  # login name
full_name = "Developer"
shell = "zsh"                 # bash, zsh or fish
uid = 1000                    # set with the AI stack: rootless healthy containers need it

[git]
name = "Developer"            # empty: git identity not set
email = "dev@example.org"
delta = true                  # delta as git's pager (programs.delta)

[home_manager]
mode = "nixos-module"         # or "standalone" (homeConfigurations.<user>)

[desktop]
environments = ["gnome"]      # any of cosmic, hyprland, gnome, plasma6; ["none"] = headless
display_manager = "auto"      # auto, cosmic-greeter, gdm, sddm, none

[hardware]
gpu = "none"                  # amd (LACT + overdrive), nvidia, intel, none
kernel = "lts"                # lts (linuxPackages), latest, zen, xanmod: never a versioned kernel
bootloader = "systemd-boot"   # systemd-boot, limine, refind

[system]
nixos_init = false            # system.nixos-init (bashless initialisation, opt-in)
firewall_backend = "nftables" # nftables or firewalld

[containers]
podman = true                 # rootless podman

[containers.ai_stack]         # oci-containers run rootless by your user, ports on 127.0.0.1
enable = false
inference = "llama-cpp"       # llama.cpp server, or "none"
postgres = "pgvector"         # PostgreSQL 17 with pgvector or timescaledb, or "none"
redis = true
qdrant = true
ollama = true
open_webui = true

[python]
enable = false                # python3.withPackages; CUDA builds when hardware.gpu = "nvidia"
packages = ["numpy", "pandas", "scikit-learn", "torch", "transformers", "accelerate",
            "datasets", "sentence-transformers", "langchain", "jupyterlab"]

[dev]
editors = ["neovim"]          # neovim, helix, vscode, emacs
toolsets = ["base", "nix"]    # base, c, rust, go, node, python, nix

[flatpak]
enable = false                # adds the nix-flatpak input
apps = []                     # e.g. ["org.mozilla.firefox"]

[caches]
substituters = []             # e.g. ["https://nix-community.cachix.org"]
trusted_public_keys = []

[secrets]
sops = false                  # adds the sops-nix input
age_key_file = "/var/lib/sops-nix/key.txt"
"""
