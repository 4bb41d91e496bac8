"""`cliniform pdf ...` on a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main
from engine.store import Store
from renderer.pdf.demo import Demo
from tests.renderer.pdf import readback


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, pdf_store: Store, tmp_path: Path) -> Path:
    monkeypatch.setenv("CLINIFORM_DATABASE_URL", pdf_store.db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CLINIFORM_PDF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_print_a_document(env: Path, demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    out = env / "vitals.pdf"
    argv = ["pdf", "document", str(demo.documents["vitals"].id), "--clinic", "pdf-demo", "--lang", "ar", "-o", str(out), "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["file"] == str(out) and not result["cached"]
    text = readback.text(out.read_bytes())
    assert "الانقباضي" in text and "Systolic" not in text and "Cliniform" in text  # printed by the system actor
    assert main(argv) == 0 and json.loads(capsys.readouterr().out)["cached"]


def test_print_summaries_and_html(env: Path, demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    enc = env / "enc.pdf"
    assert main(["pdf", "encounter", str(demo.encounter_id), "--clinic", "pdf-demo", "--user-id", str(demo.actor.user_id),
                 "--layout", "stacked", "-o", str(enc)]) == 0
    assert "Printed by Dr Sara Haddad" in readback.squeeze(readback.text(enc.read_bytes()))
    html = env / "chart.html"
    assert main(["pdf", "chart", str(demo.patient.id), "--clinic", "pdf-demo", "--html", "-o", str(html)]) == 0
    assert html.read_text().startswith("<!doctype html>")


def test_errors(env: Path, demo: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pdf", "document", "99999", "--clinic", "pdf-demo", "-o", str(env / "x.pdf")]) == 1
    assert "not found" in capsys.readouterr().err
    assert main(["pdf", "document", "1", "--clinic", "nowhere"]) == 2
    assert main(["pdf"]) == 2


def test_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pdf", "check", "--json"]) == 0
    names = {c["name"] for c in json.loads(capsys.readouterr().out)}
    assert {"weasyprint", "libharfbuzz-subset0", "font Noto Naskh Arabic"} <= names
