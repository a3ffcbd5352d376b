"""A SIMULATED NixOS host for the upgrade tests (there is no NixOS machine here).

`SimulatedNixOS(tmp)` lays out a temporary root with a system profile of real
generation symlinks, `/run/current-system`, a Home Manager profile, a git-committed
flake pinning 25.05, and stand-in executables (see `standins/`) on a PATH of their own.
`env()` is the environment nqd runs with: `NQD_ROOT` (the only thing nqd is told),
`HOME`/`XDG_*` inside the root, `PATH` with the stand-ins first.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STANDINS = Path(__file__).parent / "standins"
# Kept as `*.nix.in` so that tools run over the repository never edit the fixture.
FIXTURE_FLAKE = Path(__file__).parent / "fixture-flake"
USER = "alice"
HOST = "ws"


def _load_simlib(path: Path) -> Any:
    """This root's own copy of simlib (its paths are computed from where it lives)."""
    spec = importlib.util.spec_from_file_location(f"simlib_{id(path)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SimulatedNixOS:
    """A temporary root that behaves like a NixOS workstation for nqd's upgrade."""

    def __init__(self, base: Path, *, generations: int = 2, home_manager: bool = True,
                 monkeypatch: Any = None, real_nqd: bool = False) -> None:
        self.monkeypatch = monkeypatch
        self.real_nqd = real_nqd  # nqd check/health/backup: the real ones, not stand-ins
        self.root = base / "root"
        self.sim = self.root / "sim"
        self.bin = self.sim / "bin"
        self.home = self.root / "home" / USER
        self.state_home = self.home / ".local/state"
        self.flake = self.home / "dotfiles"
        self.bin.mkdir(parents=True)
        (self.root / "nix/store").mkdir(parents=True)
        (self.root / "nix/var/nix/profiles").mkdir(parents=True)
        (self.root / "run").mkdir()
        for script in STANDINS.iterdir():
            if script.is_file():
                shutil.copy2(script, self.bin / script.name)
                (self.bin / script.name).chmod(0o755)
        simlib = _load_simlib(self.bin / "simlib.py")
        self._lib = simlib
        # Older generations of 25.05 systems, the newest one running.
        for n in range(1, generations + 1):
            out = self.root / "nix/store" / f"{n:032d}-nixos-system-{HOST}-25.05"
            simlib.make_system(out, "25.05")
            (self.system_profile.parent / f"system-{n}-link").symlink_to(out)
        os.symlink(f"system-{generations}-link", self.system_profile)
        os.symlink(self.generation_path(generations), self.root / "run/current-system")
        if home_manager:
            out = self.root / "nix/store" / f"{1:032d}-home-manager-generation"
            simlib.make_home(out, "25.05")
            profile = self.hm_profile
            profile.parent.mkdir(parents=True)
            (profile.parent / "home-manager-1-link").symlink_to(out)
            os.symlink("home-manager-1-link", profile)
        self._write_flake(home_manager)
        self.set_control()

    # ---- layout ----------------------------------------------------------------------
    @property
    def system_profile(self) -> Path:
        return self.root / "nix/var/nix/profiles/system"

    @property
    def hm_profile(self) -> Path:
        return self.state_home / "nix/profiles/home-manager"

    @property
    def nqd_state(self) -> Path:
        return self.state_home / "nixos-quick-deploy"

    def generation_path(self, number: int) -> str:
        return os.readlink(self.system_profile.parent / f"system-{number}-link")

    def current_system_generation(self) -> tuple[int, str]:
        link = os.readlink(self.system_profile)
        number = int(link.split("-")[1])
        return number, os.readlink(self.system_profile.parent / link)

    def current_home_generation(self) -> tuple[int, str]:
        link = os.readlink(self.hm_profile)
        number = int(link.split("-")[2])
        return number, os.readlink(self.hm_profile.parent / link)

    def running_system(self) -> str:
        return os.readlink(self.root / "run/current-system")

    def system_generations(self) -> list[int]:
        return sorted(self._lib.generations(self.system_profile))

    # ---- flake -----------------------------------------------------------------------
    def _write_flake(self, home_manager: bool) -> None:
        self.flake.mkdir(parents=True)
        for source in FIXTURE_FLAKE.glob("*.nix.in"):
            shutil.copy(source, self.flake / source.name.removesuffix(".in"))
        if not home_manager:
            (self.flake / "flake.nix").write_text(
                (self.flake / "flake.nix").read_text().replace(
                    "homeConfigurations", "# no standalone Home Manager\n    legacyPackages"))
        self.git("init", "-q")
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "workstation on 25.05")

    def git(self, *args: str) -> str:
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
                   GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
        return subprocess.run(["git", "-C", str(self.flake), *args], check=True, env=env,
                              capture_output=True, text=True).stdout

    # ---- control and records -----------------------------------------------------------
    def set_control(self, **control: Any) -> None:
        (self.sim / "control.json").write_text(json.dumps(control))

    def calls(self) -> list[dict[str, Any]]:
        path = self.sim / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def steps(self) -> list[str]:
        return [c["step"] for c in self.calls()]

    def clear_calls(self) -> None:
        (self.sim / "calls.jsonl").unlink(missing_ok=True)

    # ---- running nqd -----------------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NQD_", "XDG_"))}
        env.update(
            PATH=os.pathsep.join([str(self.bin), str(self._fast_python_dir()),
                                  env.get("PATH", "")]),
            NQD_ROOT=str(self.root), HOME=str(self.home), USER=USER, LOGNAME=USER,
            XDG_STATE_HOME=str(self.state_home), XDG_CONFIG_HOME=str(self.home / ".config"),
            NO_COLOR="1",
        )
        if not self.real_nqd:
            env["NQD_SELF_COMMAND"] = str(self.bin / "nqd")
        return env

    def _fast_python_dir(self) -> Path:
        """A directory whose `python3` starts quickly (not a pyenv shim) for the stand-ins."""
        directory = self.sim / "python"
        if not directory.exists():
            directory.mkdir()
            fast = Path("/usr/bin/python3")
            (directory / "python3").symlink_to(fast if fast.exists() else Path(sys.executable))
        return directory

    def nqd(self, *args: str, input: str = "",
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run nqd with this host's environment: in this process when the host was given
        pytest's `monkeypatch` (faster), else as a subprocess."""
        if self.monkeypatch is None:
            return subprocess.run([sys.executable, "-m", "nqd", *args], env=self.env(),
                                  input=input, capture_output=True, text=True,
                                  timeout=timeout, cwd=self.home)
        from nqd.cli import main

        mp = self.monkeypatch
        with mp.context() as patch:
            for name in list(os.environ):
                if name.startswith(("NQD_", "XDG_")):
                    patch.delenv(name)
            for name, value in self.env().items():
                patch.setenv(name, value)
            out, err = io.StringIO(), io.StringIO()
            patch.setattr(sys, "stdin", io.StringIO(input))
            patch.setattr(sys, "stdout", out)
            patch.setattr(sys, "stderr", err)
            patch.chdir(self.home)
            try:
                code = main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
        return subprocess.CompletedProcess(["nqd", *args], code, out.getvalue(), err.getvalue())

    def upgrade(self, *extra: str, input: str = "") -> subprocess.CompletedProcess[str]:
        return self.nqd("upgrade", "--to", "25.11", "--flake", str(self.flake), "--min-free",
                        "0", *extra, input=input)

    def upgrade_until_hang(self, step: str, *extra: str, timeout: float = 60,
                           while_hung: Callable[[], None] | None = None) -> None:
        """Start `nqd upgrade --yes`, wait until a stand-in hangs at `step` (then call
        `while_hung`), SIGKILL nqd and everything it started."""
        reached = self.sim / "reached" / step.replace(" ", "_")
        proc = subprocess.Popen(
            [sys.executable, "-m", "nqd", "upgrade", "--to", "25.11", "--flake",
             str(self.flake), "--min-free", "0", "--yes", *extra],
            env=self.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True, cwd=self.home)
        deadline = time.monotonic() + timeout
        try:
            while not reached.exists():
                if proc.poll() is not None:
                    raise AssertionError(f"nqd ended before reaching {step}:\n"
                                         f"{proc.stdout.read() if proc.stdout else ''}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"nqd never reached {step}")
                time.sleep(0.05)
            if while_hung is not None:
                while_hung()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            if proc.stdout:
                proc.stdout.close()
        reached.unlink()

    def journal(self) -> dict[str, Any]:
        journals = list((self.nqd_state / "upgrades").glob("*/journal.json"))
        assert len(journals) == 1, journals
        return json.loads(journals[0].read_text())

    def run_dir(self) -> Path:
        return next((self.nqd_state / "upgrades").glob("*/journal.json")).parent
