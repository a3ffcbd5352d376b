"""The runner: concurrent checks, per-check timeouts, no hang, crashes contained."""

from __future__ import annotations

import threading
import time

from nqd.runtime.health.checks import Check, Status, ok
from nqd.runtime.health.runner import run_checks


def _sleeper(seconds: float):
    def run():
        time.sleep(seconds)
        return ok(f"slept {seconds}")
    return run


def test_checks_run_concurrently():
    checks = [Check(f"s{i}", "t", _sleeper(0.6), 5) for i in range(8)]
    start = time.monotonic()
    results = run_checks(checks)
    elapsed = time.monotonic() - start
    assert [r.status for r in results] == [Status.OK] * 8
    assert elapsed < 1.5, elapsed  # serially this would take 4.8 s
    assert all(0.5 < r.duration < 1.5 for r in results)


def test_a_hanging_check_is_failed_at_its_timeout_and_never_blocks():
    forever = threading.Event()

    def hang():
        forever.wait()
        return ok("never")

    start = time.monotonic()
    results = run_checks([Check("hang", "t", hang, 0.3), Check("quick", "t", _sleeper(0), 5)])
    assert time.monotonic() - start < 1.5
    assert results[0].status == Status.FAIL and "timed out after 0.3s" in results[0].summary
    assert results[1].status == Status.OK
    forever.set()


def test_a_crashing_check_becomes_a_failure():
    def boom():
        raise ValueError("bad data")

    (result,) = run_checks([Check("boom", "t", boom, 1)])
    assert result.status == Status.FAIL and "ValueError: bad data" in result.summary
