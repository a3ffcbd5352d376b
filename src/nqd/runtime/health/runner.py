"""Run checks concurrently, each bounded by its timeout: total time is the slowest check.

Every check runs on its own daemon thread. A check that overruns its timeout (plus a short
grace for the check's own timeout handling) is reported as failed and abandoned; as a
daemon thread it can never keep the process alive, so `nqd health` never hangs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from nqd.runtime.health.checks import Check, CheckResult, Outcome, Status

GRACE = 0.5


def run_checks(checks: Sequence[Check]) -> list[CheckResult]:
    slots: list[CheckResult | None] = [None] * len(checks)
    done = [threading.Event() for _ in checks]
    starts = [0.0] * len(checks)

    def work(index: int, check: Check) -> None:
        start = time.monotonic()
        starts[index] = start
        try:
            outcome = check.run()
        except Exception as exc:  # a broken check must not break the report
            outcome = Outcome(Status.FAIL, f"check crashed: {type(exc).__name__}: {exc}")
        slots[index] = CheckResult(check.name, check.category, outcome.status, outcome.summary,
                                   round(time.monotonic() - start, 3), outcome.details,
                                   outcome.version)
        done[index].set()

    begin = time.monotonic()
    for index, check in enumerate(checks):
        threading.Thread(target=work, args=(index, check), name=f"check-{check.name}",
                         daemon=True).start()
    results = []
    for index, check in enumerate(checks):
        deadline = begin + check.timeout + GRACE
        done[index].wait(max(0.0, deadline - time.monotonic()))
        result = slots[index]
        if result is None:
            result = CheckResult(check.name, check.category, Status.FAIL,
                                 f"timed out after {check.timeout:g}s",
                                 round(time.monotonic() - begin, 3))
        results.append(result)
    return results
