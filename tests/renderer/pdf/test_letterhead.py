"""The letterhead and print defaults come from the clinic's stored settings (engine.store.clinics,
set at /admin/clinic or with `cliniform clinic settings`): its address, phone and logo print
on the first page, and its default languages apply when a print does not choose."""

from __future__ import annotations

import io
import re
import subprocess

import pytest

from engine.catalog import Catalog
from engine.store import Actor, Store
from engine.store.clinics import ClinicChanges
from renderer.pdf.demo import Demo, seed
from renderer.pdf.service import PdfService
from tests.renderer.pdf import readback

ADDRESS_EN = "12 Zahran Street, Amman 11181"
ADDRESS_AR = "١٢ شارع زهران، عمّان"
#: its words (pdftotext may glue the number to a word: numbers are left out)
AR_WORDS = {"شارع", "زهران", "عمان"}
PHONE = "+962 6 555 0199"
LOGO_SIZE = (150, 60)


def logo_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", LOGO_SIZE, "white")
    ImageDraw.Draw(image).ellipse((5, 5, 55, 55), fill=(31, 78, 121))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def lettered(pdf_store: Store, all_packs: Catalog) -> Demo:
    """A clinic of its own (the other PDF tests keep theirs as seeded) whose administrator
    gave an address in both languages, a phone, a logo and Arabic as its print language."""
    demo = seed(pdf_store, all_packs, clinic_code="pdf-letterhead")
    pdf_store.clinics.update(Actor.system(demo.actor.clinic_id), ClinicChanges(
        address_en=ADDRESS_EN, address_ar=ADDRESS_AR, phone=PHONE, logo=logo_png(), languages="ar"))
    return demo


def letters(text: str) -> set[str]:
    return readback.words(re.sub(r"\d", " ", text))


def images(pdf: bytes, page: int = 1) -> list[tuple[int, int]]:
    """(width, height) of each image drawn on ``page`` (``pdfimages -list``)."""
    out = subprocess.run(["pdfimages", "-f", str(page), "-l", str(page), "-list", "-"], input=pdf,
                         capture_output=True, check=True).stdout.decode()
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    return [(int(row[3]), int(row[4])) for row in rows if row[2] == "image"]


def test_the_address_phone_and_logo_print_in_the_letterhead(pdfs: PdfService, lettered: Demo) -> None:
    pdf = pdfs.document(lettered.actor, lettered.documents["vitals"].id, languages="both", layout="side").data
    first = readback.text(pdf).split("\f")[0]
    assert readback.squeeze(ADDRESS_EN) in readback.squeeze(first)
    assert letters(first) >= AR_WORDS
    assert PHONE in first
    assert LOGO_SIZE in images(pdf), images(pdf)
    readback.png(pdf, "letterhead-both")


def test_without_settings_only_the_names_print(pdfs: PdfService, demo: Demo) -> None:
    pdf = pdfs.document(demo.actor, demo.documents["vitals"].id, languages="both").data
    first = readback.text(pdf).split("\f")[0]
    assert "Cliniform Demo Clinic" in first and "Zahran" not in first and PHONE not in first
    assert images(pdf) == []


def test_the_clinics_language_applies_when_the_print_does_not_choose(
        pdfs: PdfService, lettered: Demo, pdf_store: Store) -> None:
    default = pdfs.document(lettered.actor, lettered.documents["vitals"].id)
    text = readback.text(default.data)
    assert "الانقباضي" in text and "Systolic" not in text
    assert default.filename.endswith("-ar.pdf")
    # an Arabic-only print shows the Arabic address, the phone and the logo
    assert letters(text) >= AR_WORDS and "Zahran" not in text and PHONE in text
    assert LOGO_SIZE in images(default.data)
    chosen = readback.text(pdfs.document(lettered.actor, lettered.documents["vitals"].id, languages="en").data)
    assert "Systolic" in chosen and "الانقباضي" not in chosen
    assert readback.squeeze(ADDRESS_EN) in readback.squeeze(chosen)
