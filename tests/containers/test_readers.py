"""Reader details: systemd unit syntax, `podman run` option forms, Compose ports,
interpolation and secret detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from nqd.containers.compose import parse_port
from nqd.containers.secrets import (
    InterpolationError,
    interpolate,
    protect_command,
    read_dotenv,
    secret_name,
    secret_value,
)
from nqd.containers.spec import Stack, VolumeKind
from nqd.containers.units import parse_unit, read_unit


def _unit(tmp_path: Path, name: str, text: str) -> Stack:
    path = tmp_path / name
    path.write_text(text)
    stack = Stack()
    read_unit(path, stack)
    return stack


def test_unit_continuations_comments_and_repeated_keys(tmp_path: Path) -> None:
    unit = parse_unit(tmp_path / "x.service", "[Unit]\nAfter=a.service\nAfter=b.service\n"
                      "# comment\n[Service]\nExecStart=/bin/podman run \\\n"
                      "  # inside a continuation\n  image:1\n")
    assert unit.values("Unit", "After") == ["a.service", "b.service"]
    assert unit.values("Service", "ExecStart") == ["/bin/podman run  image:1"]


def test_podman_run_option_forms(tmp_path: Path) -> None:
    stack = _unit(tmp_path, "podman-web.service", """
[Service]
Environment=TZ=UTC
ExecStart=-/usr/bin/podman --log-level=info run -dit --rm -p8080:80 --publish=127.0.0.1:8443:443 \\
    -e TZ -e "GREETING=hello world" --env-file /etc/web.env -v web-data:/data:Z \\
    -v /srv/static:/static:ro -l app=web --label=tier=front -u 101 -w /app \\
    --network=webnet --network-alias web.local --memory 512m --cap-add NET_ADMIN \\
    --entrypoint '["/bin/tini","--"]' --health-cmd '["CMD","curl","-f","http://x/"]' \\
    docker.io/library/nginx:1.27 nginx -g 'daemon off;'
""")
    svc = stack.services["web"]
    assert svc.image == "docker.io/library/nginx:1.27"
    assert [(p.host_ip, p.host, p.container) for p in svc.ports] == [
        (None, "8080", "80"), ("127.0.0.1", "8443", "443")]
    assert svc.environment == {"TZ": "UTC", "GREETING": "hello world"}
    assert svc.environment_files == ["/etc/web.env"]
    assert [(v.kind, v.source, v.target, v.options) for v in svc.volumes] == [
        (VolumeKind.NAMED, "web-data", "/data", ("Z",)),
        (VolumeKind.BIND, "/srv/static", "/static", ("ro",))]
    assert svc.labels == {"app": "web", "tier": "front"}
    assert (svc.user, svc.workdir) == ("101", "/app")
    assert svc.networks == {"webnet": ("web", "web.local")}
    assert svc.extra_options == ["--memory=512m", "--cap-add=NET_ADMIN"]
    assert svc.entrypoint == ["/bin/tini", "--"]
    assert svc.healthcheck is not None and svc.healthcheck.test == ("curl", "-f", "http://x/")
    assert svc.cmd == ["nginx", "-g", "daemon off;"]
    assert any("--rm" in n and "-d" in n for n in svc.notes)


def test_quadlet_network_unit_and_dependencies(tmp_path: Path) -> None:
    stack = _unit(tmp_path, "api.container", """
[Unit]
Requires=db.service
After=db.service network-online.target

[Container]
Image=ghcr.io/x/api:1
Network=backend.network
Exec=--port 9000
AddCapability=CHOWN SETUID
ReadOnly=true
""")
    svc = stack.services["api"]
    assert svc.depends_on == ["db"]
    assert svc.networks == {"systemd-backend": ("api",)}
    assert svc.cmd == ["--port", "9000"]
    assert svc.extra_options == ["--cap-add=CHOWN", "--cap-add=SETUID", "--read-only"]


def test_quadlet_volume_units_are_named_volumes(tmp_path: Path) -> None:
    """`Volume=data.volume:/var/lib/x` names Quadlet's volume unit (QA pass: it became a
    directory called `data.volume`)."""
    stack = _unit(tmp_path, "db.container", """
[Container]
Image=docker.io/library/postgres:16
Volume=data.volume:/var/lib/postgresql/data
Volume=/srv/dumps:/dumps:ro
""")
    volumes = stack.services["db"].volumes
    assert [(v.kind.value, v.source) for v in volumes] == [("named", "systemd-data"),
                                                           ("bind", "/srv/dumps")]
    assert stack.named_volumes == {"systemd-data"}


@pytest.mark.parametrize(("text", "ip", "host", "container", "proto"), [
    ("8000", None, None, "8000", "tcp"),
    ("8000:80", None, "8000", "80", "tcp"),
    ("127.0.0.1:8000:80", "127.0.0.1", "8000", "80", "tcp"),
    ("127.0.0.1::80", "127.0.0.1", None, "80", "tcp"),
    ("[::1]:53:53/udp", "::1", "53", "53", "udp"),
    ("9000-9002:9000-9002", None, "9000-9002", "9000-9002", "tcp"),
])
def test_ports(text: str, ip: str | None, host: str | None, container: str,
               proto: str) -> None:
    port = parse_port(text, "ports", Path("x"))
    assert (port.host_ip, port.host, port.container, port.protocol) == (
        ip, host, container, proto)


def test_interpolation() -> None:
    env = {"A": "1", "EMPTY": ""}
    assert interpolate("${A}-${B:-two}-${EMPTY:-dflt}-${EMPTY-kept}-$$A", env) == \
        "1-two-dflt--$A"
    assert interpolate("${A:+set}${B:+unset}", env) == "set"
    with pytest.raises(InterpolationError, match="required"):
        interpolate("${B:?needed}", env)
    with pytest.raises(InterpolationError, match="not set"):
        interpolate("$B", env)
    assert read_dotenv("# c\nexport A=1\nB='x y'\nC=v # note\n") == {
        "A": "1", "B": "x y", "C": "v"}


@pytest.mark.parametrize(("key", "value", "secret"), [
    ("POSTGRES_PASSWORD", "x", True), ("DB_PASS", "x", True), ("HF_TOKEN", "x", True),
    ("OPENAI_API_KEY", "x", True), ("AWS_SECRET_ACCESS_KEY", "x", True),
    ("POSTGRES_PASSWORD_FILE", "/run/secrets/pg", False), ("PASSAGE", "x", False),
    ("KEYBOARD", "x", False), ("PGDATA", "/var/lib", False), ("LOG_LEVEL", "info", False),
])
def test_secret_names(key: str, value: str, secret: bool) -> None:
    assert secret_name(key, value) is secret


def test_secret_values_and_command_lines() -> None:
    assert secret_value("postgresql://u:pw@h/db") and secret_value("host=h password=pw")
    assert not secret_value("redis://redis:6379/0")
    args, moved, unresolved = protect_command(
        ["srv", "--api-key=k1", "--requirepass", "p2", "--url", "http://u:p3@h/", "--n", "1"],
        {})
    assert moved == {"API_KEY": "k1", "REQUIREPASS": "p2", "URL": "http://u:p3@h/"}
    assert args[:2] == ["sh", "-c"] and not any(s in args[2] for s in ("k1", "p2", "p3"))
    assert '--api-key="$API_KEY"' in args[2] and '--requirepass "$REQUIREPASS"' in args[2]
    assert unresolved == []
    plain, moved, _ = protect_command(["redis-server", "--port", "${PORT:-6379}"], {})
    assert plain == ["redis-server", "--port", "6379"] and moved == {}


def test_unit_specifiers(tmp_path: Path) -> None:
    stack = _unit(tmp_path, "podman-cache.service", "[Service]\nExecStart=/usr/bin/podman run "
                  "--name %N -l unit=%n -v %h/data:/data -e PCT=100%% redis:7\n")
    svc = stack.services["podman-cache"]
    assert svc.labels == {"unit": "podman-cache.service"}
    assert svc.environment == {"PCT": "100%"}
    assert [u.where.rsplit(" ", 1)[-1] for u in stack.unsupported] == ["%h"]
    assert [(v.kind, v.source) for v in svc.volumes] == [(VolumeKind.BIND, "%h/data")]
