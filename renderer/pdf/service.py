"""PDFs for people: gather -> compose -> cache or render -> audit, in one call.

    pdfs = PdfService(store, catalog, load_settings())
    pdf = pdfs.document(actor, 12, languages="both", layout="side", action="export")

The web routes, the CLI and the consent workflow all call this. Rendering happens in the
process pool (renderer.pdf.pool); a PDF whose final HTML was rendered before comes from
the cache. Every call appends an audit event naming what was printed, in which languages,
and the SHA-256 of the PDF handed out: ``print`` for prints and consent snapshots, ``export``
for downloads from the web app.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.catalog import Catalog
from engine.store import Actor, Store
from engine.store.columns import utcnow
from renderer.pdf import prints
from renderer.pdf.cache import PdfCache, cache_key
from renderer.pdf.clinic import ClinicSettings, clinic_settings
from renderer.pdf.engine import RenderRequest
from renderer.pdf.html import compose
from renderer.pdf.job import PrintJob, PrintOptions, parse_languages
from renderer.pdf.pool import PdfRenderer
from renderer.pdf.settings import LAYOUTS, PAPERS, PdfSettings
from renderer.pdf.sources import Gatherer, sha256

#: audit actions (the store's vocabulary): a print, or an export (a download from the web app)
ACTIONS = ("print", "export")


@dataclass(frozen=True, slots=True)
class PdfFile:
    data: bytes
    filename: str
    sha256: str
    #: True when the PDF came from the cache
    cached: bool
    media_type: str = "application/pdf"


class PdfService:
    def __init__(self, store: Store, catalog: Catalog, settings: PdfSettings | None = None, *,
                 renderer: PdfRenderer | None = None, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.catalog = catalog
        self.settings = settings or PdfSettings()
        self.renderer = renderer or PdfRenderer(self.settings.workers, self.settings.max_tasks_per_child)
        self.cache = PdfCache(self.settings.cache_dir, self.settings.cache_max_mb * 1024 * 1024) if self.settings.cache_dir else None
        self.clock = clock

    # -- the prints ----------------------------------------------------------------------
    def document(self, actor: Actor, document_id: int, *, languages: str | None = None,
                 layout: str | None = None, action: str = "print") -> PdfFile:
        """A stored document, rendered against the definition version it was captured with."""
        g, clinic = self._gatherer(actor, languages, layout)
        job = prints.document_job(g, clinic, document_id, self.clock(), self.settings.stamp)
        return self._produce(actor, job, action, "document", document_id, job.parts[0].record.patient_id)

    def encounter(self, actor: Actor, encounter_id: int, *, languages: str | None = None,
                  layout: str | None = None, action: str = "print") -> PdfFile:
        """An encounter summary: the encounter and each of its documents."""
        g, clinic = self._gatherer(actor, languages, layout)
        job = prints.encounter_job(g, clinic, encounter_id, self.clock(), self.settings.stamp)
        assert job.encounter is not None
        return self._produce(actor, job, action, "encounter", encounter_id, job.encounter.patient_id)

    def chart(self, actor: Actor, patient_id: int, *, languages: str | None = None,
              layout: str | None = None, action: str = "print") -> PdfFile:
        """A chart summary: newest signed allergies, problems, medications, vital signs."""
        g, clinic = self._gatherer(actor, languages, layout)
        job = prints.chart_job(g, clinic, patient_id, self.clock(), self.settings.stamp)
        return self._produce(actor, job, action, "chart", patient_id, patient_id)

    def consent_snapshot(self, actor: Actor, document_id: int, *, languages: str | None = None,
                         layout: str | None = None, evidence: Mapping[str, Any] | None = None) -> PdfFile:
        """The fixed PDF of a signed consent document, kept in the store's files table (its
        SHA-256 goes into the consent record). Stamped to the second: a snapshot is made once.
        ``evidence`` (engine.consent_flow.evidence_of: signers, text hashes, devices) is
        printed after the document and embedded as consent.json."""
        g, clinic = self._gatherer(actor, languages, layout)
        now = self.clock().replace(microsecond=0)
        job = prints.document_job(g, clinic, document_id, now, "second", kind="consent")
        if evidence is not None:
            job = prints.with_consent_evidence(job, evidence)
        pdf = self._produce(actor, job, "print", "document", document_id, job.parts[0].record.patient_id)
        self.store.files.put(actor, pdf.data, pdf.media_type, patient_id=job.parts[0].record.patient_id)
        return pdf

    def job(self, actor: Actor, kind: str, ident: int, *, languages: str | None = None,
            layout: str | None = None) -> PrintJob:
        """What a print of ``kind`` (document, encounter, chart) would show, not rendered."""
        g, clinic = self._gatherer(actor, languages, layout)
        now, stamp = self.clock(), self.settings.stamp
        if kind == "document":
            return prints.document_job(g, clinic, ident, now, stamp)
        if kind == "encounter":
            return prints.encounter_job(g, clinic, ident, now, stamp)
        if kind == "chart":
            return prints.chart_job(g, clinic, ident, now, stamp)
        raise ValueError(f"unknown print {kind!r}: document, encounter or chart")

    def html(self, actor: Actor, kind: str, ident: int, *, languages: str | None = None,
             layout: str | None = None) -> str:
        """The final HTML of a print (what `cliniform pdf ... --html` writes; not audited as a
        print: it is a debugging aid, and its reads are audited by the store)."""
        return compose(self.job(actor, kind, ident, languages=languages, layout=layout))

    # -- the stages ----------------------------------------------------------------------
    def options(self, clinic: ClinicSettings, languages: str | None, layout: str | None) -> tuple[PrintOptions, dict[str, object]]:
        """This print's options: the request's, else the clinic's, else the settings'."""
        defaults = clinic.pdf_defaults(self.settings)
        layout = layout or str(defaults["layout"])
        paper = str(defaults["paper"])
        if layout not in LAYOUTS:
            raise ValueError(f"layout {layout!r}: use one of {', '.join(LAYOUTS)}")
        if paper not in PAPERS:
            paper = "A4"
        locales = parse_languages(languages or str(defaults["languages"]))
        return PrintOptions(locales, layout, paper), defaults

    def _gatherer(self, actor: Actor, languages: str | None, layout: str | None) -> tuple[Gatherer, ClinicSettings]:
        clinic = clinic_settings(self.store, actor)
        options, defaults = self.options(clinic, languages, layout)
        g = Gatherer(self.store, self.catalog, actor, options, timezone=str(defaults["timezone"]),
                     arabic_digits=bool(defaults["arabic_digits"]))
        return g, clinic

    def request(self, job: PrintJob) -> RenderRequest:
        return RenderRequest(compose(job), job.attachments, created=job.stamp.printed_at)

    def render(self, request: RenderRequest) -> tuple[bytes, bool]:
        """The PDF for ``request``: from the cache when this exact HTML was rendered before."""
        if self.cache is None:
            return self.renderer.render(request), False
        key = cache_key(request)  # hashes the whole HTML: only when there is a cache to look in
        if (hit := self.cache.get(key)) is not None:
            return hit, True
        data = self.renderer.render(request)
        self.cache.put(key, data)
        return data, False

    def _produce(self, actor: Actor, job: PrintJob, action: str, entity: str, entity_id: int,
                 patient_id: int) -> PdfFile:
        if action not in ACTIONS:
            raise ValueError(f"action {action!r}: one of {', '.join(ACTIONS)}")
        data, cached = self.render(self.request(job))
        digest = sha256(data)
        self.store.record(actor, action, entity, entity_id, patient_id=patient_id, kind=job.kind,
                          languages=job.options.label, layout=job.options.layout,
                          pdf_sha256=digest, cached=cached)
        return PdfFile(data, filename(job, entity_id), digest, cached)

    def start(self) -> None:
        """Start and warm the render processes (call at app start-up; else the first print does)."""
        self.renderer.start()

    def close(self) -> None:
        self.renderer.close()


def filename(job: PrintJob, ident: int) -> str:
    name = f"{job.kind}-{ident}-{job.patient.mrn}-{job.options.label}.pdf"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)
