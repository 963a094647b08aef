"""The goals of issue 16, judged on the benchmark's measurements, and the table that shows them.

Pure functions of the numbers (no server, no database), so tests/test_bench_harness.py can check
on canned measurements that a missed goal makes the benchmark fail.

Goals, at the largest size measured (100,000 reports) against the smallest (1,000):
- every public page, cold, drawn and cached: p95 ≤ 150 ms ("cold": a visitor without a copy, which
  the server may answer from the page it kept, kzcn.page_cache; "drawn": a visitor with an outdated
  copy, for whom the view runs; "cached": a visitor with a current copy, answered 304);
- every public page, cold and drawn (any filter or search word, drawn for the first time): median
  growth ≤ 1.3× from the smallest size to the largest;
- the map's data: under 200 KB for the view measured;
- a page served from the HTTP cache (a conditional request answered 304) costs about as much as a
  static file: its median at most ABOUT_STATIC × the static file's; a public page without validators,
  or whose validators are not honoured, cannot be cached and misses the goal;
- `/reports/` serves at least 165 requests a second (3× the 55 measured before issue 16);
- every response is the expected one (200 cold, 304 cached): a fast error page proves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.wrk import Measurement

P95_LIMIT_MS = 150.0
GROWTH_LIMIT = 1.3
MAP_DATA_LIMIT_BYTES = 200 * 1000
ABOUT_STATIC = 2.0  # "about as much as a static file": within twice its median
LIST_THROUGHPUT_MIN = 165.0
# Labels with a role in the goals.
BASELINE = "baseline (template + session + 1 query)"
STATIC_FILE = "static file (CSS)"
LIST_PAGE = "/reports/"


@dataclass
class PageResult:
    """One page's measurements, by number of reports."""

    label: str
    cold: dict[int, Measurement] = field(default_factory=dict)
    cached: dict[int, Measurement] = field(default_factory=dict)
    drawn: dict[int, Measurement] = field(default_factory=dict)  # the view runs (no kept copy answers)
    bytes: dict[int, int] = field(default_factory=dict)
    cacheable: bool = True  # a public page anyone may share: must answer conditional requests
    map_data: bool = False
    problems: list[str] = field(default_factory=list)  # e.g. "no ETag or Last-Modified at 100,000"
    # The validators of the first answer, by size, for the conditional requests ({}: none; None: the
    # page did not answer 200, so it is not loaded).
    validators: dict[int, dict[str, str] | None] = field(default_factory=dict)

    @property
    def is_page(self) -> bool:
        """A public page held to the goals (not one of the two yardsticks)."""
        return self.label not in (BASELINE, STATIC_FILE)


@dataclass(frozen=True)
class Verdict:
    goal: str
    passed: bool | None  # None: not measured in this run
    detail: str

    @property
    def word(self) -> str:
        return {True: "PASS", False: "FAIL", None: "NOT MEASURED"}[self.passed]


def growth(result: PageResult, small: int, large: int, runs: dict[int, Measurement] | None = None) -> float | None:
    """How much the median grew from `small` to `large` reports, in `runs` (the page as a visitor
    without a copy gets it, by default)."""
    runs = result.cold if runs is None else runs
    if small == large or small not in runs or large not in runs:
        return None
    before = runs[small].p50_ms
    return runs[large].p50_ms / before if before else None


def _p95_verdict(results: list[PageResult], large: int) -> Verdict:
    slow = []
    for result in results:
        for kind, runs in (("", result.cold), (" (drawn)", result.drawn), (" (cached)", result.cached)):
            if result.is_page and large in runs and runs[large].p95_ms > P95_LIMIT_MS:
                slow.append(f"{result.label}{kind} {runs[large].p95_ms:.0f} ms")
    detail = "; ".join(slow) if slow else f"every page ≤ {P95_LIMIT_MS:.0f} ms"
    return Verdict(f"p95 ≤ {P95_LIMIT_MS:.0f} ms at {large:,} reports", not slow, detail)


def _growth_verdict(results: list[PageResult], small: int, large: int) -> Verdict:
    goal = f"growth ≤ {GROWTH_LIMIT}× from {small:,} to {large:,} reports (median)"
    if small == large:
        return Verdict(goal, None, "one size only")
    grown = [
        f"{r.label}{kind} {g:.2f}×"
        for r in results
        if r.is_page
        for kind, runs in (("", r.cold), (" (drawn)", r.drawn))
        if (g := growth(r, small, large, runs)) is not None and g > GROWTH_LIMIT
    ]
    return Verdict(goal, not grown, "; ".join(grown) if grown else "every page within")


def _map_verdict(results: list[PageResult], large: int) -> Verdict:
    goal = f"map data < {MAP_DATA_LIMIT_BYTES // 1000} KB at {large:,} reports"
    sizes = [(r.label, r.bytes[large]) for r in results if r.map_data and large in r.bytes]
    if not sizes:
        return Verdict(goal, False, "the map page names no data address the benchmark could fetch")
    big = [f"{label} {size / 1000:,.0f} KB" for label, size in sizes if size >= MAP_DATA_LIMIT_BYTES]
    shown = ", ".join(f"{label} {size / 1000:,.1f} KB" for label, size in sizes)
    return Verdict(goal, not big, "; ".join(big) if big else shown)


def _cached_verdict(results: list[PageResult], large: int) -> Verdict:
    goal = f"cached page (304) ≤ {ABOUT_STATIC:g}× a static file (median)"
    static = next((r.cold.get(large) for r in results if r.label == STATIC_FILE), None)
    if static is None:
        return Verdict(goal, None, "static file not measured")
    misses = []
    for result in (r for r in results if r.is_page and r.cacheable):
        cached = result.cached.get(large)
        if cached is None:
            misses.append(f"{result.label}: cannot be cached")
        elif cached.p50_ms > ABOUT_STATIC * static.p50_ms:
            misses.append(f"{result.label} {cached.p50_ms / static.p50_ms:.1f}×")
    detail = "; ".join(misses) if misses else f"every cacheable page (static file {static.p50_ms:.1f} ms)"
    return Verdict(goal, not misses, detail)


def _throughput_verdict(results: list[PageResult], large: int) -> Verdict:
    goal = f"{LIST_PAGE} ≥ {LIST_THROUGHPUT_MIN:.0f} req/s at {large:,} reports"
    page = next((r for r in results if r.label == LIST_PAGE), None)
    if page is None or large not in page.cold:
        return Verdict(goal, None, "not measured")
    rate = page.cold[large].per_second
    return Verdict(goal, rate >= LIST_THROUGHPUT_MIN, f"{rate:.0f} req/s")


def _answers_verdict(results: list[PageResult]) -> Verdict:
    wrong = [f"{r.label}: {problem}" for r in results for problem in r.problems]
    return Verdict("every answer as expected (200, cached 304)", not wrong, "; ".join(wrong) or "all")


def evaluate(results: list[PageResult], sizes: list[int]) -> list[Verdict]:
    small, large = min(sizes), max(sizes)
    return [
        _p95_verdict(results, large),
        _growth_verdict(results, small, large),
        _map_verdict(results, large),
        _cached_verdict(results, large),
        _throughput_verdict(results, large),
        _answers_verdict(results),
    ]


def exit_status(verdicts: list[Verdict]) -> int:
    """1 when any goal measured in this run is missed, else 0."""
    return 1 if any(v.passed is False for v in verdicts) else 0


# The table ---------------------------------------------------------------------------------------


def _latency(runs: dict[int, Measurement], size: int) -> str:
    run = runs.get(size)
    return f"{run.p50_ms:.1f} / {run.p95_ms:.1f}" if run else "—"


def _row(label: str, runs: dict[int, Measurement], result: PageResult, sizes: list[int], base: dict) -> list[str]:
    small, large = min(sizes), max(sizes)
    grown = growth(PageResult(label, cold=runs), small, large)
    large_run, base_run = runs.get(large), base.get(large)
    ratio = f"{large_run.p50_ms / base_run.p50_ms:.1f}×" if large_run and base_run and base_run.p50_ms else "—"
    size = result.bytes.get(large)
    return [
        label,
        *(_latency(runs, s) for s in sizes),
        f"{grown:.2f}×" if grown else "—",
        ratio,
        f"{large_run.per_second:.0f}" if large_run else "—",
        f"{size:,}" if size is not None and runs is result.cold else "",
    ]


def table(results: list[PageResult], sizes: list[int]) -> str:
    """Page, p50/p95 per size, growth, × baseline (at the largest size), req/s, bytes."""
    sizes = sorted(sizes)
    base = next((r.cold for r in results if r.label == BASELINE), {})
    header = ["page", *(f"p50 / p95 ms @{s:,}" for s in sizes), "growth", "× baseline", "req/s", "bytes"]
    rows = []
    for result in results:
        rows.append(_row(result.label, result.cold, result, sizes, base))
        if result.drawn:
            rows.append(_row("  ↳ drawn (view runs)", result.drawn, result, sizes, base))
        if result.cached:
            rows.append(_row("  ↳ cached (304)", result.cached, result, sizes, base))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def verdict_lines(verdicts: list[Verdict]) -> str:
    return "\n".join(f"{v.word:<12} {v.goal}: {v.detail}" for v in verdicts)
