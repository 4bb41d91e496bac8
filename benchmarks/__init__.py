"""Reproducible benchmarks: `python -m benchmarks` runs every bench module and writes docs/PERFORMANCE.md."""
