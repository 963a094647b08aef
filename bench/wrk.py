"""The load tool of the benchmark: Debian's `wrk`, driven by bench/wrk_report.lua.

wrk keeps a fixed number of connections busy for a fixed time and records every response's latency
(it does not slow down when the server does, so the numbers are what visitors feel). Its Lua `done()`
prints one line, ``BENCH-RESULT {json}``, with p50/p95/p99 and the count of each status, which
`parse()` reads.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk_report.lua")
MARK = "BENCH-RESULT "
# Each drawn run's queries carry its own number (with the process's), so that a later run of the same
# page never repeats an earlier run's query, which the server would answer from the page it kept.
RUN_NUMBERS = itertools.count(1)


@dataclass(frozen=True)
class Measurement:
    """What one wrk run saw. Latencies in milliseconds; `statuses` counts responses by status code."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int] = field(default_factory=dict)
    socket_errors: int = 0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def unexpected(self, expected: str) -> dict[str, int]:
        """Responses with another status than `expected` ("200" or "304"), and socket errors/timeouts."""
        wrong = {status: n for status, n in self.statuses.items() if status != expected}
        if self.socket_errors:
            wrong["socket errors or timeouts"] = self.socket_errors
        if not self.requests:
            wrong["no response within the run"] = 1
        return wrong


def combined(runs: list[Measurement]) -> Measurement:
    """Several runs of one page as one measurement: requests, time and statuses added up, and each
    percentile the runs' own, averaged with their requests as weights (an estimate: wrk reports
    percentiles, not every latency); the maximum is the largest."""
    if len(runs) == 1:
        return runs[0]
    requests = sum(run.requests for run in runs)

    def weighted(name: str) -> float:
        if not requests:
            return max(getattr(run, name) for run in runs)
        return sum(getattr(run, name) * run.requests for run in runs) / requests

    statuses: dict[str, int] = {}
    for run in runs:
        for status, count in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Measurement(
        requests=requests,
        seconds=sum(run.seconds for run in runs),
        p50_ms=weighted("p50_ms"),
        p95_ms=weighted("p95_ms"),
        p99_ms=weighted("p99_ms"),
        max_ms=max(run.max_ms for run in runs),
        statuses=statuses,
        socket_errors=sum(run.socket_errors for run in runs),
    )


def parse(output: str) -> Measurement:
    """The measurement in wrk's output (the line printed by wrk_report.lua's done())."""
    for line in output.splitlines():
        if line.startswith(MARK):
            data = json.loads(line[len(MARK) :])
            break
    else:
        raise ValueError(f"no {MARK.strip()} line in wrk's output:\n{output[-2000:]}")
    errors = data["errors"]
    return Measurement(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        statuses=data["statuses"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
    )


def command(
    url: str, *, connections: int, seconds: int, headers: dict[str, str], fresh_query: bool = False
) -> list[str]:
    """The wrk command line: one thread per two connections, a timeout long enough for any page.

    `fresh_query`: each request adds a parameter no page reads (`drawn=<run>-<thread>-<n>`), so no
    kept copy (kzcn.page_cache) answers it and the view runs every time."""
    threads = max(1, min(connections, 2))
    fresh = [f"fresh-query={os.getpid()}.{next(RUN_NUMBERS)}"] if fresh_query else []
    script_args = [f"{name}: {value}" for name, value in headers.items()] + fresh
    return [
        wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "60s",
        "-s", str(SCRIPT), url, "--", *script_args,
    ]  # fmt: skip


def wrk_path() -> str:
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk)")
    return path


def run(url: str, *, connections: int, seconds: int, headers: dict[str, str], fresh_query: bool = False) -> Measurement:
    """Load `url` with `connections` clients for `seconds`, sending `headers` with every request."""
    result = subprocess.run(  # noqa: S603 (wrk with our own arguments, against our own server)
        command(url, connections=connections, seconds=seconds, headers=headers, fresh_query=fresh_query),
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed on {url}:\n{result.stdout[-1000:]}{result.stderr[-1000:]}")
    return parse(result.stdout)
