"""Image references and the database major version a tag implies."""

from __future__ import annotations

import pytest

from nqd.containers.images import Engine, ImageError, parse_image, stateful_image


@pytest.mark.parametrize(("ref", "registry", "repo", "tag", "digest"), [
    ("redis:7-alpine", None, "redis", "7-alpine", None),
    ("docker.io/library/postgres:16", None, "postgres", "16", None),
    ("ghcr.io/example/aidb-mcp:1.4.2", "ghcr.io", "example/aidb-mcp", "1.4.2", None),
    ("localhost:5000/db", "localhost:5000", "db", None, None),
    ("postgres@sha256:" + "a" * 64, None, "postgres", None, "sha256:" + "a" * 64),
    ("Timescale/TimescaleDB-HA:pg17", None, "timescale/timescaledb-ha", "pg17", None),
])
def test_parse_image(ref: str, registry: str | None, repo: str, tag: str | None,
                     digest: str | None) -> None:
    parsed = parse_image(ref)
    assert (parsed.registry, parsed.repository, parsed.tag, parsed.digest) == (
        registry, repo, tag, digest)


@pytest.mark.parametrize("ref", ["", "a b", "postgres:bad tag", "postgres@sha256:zz", "x//y"])
def test_bad_references_are_rejected(ref: str) -> None:
    with pytest.raises(ImageError):
        parse_image(ref)


@pytest.mark.parametrize(("ref", "engine", "major"), [
    ("timescale/timescaledb-ha:pg16", Engine.POSTGRESQL, "16"),
    ("timescale/timescaledb-ha:pg17.2-ts2.17.2-all", Engine.POSTGRESQL, "17"),
    ("timescale/timescaledb:2.14.2-pg15", Engine.POSTGRESQL, "15"),
    ("timescale/timescaledb:latest-pg16", Engine.POSTGRESQL, "16"),
    ("pgvector/pgvector:pg16", Engine.POSTGRESQL, "16"),
    ("pgvector/pgvector:0.7.0-pg17", Engine.POSTGRESQL, "17"),
    ("postgres:16.4-bookworm", Engine.POSTGRESQL, "16"),
    ("postgres:9.6", Engine.POSTGRESQL, "9.6"),
    ("postgis/postgis:16-3.4", Engine.POSTGRESQL, "16"),
    ("postgres:latest", Engine.POSTGRESQL, None),
    ("postgres", Engine.POSTGRESQL, None),
    ("mysql:8.0", Engine.MYSQL, "8.0"),
    ("mysql:8.4.2", Engine.MYSQL, "8.4"),
    ("mariadb:10.11", Engine.MARIADB, "10.11"),
    ("mariadb:11", Engine.MARIADB, "11"),
    ("redis:7-alpine", Engine.REDIS, "7"),
    ("redis:6.2", Engine.REDIS, "6"),
    ("valkey/valkey:8", Engine.REDIS, "8"),
])
def test_stateful_major(ref: str, engine: Engine, major: str | None) -> None:
    found = stateful_image(parse_image(ref))
    assert found is not None
    assert (found.engine, found.major) == (engine, major)


@pytest.mark.parametrize("ref", ["ghcr.io/lemonade-sdk/lemonade-server:latest", "nginx:1.27",
                                 "ghcr.io/example/aidb-mcp:1.4.2"])
def test_stateless_images(ref: str) -> None:
    assert stateful_image(parse_image(ref)) is None
