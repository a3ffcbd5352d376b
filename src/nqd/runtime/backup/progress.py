"""A byte-count progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import time
from typing import TextIO


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


class Progress:
    def __init__(self, total: int, stream: TextIO | None, label: str = "backup") -> None:
        self.total = max(total, 1)
        self.done = 0
        self._stream = stream
        self._label = label
        self._start = time.monotonic()
        self._last = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        if self._stream is None:
            return
        now = time.monotonic()
        if now - self._last >= 0.1:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        assert self._stream is not None
        frac = min(self.done / self.total, 1.0)
        width = 30
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        rate = self.done / max(now - self._start, 1e-6)
        self._stream.write(f"\r{self._label} [{bar}] {frac * 100:5.1f}% "
                           f"{human(self.done)}/{human(self.total)} {human(rate)}/s ")
        self._stream.flush()

    def finish(self) -> None:
        if self._stream is not None:
            self._draw(time.monotonic())
            self._stream.write("\n")
            self._stream.flush()
