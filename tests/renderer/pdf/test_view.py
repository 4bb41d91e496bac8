"""The read-only document view shared by the web page and the PDF: which items show, how each
type's answer reads in each language (Babel), tables, and the shared fragment's markup."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from bs4 import BeautifulSoup

from engine.catalog import Catalog
from engine.evaluator import Context, evaluate
from engine.types import TYPES
from renderer.documents import KINDS, DocumentView
from renderer.formatting import BIDI_MARKS, Formatter, isolate, text_direction
from renderer.pdf.html import environment

SHA = "ab" * 32
ANSWERS: dict[str, Any] = {
    "name": "Layla", "notes": "Line one\nLine two", "count": 3, "ratio": 0.5, "weight": {"value": 70, "unit": "kg"},
    "seen_on": "2025-05-03", "seen_at": "2025-05-03T14:05:00+00:00", "wake": "06:30", "smoker": False,
    "colour": "blue", "city": "irb", "size": "l", "symptoms": ["fever"],
    "photo": {"file": SHA, "name": "rash.png", "media_type": "image/png", "size": 900},
    "consent_sign": {"file": SHA, "media_type": "image/png", "signer": "Layla", "signed_at": "2025-05-03T09:30:00+00:00"},
    "street": "Rainbow St", "meds": [{"drug": "Aspirin", "dose": {"value": 75, "unit": "mg"}}, {"drug": "Metformin"}],
    "teeth": {"21": {"depth": 4, "bleeding": True}},
}


@pytest.fixture()
def view(catalog: Catalog) -> DocumentView:
    form = catalog.form("test.widgets")
    assert form is not None
    evaluation = evaluate(form, ANSWERS, Context())
    return DocumentView(evaluation, ("en", "ar"), images=lambda ref: "data:image/png;base64,AA==", timezone="Asia/Amman")


def test_every_widget_has_a_read_only_form() -> None:
    assert {t.widget for t in TYPES.values()} <= set(KINDS)


def test_hidden_items_are_left_out_and_groups_come_before_their_items(view: DocumentView) -> None:
    paths = [e.path for e in view.entries()]
    assert "packs" not in paths  # visible only for smokers
    assert paths.index("address") + 1 == paths.index("street")
    assert [e.depth for e in view.entries() if e.path in ("address", "street")] == [0, 1]


def test_answers_per_language(view: DocumentView) -> None:
    item = view.form.index
    assert view.answer(item["weight"], "weight", "en").text == "70 kg"
    assert view.answer(item["ratio"], "ratio", "ar").text == "0.50"
    assert view.answer(item["seen_on"], "seen_on", "en").text == "May 3, 2025"
    assert view.answer(item["seen_on"], "seen_on", "ar").text == "3 مايو 2025"
    assert view.answer(item["seen_at"], "seen_at", "en").text == "May 3, 2025 5:05\u202fPM"  # clinic time (UTC+3)
    calc = view.answer(item["double_weight"], "double_weight", "en")
    assert calc.calculated and calc.text == "140"
    smoker = view.answer(item["smoker"], "smoker", "ar")
    assert [(c.label.text, c.glyph) for c in smoker.checks] == [("نعم", "☐"), ("لا", "☑")]
    colour = view.answer(item["colour"], "colour", "ar")
    blue = next(c for c in colour.checks if c.checked)
    assert blue.label.missing and blue.label.text == "Blue"  # no Arabic text: shown in English, marked
    sign = view.answer(item["consent_sign"], "consent_sign", "en")
    assert sign.image and sign.signer == "Layla" and sign.signed_at == "May 3, 2025 12:30\u202fPM"
    assert view.answer(item["photo"], "photo", "en").text == "rash.png (1 KB)"


def test_tables(view: DocumentView) -> None:
    entries = {e.path: e for e in view.entries()}
    meds = view.table(entries["meds"])
    assert [c.id for c in meds.columns] == ["drug", "dose", "double_dose"]
    assert [r.key for r in meds.rows] == ["0", "1"]
    assert view.cell(view.form.index["double_dose"], "meds[0].double_dose")[0][1].text == "150"
    teeth = view.table(entries["teeth"])
    assert [r.key for r in teeth.rows] == ["21"] and teeth.omitted == 1
    assert [(loc, a.text) for loc, a in view.cell(view.form.index["bleeding"], "teeth[21].bleeding")] == [("en", "Yes"), ("ar", "نعم")]


def test_the_fragment_side_by_side(view: DocumentView) -> None:
    html = environment().get_template("documents/_answers.html").render(doc=view)
    soup = BeautifulSoup(html, "html.parser")
    row = soup.select_one('tr[data-path="weight"]')
    assert row is not None
    cells = row.find_all("td")
    assert [(c["lang"], c["dir"]) for c in cells] == [("en", "ltr"), ("ar", "rtl")]
    assert cells[1].select_one(".q").get_text() == "الوزن" and "70 kg" in cells[1].select_one(".a").get_text()
    assert soup.select_one('tr[data-path="double_weight"] .calc').get_text() == "calculated"
    assert soup.select_one('tr[data-path="meds"] table.rows--repeating_group') is not None
    assert soup.select_one(".signature img")["src"].startswith("data:image/png")
    assert not soup.select('[data-path="packs"]')
    assert "untranslated" in str(soup.select_one('tr[data-path="notes"]'))


def test_the_fragment_in_one_language_has_no_bidi_controls_on_the_web(view: DocumentView) -> None:
    single = view.only("ar")
    html = environment().get_template("documents/_answers.html").render(doc=single)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("table.answers--single") is not None
    assert not any(mark in html for mark in BIDI_MARKS)
    single.marks = True
    assert "\u2066" in environment().get_template("documents/_answers.html").render(doc=single)


def test_isolates_and_directions() -> None:
    assert isolate("A-1", "ltr") == "\u2066A-1\u2069" and isolate("x", "rtl")[0] == "\u2067" and isolate("", "ltr") == ""
    assert text_direction("123 أحمد") == "rtl" and text_direction("Lower back / أسفل") == "ltr" and text_direction("12") == "ltr"


def test_formatter_digits_and_zone() -> None:
    arab = Formatter("ar", arabic_digits=True, timezone="Asia/Amman")
    assert arab.number(1234.5) == "١٬٢٣٤٫٥" and arab.date(dt.date(2025, 5, 3)) == "٣ مايو ٢٠٢٥"
    assert Formatter("en", timezone="nowhere/none").datetime("2025-05-03T14:05:00+00:00") == "May 3, 2025 2:05\u202fPM"
