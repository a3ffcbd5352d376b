"""Rootless podman and the optional AI stack as oci-containers run by the user.

Same shape as `nqd containers import`: `podman.user` with lingering, ports bound to
127.0.0.1, secrets through `environmentFiles`, health checks through `extraOptions`
`--health-*` with `podman.sdnotify = "healthy"`; never a `healthcheck` attribute (there is
no such option).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nqd.containers.spec import HealthCheck, Port, Service, Volume, VolumeKind
from nqd.containers.to_nix import ImportOptions, container_attrs
from nqd.init.features.base import Contribution, Entry, NixModule, attrs, opt
from nqd.init.profile import Profile
from nqd.nix.emit import AttrSet, Comment, NixValue, Raw, With, attrpath

STATE_DIR = "/var/lib/ai-stack"


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    ports: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    secret_env: bool = False
    cmd: tuple[str, ...] = ()
    health: str | None = None
    options: tuple[str, ...] = ()


def _podman(profile: Profile) -> NixModule:
    body = attrs(
        (opt("virtualisation.containers.enable"), True),
        (opt("virtualisation.podman"), attrs(
            ("enable", True),
            ("dockerCompat", True),
            (opt("defaultNetwork.settings.dns_enabled"), True),
        )),
        (Comment("Rootless containers need subordinate uid/gid ranges."), None),
        ((*opt("users.users"), profile.user, "autoSubUidGidRange"), True),
        (opt("environment.systemPackages"), With("pkgs", [Raw("podman-compose")])),
    )
    return NixModule("modules/containers/podman.nix", "Rootless podman.", body, ("pkgs",))


def _gpu_options(profile: Profile) -> tuple[str, ...]:
    if profile.gpu == "nvidia":
        return ("--device=nvidia.com/gpu=all",)
    if profile.gpu == "amd":
        return ("--device=/dev/kfd", "--device=/dev/dri")
    return ()


def stack_containers(profile: Profile) -> list[Container]:
    stack = profile.ai_stack
    gpu = _gpu_options(profile)
    out: list[Container] = []
    if stack.inference == "llama-cpp":
        tag = {"nvidia": "server-cuda", "amd": "server-rocm"}.get(profile.gpu, "server")
        out.append(Container(
            "llama-cpp", f"ghcr.io/ggml-org/llama.cpp:{tag}",
            ports=("127.0.0.1:8080:8080",), volumes=(f"{STATE_DIR}/models:/models",),
            cmd=("--model", "/models/model.gguf", "--host", "0.0.0.0", "--port", "8080"),
            health="curl -f http://localhost:8080/health", options=gpu,
        ))
    if stack.postgres != "none":
        image = ("docker.io/pgvector/pgvector:pg17" if stack.postgres == "pgvector"
                 else "docker.io/timescale/timescaledb:latest-pg17")
        out.append(Container(
            "postgres", image, ports=("127.0.0.1:5432:5432",),
            volumes=(f"{STATE_DIR}/postgres:/var/lib/postgresql/data",), secret_env=True,
            health="pg_isready -U postgres",
        ))
    if stack.redis:
        out.append(Container("redis", "docker.io/library/redis:7.4",
                             ports=("127.0.0.1:6379:6379",),
                             volumes=(f"{STATE_DIR}/redis:/data",), health="redis-cli ping"))
    if stack.qdrant:
        # The qdrant image has no curl or wget, but bash: probe the port with /dev/tcp.
        out.append(Container("qdrant", "docker.io/qdrant/qdrant:latest",
                             ports=("127.0.0.1:6333:6333", "127.0.0.1:6334:6334"),
                             volumes=(f"{STATE_DIR}/qdrant:/qdrant/storage",),
                             health="bash -c ':> /dev/tcp/127.0.0.1/6333'"))
    if stack.ollama:
        image = "docker.io/ollama/ollama:" + ("rocm" if profile.gpu == "amd" else "latest")
        out.append(Container("ollama", image, ports=("127.0.0.1:11434:11434",),
                             volumes=(f"{STATE_DIR}/ollama:/root/.ollama",),
                             health="ollama list", options=gpu))
    if stack.open_webui:
        # Host network so that it reaches Ollama on 127.0.0.1; it listens on 127.0.0.1 only.
        out.append(Container(
            "open-webui", "ghcr.io/open-webui/open-webui:main",
            volumes=(f"{STATE_DIR}/open-webui:/app/backend/data",),
            environment=(("HOST", "127.0.0.1"), ("PORT", "3000"),
                         ("OLLAMA_BASE_URL", "http://127.0.0.1:11434")),
            secret_env=True, health="curl -f http://127.0.0.1:3000/health",
            options=("--network=host",),
        ))
    return out


def _env_file(profile: Profile, name: str) -> NixValue:
    if profile.sops:
        return Raw("config." + attrpath(["sops", "secrets", f"ai-stack/{name}.env", "path"]))
    return f"{STATE_DIR}/secrets/{name}.env"


def _service(c: Container) -> Service:
    """The container spec of a stack container (`nqd.containers.spec`), so that the module
    comes from the same mapping as `nqd containers import`."""
    ports = []
    for published in c.ports:
        host_ip, host, container = published.rsplit(":", 2)
        ports.append(Port(container, host, host_ip))
    volumes = []
    for mount in c.volumes:
        source, target = mount.split(":", 1)
        volumes.append(Volume(VolumeKind.BIND, target, source))
    health = HealthCheck(c.health, interval="30s", timeout="5s", retries=5,
                         start_period="30s") if c.health else None
    return Service(name=c.name, image=c.image, source=Path("profile.toml"), ports=ports,
                   volumes=volumes, environment=dict(c.environment),
                   cmd=list(c.cmd) if c.cmd else None, extra_options=list(c.options),
                   healthcheck=health)


def _container(profile: Profile, c: Container) -> AttrSet:
    env_files = [_env_file(profile, c.name)] if c.secret_env else []
    options = ImportOptions(user=profile.user, uid=profile.uid,
                            data_root=PurePosixPath(STATE_DIR))
    return container_attrs(_service(c), options, env_files=env_files)


def _ai_stack(profile: Profile) -> NixModule:
    containers = stack_containers(profile)
    dirs = sorted({v.split(":", 1)[0] for c in containers for v in c.volumes})
    if any(c.secret_env for c in containers) and not profile.sops:
        dirs.append(f"{STATE_DIR}/secrets")
    # Data and secrets only for the containers' user, as `containers import` makes them
    # (group `users` holds every normal user on NixOS).
    rules = [f"d {STATE_DIR} 0750 {profile.user} users - -"] + [
        f"d {d} 0700 {profile.user} users - -" for d in dirs]
    entries: list[Entry] = [
        (opt("virtualisation.oci-containers.backend"), "podman"),
        (Comment("Rootless containers with sdnotify = \"healthy\" need lingering and a "
                 "static uid."), None),
        ((*opt("users.users"), profile.user, "linger"), True),
        ((*opt("users.users"), profile.user, "uid"), profile.uid),
        (opt("systemd.tmpfiles.rules"), rules),
    ]
    if profile.sops:
        secrets = [c.name for c in containers if c.secret_env]
        entries.append((opt("sops.secrets"), attrs(*(
            (f"ai-stack/{name}.env", attrs(("owner", profile.user))) for name in secrets))))
    entries.append((opt("virtualisation.oci-containers.containers"), attrs(*(
        (c.name, _container(profile, c)) for c in containers))))
    formals = ("config",) if profile.sops else ()
    return NixModule("modules/containers/ai-stack.nix",
                     "Local AI stack: rootless oci-containers, ports on 127.0.0.1 only.",
                     attrs(*entries), formals)


def contribute(profile: Profile) -> Contribution:
    if not profile.podman:
        return Contribution()
    modules = [_podman(profile)]
    if profile.ai_stack.enable:
        modules.append(_ai_stack(profile))
    return Contribution(nixos=tuple(modules), user_groups=("podman",))
