"""Read PDFs back the way a person or an archive would: text, fonts, pages, attachments,
XMP metadata, and a PNG of a page kept under test-artifacts/ for people to look at."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from pypdf import PdfReader

from renderer.formatting import BIDI_MARKS

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "pdf"
_STRIP = str.maketrans("", "", BIDI_MARKS)


def text(pdf: bytes, *, layout: bool = True) -> str:
    """``pdftotext -layout`` of the whole PDF, bidi control marks removed."""
    args = ["pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8", "-", "-"]
    out = subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode("utf-8")
    return out.translate(_STRIP)


def lines(pdf: bytes) -> list[str]:
    return [line for line in text(pdf).splitlines() if line.strip()]


_HARAKAT = re.compile("[\u064b-\u065f\u0670]")


def words(value: str) -> set[str]:
    """The words of ``value``, Arabic vowel marks and punctuation removed: pdftotext places a
    mark such as shadda as a glyph of its own, and rebuilds a right-to-left line visually
    (punctuation lands on the other side of its word)."""
    return set(re.findall(r"\w+", _HARAKAT.sub("", value)))


def squeeze(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def fonts(pdf: bytes) -> list[dict[str, str]]:
    """``pdffonts`` rows: name, type, embedded (yes/no)."""
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=False)
    if out.returncode != 0:  # older poppler reads no stdin
        path = ARTIFACTS.parent / ".fonts-probe.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True)
        path.unlink()
    rows = []
    for line in out.stdout.decode().splitlines()[2:]:
        parts = line.split()
        name = parts[0]
        # columns from the right: object ID (2), uni, sub, emb
        emb = parts[-5]
        rows.append({"name": name, "base": name.split("+", 1)[-1], "embedded": emb})
    return rows


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def pages(pdf: bytes) -> int:
    return len(reader(pdf).pages)


def attachments(pdf: bytes) -> dict[str, bytes]:
    return {name: data[0] for name, data in reader(pdf).attachments.items()}


def xmp(pdf: bytes) -> str:
    root = reader(pdf).trailer["/Root"]
    return bytes(root["/Metadata"].get_object().get_data()).decode("utf-8")


def png(pdf: bytes, name: str, page: int = 1) -> Path:
    """Page ``page`` as test-artifacts/pdf/<name>.png (pdftoppm at 80 dpi)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / name
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile", "-", str(stem)],
                   input=pdf, check=True)
    return stem.with_suffix(".png")
