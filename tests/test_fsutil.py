"""Atomic writes keep what the path is: a symlink stays a link, a FIFO or device is
written to (never replaced by a regular file), a directory is refused."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from nqd.fsutil import atomic_write


def test_a_symlinked_file_is_replaced_where_the_link_points(tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "configuration.nix"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "configuration.nix"
    link.symlink_to(target)
    atomic_write(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"


def test_a_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    """As `--output /dev/stdout` or `-o /dev/null` would be (a field test replaced
    /dev/full with a regular file)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    atomic_write(fifo, b"report\n")
    reader.join(timeout=10)
    assert received == [b"report\n"] and stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        atomic_write(tmp_path, b"x")


def test_an_output_path_below_a_file_is_one_line_not_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI's last net: an OSError no command turned into its own message (QA pass:
    `containers import -o FILE/x.nix`, `init --out FILE/dir` were tracebacks)."""
    from nqd.cli import main

    compose = Path(__file__).parent / "containers" / "fixtures" / "ai-stack.yml"
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = main(["containers", "import", str(compose), "-o", str(blocker / "x.nix")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [f"error: {blocker / 'x.nix'}: Not a directory"]
