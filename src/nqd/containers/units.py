"""Read podman systemd units: `podman run` command lines in `ExecStart=` and Quadlet
`.container` files. Command lines are split with `shlex` (POSIX rules, close to systemd's
quoting), never run through a shell."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from nqd.containers.compose import parse_port
from nqd.containers.secrets import (
    protect_healthcheck,
    secret_flag,
    secret_name,
    secret_value,
    set_protected_command,
)
from nqd.containers.spec import (
    HealthCheck,
    SecretRef,
    Service,
    Stack,
    Unsupported,
    Volume,
    VolumeKind,
)
from nqd.errors import InputError

# podman run options that take a value (long and short spellings)
_VALUE_OPTIONS = frozenset((
    "--name", "-p", "--publish", "-e", "--env", "--env-file", "-v", "--volume", "--mount",
    "--network", "--net", "--network-alias", "-l", "--label", "--label-file", "--entrypoint",
    "-u", "--user", "-w", "--workdir", "-h", "--hostname", "--health-cmd", "--health-interval",
    "--health-timeout", "--health-retries", "--health-start-period", "--health-on-failure",
    "--health-startup-cmd", "--health-startup-interval", "--health-startup-retries",
    "--health-startup-success", "--health-startup-timeout", "--health-log-destination",
    "--health-max-log-count", "--health-max-log-size", "--restart", "--sdnotify", "--cgroups",
    "--pod", "--pod-id-file", "--cidfile", "--conmon-pidfile", "--pidfile", "--log-driver",
    "--log-opt", "--device", "--cap-add", "--cap-drop", "-m", "--memory",
    "--memory-reservation", "--memory-swap", "--memory-swappiness", "--cpus", "--cpu-shares",
    "-c", "--cpuset-cpus", "--cpuset-mems", "--shm-size", "--userns", "--security-opt",
    "--tmpfs", "--ulimit", "--add-host", "--dns", "--dns-search", "--dns-option", "--pull",
    "--stop-timeout", "--stop-signal", "--tz", "--uidmap", "--gidmap", "--subuidname",
    "--subgidname", "--ipc", "--pid", "--uts", "--platform", "--arch", "--os", "--variant",
    "--secret", "--annotation", "--gpus", "--sysctl", "--requires", "--hooks-dir", "--timeout",
    "--cgroup-parent", "--cgroupns", "--pids-limit", "--umask", "--group-add", "--expose",
    "--ip", "--ip6", "--mac-address", "--init-path", "--systemd", "--image-volume", "-a",
    "--attach", "--detach-keys", "--preserve-fds", "--authfile", "--cert-dir", "--creds",
    "--decryption-key", "--chrootdirs", "--passwd-entry", "--group-entry", "--oom-score-adj",
    "--blkio-weight", "--device-read-bps", "--device-write-bps", "--device-read-iops",
    "--device-write-iops", "--device-cgroup-rule", "--volumes-from", "--workdir",
    "--health-startup-cmd", "--retry", "--retry-delay", "--unsetenv", "--env-merge",
    "--seccomp-policy",
))
# handled by the unit oci-containers generates: dropped with a note
_PLUMBING = frozenset((
    "--rm", "-d", "--detach", "--replace", "-i", "--interactive", "-t", "--tty", "--sdnotify",
    "--cgroups", "--cidfile", "--conmon-pidfile", "--pidfile", "--log-driver", "--log-opt",
    "--restart", "--sig-proxy", "--detach-keys", "--attach", "-a", "--name",
))


@dataclass
class UnitFile:
    """A systemd unit: sections of (key, value) pairs in file order; keys may repeat."""

    path: Path
    sections: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)

    def values(self, section: str, key: str) -> list[str]:
        return [v for k, v, _ in self.sections.get(section, []) if k == key]


def parse_unit(path: Path, text: str) -> UnitFile:
    """systemd unit syntax: `[Section]`, `Key=Value`, `#`/`;` comments, `\\` continuation."""
    unit = UnitFile(path)
    section: str | None = None
    pending = ""
    pending_line = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line[0] in "#;"):
            continue
        if pending and line[:1] in ("#", ";"):
            continue  # comments inside a continued line are skipped, as systemd does
        if line.endswith("\\"):
            pending += line[:-1] + " "
            pending_line = pending_line or number
            continue
        line, start = pending + line, pending_line or number
        pending, pending_line = "", 0
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            unit.sections.setdefault(section, [])
            continue
        key, sep, value = line.partition("=")
        if not sep or section is None:
            raise InputError(f"{path}:{start}: not a unit file line: {line[:60]!r}")
        unit.sections[section].append((key.strip(), value.strip(), start))
    return unit


def read_unit(path: Path, stack: Stack) -> None:
    """Add the container of a podman `.service` unit or a Quadlet `.container` file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    unit = parse_unit(path, text)
    if "Container" in unit.sections:
        _read_quadlet(unit, stack)
    elif "Service" in unit.sections:
        _read_service_unit(unit, stack)
    else:
        raise InputError(f"{path}: neither a [Service] with `podman run` nor a Quadlet "
                         f"[Container] section")


def _unit_env(unit: UnitFile) -> dict[str, str]:
    env: dict[str, str] = {}
    for value in unit.values("Service", "Environment"):
        for word in shlex.split(value):
            key, sep, val = word.partition("=")
            if sep:
                env[key] = val
    return env


def _dependencies(unit: UnitFile) -> list[str]:
    names: list[str] = []
    for key in ("Requires", "Wants", "After", "BindsTo"):
        for value in unit.values("Unit", key):
            for word in value.split():
                if not word.endswith(".service"):
                    continue
                stem = word[: -len(".service")]
                for prefix in ("podman-", "container-"):
                    stem = stem.removeprefix(prefix)
                if stem not in names:
                    names.append(stem)
    return names


def _read_service_unit(unit: UnitFile, stack: Stack) -> None:
    starts = [(v, n) for k, v, n in unit.sections["Service"] if k == "ExecStart"]
    if len(starts) != 1:
        raise InputError(f"{unit.path}: expected one ExecStart= with `podman run`, "
                         f"found {len(starts)}")
    command, line = starts[0]
    command = command.lstrip("@-:+!")
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise InputError(f"{unit.path}:{line}: ExecStart: {exc}") from None
    default_name = unit.path.name.removesuffix(".service")
    for prefix in ("podman-", "container-"):
        default_name = default_name.removeprefix(prefix)
    unknown: list[str] = []
    argv = [_expand_specifiers(word, unit.path.name, unknown) for word in argv]
    for spec in dict.fromkeys(unknown):
        stack.unsupported.append(Unsupported(
            f"{unit.path}:{line}: ExecStart specifier %{spec}",
            "left as written: it depends on the user or machine that ran the unit"))
    env = _unit_env(unit)
    svc = podman_run(argv, unit.path, f"{unit.path}:{line}", default_name, env, stack)
    passed = {w.partition("=")[0] for w in argv} | {
        s.key for s in svc.secrets} | set(svc.environment)
    unused = [key for key in env if key not in passed and f"${key}" not in command
              and f"${{{key}}}" not in command]
    if unused:
        svc.notes.append("Environment= of the old unit not passed to the container: "
                         + ", ".join(unused))
    svc.depends_on = [d for d in _dependencies(unit) if d != svc.name]
    for env_file in unit.values("Service", "EnvironmentFile"):
        svc.environment_files.append(env_file.lstrip("-"))
        svc.notes.append(f"EnvironmentFile={env_file} of the old unit is passed to the container")
    for section, entries in unit.sections.items():
        for key, value, number in entries:
            if (section, key) in {("Service", "ExecStart"), ("Service", "Environment"),
                                  ("Service", "EnvironmentFile"), ("Unit", "Description")}:
                continue
            if section == "Unit" and key in ("Requires", "Wants", "After", "BindsTo"):
                continue
            shown = value if not _looks_secret(key, value) else "<secret not shown>"
            stack.unsupported.append(Unsupported(
                f"{unit.path}:{number}: [{section}] {key}={shown}",
                "setting of the old unit: oci-containers writes its own unit; add it under "
                f"systemd.services.\"podman-{svc.name}\" if still needed"))
    stack.add(svc)


def _expand_specifiers(word: str, unit_name: str, unknown: list[str]) -> str:
    """systemd specifiers that name the unit (`%n`, `%N`, `%p`, `%i`, `%%`); others are
    recorded in `unknown` and kept."""
    stem = unit_name.rsplit(".", 1)[0]
    prefix, _, instance = stem.partition("@")
    table = {"n": unit_name, "N": stem, "p": prefix, "i": instance, "%": "%"}
    out: list[str] = []
    i = 0
    while i < len(word):
        if word[i] == "%" and i + 1 < len(word):
            spec = word[i + 1]
            if spec in table:
                out.append(table[spec])
            else:
                unknown.append(spec)
                out.append(word[i : i + 2])
            i += 2
            continue
        out.append(word[i])
        i += 1
    return "".join(out)


def _looks_secret(key: str, value: str) -> bool:
    return secret_name(key) or secret_value(value) or any(
        secret_name(w.partition("=")[0]) or secret_flag(w) for w in value.split())


# Quadlet [Container] keys -> podman run options
_QUADLET_OPTION = {
    "ContainerName": "--name", "PublishPort": "-p", "Volume": "-v", "EnvironmentFile":
    "--env-file", "Network": "--network", "NetworkAlias": "--network-alias", "Entrypoint":
    "--entrypoint", "User": "-u", "WorkingDir": "-w", "HostName": "-h", "HealthCmd":
    "--health-cmd", "HealthInterval": "--health-interval", "HealthTimeout": "--health-timeout",
    "HealthRetries": "--health-retries", "HealthStartPeriod": "--health-start-period",
    "AddDevice": "--device", "Tmpfs": "--tmpfs", "ShmSize": "--shm-size", "Sysctl": "--sysctl",
    "Ulimit": "--ulimit", "Timezone": "--tz", "Pull": "--pull", "UserNS": "--userns",
    "GroupAdd": "--group-add", "DNS": "--dns", "Mount": "--mount", "StopTimeout":
    "--stop-timeout", "Memory": "--memory", "IP": "--ip", "AddHost": "--add-host",
}
_QUADLET_MULTI = {"AddCapability": "--cap-add", "DropCapability": "--cap-drop"}
_QUADLET_BOOL = {"ReadOnly": "--read-only", "RunInit": "--init"}


def _read_quadlet(unit: UnitFile, stack: Stack) -> None:
    options: list[str] = []
    image: str | None = None
    exec_args: list[str] = []
    for key, value, number in unit.sections["Container"]:
        where = f"{unit.path}:{number}"
        if key == "Image":
            image = value
        elif key == "Exec":
            exec_args = _split(value, where)
        elif key == "Environment":
            for word in _split(value, where):
                options += ["-e", word]
        elif key == "Label":
            for word in _split(value, where):
                options += ["-l", word]
        elif key in _QUADLET_OPTION:
            if key == "Network" and value.endswith(".network"):
                value = "systemd-" + value.removesuffix(".network")
            options += [_QUADLET_OPTION[key], value]
        elif key in _QUADLET_MULTI:
            for word in value.split():
                options += [_QUADLET_MULTI[key], word]
        elif key in _QUADLET_BOOL:
            if value.lower() in ("true", "yes", "1", "on"):
                options.append(_QUADLET_BOOL[key])
        elif key == "PodmanArgs":
            options += _split(value, where)
        elif key == "Notify":
            continue  # sdnotify follows the health check
        else:
            stack.unsupported.append(Unsupported(f"{where}: [Container] {key}",
                                                 "Quadlet key not converted"))
    if image is None:
        raise InputError(f"{unit.path}: Quadlet [Container] has no Image=")
    argv = ["podman", "run", *options, image, *exec_args]
    name = unit.path.name.removesuffix(".container")
    svc = podman_run(argv, unit.path, str(unit.path), name, _unit_env(unit), stack)
    svc.depends_on = [d for d in _dependencies(unit) if d != svc.name]
    for section, entries in unit.sections.items():
        if section == "Container":
            continue
        for key, _value, number in entries:
            if section == "Unit" and key in ("Requires", "Wants", "After", "BindsTo",
                                             "Description"):
                continue
            stack.unsupported.append(Unsupported(
                f"{unit.path}:{number}: [{section}] {key}",
                "setting of the Quadlet unit: oci-containers writes its own unit"))
    stack.add(svc)


def _split(value: str, where: str) -> list[str]:
    try:
        return shlex.split(value)
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None


def podman_run(argv: list[str], path: Path, where: str, default_name: str,
               env: dict[str, str], stack: Stack) -> Service:
    """Turn a `podman run ...` argument list into a Service."""
    if not argv or Path(argv[0]).name not in ("podman", "docker"):
        program = Path(argv[0]).name if argv else ""
        raise InputError(f"{where}: ExecStart does not run podman: {program!r}")
    rest = argv[1:]
    while rest and rest[0].startswith("-"):  # global options before `run`
        rest = rest[1:] if "=" in rest[0] else rest[2:]
    if rest[:1] == ["container"]:
        rest = rest[1:]
    if rest[:1] != ["run"]:
        raise InputError(f"{where}: ExecStart is not `podman run` (found {' '.join(rest[:2])!r})")
    opts, positional = _options(rest[1:], where)
    if not positional:
        raise InputError(f"{where}: `podman run` without an image")
    image, args = positional[0], positional[1:]
    name = default_name
    for flag, value in opts:
        if flag == "--name" and value:
            name = value
    svc = Service(name=name, image=image, source=path)
    health: dict[str, str] = {}
    dropped: list[str] = []
    for flag, value in opts:
        _option(svc, flag, value, env, where, health, dropped, stack)
    if dropped:
        svc.notes.append("dropped (the NixOS unit handles them): " + " ".join(dropped))
    if health:
        svc.healthcheck = _health(health)
    if args:
        set_protected_command(svc, args, env, env_source="the unit")
    protect_healthcheck(svc, env)
    return svc


def _options(words: list[str], where: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    opts: list[tuple[str, str | None]] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            return opts, words[i + 1 :]
        if not word.startswith("-") or word == "-":
            return opts, words[i:]
        if word.startswith("--"):
            flag, eq, value = word.partition("=")
            if eq:
                opts.append((flag, value))
            elif flag in _VALUE_OPTIONS:
                if i + 1 >= len(words):
                    raise InputError(f"{where}: {flag} needs a value")
                opts.append((flag, words[i + 1]))
                i += 1
            else:
                opts.append((flag, None))
        else:  # short options, possibly combined (-dit) or attached (-p8000:8000)
            letters = word[1:]
            for j, letter in enumerate(letters):
                flag = "-" + letter
                if flag in _VALUE_OPTIONS:
                    attached = letters[j + 1 :].lstrip("=")
                    if attached:
                        opts.append((flag, attached))
                    else:
                        if i + 1 >= len(words):
                            raise InputError(f"{where}: {flag} needs a value")
                        opts.append((flag, words[i + 1]))
                        i += 1
                    break
                opts.append((flag, None))
        i += 1
    return opts, []


_LONG = {"-p": "--publish", "-e": "--env", "-v": "--volume", "-l": "--label",
         "-u": "--user", "-w": "--workdir", "-h": "--hostname", "-m": "--memory",
         "--net": "--network", "-c": "--cpu-shares", "-d": "--detach", "-i": "--interactive",
         "-t": "--tty", "-a": "--attach"}


def _option(svc: Service, flag: str, value: str | None, env: dict[str, str], where: str,
            health: dict[str, str], dropped: list[str], stack: Stack) -> None:
    flag = _LONG.get(flag, flag)
    text = value or ""
    if flag in _PLUMBING or _LONG.get(flag, flag) in _PLUMBING:
        if flag != "--name":
            dropped.append(flag + (f"={text}" if value is not None else ""))
        return
    if flag == "--publish":
        svc.ports.append(parse_port(text, "-p", svc.source))
    elif flag == "--env":
        key, sep, val = text.partition("=")
        if not sep:
            if key in env:
                val = env[key]
            else:
                svc.secrets.append(SecretRef(svc.name, key, "inherited from the unit's "
                                             "environment"))
                return
        if secret_name(key, val) or secret_value(val):
            why = "name looks secret" if secret_name(key, val) else "value carries credentials"
            svc.secrets.append(SecretRef(svc.name, key, why, (), val))
        else:
            svc.environment[key] = val
    elif flag == "--env-file":
        svc.environment_files.append(text)
    elif flag == "--volume":
        svc.volumes.append(_volume(text, stack))
    elif flag == "--network":
        if text in ("host", "none", "private", "ns:", "slirp4netns", "pasta") or ":" in text:
            svc.network_mode = text
        elif text != "bridge":
            svc.networks[text] = (svc.name,)
            stack.networks.add(text)
    elif flag == "--network-alias":
        for net, aliases in list(svc.networks.items()):
            svc.networks[net] = (*aliases, text)
        if not svc.networks:
            svc.notes.append(f"--network-alias={text} dropped: no named network")
    elif flag == "--label":
        key, _, val = text.partition("=")
        if secret_name(key) or secret_value(val):
            stack.unsupported.append(Unsupported(f"{where}: --label {key}", "label looks like "
                                                 "a secret: not copied"))
        else:
            svc.labels[key] = val
    elif flag == "--entrypoint":
        svc.entrypoint = _json_list(text) or [text]
    elif flag == "--user":
        svc.user = text
    elif flag == "--workdir":
        svc.workdir = text
    elif flag == "--hostname":
        svc.hostname = text
    elif flag.startswith("--health-") and flag in ("--health-cmd", "--health-interval",
                                                   "--health-timeout", "--health-retries",
                                                   "--health-start-period"):
        health[flag] = text
    elif flag == "--no-healthcheck":
        svc.healthcheck = HealthCheck(None, disabled=True)
    elif flag in ("--pod", "--secret", "--creds", "--decryption-key") or secret_flag(flag):
        reason = "not converted" + ("" if flag == "--pod" else " (may carry a secret)")
        stack.unsupported.append(Unsupported(f"{where}: {flag}", reason))
    else:
        svc.extra_options.append(flag if value is None else f"{flag}={text}")


def _volume(text: str, stack: Stack) -> Volume:
    parts = text.split(":")
    if len(parts) == 1:
        return Volume(VolumeKind.ANONYMOUS, parts[0])
    source, target = parts[0], parts[1]
    options = tuple(o for o in ",".join(parts[2:]).split(",") if o)
    if source.startswith(("/", "%", ".", "~")):  # a host path (maybe with a specifier)
        return Volume(VolumeKind.BIND, target, source, options)
    # Quadlet: `data.volume` names the volume unit data.volume, whose podman volume is
    # `systemd-data` unless it sets VolumeName= (podman-systemd.unit(5)), as networks are.
    if source.endswith(".volume") and len(source) > len(".volume"):
        source = "systemd-" + source.removesuffix(".volume")
    stack.named_volumes.add(source)
    return Volume(VolumeKind.NAMED, target, source, options)


def _json_list(text: str) -> list[str] | None:
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return [str(v) for v in value] if isinstance(value, list) else None


def _health(health: dict[str, str]) -> HealthCheck:
    cmd = health.get("--health-cmd")
    test: tuple[str, ...] | str | None = None
    if cmd is not None:
        as_list = _json_list(cmd)
        if as_list is not None:
            test = tuple(as_list[1:]) if as_list[:1] == ["CMD"] else (
                " ".join(as_list[1:]) if as_list[:1] == ["CMD-SHELL"] else tuple(as_list))
        else:
            test = cmd
    retries = health.get("--health-retries")
    return HealthCheck(test, health.get("--health-interval"), health.get("--health-timeout"),
                       int(retries) if retries and retries.isdigit() else None,
                       health.get("--health-start-period"))
