"""Reading what git has committed, through the host seam."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from nqd.runtime.host import Host, LocalHost


def committed_text_reader(paths: list[Path], host: Host | None = None) \
        -> Callable[[Path], bytes | None] | None:
    """A function giving the HEAD version of a file in the work tree of `paths`, or None
    when they are not in a git work tree (or git is missing)."""
    host = host or LocalHost()
    if host.which("git") is None:
        return None
    start = paths[0] if paths else Path(".")
    directory = start if start.is_dir() else start.parent
    top = host.run(["git", "-C", str(directory), "rev-parse", "--show-toplevel"], timeout=10)
    if not top.ok:
        return None
    root = Path(top.stdout.strip()).resolve()

    @cache
    def read(path: Path) -> bytes | None:
        try:
            relative = path.resolve().relative_to(root)
        except ValueError:
            return None
        shown = host.run(["git", "-C", str(root), "show", f"HEAD:{relative.as_posix()}"],
                         timeout=10)
        return shown.stdout.encode("utf-8") if shown.ok else None

    return read
