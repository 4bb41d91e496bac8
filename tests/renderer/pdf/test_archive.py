"""Archival: PDF/A-3b metadata, the stored answers embedded as JSON, fonts embedded from the
print stack (an Arabic font; no serif fallback)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from engine.store import Store
from renderer.pdf.demo import Demo
from renderer.pdf.fonts import EXPECTED_EMBEDDED
from renderer.pdf.service import PdfFile
from tests.renderer.pdf import readback

Rendered = Callable[..., PdfFile]
PRINTS = [("vitals", "en"), ("vitals", "ar"), ("consent", "both"), ("dental", "both"), ("encounter", "both"), ("chart", "ar")]


@pytest.mark.parametrize(("what", "languages"), PRINTS)
def test_pdfa_3b_by_its_metadata(rendered: Rendered, what: str, languages: str) -> None:
    xmp = readback.xmp(rendered(what, languages).data)
    assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)B', xmp), xmp
    root = readback.reader(rendered(what, languages).data).trailer["/Root"]
    assert "/OutputIntents" in root  # sRGB output intent, required by PDF/A


@pytest.mark.parametrize("what", ["vitals", "consent", "medications", "dental"])
def test_the_embedded_answers_are_the_stored_answers(rendered: Rendered, demo: Demo, pdf_store: Store, what: str) -> None:
    pdf = rendered(what, "both").data
    files = readback.attachments(pdf)
    stored = pdf_store.documents.get(demo.actor, demo.documents[what].id).document
    assert json.loads(files["answers.json"]) == stored.answers
    facts = json.loads(files["document.json"])
    assert facts["document_id"] == stored.id and facts["form"] == stored.def_id
    assert facts["definition_sha256"] == stored.content_hash and facts["printed_by"] == "Dr Sara Haddad"


def test_attachments_are_pdfa_associated_files(rendered: Rendered) -> None:
    root = readback.reader(rendered("vitals", "en").data).trailer["/Root"]
    relations = {str(spec.get_object()["/F"]): str(spec.get_object()["/AFRelationship"]) for spec in root["/AF"]}
    assert relations == {"answers.json": "/Data", "document.json": "/Supplement"}


def test_summaries_embed_every_documents_answers(rendered: Rendered, demo: Demo) -> None:
    files = readback.attachments(rendered("encounter", "both").data)
    in_encounter = [d for d in demo.documents.values() if d.encounter_id == demo.encounter_id]
    assert {f"document-{d.id}-answers.json" for d in in_encounter} | {"encounter.json"} == set(files)
    for doc in in_encounter:
        assert json.loads(files[f"document-{doc.id}-answers.json"]) == doc.answers
    meta = json.loads(files["encounter.json"])
    assert meta["encounter_id"] == demo.encounter_id and len(meta["documents"]) == len(in_encounter)


@pytest.mark.parametrize(("what", "languages"), PRINTS)
def test_fonts_are_embedded_from_the_print_stack(rendered: Rendered, what: str, languages: str) -> None:
    fonts = readback.fonts(rendered(what, languages).data)
    assert fonts and all(f["embedded"] == "yes" for f in fonts)
    assert all(f["base"].startswith(EXPECTED_EMBEDDED) for f in fonts), fonts
    assert not any("Serif" in f["base"] for f in fonts), "a serif fallback font was used"
    if languages != "en":
        assert any(f["base"].startswith("Noto-Naskh-Arabic") for f in fonts), "no Arabic font embedded"
