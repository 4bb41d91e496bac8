"""Encounter and chart summaries, read back as text."""

from __future__ import annotations

from collections.abc import Callable

from engine.catalog import Catalog
from engine.store import Store
from renderer.pdf.demo import Demo, record
from renderer.pdf.service import PdfFile, PdfService
from tests.renderer.pdf import readback

Rendered = Callable[..., PdfFile]


def test_encounter_summary_lists_each_document_in_turn(rendered: Rendered, demo: Demo) -> None:
    lines = readback.lines(rendered("encounter", "both").data)
    text = "\n".join(lines)
    assert "Encounter summary" in text and "ملخص الزيارة" in text and "Outpatient" in text and "عيادة خارجية" in text
    titles = ["Vital signs", "Allergies and intolerances", "Medication list", "General consent to examination"]
    positions = [next(i for i, line in enumerate(lines) if title in line) for title in titles]
    assert positions == sorted(positions)
    assert "Dental examination" not in text  # recorded outside the encounter
    assert f"Encounter {demo.encounter_id}" in readback.squeeze(text)


def test_chart_summary(rendered: Rendered) -> None:
    text = readback.squeeze(readback.text(rendered("chart", "both").data))
    for fact in ["Chart summary", "ملخص السجل الطبي", "MRN A-10234", "Male", "ذكر", "+962 6 555 0100",
                 "Allergies and intolerances", "Penicillin (any)", "البنسلين", "Medication list", "Azithromycin",
                 "Vital signs", "128 mmHg", "Recent activity", "النشاط الأخير", "Dental examination", "Outpatient"]:
        assert fact in text, fact
    assert "Problem list" not in text  # no signed problem list yet: the section is left out
    assert "Chart A-10234" in text and "Documents 3" in text


def test_repeating_groups_and_grids_print_as_tables(rendered: Rendered) -> None:
    lines = readback.lines(rendered("medications", "en").data)
    header = next(line for line in lines if "Medicine" in line and "Dose" in line)
    assert header.index("Medicine") < header.index("Dose") < header.index("Route")
    row = next(line for line in lines if "Azithromycin" in line)
    assert "500 mg" in row and "Once a" in row and "April 28" in row
    dental = readback.lines(rendered("dental", "en").data)
    tooth = next(line for line in dental if "46 lower right first molar" in line)
    assert tooth.index("46") < tooth.index("Caries") < tooth.index("O (occlusal or incisal), D")
    text = "\n".join(dental)
    assert "28 rows without findings are not shown." in text
    assert "21 upper left central incisor" not in text


def test_a_draft_is_marked(pdfs: PdfService, demo: Demo, pdf_store: Store, all_packs: Catalog) -> None:
    other = pdf_store.patients.create(demo.actor, mrn="D-1", given_name="Sami", family_name="Nasser", sex="male")
    draft = record(pdf_store, demo.actor, all_packs, other, "core.vitals", {"systolic": 120, "diastolic": 80}, sign=False)
    text = readback.text(pdfs.document(demo.actor, draft.id, languages="both").data)
    assert "Draft: not signed" in text and "مسودة" in text and "Signed electronically" not in text
