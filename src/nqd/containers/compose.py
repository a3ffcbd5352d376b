"""Read Compose files (v2/v3 and the Compose Specification) into `Service`s.

Parsed with ruamel.yaml's round-trip loader (so every field keeps its line), validated
against nqd's reduced Compose schema (`compose-schema.json`), then mapped field by field.
Fields nqd does not convert are recorded as `Unsupported`, never dropped silently.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from nqd.containers.secrets import (
    InterpolationError,
    interpolate,
    protect_healthcheck,
    read_dotenv,
    secret_name,
    secret_value,
    set_protected_command,
    variables,
)
from nqd.containers.spec import (
    HealthCheck,
    Port,
    SecretRef,
    Service,
    Stack,
    Unsupported,
    Volume,
    VolumeKind,
)
from nqd.errors import InputError

_SCHEMA = Path(__file__).with_name("compose-schema.json")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)")
_DURATION_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}

# service fields that become extraOptions flags, one per value
_FLAG_LISTS = {"cap_add": "--cap-add", "cap_drop": "--cap-drop", "security_opt": "--security-opt",
               "dns": "--dns", "tmpfs": "--tmpfs"}
_FLAG_VALUES = {"shm_size": "--shm-size", "mem_limit": "--memory", "cpus": "--cpus",
                "stop_signal": "--stop-signal", "platform": "--platform"}
_FLAG_BOOLS = {"privileged": "--privileged", "read_only": "--read-only", "init": "--init"}
_PULL = {"always": "always", "missing": "missing", "if_not_present": "missing",
         "never": "never", "newer": "newer", "daily": "newer", "weekly": "newer"}
# handled in _service (mapped directly or with a note)
_MAPPED = {
    "image", "container_name", "command", "entrypoint", "environment", "env_file", "ports",
    "volumes", "depends_on", "networks", "network_mode", "labels", "healthcheck", "user",
    "working_dir", "hostname", "restart", "devices", "extra_hosts", "sysctls",
    "stop_grace_period", "pull_policy", "expose", "deploy",
    *_FLAG_LISTS, *_FLAG_VALUES, *_FLAG_BOOLS,
}
_UNSUPPORTED_REASONS = {
    "build": "nqd runs images only: build the image and set `image:`",
    "secrets": "Compose secrets are not converted: use sops-nix/agenix and an environmentFiles "
               "entry or a volume",
    "configs": "Compose configs are not converted: mount the file as a read-only volume",
    "logging": "containers log to journald under NixOS (log-driver)",
    "profiles": "profiles are not converted: every service is emitted",
    "extends": "`extends` is not resolved: inline the base service",
    "links": "legacy links: services on one network resolve each other by name",
}


@cache
def _validator() -> Any:
    import jsonschema  # type: ignore[import-untyped]

    schema = json.loads(_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def load_yaml(path: Path) -> Any:
    """Round-trip load; a YAML error becomes a one-line InputError."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    yaml = YAML(typ="rt")
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply to read") from None
    return data


def _line(node: Any, key: Any) -> str:
    lc = getattr(node, "lc", None)
    if lc is None:
        return ""
    try:
        line, _ = lc.key(key)
    except (KeyError, TypeError, IndexError):
        return ""
    return f":{line + 1}"


def validate(path: Path, data: Any) -> None:
    """Check against the reduced Compose schema; report the first error with its place."""
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a Compose file (top level is not a mapping)")
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path)))
    if not errors:
        return
    error = errors[0]
    where = ".".join(str(p) for p in error.path) or "(top level)"
    node: Any = data
    line = ""
    for part in list(error.path):
        line = _line(node, part) or line
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    message = error.message
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
        unknown = [str(k) for k in error.instance
                   if k not in known and not any(p.search(str(k)) for p in patterns)]
        if unknown:
            message = ", ".join(repr(k) for k in unknown) + (
                " is not a Compose field" if len(unknown) == 1 else " are not Compose fields")
            message += " (a typo? extension fields start with `x-`)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    raise InputError(f"{path}{line}: {where}: {message}{more}")


def read_compose(path: Path, stack: Stack) -> None:
    """Add the services of one Compose file to `stack`."""
    data = load_yaml(path)
    validate(path, data)
    dotenv_path = path.parent / ".env"
    env = read_dotenv(dotenv_path.read_text(encoding="utf-8")) if dotenv_path.is_file() else {}
    project = str(data.get("name") or path.parent.resolve().name or "compose")
    reader = _ComposeReader(path, data, env, project, stack)
    reader.read()


class _ComposeReader:
    def __init__(self, path: Path, data: Any, env: Mapping[str, str], project: str,
                 stack: Stack) -> None:
        self.path = path
        self.data = data
        self.env = env
        self.project = _safe_name(project)
        self.stack = stack
        self.volume_names: dict[str, str] = {}
        self.network_names: dict[str, str] = {}

    def unsupported(self, node: Any, key: Any, where: str, reason: str) -> None:
        self.stack.unsupported.append(
            Unsupported(f"{self.path}{_line(node, key)}: {where}", reason))

    def text(self, value: Any, where: str) -> str:
        """A non-secret string field with interpolation resolved."""
        raw = str(value)
        try:
            return interpolate(raw, self.env)
        except InterpolationError as exc:
            raise InputError(f"{self.path}: {where}: {exc}") from None

    def read(self) -> None:
        self._top_level_volumes()
        self._top_level_networks()
        for key in ("secrets", "configs", "models", "include"):
            if self.data.get(key):
                self.unsupported(self.data, key, key, _UNSUPPORTED_REASONS.get(
                    key, f"top-level `{key}` is not converted"))
        for name, body in (self.data.get("services") or {}).items():
            self.stack.add(self._service(str(name), body or {}))

    def _top_level_volumes(self) -> None:
        for name, body in (self.data.get("volumes") or {}).items():
            body = body or {}
            self.volume_names[str(name)] = _safe_name(str(body.get("name") or name))
            for key in body:
                if key in ("name", "labels"):
                    continue
                if key == "external" and body[key]:
                    self.stack.warnings.append(
                        f"{self.path}: volume {name!r} is external: its data stays where the "
                        f"old engine kept it; copy it into the new directory")
                    continue
                self.unsupported(body, key, f"volumes.{name}.{key}",
                                 "volume drivers and options are not converted: a plain "
                                 "directory under --data-root is used")

    def _top_level_networks(self) -> None:
        for name, body in (self.data.get("networks") or {}).items():
            body = body or {}
            if body.get("external"):
                self.network_names[str(name)] = str(body.get("name") or name)
                self.stack.warnings.append(
                    f"{self.path}: network {name!r} is external: nqd does not create it")
                continue
            self.network_names[str(name)] = _safe_name(
                str(body.get("name") or f"{self.project}_{name}"))
            for key in body:
                if key not in ("name", "labels", "driver") or (
                        key == "driver" and body[key] not in ("bridge", None)):
                    self.unsupported(body, key, f"networks.{name}.{key}",
                                     "network options are not converted: a default podman "
                                     "bridge network is created")

    def _service(self, name: str, body: Any) -> Service:
        where = f"services.{name}"
        if "image" not in body:
            raise InputError(f"{self.path}{_line(self.data['services'], name)}: {where}: "
                             f"no `image:` (nqd does not build images)")
        svc = Service(name=name, image=self.text(body["image"], f"{where}.image"),
                      source=self.path)
        for key in body:
            if str(key).startswith("x-") or key in _MAPPED:
                continue
            self.unsupported(body, key, f"{where}.{key}", _UNSUPPORTED_REASONS.get(
                str(key), f"`{key}` has no oci-containers equivalent in nqd yet"))
        if body.get("container_name"):
            svc.notes.append(f"container_name {body['container_name']!r}: the container is "
                             f"named after the service ({name!r})")
        self._environment(svc, body)
        for item in _as_list(body.get("env_file")):
            path_text = item["path"] if isinstance(item, dict) else item
            env_path = (self.path.parent / self.text(path_text, f"{where}.env_file")).resolve()
            svc.environment_files.append(str(env_path))
            optional = isinstance(item, dict) and item.get("required") is False
            svc.notes.append(f"env_file {env_path}: keep it outside the Nix store, mode 0600, "
                             f"readable by the container's user"
                             + ("; optional in Compose, but podman fails when it is missing"
                                if optional else ""))
        svc.ports = [self._port(p, f"{where}.ports") for p in body.get("ports") or []]
        svc.volumes = [self._volume(v, f"{where}.volumes") for v in body.get("volumes") or []]
        self._command(svc, body, "command")
        self._command(svc, body, "entrypoint")
        self._depends_on(svc, body.get("depends_on"))
        self._networks(svc, body)
        for key, value in _pairs(body.get("labels")).items():
            if secret_name(key, value) or secret_value(value):
                self.unsupported(body, "labels", f"{where}.labels.{key}",
                                 "label looks like a secret: not copied")
                continue
            try:
                svc.labels[key] = interpolate(value, self.env)
            except InterpolationError as exc:
                self.unsupported(body, "labels", f"{where}.labels.{key}", str(exc))
        if "healthcheck" in body:
            svc.healthcheck = _healthcheck(body["healthcheck"])
            protect_healthcheck(svc, self.env)
        for field_name in ("user", "working_dir", "hostname"):
            if body.get(field_name) is not None:
                value = self.text(body[field_name], f"{where}.{field_name}")
                setattr(svc, "workdir" if field_name == "working_dir" else field_name, value)
        self._flags(svc, body, where)
        return svc

    def _environment(self, svc: Service, body: Any) -> None:
        for key, value in _pairs(body.get("environment"), keep_none=True).items():
            if value is None:
                svc.secrets.append(SecretRef(svc.name, key, "value comes from the shell "
                                             "environment at compose time"))
                continue
            names = variables(value)
            if secret_name(key, value):
                svc.secrets.append(SecretRef(svc.name, key, "name looks secret", names, value))
            elif secret_value(value):
                svc.secrets.append(SecretRef(svc.name, key, "value carries credentials",
                                             names, value))
            elif names:
                svc.secrets.append(SecretRef(svc.name, key, "uses ${VAR} interpolation",
                                             names, value))
            else:
                svc.environment[key] = value.replace("$$", "$")

    def _port(self, item: Any, where: str) -> Port:
        if isinstance(item, dict):
            published = item.get("published")
            host = self.text(published, where) if published is not None else None
            _check_ports(f"{self.path}: {where}", host, str(item["target"]))
            return Port(container=str(item["target"]), host=host,
                        host_ip=item.get("host_ip"), protocol=str(item.get("protocol") or "tcp"))
        return parse_port(self.text(item, where), where, self.path)

    def _volume(self, item: Any, where: str) -> Volume:
        if isinstance(item, dict):
            kind = item["type"]
            target = self.text(item.get("target", ""), where)
            opts = ("ro",) if item.get("read_only") else ()
            if kind == "tmpfs":
                return Volume(VolumeKind.TMPFS, target)
            source = item.get("source")
            if kind == "volume":
                if not source:
                    return Volume(VolumeKind.ANONYMOUS, target, None, opts)
                return Volume(VolumeKind.NAMED, target, self._volume_name(str(source)), opts)
            if kind == "bind":
                return Volume(VolumeKind.BIND, target,
                              self._host_path(self.text(source or "", where)), opts)
            raise InputError(f"{self.path}: {where}: volume type {kind!r} is not supported")
        text = self.text(item, where)
        parts = text.split(":")
        if len(parts) == 1:
            return Volume(VolumeKind.ANONYMOUS, parts[0])
        source, target, options = parts[0], parts[1], tuple(
            o for o in ",".join(parts[2:]).split(",") if o)
        if source.startswith(("/", ".", "~")):
            return Volume(VolumeKind.BIND, target, self._host_path(source), options)
        return Volume(VolumeKind.NAMED, target, self._volume_name(source), options)

    def _volume_name(self, source: str) -> str:
        if source not in self.volume_names:
            raise InputError(f"{self.path}: volume {source!r} is used but not declared under "
                             f"top-level `volumes:`")
        name = self.volume_names[source]
        self.stack.named_volumes.add(name)
        return name

    def _host_path(self, source: str) -> str:
        if source.startswith("~"):
            raise InputError(f"{self.path}: bind mount {source!r}: `~` depends on who runs "
                             f"compose: write an absolute path")
        return str((self.path.parent / source).resolve()) if not source.startswith("/") \
            else source

    def _command(self, svc: Service, body: Any, key: str) -> None:
        value = body.get(key)
        if value is None:
            return
        args = shlex.split(str(value)) if isinstance(value, str) else [str(a) for a in value]
        if key == "entrypoint":
            if any(variables(a) for a in args):
                raise InputError(f"{self.path}: services.{svc.name}.entrypoint: interpolation "
                                 f"in an entrypoint is not supported")
            svc.entrypoint = args
            return
        set_protected_command(svc, args, self.env, env_source=".env")

    def _depends_on(self, svc: Service, value: Any) -> None:
        if isinstance(value, dict):
            for dep, spec in value.items():
                svc.depends_on.append(str(dep))
                if (spec or {}).get("condition") == "service_healthy":
                    svc.notes.append(f"depends on {dep} being healthy: {dep} gets "
                                     f"podman.sdnotify = \"healthy\" so its unit starts only "
                                     f"once healthy")
        else:
            svc.depends_on.extend(str(d) for d in value or [])

    def _networks(self, svc: Service, body: Any) -> None:
        mode = body.get("network_mode")
        if mode is not None:
            svc.network_mode = self.text(mode, f"services.{svc.name}.network_mode")
            return
        value = body.get("networks")
        if value is None:
            default = self.network_names.get("default") or f"{self.project}_default"
            self.network_names.setdefault("default", default)
            svc.networks[default] = (svc.name,)
            self.stack.networks.add(default)
            return
        items = value.items() if isinstance(value, dict) else ((n, None) for n in value)
        for net, spec in items:
            if str(net) not in self.network_names:
                raise InputError(f"{self.path}: services.{svc.name}.networks: network "
                                 f"{net!r} is not declared under top-level `networks:`")
            real = self.network_names[str(net)]
            aliases = tuple(str(a) for a in (spec or {}).get("aliases") or [])
            svc.networks[real] = (svc.name, *aliases)
            self.stack.networks.add(real)

    def _flags(self, svc: Service, body: Any, where: str) -> None:
        opts = svc.extra_options
        for key, flag in _FLAG_LISTS.items():
            for value in _as_list(body.get(key)):
                opts.append(f"{flag}={self.text(value, f'{where}.{key}')}")
        for key, flag in _FLAG_VALUES.items():
            if body.get(key) is not None:
                opts.append(f"{flag}={self.text(body[key], f'{where}.{key}')}")
        for key, flag in _FLAG_BOOLS.items():
            if body.get(key):
                opts.append(flag)
        for device in body.get("devices") or []:
            if isinstance(device, dict):
                parts = [device.get("source", ""), device.get("target", ""),
                         device.get("permissions", "")]
                opts.append("--device=" + ":".join(p for p in parts if p))
            else:
                opts.append(f"--device={self.text(device, f'{where}.devices')}")
        for host, addr in _pairs(body.get("extra_hosts"), sep_chars="=:").items():
            opts.append(f"--add-host={host}:{addr}")
        for key, value in _pairs(body.get("sysctls")).items():
            opts.append(f"--sysctl={key}={value}")
        if body.get("stop_grace_period"):
            opts.append(f"--stop-timeout={round(duration_seconds(body['stop_grace_period']))}")
        if body.get("pull_policy"):
            policy = _PULL.get(str(body["pull_policy"]))
            if policy is None:
                self.unsupported(body, "pull_policy", f"{where}.pull_policy",
                                 f"pull policy {body['pull_policy']!r} has no podman equivalent")
            else:
                opts.append(f"--pull={policy}")
        if body.get("restart") is not None:
            svc.notes.append(f"restart: {body['restart']}: systemd restarts the unit "
                             f"(Restart=always)")
        if body.get("expose"):
            svc.notes.append("expose: not needed: containers on one network reach each other")
        self._deploy(svc, body, where)

    def _deploy(self, svc: Service, body: Any, where: str) -> None:
        deploy = body.get("deploy") or {}
        for key, value in deploy.items():
            if key != "resources":
                self.unsupported(deploy, key, f"{where}.deploy.{key}",
                                 "swarm deploy settings are not converted")
                continue
            for section, spec in (value or {}).items():
                spec = spec or {}
                for item, item_value in spec.items():
                    if section == "limits" and item in ("memory", "cpus"):
                        flag = "--memory" if item == "memory" else "--cpus"
                        svc.extra_options.append(f"{flag}={item_value}")
                    elif section == "reservations" and item == "devices" and _is_gpu(item_value):
                        svc.extra_options.append("--device=nvidia.com/gpu=all")
                        svc.notes.append("GPU reservation → CDI device nvidia.com/gpu=all "
                                         "(needs hardware.nvidia-container-toolkit.enable)")
                    else:
                        self.unsupported(spec, item,
                                         f"{where}.deploy.resources.{section}.{item}",
                                         "not converted")


def _is_gpu(devices: Any) -> bool:
    """A Compose device reservation asking for GPUs (`capabilities: [gpu]`)."""
    return any(isinstance(d, dict) and "gpu" in [str(c) for c in d.get("capabilities") or []]
               for d in devices or [])


def parse_port(text: str, where: str, path: Path) -> Port:
    """Short port syntax: `[[IP:]HOST:]CONTAINER[/PROTO]`, IPv6 in brackets."""
    spec, _, proto = text.partition("/")
    host_ip = None
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0 or spec[end + 1 : end + 2] != ":":
            raise InputError(f"{path}: {where}: bad port {text!r}")
        host_ip, spec = spec[1:end], spec[end + 2 :]
        parts = spec.split(":")
    else:
        parts = spec.split(":")
        if len(parts) > 3:
            host_ip = ":".join(parts[:-2])
            parts = parts[-2:]
        elif len(parts) == 3:
            host_ip, parts = parts[0], parts[1:]
    if len(parts) == 1:
        host, container = None, parts[0]
    elif len(parts) == 2:
        host, container = parts[0] or None, parts[1]
    else:
        raise InputError(f"{path}: {where}: bad port {text!r}")
    if not re.fullmatch(r"\d+(-\d+)?", container) or (host and not re.fullmatch(
            r"\d+(-\d+)?", host)):
        raise InputError(f"{path}: {where}: bad port {text!r}")
    _check_ports(f"{path}: {where}", host, container)
    return Port(container=container, host=host, host_ip=host_ip or None,
                protocol=proto or "tcp")


def _check_ports(where: str, *specs: str | None) -> None:
    """Every port number of `specs` (`8080`, a range `8000-8010`) is 1-65535."""
    for spec in filter(None, specs):
        for number in spec.split("-"):
            if not number.isdigit() or not 1 <= int(number) <= 65535:
                raise InputError(f"{where}: port {number!r} is not a port number (1-65535)")


def _healthcheck(body: Any) -> HealthCheck:
    body = body or {}
    test = body.get("test")
    if body.get("disable") or (isinstance(test, list) and test[:1] == ["NONE"]):
        return HealthCheck(None, disabled=True)
    value: tuple[str, ...] | str | None
    # `$$` is Compose's escape for a `$` the container's shell sees
    if isinstance(test, list):
        words = [str(t).replace("$$", "$") for t in test]
        if words[:1] == ["CMD-SHELL"]:
            value = " ".join(words[1:])
        elif words[:1] == ["CMD"]:
            value = tuple(words[1:])
        else:
            value = tuple(words)
    else:
        value = str(test).replace("$$", "$") if test is not None else None
    retries = body.get("retries")
    return HealthCheck(value, body.get("interval"), body.get("timeout"),
                       int(retries) if retries is not None else None, body.get("start_period"))


def duration_seconds(text: str) -> float:
    total = 0.0
    for number, unit in _DURATION.findall(str(text)):
        total += float(number) * _DURATION_SECONDS[unit]
    return total


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _pairs(value: Any, *, keep_none: bool = False, sep_chars: str = "=") -> dict[str, Any]:
    """A Compose list-or-dict (`KEY=VALUE` list or mapping) as a dict of strings."""
    result: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if item is None:
                if keep_none:
                    result[str(key)] = None
                else:
                    result[str(key)] = ""
            elif isinstance(item, bool):
                result[str(key)] = "true" if item else "false"
            else:
                result[str(key)] = str(item)
        return result
    for entry in value or []:
        text = str(entry)
        index = min((text.find(c) for c in sep_chars if c in text), default=-1)
        if index < 0:
            result[text] = None if keep_none else ""
        else:
            result[text[:index]] = text[index + 1 :]
    return result


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9_.-]+", "-", name).strip("-._")
    return cleaned or "default"
