"""The one place where output meant for people is written.

Machine formats (json, sarif) are written by the caller to stdout or a file and never
mix with this console, which writes diagnostics to stderr.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import TextIO

_STYLES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34"}


def _wants_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


@dataclass
class Console:
    """Writes report text to `out` and diagnostics to `err`, colouring only terminals."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)

    def style(self, text: str, *styles: str, stream: TextIO | None = None) -> str:
        if not styles or not _wants_color(stream or self.out):
            return text
        codes = ";".join(_STYLES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"

    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def info(self, text: str) -> None:
        self.err.write(text + "\n")

    def warn(self, text: str) -> None:
        self.err.write(self.style("warning: ", "yellow", stream=self.err) + text + "\n")

    def error(self, text: str) -> None:
        self.err.write(self.style("error: ", "red", "bold", stream=self.err) + text + "\n")

    @property
    def interactive(self) -> bool:
        return hasattr(self.err, "isatty") and self.err.isatty()
