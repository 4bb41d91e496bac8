"""The PostgreSQL test server plugin fails loudly, not silently, when the server is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ONE_PG_TEST = "tests/engine/store/test_documents.py::test_publishing_is_idempotent_but_a_version_never_changes"


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{ONE_PG_TEST}[postgresql]"],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )


def test_missing_server_binaries_fail_with_instructions() -> None:
    done = run({"CLINIFORM_PG_BIN": "/nonexistent", "CLINIFORM_SKIP_POSTGRES": ""})
    assert done.returncode == 1, done.stdout
    assert "PostgreSQL server binaries (initdb, pg_ctl) not found" in done.stdout
    assert "make system-deps" in done.stdout


def test_skipping_is_explicit() -> None:
    done = run({"CLINIFORM_PG_BIN": "/nonexistent", "CLINIFORM_SKIP_POSTGRES": "1"})
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout
