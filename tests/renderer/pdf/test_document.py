"""A stored document as PDF, read back as text: labels and answers in every language and
layout, in logical order; header, footer and page count; hidden items left out; calculated
values marked; checkboxes as glyphs."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from engine.catalog import Catalog
from renderer.pdf.demo import Demo
from renderer.pdf.service import PdfFile
from renderer.pdf.sources import canonical_json, sha256
from tests.renderer.pdf import readback

Rendered = Callable[..., PdfFile]
EN_LABELS = ["Vital signs", "Blood pressure", "Systolic", "Diastolic", "Heart rate", "Respiratory rate",
             "Temperature", "Oxygen saturation (SpO2)", "On supplemental oxygen?", "Weight", "Height",
             "Body mass index", "Pain score (0-10)", "Where is the pain?"]
AR_LABELS = ["العلامات الحيوية", "ضغط الدم", "الانقباضي", "الانبساطي", "معدل ضربات القلب", "معدل التنفس",
             "درجة الحرارة", "تشبع الأكسجين", "هل يتلقى أكسجين", "الوزن", "الطول", "مؤشر كتلة الجسم",
             "أين يوجد الألم؟"]
#: (pdftotext rebuilds a right-to-left line from its glyphs and moves a Latin run inside
#: Arabic text around, so mixed free text is checked word by word; the PNG shows it whole)
ANSWERS = ["128 mmHg", "84 mmHg", "76 /min", "16 /min", "37.2 °C", "97 %", "72.5 kg", "175 cm", "23.7 kg/m²",
           "Lower back", "أسفل الظهر"]
#: the pregnancy question is hidden for a man: neither language may show it
HIDDEN = ["Currently pregnant?", "هل أنتِ حامل حاليًا؟"]


def _index(lines: list[str], needle: str) -> int:
    return next(i for i, line in enumerate(lines) if needle in line)


@pytest.mark.parametrize(("languages", "layout"), [("en", "side"), ("ar", "side"), ("both", "side"), ("both", "stacked")])
def test_labels_and_answers_in_every_language_and_layout(rendered: Rendered, languages: str, layout: str) -> None:
    text = readback.text(rendered("vitals", languages, layout).data)
    en, ar = languages in ("en", "both"), languages in ("ar", "both")
    for label in EN_LABELS:
        assert (label in text) == en, label
    for label in AR_LABELS:
        assert (label in text) == ar, label
    for answer in ANSWERS:
        assert answer in text, answer
    for hidden in HIDDEN:
        assert hidden not in text


def test_english_labels_follow_the_form_order(rendered: Rendered) -> None:
    lines = readback.lines(rendered("vitals", "en").data)
    positions = [_index(lines, label) for label in EN_LABELS]
    assert positions == sorted(positions)


def test_side_by_side_puts_english_left_and_arabic_right_on_the_same_line(rendered: Rendered) -> None:
    lines = readback.lines(rendered("vitals", "both", "side").data)
    for en, ar in [("Systolic", "الانقباضي"), ("Heart rate", "معدل ضربات القلب"), ("Body mass index", "مؤشر كتلة الجسم")]:
        line = lines[_index(lines, en)]
        assert ar in line and line.index(en) < line.index(ar)


def test_stacked_shows_the_whole_document_in_english_then_in_arabic(rendered: Rendered) -> None:
    lines = readback.lines(rendered("vitals", "both", "stacked").data)
    last_english = max(_index(lines, label) for label in EN_LABELS[1:])
    first_arabic = min(_index(lines, label) for label in AR_LABELS[1:])
    assert last_english < first_arabic
    assert not any("Systolic" in line and "الانقباضي" in line for line in lines)


def test_arabic_reads_right_to_left_with_values_isolated(rendered: Rendered) -> None:
    """In an Arabic page the label is on the right and its value to its left; the value keeps
    its own order (``128 mmHg``, never ``mmHg 128``) because it is isolated in <bdi>."""
    lines = readback.lines(rendered("vitals", "ar").data)
    for label, value in [("الانقباضي", "128 mmHg"), ("الوزن", "72.5 kg"), ("درجة الحرارة", "37.2 °C")]:
        line = lines[_index(lines, label)]
        assert value in line and line.index(value) < line.index(label), line
    text = "\n".join(lines)
    assert "mmHg 128" not in text and "kg 72.5" not in text


def test_header_and_footer(rendered: Rendered, demo: Demo, all_packs: Catalog) -> None:
    pdf = rendered("vitals", "both", "side")
    text = readback.squeeze(readback.text(pdf.data))
    doc = demo.documents["vitals"]
    vitals = all_packs.form("core.vitals")
    assert vitals is not None
    for fact in ["Ahmad Saleh", "أحمد صالح", "MRN A-10234", "Date of birth January 2, 1980", "Cliniform Demo Clinic",
                 "عيادة كلينيفورم التجريبية", f"Document {doc.id} v{doc.version}", f"Form core.vitals {vitals.version}",
                 f"Definition {doc.content_hash[:12]}", f"Content SHA-256 {sha256(canonical_json(doc.answers))[:16]}",
                 "Printed by Dr Sara Haddad", "May 3, 2025 12:41 PM"]:
        assert fact in text, fact
    for arabic in ["رقم الملف الطبي", "تاريخ الميلاد", "يناير", "طبعه", "مايو", "صفحة"]:
        assert arabic in text, arabic


@pytest.mark.parametrize("what", ["vitals", "consent", "dental"])
def test_page_x_of_y_matches_the_page_count(rendered: Rendered, what: str) -> None:
    pdf = rendered(what, "both", "side").data
    n = readback.pages(pdf)
    pages = readback.text(pdf).split("\f")
    for number, page in enumerate(pages[:n], start=1):
        assert f"Page {number} of {n}" in page
        assert "صفحة" in page
    assert n == (2 if what in ("consent", "dental") else 1)


def test_calculated_values_are_marked(rendered: Rendered) -> None:
    en = readback.lines(rendered("vitals", "en").data)
    assert "calculated" in en[_index(en, "23.7 kg/m²")]
    assert sum("calculated" in line for line in en) == 1
    ar = readback.lines(rendered("vitals", "ar").data)
    assert "محسوب" in ar[_index(ar, "23.7 kg/m²")]


def test_checkboxes_are_glyphs(rendered: Rendered) -> None:
    en = readback.lines(rendered("vitals", "en").data)
    assert re.search(r"☐ Yes\s+☑ No", en[_index(en, "On supplemental oxygen?")])
    text = readback.text(rendered("dental", "en").data)
    assert "☑ Gingival inflammation" in text and "☐ Ulcer" in text and "☑ Fair" in text
    ar = readback.text(rendered("vitals", "ar").data)
    assert "☑" in ar and "☐" in ar and "نعم" in ar and "لا" in ar
