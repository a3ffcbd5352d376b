"""`nqd health` end to end: config, --checks, --json, --save and --compare with exit codes."""

from __future__ import annotations

import json
import time

from runtime_servers import free_port


def _config(nqd_env, http_server, redis_port: int, extra: str = "") -> None:
    nqd_env.write_config(f"""
[health]
timeout = 3
default_http = false
[health.python]
modules = ["json"]
[health.redis]
port = {redis_port}
[[health.http]]
name = "inference"
url = "{http_server}/health"
[[health.tcp]]
name = "redis-port"
port = {redis_port}
{extra}""")


def test_json_report_is_versioned_and_complete(nqd_env, http_server, redis_volatile):
    _config(nqd_env, http_server, redis_volatile.port)
    proc = nqd_env.run("health", "--json")
    report = json.loads(proc.stdout)
    assert report["format"] == "nqd-health" and report["version"] == 1
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["http:inference"]["status"] == "ok"
    assert by_name["tcp:redis-port"]["status"] == "ok"
    assert by_name["redis"]["status"] == "warn"  # persistence off
    assert by_name["python:json"]["status"] == "ok"
    assert by_name["kernel"]["version"]
    assert set(report["summary"]) == {"ok", "warn", "fail", "skip"}
    assert proc.returncode == (1 if report["summary"]["fail"] else 0)
    assert proc.stderr == ""


def test_save_then_compare_reports_regressions_and_recoveries(nqd_env, http_server,
                                                              tmp_path):
    from runtime_servers import start_redis, stop_redis

    data = tmp_path / "redis"
    data.mkdir()
    server = start_redis(data, persistence=True, password=None)
    missing = tmp_path / "flag"
    checks = tmp_path / "checks.toml"
    checks.write_text(f'[[file]]\nname = "flag"\npath = "{missing}"\n')
    _config(nqd_env, http_server, server.port)
    baseline = tmp_path / "before.json"
    try:
        nqd_env.run("health", "--save", str(baseline), "--checks", str(checks))
        saved = json.loads(baseline.read_text())
        assert {c["name"]: c["status"] for c in saved["checks"]}["redis"] == "ok"
        same = nqd_env.run("health", "--compare", str(baseline), "--checks", str(checks))
        assert same.returncode == 0, same.stdout
        assert "no regressions" in same.stdout
    finally:
        stop_redis(server)  # the "upgrade" broke Redis ...
    missing.write_text("now here")  # ... and fixed the flag file
    after = nqd_env.run("health", "--compare", str(baseline), "--checks", str(checks), "--json")
    assert after.returncode == 1, after.stdout
    diff = json.loads(after.stdout)
    assert diff["format"] == "nqd-health-compare" and diff["regressed"] is True
    regressed = {r["name"] for r in diff["regressions"]}
    assert regressed == {"redis", "tcp:redis-port"}
    assert [r["name"] for r in diff["recovered"]] == ["file:flag"]
    text = nqd_env.run("health", "--compare", str(baseline), "--checks", str(checks))
    assert "regressed redis: ok -> fail" in text.stdout


def test_version_changes_are_reported(nqd_env, http_server, redis_volatile, tmp_path):
    _config(nqd_env, http_server, redis_volatile.port)
    baseline = tmp_path / "before.json"
    nqd_env.run("health", "--save", str(baseline))
    doc = json.loads(baseline.read_text())
    for check in doc["checks"]:
        if check["name"] == "kernel":
            check["version"] = "6.6.1-old"
    baseline.write_text(json.dumps(doc))
    proc = nqd_env.run("health", "--compare", str(baseline), "--json")
    changes = json.loads(proc.stdout)["version_changes"]
    assert [c["before"] for c in changes if c["name"] == "kernel"] == ["6.6.1-old"]
    assert proc.returncode == 0


def test_slow_and_down_endpoints_do_not_hang_the_run(nqd_env, http_server, redis_volatile):
    extra = "".join(f'[[health.http]]\nname = "slow{i}"\nurl = "{http_server}/slow"\n'
                    f'timeout = 1\n' for i in range(4))
    extra += f'[[health.http]]\nname = "down"\nurl = "http://127.0.0.1:{free_port()}/"\n'
    extra += '[[health.command]]\nname = "hang"\nargv = ["sleep", "60"]\ntimeout = 1\n'
    _config(nqd_env, http_server, redis_volatile.port, extra)
    start = time.monotonic()
    proc = nqd_env.run("health", "--json")
    elapsed = time.monotonic() - start
    report = json.loads(proc.stdout)
    by_name = {c["name"]: c for c in report["checks"]}
    assert all(by_name[f"http:slow{i}"]["status"] == "fail" for i in range(4))
    assert by_name["command:hang"]["status"] == "fail"
    assert by_name["http:down"]["status"] == "fail"
    assert proc.returncode == 1
    assert elapsed < 5, elapsed  # one slowest check (1 s), not the sum (6 s)
