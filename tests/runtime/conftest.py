"""Fixtures for backup and health tests; the servers themselves are in runtime_servers.py."""

from runtime_servers import (  # noqa: F401 - pytest finds fixtures by name
    http_server,
    nqd_env,
    postgres,
    redis_persistent,
    redis_volatile,
)
