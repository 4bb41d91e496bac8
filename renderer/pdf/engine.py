"""The only module that imports WeasyPrint: final HTML -> PDF/A-3b bytes.

It runs inside the render processes (renderer.pdf.pool) or, with ``workers=0``, in the
calling process. WeasyPrint is imported once per process (~0.5 s) and warmed with a tiny
document that loads every font of the print stack, so the first real job pays neither.
Nothing is fetched: the HTML carries its CSS inline and its images as ``data:`` URIs, and
the URL fetcher refuses every other scheme (a definition or an answer cannot make the
renderer read a file or call a server).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass
from typing import Any

VARIANT = "pdf/a-3b"
WARM_HTML = (
    '<html lang="en"><body style="font-family: \'Noto Sans\', \'Noto Naskh Arabic\', '
    '\'Noto Sans Symbols2\', \'DejaVu Sans\', sans-serif">Cliniform ☑ ☐ '
    '<span lang="ar" dir="rtl">العلامات الحيوية</span></body></html>'
)


@dataclass(frozen=True, slots=True)
class AttachmentData:
    """A file embedded in the PDF (PDF/A-3 associated file)."""

    name: str
    data: bytes
    description: str
    #: ISO 32000-2 AFRelationship: Data (machine-readable copy of the content), Source, ...
    relationship: str = "Data"


@dataclass(frozen=True, slots=True)
class RenderRequest:
    """Everything a render process needs: plain, picklable data."""

    html: str
    attachments: tuple[AttachmentData, ...] = ()
    variant: str | None = VARIANT
    #: creation date of the attachments (the print stamp), so equal input gives equal bytes
    created: dt.datetime | None = None


_weasyprint: Any = None


def _load() -> Any:
    global _weasyprint
    if _weasyprint is None:
        import weasyprint

        # one INFO line per layout step is noise in the app's log; warnings stay
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        _weasyprint = weasyprint
    return _weasyprint


def warm() -> None:
    """Import WeasyPrint and lay out a tiny page with every font (the pool's initializer)."""
    weasyprint = _load()
    weasyprint.HTML(string=WARM_HTML, url_fetcher=_fetcher()).write_pdf()


def _fetcher() -> Any:
    return _load().urls.URLFetcher(allowed_protocols=("data",), timeout=1)


def render(request: RenderRequest) -> bytes:
    """Lay out ``request.html`` and write the PDF with its attachments."""
    weasyprint = _load()
    fetcher = _fetcher()
    created = request.created or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    attachments = [
        weasyprint.Attachment(file_obj=io.BytesIO(a.data), name=a.name, description=a.description,
                              relationship=a.relationship, created=created, modified=created,
                              url_fetcher=fetcher)
        for a in request.attachments
    ]
    document = weasyprint.HTML(string=request.html, url_fetcher=fetcher).render()
    pdf = document.write_pdf(pdf_variant=request.variant, attachments=attachments or None)
    return bytes(pdf)


def page_count(request: RenderRequest) -> int:
    """Pages the request lays out to (tests and benchmarks)."""
    return len(_load().HTML(string=request.html, url_fetcher=_fetcher()).render().pages)
