"""The neutral container spec every reader produces and `to_nix` consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


@dataclass(frozen=True)
class Port:
    """A published port; `host_ip` is None when the input did not name one."""

    container: str  # "8000", "8000-8010"
    host: str | None = None  # None: a random host port
    host_ip: str | None = None
    protocol: str = "tcp"


class VolumeKind(StrEnum):
    NAMED = "named"  # a named volume: becomes a directory under --data-root
    BIND = "bind"  # a host path
    ANONYMOUS = "anonymous"  # a container path only
    TMPFS = "tmpfs"


@dataclass(frozen=True)
class Volume:
    kind: VolumeKind
    target: str
    source: str | None = None  # volume name or absolute host path
    options: tuple[str, ...] = ()  # "ro", "z", ...


@dataclass(frozen=True)
class HealthCheck:
    """A health check: `test` is a list (exec form) or a string (shell form)."""

    test: tuple[str, ...] | str | None
    interval: str | None = None
    timeout: str | None = None
    retries: int | None = None
    start_period: str | None = None
    disabled: bool = False


@dataclass(frozen=True)
class Unsupported:
    """An input field nqd did not convert, with where it was and why."""

    where: str  # "docker-compose.yml:12: services.db.build"
    reason: str

    @property
    def sort_key(self) -> tuple[str, int, str]:
        """File, then line: the report reads top to bottom like the input."""
        import re

        match = re.match(r"^(.*?):(\d+):", self.where)
        if match:
            return match.group(1), int(match.group(2)), self.where
        return self.where.split(":", 1)[0], 0, self.where


@dataclass(frozen=True)
class SecretRef:
    """A secret-looking value moved out of the module: the variable that carries it.

    `value` is kept in memory only so that tests can prove it never reaches an output.
    """

    service: str
    key: str
    reason: str  # "name looks secret", "uses ${VAR} interpolation", ...
    variables: tuple[str, ...] = ()  # ${VAR}s the original referred to
    value: str = field(default="", repr=False, compare=False)


@dataclass
class Service:
    """One container as any input describes it."""

    name: str
    image: str
    source: Path
    ports: list[Port] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    environment_files: list[str] = field(default_factory=list)
    secrets: list[SecretRef] = field(default_factory=list)
    cmd: list[str] | None = None
    entrypoint: list[str] | None = None
    depends_on: list[str] = field(default_factory=list)
    networks: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> aliases
    network_mode: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    extra_options: list[str] = field(default_factory=list)
    healthcheck: HealthCheck | None = None
    user: str | None = None
    workdir: str | None = None
    hostname: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Stack:
    """Everything read from the inputs."""

    services: dict[str, Service] = field(default_factory=dict)
    named_volumes: set[str] = field(default_factory=set)
    networks: set[str] = field(default_factory=set)
    unsupported: list[Unsupported] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)

    def add(self, service: Service) -> None:
        if service.name in self.services:
            from nqd.errors import InputError

            raise InputError(
                f"{service.source}: service {service.name!r} is already defined by "
                f"{self.services[service.name].source}"
            )
        self.services[service.name] = service
