"""Command-line entry point: `nqd` and `nixos-quick-deploy`."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from nqd import __version__
from nqd.commands import COMMAND_MODULES
from nqd.console import Console
from nqd.errors import ExitCode, NqdError
from nqd.modules import load_modules


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def _load_commands() -> list[ModuleType]:
    return load_modules("nqd.commands", COMMAND_MODULES)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="nqd",
        description="Deploy and upgrade NixOS developer workstations.",
    )
    parser.add_argument("--version", action="version", version=f"nqd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _load_commands():
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def entry() -> None:
    """The console scripts' entry: `main`, then out without tearing the heap down.

    Freeing a large model object by object costs tens of milliseconds at exit, a tenth of a
    warm `check`. Nothing is left to clean up by then (files are written and closed, worker
    processes joined), so the process flushes its output and leaves, as mypy does.

    Like mypy (`mypy/build.py`), the cycle collector runs less often: its young-generation
    passes over a large model's objects were 57 per `check` of Home Manager's tree, about
    5% of a warm run."""
    gc.set_threshold(200_000, 30, 30)
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`nqd check | head`)
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console()
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return ExitCode.USAGE
    try:
        return int(args._run(args, console))
    except NqdError as exc:
        if exc.exit_code == ExitCode.OK:  # nothing to do, said plainly
            console.info(str(exc))
        else:
            console.error(str(exc))
        return int(exc.exit_code)
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130
    except RecursionError:  # an input nested deeper than the interpreter's stack
        console.error("an input is nested too deeply to process")
        return int(ExitCode.USAGE)
    except BrokenPipeError:
        return ExitCode.OK
    except OSError as exc:  # the last net under every command: a path it could not use
        where = f"{exc.filename}: " if exc.filename else ""
        console.error(f"{where}{exc.strerror or exc}")
        return int(ExitCode.USAGE)
