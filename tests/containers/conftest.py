"""Fixtures for the containers tests: two real PostgreSQL clusters (session-scoped)."""

from __future__ import annotations

from collections.abc import Iterator

import pg_fixture
import pytest


def _cluster(name: str) -> Iterator[pg_fixture.PgCluster]:
    if pg_fixture.pg_bin_dir() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    cluster = pg_fixture.start_cluster(name)
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def pg_old() -> Iterator[pg_fixture.PgCluster]:
    """The server being migrated away from (stands in for the old major version)."""
    yield from _cluster("old")


@pytest.fixture(scope="session")
def pg_new() -> Iterator[pg_fixture.PgCluster]:
    """A fresh, empty server to migrate into."""
    yield from _cluster("new")


@pytest.fixture()
def pg_scratch() -> Iterator[pg_fixture.PgCluster]:
    """A throw-away empty server (for tests that break it)."""
    yield from _cluster("scratch")
