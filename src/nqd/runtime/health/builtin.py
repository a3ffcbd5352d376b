"""The built-in checks for a NixOS developer workstation, and the user's checks."""

from __future__ import annotations

import json
import re
import shutil
from functools import partial
from pathlib import Path

from nqd.config import HealthConfig, UserChecks
from nqd.runtime.health.checks import Check, Outcome, fail, ok, skip, warn
from nqd.runtime.health.probes import (
    command_probe,
    first_line,
    http_probe,
    postgres_probe,
    program_version,
    query_probe,
    redis_probe,
    tcp_probe,
)
from nqd.runtime.host import Host

_RELEASE_IN_REF = re.compile(r"(\d{2}\.(?:05|11))")
_NOT_BOOTED = ("not been booted with systemd", "Failed to connect to bus",
               "Failed to connect to user scope bus", "No medium found")
GIB = 1024**3


def read_os_release(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip().strip("\"'")
    return values


def flake_release(flake_dir: Path) -> tuple[str | None, str]:
    """The NixOS release the flake pins (from flake.lock's nixpkgs input), and where."""
    lock = flake_dir / "flake.lock"
    data = json.loads(lock.read_text(encoding="utf-8"))
    nodes = data["nodes"]
    root_inputs = nodes[data.get("root", "root")].get("inputs", {})
    node_name = root_inputs.get("nixpkgs")
    if isinstance(node_name, list) or node_name is None:
        return None, "flake.lock has no nixpkgs input"
    node = nodes[node_name]
    for section in ("original", "locked"):
        ref = str(node.get(section, {}).get("ref", ""))
        match = _RELEASE_IN_REF.search(ref)
        if match:
            return match.group(1), f"nixpkgs ref {ref}"
    return None, "nixpkgs input is not pinned to a release branch"


def release_check(cfg: HealthConfig, flake_dir: Path) -> Outcome:
    try:
        osr = read_os_release(cfg.os_release)
    except OSError as exc:
        return skip(f"cannot read {cfg.os_release}: {exc.strerror}")
    if osr.get("ID") != "nixos":
        return skip(f"not NixOS (ID={osr.get('ID', '?')})")
    running = osr.get("VERSION_ID", "")
    try:
        pinned, where = flake_release(flake_dir)
    except FileNotFoundError:
        return skip(f"no flake.lock in {flake_dir}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return fail(f"{flake_dir}/flake.lock unreadable: {exc}", version=running)
    if pinned is None:
        return warn(f"NixOS {running}; {where}", version=running)
    if pinned != running:
        return fail(f"NixOS {running} is running but the flake pins {pinned} ({where})",
                    version=running)
    return ok(f"NixOS {running}, flake pins {pinned}", version=running)


def systemd_check(host: Host, timeout: float, user: bool) -> Outcome:
    if host.which("systemctl") is None:
        return skip("no systemctl (not a systemd system)")
    argv = ["systemctl", *(["--user"] if user else []), "list-units", "--failed",
            "--no-legend", "--plain", "--no-pager"]
    result = host.run(argv, timeout=timeout)
    if result.timed_out:
        return fail(f"systemctl timed out after {timeout:g}s")
    if not result.ok:
        message = first_line(result.stderr)
        if any(marker in result.stderr for marker in _NOT_BOOTED):
            return skip(f"no systemd {'user session' if user else 'system'}: {message}")
        return fail(f"systemctl failed: {message or result.returncode}")
    units = [line.split()[0] for line in result.stdout.splitlines() if line.split()]
    if units:
        return fail(f"{len(units)} failed unit(s): {', '.join(units[:5])}", *units)
    return ok("no failed units")


def podman_check(host: Host, timeout: float, expected: tuple[str, ...]) -> Outcome:
    if host.which("podman") is None:
        return skip("podman not installed")
    result = host.run(["podman", "ps", "--all", "--format", "json"], timeout=timeout)
    if not result.ok:
        return fail(f"podman ps failed: {first_line(result.stderr) or result.returncode}")
    try:
        containers = json.loads(result.stdout or "[]")
    except ValueError:
        return fail("podman ps printed no JSON")
    running, unhealthy, stopped, details = [], [], [], []
    for c in containers:
        names = c.get("Names") or [c.get("Id", "?")[:12]]
        name = names[0] if isinstance(names, list) else str(names)
        state, status = str(c.get("State", "")), str(c.get("Status", ""))
        details.append(f"{name}: {state} {status}".strip())
        if state == "running":
            running.append(name)
            if "unhealthy" in status:
                unhealthy.append(name)
        else:
            stopped.append(name)
    missing = [n for n in expected if n not in running]
    if unhealthy or missing:
        parts = ([f"unhealthy: {', '.join(unhealthy)}"] if unhealthy else []) + (
            [f"not running: {', '.join(missing)}"] if missing else [])
        return fail("; ".join(parts), *details)
    if stopped:
        return warn(f"{len(running)} running, {len(stopped)} stopped: {', '.join(stopped[:5])}",
                    *details)
    return ok(f"{len(running)} container(s) running, none unhealthy", *details)


def python_module_check(host: Host, interpreter: str, module: str, timeout: float) -> Outcome:
    if host.which(interpreter) is None:
        return skip(f"interpreter {interpreter} not found")
    code = ("import importlib, sys; m = importlib.import_module(sys.argv[1]); "
            "print(getattr(m, '__version__', ''))")
    result = host.run([interpreter, "-c", code, module], timeout=timeout)
    if result.timed_out:
        return fail(f"import {module} did not finish within {timeout:g}s")
    if not result.ok:
        lines = result.stderr.strip().splitlines()
        return fail(f"import {module} failed: {lines[-1] if lines else result.returncode}")
    version = first_line(result.stdout) or None
    return ok(f"import {module} ok" + (f" ({version})" if version else ""), version=version)


def disk_check(path: Path, warn_gb: float, fail_gb: float) -> Outcome:
    try:
        usage = shutil.disk_usage(path)
    except FileNotFoundError:
        return skip(f"{path} does not exist")
    except OSError as exc:
        return fail(f"{path}: {exc.strerror}")
    free_gb = usage.free / GIB
    summary = f"{path}: {free_gb:.1f} GiB free of {usage.total / GIB:.1f} GiB"
    if free_gb < fail_gb:
        return fail(summary + f" (below {fail_gb:g} GiB)")
    if free_gb < warn_gb:
        return warn(summary + f" (below {warn_gb:g} GiB)")
    return ok(summary)


def builtin_checks(cfg: HealthConfig, flake_dir: Path, host: Host) -> list[Check]:
    t = cfg.timeout
    checks = [
        Check("nixos-release", "system", lambda: release_check(cfg, flake_dir), t),
        Check("kernel", "versions",
              lambda: program_version(host, ["uname", "-r"], t, "Linux"), t),
        Check("gcc", "versions", lambda: program_version(host, ["gcc", "--version"], t, ""), t),
        Check("python", "versions",
              lambda: program_version(host, [cfg.python, "--version"], t, ""), t),
        Check("node", "versions",
              lambda: program_version(host, ["node", "--version"], t, "Node"), t),
        Check("nix", "tools", lambda: _required(host, ["nix", "--version"], t), t),
        Check("home-manager", "tools",
              lambda: _optional(host, ["home-manager", "--version"], t), t),
        Check("systemd-system", "services", lambda: systemd_check(host, t, user=False), t),
        Check("systemd-user", "services", lambda: systemd_check(host, t, user=True), t),
        Check("podman", "services", lambda: podman_check(host, t, cfg.containers), t),
    ]
    for spec in cfg.http:
        st = spec.timeout or t
        probe = partial(http_probe, spec.url, st, spec.expect_status, spec.contains)
        checks.append(Check(f"http:{spec.name}", "http", probe, st))
    pg = cfg.postgresql
    if pg is not None:
        checks.append(Check("postgresql", "databases",
                            lambda: postgres_probe(pg, cfg.pg_extensions, t), t))
    else:
        checks.append(Check("postgresql", "databases",
                            lambda: skip("no PostgreSQL configured"), t))
    rd = cfg.redis
    if rd is not None:
        checks.append(Check("redis", "databases", lambda: redis_probe(rd, t), t))
    else:
        checks.append(Check("redis", "databases", lambda: skip("no Redis configured"), t))
    for module in cfg.python_modules:
        checks.append(Check(f"python:{module}", "python",
                            partial(python_module_check, host, cfg.python, module, t), t))
    for disk in cfg.disks:
        checks.append(Check(f"disk:{disk}", "disk",
                            partial(disk_check, disk, cfg.disk_warn_gb, cfg.disk_fail_gb), t))
    return checks


def _required(host: Host, argv: list[str], timeout: float) -> Outcome:
    outcome = program_version(host, argv, timeout, "")
    return fail(f"{argv[0]} not found on PATH") if outcome.status == "skip" else outcome


def _optional(host: Host, argv: list[str], timeout: float) -> Outcome:
    outcome = program_version(host, argv, timeout, "")
    return warn(f"{argv[0]} not found on PATH") if outcome.status == "skip" else outcome


def file_check(path: Path) -> Outcome:
    return ok(f"{path} exists") if path.exists() else fail(f"{path} does not exist")


def user_checks(checks: UserChecks, default_timeout: float, host: Host) -> list[Check]:
    """Checks from `[[health.*]]` tables or a `--checks FILE`."""
    out: list[Check] = []
    for h in checks.http:
        t = h.timeout or default_timeout
        out.append(Check(f"http:{h.name}", "http",
                         partial(http_probe, h.url, t, h.expect_status, h.contains), t))
    for p in checks.tcp:
        t = p.timeout or default_timeout
        out.append(Check(f"tcp:{p.name}", "tcp", partial(tcp_probe, p.host, p.port, t), t))
    for c in checks.command:
        t = c.timeout or default_timeout
        out.append(Check(f"command:{c.name}", "command",
                         partial(command_probe, host, c.argv, t, c.expect_exit, c.contains), t))
    for q in checks.query:
        t = q.timeout or default_timeout
        out.append(Check(f"query:{q.name}", "query",
                         partial(query_probe, q.conn, q.query, q.expect, t), t))
    for f in checks.file:
        out.append(Check(f"file:{f.name}", "file", partial(file_check, f.path),
                         default_timeout))
    return out
