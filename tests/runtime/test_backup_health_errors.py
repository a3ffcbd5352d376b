"""Bad input ends with one line on stderr and exit code 2 (or 1 for a failed check), never a
traceback: bad TOML, unknown keys, missing backups, unreadable archives and baselines."""

from __future__ import annotations

import json

import pytest

from nqd.config import load_config


def _one_line_error(proc, rc: int, *words: str) -> None:
    assert proc.returncode == rc, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_bad_toml(nqd_env):
    nqd_env.write_config("[backup\npaths = [")
    _one_line_error(nqd_env.run("backup", "list"), 2, "invalid TOML")
    _one_line_error(nqd_env.run("health"), 2, "invalid TOML")


@pytest.mark.parametrize(("text", "words"), [
    ("[backup]\npath = []\n", ("backup.path", "unknown key")),
    ("[backup]\ncompression = 'lz4'\n", ("backup.compression", "zstd, gzip")),
    ("[backup.postgresql]\nport = 'x'\n", ("backup.postgresql.port", "integer")),
    ("[[health.http]]\nurl = 'http://x'\n", ("health.http[0].name", "required")),
    ("[health]\ntimeout = -1\n", ("health.timeout", "positive")),
    ("[health]\ntimeout = inf\n", ("health.timeout", "positive")),  # QA pass: a traceback
    ("[health]\ntimeout = nan\n", ("health.timeout", "positive")),
])
def test_config_errors_name_the_key(nqd_env, text, words):
    nqd_env.write_config(text)
    _one_line_error(nqd_env.run("backup", "list"), 2, *words)


def test_config_defaults_and_fallbacks(nqd_env, tmp_path):
    cfg = load_config()
    assert cfg.backup.directory == nqd_env.backups
    assert cfg.backup.compression == "zstd"
    assert [h.url for h in cfg.health.http] == ["http://127.0.0.1:8000/health",
                                                "http://127.0.0.1:8091/health"]
    path = nqd_env.write_config('flake = "~/nix"\n[backup.postgresql]\nport = 5433\n'
                                'password_file = "pw"\n')
    cfg = load_config()
    assert cfg.flake_dir == nqd_env.home / "nix"
    assert cfg.health.postgresql is not None and cfg.health.postgresql.port == 5433
    assert cfg.backup.postgresql is not None
    assert cfg.backup.postgresql.conn.password_file == path.parent / "pw"


def test_missing_config_file_given_explicitly(nqd_env, tmp_path):
    _one_line_error(nqd_env.run("health", "--config", str(tmp_path / "nope.toml")), 2,
                    "does not exist")


def test_missing_backup_id(nqd_env):
    _one_line_error(nqd_env.run("backup", "verify", "20990101T000000Z"), 2, "no backup")
    _one_line_error(nqd_env.run("backup", "restore", "latest", "--to", "/tmp/x"), 2,
                    "no backups")


def test_unreadable_archive(nqd_env, tmp_path):
    proc = nqd_env.run("backup", "create", "--no-defaults", "--no-databases", "--path",
                       str(nqd_env.home), "--json")
    out = json.loads(proc.stdout)
    with open(out["archive"], "wb") as handle:
        handle.write(b"this is not zstd at all")
    verify = nqd_env.run("backup", "verify", out["id"])
    assert verify.returncode == 1 and "archive breaks" in verify.stdout
    assert "Traceback" not in verify.stderr
    _one_line_error(nqd_env.run("backup", "restore", out["id"], "--to", str(tmp_path / "o")),
                    2, "archive unreadable")
    (nqd_env.backups / out["id"] / "manifest.json").write_text("{not json")
    _one_line_error(nqd_env.run("backup", "verify", out["id"]), 2, "bad JSON")
    listing = nqd_env.run("backup", "list")
    assert listing.returncode == 0 and "broken" in listing.stdout


def test_bad_baseline_and_checks_file(nqd_env, tmp_path):
    nqd_env.write_config("[health]\ndefault_http = false\n[health.python]\nmodules = []\n")
    baseline = tmp_path / "b.json"
    baseline.write_text('{"format": "something-else"}')
    _one_line_error(nqd_env.run("health", "--compare", str(baseline)), 2, "not an nqd health")
    _one_line_error(nqd_env.run("health", "--compare", str(tmp_path / "none.json")), 2,
                    "cannot read health baseline")
    checks = tmp_path / "checks.toml"
    checks.write_text('[[tcp]]\nname = "x"\n')
    _one_line_error(nqd_env.run("health", "--checks", str(checks)), 2, "tcp[0].port",
                    "required")


def test_a_binary_config_file_is_one_line(nqd_env):
    nqd_env.write_config("")
    nqd_env.config_file.write_bytes(b"\x00\xd0\xff binary")
    _one_line_error(nqd_env.run("backup", "list"), 2, "not valid UTF-8")
    _one_line_error(nqd_env.run("health"), 2, "not valid UTF-8")


@pytest.mark.parametrize(("args", "words"), [
    (("--level", "99"), ("level 99", "zstd (1-22)")),
    (("--compression", "gzip", "--level", "10"), ("level 10", "gzip (0-9)")),
])
def test_a_compression_level_out_of_range_is_one_line(nqd_env, args, words):
    """zstd and zlib raised ValueError from deep in the backup (QA pass)."""
    _one_line_error(nqd_env.run("backup", "create", "--no-defaults", *args), 2, *words)


def test_a_timeout_that_is_no_number_of_seconds_is_a_usage_error(nqd_env):
    for value in ("inf", "nan", "0"):
        proc = nqd_env.run("health", "--timeout", value)
        assert proc.returncode == 2 and "positive number of seconds" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_usage_errors(nqd_env):
    proc = nqd_env.run("backup")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = nqd_env.run("backup", "prune")
    assert proc.returncode == 2 and "--keep" in proc.stderr


def test_query_checks_inherit_the_health_connection(nqd_env):
    nqd_env.write_config('[health.postgresql]\nport = 6543\nuser = "mcp"\ndbname = "mcp"\n'
                         'extensions = ["vector"]\n'
                         '[[health.query]]\nname = "docs"\nquery = "SELECT 1"\n'
                         '[[health.query]]\nname = "other"\nquery = "SELECT 1"\nport = 7000\n')
    cfg = load_config()
    first, second = cfg.health.checks.query
    assert (first.conn.port, first.conn.user, first.conn.dbname) == (6543, "mcp", "mcp")
    assert (second.conn.port, second.conn.user) == (7000, "mcp")
    assert cfg.health.pg_extensions == ("vector",)
    assert cfg.backup.postgresql is None  # health settings never turn on a dump


@pytest.mark.parametrize(("text", "expected"), [
    ("", ["volumes", "ai-optimizer"]),  # the defaults
    ('[backup]\ncontainer_data = ["/srv/data"]\n', ["data"]),
    ("[backup]\ncontainer_data = []\n", []),  # QA pass: the empty list kept the defaults
])
def test_container_data_replaces_the_default_list(nqd_env, text, expected):
    from nqd.runtime.backup.sources import default_sources

    nqd_env.write_config(text)
    config = load_config(nqd_env.config_file)
    chosen = default_sources(config.flake_dir, config.backup)
    assert [s.path.name for s in chosen if s.label == "container-data"] == expected
