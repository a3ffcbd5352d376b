"""Reading nqd's own versioned JSON documents (backup manifests, health baselines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nqd.errors import InputError


def load_document(path: Path, *, format: str, version: int, what: str,
                  hint: str = "") -> dict[str, Any]:
    """The JSON object in `path` if it says `"format": format` and `"version": version`;
    anything else is one `InputError` naming the file and `what` it should have been."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InputError(f"{path}: not a valid {what} (bad JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != format:
        raise InputError(f"{path}: not an nqd {what}{hint}")
    if data.get("version") != version:
        raise InputError(f"{path}: {what} version {data.get('version')} is not supported")
    return data
