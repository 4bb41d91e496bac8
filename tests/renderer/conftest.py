"""Fixtures for the renderer tests: a catalog with the core pack and the widget test form,
and an app built from test settings (nothing read from the environment)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from engine.catalog import Catalog
from engine.packs import load
from renderer.web.app import create_app
from renderer.web.settings import WebSettings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    result = load([ROOT / "form_definitions"], extra_files=[HERE / "forms" / "widgets.yaml"])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    return result.catalog


@pytest.fixture(scope="session")
def settings() -> WebSettings:
    return WebSettings(log_level="WARNING", locale_dir=ROOT / "locale")


@pytest.fixture(scope="session")
def app(settings: WebSettings, catalog: Catalog) -> Litestar:
    return create_app(settings, catalog=catalog)


@pytest.fixture()
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app, base_url="http://testserver.local") as client:
        yield client
