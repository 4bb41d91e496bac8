"""Reproducible benchmarks: `python -m benchmarks [name...]` runs the bench modules and
writes docs/PERFORMANCE.md. They are measurements, not tests: nothing here asserts.

Each `benchmarks/bench_<name>.py` module has a ``run() -> dict`` returning a *result*:

- ``title``: the section heading;
- either ``rows``: a list of ``(measurement, value, target, met)`` tuples, where ``value``
  and ``target`` are display text and ``met`` is True, False or None (no target) — the
  table is drawn by `render`;
- or ``markdown`` (``table`` is accepted as a synonym): the section body, ready to print;
- optionally ``notes`` (markdown shown under the table) and ``metrics`` (raw numbers, for
  tools; not printed).

The helpers below (`timed`, `percentile`, `result`) keep the modules short and alike.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from typing import Any

Row = tuple[str, str, str, bool | None]


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1) of ``samples``, nearest-rank."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def timed(fn: Callable[[], object], repeat: int, warmup: int = 50) -> list[float]:
    """Wall time of each of ``repeat`` calls of ``fn``, in milliseconds (after a warm-up).

    The garbage collector is paused around each call, as `timeit` does, and collected
    between calls, so a p99 shows the code's own spread rather than collector pauses.
    """
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    enabled = gc.isenabled()
    try:
        for _ in range(repeat):
            gc.collect(0)
            gc.disable()
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
            if enabled:
                gc.enable()
    finally:
        if enabled:
            gc.enable()
    return samples


def per_call(fn: Callable[[], object], calls: int) -> float:
    """Mean time of one call of a very fast ``fn``, in microseconds (best of 5 batches)."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / calls * 1e6


def result(title: str, rows: list[Row], notes: str = "", metrics: dict[str, float] | None = None) -> dict[str, Any]:
    return {"title": title, "rows": rows, "notes": notes, "metrics": metrics or {}}


def met_text(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "**NO**")


def render(outcome: dict[str, Any]) -> str:
    """The markdown body of one benchmark result (either shape)."""
    body = outcome.get("markdown") or outcome.get("table")
    if not body:
        lines = ["| measurement | result | target | met |", "|---|---:|---|---|"]
        for name, value, target, met in outcome.get("rows", []):
            lines.append(f"| {name} | {value} | {target} | {met_text(met)} |")
        body = "\n".join(lines)
    notes = outcome.get("notes") or ""
    return body.rstrip() + ("\n\n" + notes.strip() if notes.strip() else "") + "\n"
