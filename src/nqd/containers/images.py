"""Image references: registry/repository/tag/digest, and which stateful engine and major
version an image runs (PostgreSQL and its TimescaleDB/pgvector/PostGIS builds, MySQL,
MariaDB, Redis/Valkey)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference. `repository` excludes the registry (`timescale/timescaledb-ha`);
    Docker Hub's `library/` prefix is dropped (`postgres`)."""

    registry: str | None
    repository: str
    tag: str | None
    digest: str | None

    @property
    def unpinned(self) -> bool:
        """No digest and no tag, or the tag `latest`: what runs changes with every pull."""
        return self.digest is None and (self.tag is None or self.tag == "latest")

    @property
    def name(self) -> str:
        """The repository's last path part (`timescaledb-ha`)."""
        return self.repository.rsplit("/", 1)[-1]


class ImageError(ValueError):
    """Not an image reference."""


def parse_image(ref: str) -> ImageRef:
    """Parse `[registry/]repo[:tag][@digest]` as docker/podman do."""
    text = ref.strip()
    if not text or any(c.isspace() for c in text):
        raise ImageError(f"not an image reference: {ref!r}")
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST.match(digest):
            raise ImageError(f"bad digest in image reference {ref!r}")
    tag = None
    last = text.rsplit("/", 1)[-1]
    if ":" in last:
        text, tag = text.rsplit(":", 1)
        if not _TAG.match(tag):
            raise ImageError(f"bad tag in image reference {ref!r}")
    parts = text.split("/")
    registry = None
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts[0]
        parts = parts[1:]
    if not parts or not all(parts):
        raise ImageError(f"not an image reference: {ref!r}")
    if registry in (None, "docker.io", "index.docker.io") and len(parts) == 2 \
            and parts[0] == "library":
        parts = parts[1:]
    if registry in ("docker.io", "index.docker.io"):
        registry = None
    return ImageRef(registry, "/".join(parts).lower(), tag, digest)


class Engine(StrEnum):
    POSTGRESQL = "PostgreSQL"
    MYSQL = "MySQL"
    MARIADB = "MariaDB"
    REDIS = "Redis"


@dataclass(frozen=True)
class StatefulImage:
    """An image whose on-disk format is tied to its major version.

    `major` is None when the tag does not say (e.g. `latest`, or a digest only).
    """

    engine: Engine
    major: str | None
    flavour: str  # "postgres", "timescaledb-ha", "pgvector", ...


# repository name (last path part) -> engine and how to read the major from the tag
_PG_PLAIN = ("postgres", "postgresql", "postgis")  # tags like "16", "16.2-alpine", "16-3.4"
_PG_PREFIXED = ("timescaledb-ha", "timescaledb", "pgvector", "timescaledb-postgis")  # "pg17"
_MYSQL = ("mysql", "mysql-server", "percona-server")
_MARIADB = ("mariadb",)
_REDIS = ("redis", "redis-stack-server", "redis-stack", "valkey")

_PG_TAG = re.compile(r"(?:^|[-_])pg(\d+)(?:\.\d+)*(?=$|[-_.])")
_LEADING_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?")


def stateful_image(ref: ImageRef) -> StatefulImage | None:
    """The database engine and major version an image runs, or None for other images."""
    name = ref.name
    tag = ref.tag if ref.tag and ref.tag != "latest" else None
    if name in _PG_PREFIXED or ("timescale" in ref.repository and name.startswith("timescale")):
        return StatefulImage(Engine.POSTGRESQL, _pg_prefixed_major(tag), name)
    if name in _PG_PLAIN:
        return StatefulImage(Engine.POSTGRESQL, _postgres_major(tag), name)
    if name in _MYSQL:
        return StatefulImage(Engine.MYSQL, _series(tag), name)
    if name in _MARIADB:
        return StatefulImage(Engine.MARIADB, _series(tag), name)
    if name in _REDIS:
        return StatefulImage(Engine.REDIS, _major(tag), name)
    return None


def _pg_prefixed_major(tag: str | None) -> str | None:
    if tag is None:
        return None
    match = _PG_TAG.search(tag)
    return match.group(1) if match else None


def _postgres_major(tag: str | None) -> str | None:
    """PostgreSQL 10+ majors are one number; 9.x majors are two (`9.6`)."""
    if tag is None:
        return None
    match = _LEADING_VERSION.match(tag)
    if not match:
        return None
    major = match.group(1)
    if int(major) < 10 and match.group(2) is not None:
        return f"{major}.{match.group(2)}"
    return major


def _series(tag: str | None) -> str | None:
    """MySQL/MariaDB release series (`8.0`, `8.4`, `10.11`, `11.4`): each is an upgrade step
    that rewrites the data dictionary or system tables. A bare major (`8`) stays `8`."""
    if tag is None:
        return None
    match = _LEADING_VERSION.match(tag)
    if not match:
        return None
    return match.group(1) + (f".{match.group(2)}" if match.group(2) is not None else "")


def _major(tag: str | None) -> str | None:
    if tag is None:
        return None
    match = _LEADING_VERSION.match(tag)
    return match.group(1) if match else None


def why_major_matters(engine: Engine) -> str:
    """One sentence on what a major change does to the data, per engine."""
    return {
        Engine.POSTGRESQL: "a PostgreSQL server cannot open a data directory made by another "
        "major version: dump and restore (`nqd containers migrate-db`) or pg_upgrade first",
        Engine.MYSQL: "MySQL upgrades its data dictionary in place on first start and cannot "
        "go back; skipping a series is unsupported: back up with mysqldump first",
        Engine.MARIADB: "MariaDB upgrades its system tables on first start (mariadb-upgrade) "
        "and cannot go back: back up with mariadb-dump first",
        Engine.REDIS: "a Redis major changes the RDB version (and 7.0 the AOF layout into "
        "appendonlydir/): older servers cannot load newer files: copy the RDB/AOF first",
    }[engine]


def series_key(engine: Engine, major: str) -> tuple[int, ...]:
    """A sortable key for a major/series string."""
    return tuple(int(p) for p in major.split(".") if p.isdigit())
