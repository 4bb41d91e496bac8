"""Fixtures for the PDF tests: every installed pack, a migrated SQLite store with the PDF demo
clinic (renderer.pdf.demo), a PdfService rendering in this process, and rendered PDFs
memoised per (what, languages, layout) so each is laid out once per session."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("weasyprint")
pytest.importorskip("pypdf")
if shutil.which("pdftotext") is None or shutil.which("pdffonts") is None:
    pytest.skip("poppler-utils (pdftotext, pdffonts, pdftoppm) is not installed; run make system-deps",
                allow_module_level=True)

from engine.catalog import Catalog
from engine.packs import default_pack_roots, load
from engine.store import Database, Store, upgrade
from renderer.pdf.demo import Demo, seed
from renderer.pdf.service import PdfFile, PdfService
from renderer.pdf.settings import PdfSettings

ROOT = Path(__file__).resolve().parents[3]
#: the print clock: every stamp in these tests reads 3 May 2025, 09:41 UTC
PRINTED_AT = dt.datetime(2025, 5, 3, 9, 41, 27, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def all_packs() -> Catalog:
    result = load(default_pack_roots(ROOT))
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    return result.catalog


@pytest.fixture(scope="session")
def pdf_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    db = Database.from_url(f"sqlite:///{tmp_path_factory.mktemp('pdf-db') / 'pdf.db'}")
    upgrade(db)
    return Store(db)


@pytest.fixture(scope="session")
def demo(pdf_store: Store, all_packs: Catalog) -> Demo:
    return seed(pdf_store, all_packs)


@pytest.fixture(scope="session")
def pdfs(pdf_store: Store, all_packs: Catalog, tmp_path_factory: pytest.TempPathFactory) -> PdfService:
    settings = PdfSettings(workers=0, cache_dir=tmp_path_factory.mktemp("pdf-cache"), timezone="Asia/Amman")
    return PdfService(pdf_store, all_packs, settings, clock=lambda: PRINTED_AT)


@pytest.fixture(scope="session")
def rendered(pdfs: PdfService, demo: Demo) -> Callable[..., PdfFile]:
    """``rendered("vitals", "both", "side")`` -> the PDF (documents by demo name, or
    ``encounter`` / ``chart``), laid out once per session."""
    memo: dict[tuple[str, str, str], PdfFile] = {}

    def get(what: str, languages: str = "both", layout: str = "side") -> PdfFile:
        key = (what, languages, layout)
        if key not in memo:
            if what == "encounter":
                memo[key] = pdfs.encounter(demo.actor, demo.encounter_id, languages=languages, layout=layout)
            elif what == "chart":
                memo[key] = pdfs.chart(demo.actor, demo.patient.id, languages=languages, layout=layout)
            else:
                memo[key] = pdfs.document(demo.actor, demo.documents[what].id, languages=languages, layout=layout)
        return memo[key]

    return get
