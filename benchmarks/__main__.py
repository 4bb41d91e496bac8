"""Run the benchmarks and write docs/PERFORMANCE.md.

    python -m benchmarks                 # every benchmarks/bench_*.py module
    python -m benchmarks definitions     # only bench_definitions (other sections are kept)
    python -m benchmarks --no-write      # print, do not touch docs/PERFORMANCE.md

The page starts with the machine the numbers were measured on. Each benchmark's section
sits between markers, so running a subset replaces only those sections.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks import render

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "PERFORMANCE.md"
PACKAGE = Path(__file__).resolve().parent

INTRO = """\
# Performance

<!-- Written by `python -m benchmarks` (make bench); do not edit by hand. -->

Benchmarks are reproducible measurements, not tests: `make bench` (or
`.venv/bin/python -m benchmarks [name...]`) runs the modules in `benchmarks/` and rewrites
this page. Times are wall-clock on the machine below, in one process, after a warm-up.
A target that is missed is marked **NO** and explained under its table.
"""


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in PACKAGE.glob("bench_*.py"))


def machine() -> str:
    """The machine, as a markdown list: CPU model, cores, RAM, OS, Python, date."""
    cpu = platform.processor() or platform.machine()
    try:
        info = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", info, flags=re.MULTILINE)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    ram = "unknown"
    try:
        found = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), flags=re.MULTILINE)
        ram = f"{int(found.group(1)) / 1024 / 1024:.1f} GiB" if found else ram
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    libyaml = "with libyaml" if _has_libyaml() else "pure Python"
    return "\n".join([
        f"- CPU: {cpu}",
        f"- cores: {os.cpu_count()} logical ({usable} usable by this process)",
        f"- RAM: {ram}",
        f"- OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"- Python: {platform.python_implementation()} {platform.python_version()}; PyYAML {_version('yaml')} ({libyaml}); simpleeval {_version('simpleeval')}",
        f"- measured: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}; load average {_load()} when the run started (other processes share the cores; a busy machine adds time, mostly to p95/p99)",
    ])


def speed_check() -> float:
    """A fixed pure-Python loop (5,000,000 multiply-adds), best of 3, in ms: the same work on
    every run, so runs on different days (or a slowed virtual machine) can be compared."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i * i
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def cpu_times() -> tuple[int, int] | None:
    """(all, stolen) CPU time in jiffies from /proc/stat: the time the hypervisor gave other
    guests while this machine wanted to run (Linux virtual machines)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def conditions(speed_before: float, speed_after: float, before: tuple[int, int] | None, after: tuple[int, int] | None) -> str:
    """The machine's speed and the CPU time stolen from it during the run, as list items."""
    lines = [f"- CPU speed check (benchmarks/__main__.py speed_check, the same fixed pure-Python loop every run; "
             f"lower is faster): {speed_before:.0f} ms before the run, {speed_after:.0f} ms after it"]
    if before is not None and after is not None and after[0] > before[0]:
        stolen = 100 * (after[1] - before[1]) / (after[0] - before[0])
        lines.append(f"- CPU time stolen by the hypervisor during the run: {stolen:.1f}% (from /proc/stat)")
    return "\n".join(lines)


def _load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1/5/15 min)"
    except OSError:
        return "unknown"


def _version(module: str) -> str:
    try:
        from importlib.metadata import version

        return version({"yaml": "PyYAML"}.get(module, module))
    except Exception:
        return "?"


def _has_libyaml() -> bool:
    import yaml

    return bool(getattr(yaml, "__with_libyaml__", False))


def section(name: str, body: str) -> str:
    return f"<!-- bench:{name} -->\n{body.rstrip()}\n<!-- /bench:{name} -->"


def run_one(name: str) -> tuple[str, float]:
    """The markdown section of one benchmark module, and how long it took."""
    start = time.perf_counter()
    try:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        outcome: dict[str, Any] = module.run()
        body = f"## {outcome.get('title', name)}\n\n{render(outcome)}"
    except Exception:
        body = f"## {name}\n\nThe benchmark failed:\n\n```text\n{traceback.format_exc()}```\n"
    elapsed = time.perf_counter() - start
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return body + f"\n*(`benchmarks/bench_{name}.py`, ran {elapsed:.0f} s, {when})*\n", elapsed


def existing_sections(text: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r"<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->", text, flags=re.DOTALL)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Run the benchmarks and write docs/PERFORMANCE.md.")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all of {', '.join(available())})")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args(argv)
    names = args.names or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}", file=sys.stderr)
        return 2
    about = machine()  # before running: the load average is the one the benchmarks met
    speed_before, times_before = speed_check(), cpu_times()
    sections = dict(existing_sections(DOC.read_text("utf-8")) if DOC.exists() and not args.no_write else {})
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        body, elapsed = run_one(name)
        print(body)
        print(f"... {name} took {elapsed:.1f} s", file=sys.stderr)
        sections[name] = section(name, body)
    about += "\n" + conditions(speed_before, speed_check(), times_before, cpu_times())
    print(about, file=sys.stderr)
    if args.no_write:
        return 0
    ordered = [sections[n] for n in available() if n in sections]
    text = INTRO + "\n## Machine\n\n" + about + "\n\n" + "\n\n".join(ordered) + "\n"
    DOC.write_text(text, "utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
