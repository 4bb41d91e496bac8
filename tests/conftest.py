"""Test-session wide fixtures. Area-specific fixtures live in plugins under tests/."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["tests.pg"]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT
