"""XDG locations of nqd's own state and configuration."""

from __future__ import annotations

import os
from pathlib import Path

APP = "nixos-quick-deploy"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def state_dir() -> Path:
    """`$XDG_STATE_HOME/nixos-quick-deploy`: journals, fix manifests, backups."""
    return _xdg("XDG_STATE_HOME", ".local/state") / APP


def config_dir() -> Path:
    """`$XDG_CONFIG_HOME/nixos-quick-deploy`: the user's config.toml."""
    return _xdg("XDG_CONFIG_HOME", ".config") / APP


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/nixos-quick-deploy`: derived data that may be deleted at any time."""
    return _xdg("XDG_CACHE_HOME", ".cache") / APP


def config_file() -> Path:
    return config_dir() / "config.toml"
