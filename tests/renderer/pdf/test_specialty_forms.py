"""Every specialty form (specialties/*/forms) as a bilingual PDF, side by side, from a stored,
signed document whose answers are the form's own richest fixture (its `tests:`: the perio
chart prints the upper right quadrant, the examination a mixed dentition). Read back with
``pdftotext -layout``, bidi marks stripped: the title, every answered item's label and its
answer in English and in Arabic. Nothing is cut off: every word lies inside the page. Each
page goes to test-artifacts/pdf/specialty-<pack>-<form>-p<N>.png for people to look at."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from engine.catalog import Catalog
from engine.evaluator import Context, evaluate
from engine.model import Form, Item
from engine.store import Actor, Store
from engine.store.records import PatientRecord
from renderer.answers import leaves
from renderer.fields import shown_columns
from renderer.pdf.demo import Demo, record, signature_ref
from renderer.pdf.service import PdfFile, PdfService
from tests.renderer.pdf import readback
from tests.renderer.pdf.conftest import PRINTED_AT, ROOT

#: what a word must keep from the page's edge, in points (3 mm): the page margins are wider
MARGIN = 8.5
SPECIALTY_FORMS = sorted(f"{pack.name}.{path.stem}" for pack in (ROOT / "specialties").iterdir() if (pack / "forms").is_dir()
                         for path in (pack / "forms").glob("*.yaml"))


def _plain(value: Any) -> Any:
    """Fixture answers (read-only mappings, tuples) as plain JSON data."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _richness(answers: Mapping[str, Any]) -> tuple[int, int]:
    """How much of a form a fixture shows: the distinct items it answers (cells by column),
    then its size."""
    def ids(value: Any, key: str) -> set[str]:
        if isinstance(value, Mapping):
            return {key} | {i for k, v in value.items() for i in ids(v, k if not str(k).isdigit() else key)}
        if isinstance(value, list | tuple):
            return {key} | {i for v in value for i in ids(v, key)}
        return {key} if value not in (None, "") else set()
    return len(ids(answers, "")), len(json.dumps(_plain(answers), default=str))


def sample_answers(form: Form) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """The answers of the richest fixture that is not invalid on purpose, and the patient it
    describes."""
    usable = [t for t in form.tests if t.expect.get("valid") is not False] or list(form.tests)
    best = max(usable, key=lambda t: _richness(t.answers))
    return _plain(best.answers), best.patient


@dataclass(frozen=True, slots=True)
class Printed:
    form: Form
    answers: dict[str, Any]
    patient: PatientRecord
    pdf: PdfFile


def _patient(store: Store, actor: Actor, form: Form, described: Mapping[str, Any]) -> PatientRecord:
    age = int(described.get("age") or 45)
    return store.patients.create(actor, mrn=f"S-{SPECIALTY_FORMS.index(form.id) + 1}", given_name="Layla", family_name="Nasser",
                                 given_name_ar="ليلى", family_name_ar="ناصر", sex=str(described.get("sex") or "female"),
                                 birth_date=PRINTED_AT.date().replace(year=PRINTED_AT.year - age) - dt.timedelta(days=30))


def _with_signatures(store: Store, actor: Actor, form: Form, patient: PatientRecord, answers: dict[str, Any]) -> dict[str, Any]:
    """Signature items get a real drawn image (fixtures only say that one is there)."""
    for item in form.index.values():
        if item.type == "signature" and item.id in answers:
            answers[item.id] = signature_ref(store, actor, patient.id, f"{patient.given_name} {patient.family_name}")
    return answers


@pytest.fixture(scope="module")
def printed(pdf_store: Store, all_packs: Catalog, demo: Demo, pdfs: PdfService) -> dict[str, Printed]:
    out: dict[str, Printed] = {}
    for form_id in SPECIALTY_FORMS:
        form = all_packs.form(form_id)
        assert form is not None, form_id
        answers, described = sample_answers(form)
        patient = _patient(pdf_store, demo.actor, form, described)
        answers = _with_signatures(pdf_store, demo.actor, form, patient, answers)
        doc = record(pdf_store, demo.actor, all_packs, patient, form_id, answers)
        out[form_id] = Printed(form, answers, patient, pdfs.document(demo.actor, doc.id, languages="both", layout="side"))
    return out


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_HARAKAT = re.compile("[\u064b-\u065f\u0670\u0640]")
_GROUPED = re.compile(r"(?<=\d),(?=\d{3}\b)")
_ARABIC = "\u0621-\u063a\u0641-\u064a\u0660-\u0669\u0671-\u06d3"


def words(value: str) -> set[str]:
    """The words of ``value``: runs of Arabic letters and digits, or of other letters and
    digits; vowel marks, punctuation and group separators removed."""
    plain = _GROUPED.sub("", _HARAKAT.sub("", value))
    return set(re.findall(f"[{_ARABIC}]+|[^\\W{_ARABIC}]+", plain))


class Found:
    """What a PDF's text holds, to look words up in. pdftotext rebuilds a right-to-left line
    visually: it glues a Latin run or a digit to an Arabic word (``المعتمدRR``), and puts a
    space after a tanween (``إلكترونيً ا``). So Latin words are looked up among the words,
    and Arabic words in the Arabic letters of the text with every space taken out."""

    def __init__(self, text: str) -> None:
        self.words = words(text)
        self.arabic = "".join(re.findall(f"[{_ARABIC}]+", _HARAKAT.sub("", text)))

    def missing(self, value: str) -> set[str]:
        return {w for w in words(value) if (w not in self.arabic if re.match(f"[{_ARABIC}]", w) else w not in self.words)}


def _display(item: Item, value: Any, lang: str) -> list[str]:
    """How an answer reads in ``lang``: option displays for choices, a date's year and day
    (the month is a word of the language), a number without a trailing .0, else the value."""
    if item.options:
        codes = value if isinstance(value, list) else [value]
        return [o.display.get(lang) for o in item.options if o.code in {str(c) for c in codes}]
    if isinstance(value, bool) or value is None:
        return []  # yes / no print as glyphs; checked by label only
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.date):
        return [f"{value.year} {value.day}"]
    if isinstance(value, str) and (date := _ISO_DATE.match(value)):
        return [f"{date.group(1)} {int(date.group(3))}"]
    return [] if value is None else [str(value)]


def expected(printed: Printed) -> Iterator[tuple[str, str, str]]:
    """(what, language, text) for every answered, shown item: its label and its answer, and
    for grid rows the row label and each recorded cell."""
    form = printed.form
    ev = evaluate(form, printed.answers, Context(patient={"sex": printed.patient.sex, "birth_date": printed.patient.birth_date}))
    for item in leaves(form.items):
        value = ev.values.get(item.id)
        if value in (None, "", [], {}) or not ev.visible.get(item.id, True) or item.type == "signature":
            continue
        for lang in ("en", "ar"):
            yield item.id, lang, item.label.get(lang)
            if item.type == "repeating_group":
                continue
            if item.type == "grid":
                rows = {str(r.code): r for r in item.rows}
                for key, row in value.items():
                    if not any(v not in (None, "", []) for v in row.values()):
                        continue
                    yield f"{item.id}[{key}]", lang, rows[str(key)].label.get(lang)
                    for cell in shown_columns(item):
                        if ev.visible.get(f"{item.id}[{key}].{cell.id}", True):
                            for text in _display(cell, row.get(cell.id), lang):
                                yield f"{item.id}[{key}].{cell.id}", lang, text
                continue
            for text in _display(item, value, lang):
                yield f"{item.id}=", lang, text


@pytest.mark.parametrize("form_id", SPECIALTY_FORMS)
def test_specialty_form_prints_both_languages(printed: dict[str, Printed], form_id: str) -> None:
    case = printed[form_id]
    text = readback.text(case.pdf.data)
    squeezed = readback.squeeze(readback.text(case.pdf.data, layout=False))  # a long title wraps in its column
    found = Found(text)
    assert case.form.title.get("en") in squeezed
    assert not found.missing(case.form.title.get("ar"))
    missing = [(what, lang, shown, found.missing(shown)) for what, lang, shown in expected(case) if found.missing(shown)]
    assert not missing, missing
    assert "Layla Nasser" in squeezed and "ليلى ناصر" in squeezed


@pytest.mark.parametrize("form_id", SPECIALTY_FORMS)
def test_nothing_is_cut_off_and_every_page_is_a_png(printed: dict[str, Printed], form_id: str) -> None:
    pdf = printed[form_id].pdf.data
    for page, (width, boxes) in enumerate(_word_boxes(pdf), start=1):
        outside = [w for w, x_min, x_max in boxes if x_min < MARGIN or x_max > width - MARGIN]
        assert not outside, (page, outside[:10])
    for page in range(1, readback.pages(pdf) + 1):
        assert readback.png(pdf, f"specialty-{form_id.replace('.', '-')}-p{page}", page).is_file()


def _word_boxes(pdf: bytes) -> list[tuple[float, list[tuple[str, float, float]]]]:
    """Per page: its width and every word with its x extent (``pdftotext -bbox``). pdftotext
    drops what lies beyond the page and cuts a word at its edge, so a table running off the
    page shows as a word reaching past the edge (or as a label missing from the text)."""
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode("utf-8")
    pages = []
    for page in re.finditer(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', out, re.S):
        boxes = [(m.group(3), float(m.group(1)), float(m.group(2)))
                 for m in re.finditer(r'<word xMin="([-\d.]+)" yMin="[-\d.]+" xMax="([-\d.]+)" yMax="[-\d.]+">(.*?)</word>', page.group(2))]
        pages.append((float(page.group(1)), boxes))
    return pages
