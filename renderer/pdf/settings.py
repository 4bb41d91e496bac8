"""PDF settings, read from the environment in one place (`load_settings`), never at import.

Per-clinic choices (languages, layout, time zone, paper, digits) come from the clinic's
settings (renderer.pdf.clinic) and override these defaults; a print may override both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.store.clinics import LANGUAGES, LAYOUTS, PAPERS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STAMPS = ("minute", "day")
__all__ = ["LANGUAGES", "LAYOUTS", "PAPERS", "STAMPS", "PdfSettings", "load_settings"]
DEFAULT_CACHE_DIR = PROJECT_ROOT / "var" / "pdf-cache"


@dataclass(frozen=True, slots=True)
class PdfSettings:
    """How PDFs are made. Tests build their own; the app and CLI read the environment."""

    #: render processes; 0 renders in the calling process (the CLI, tests)
    workers: int = 2
    #: where rendered PDFs are cached by content hash; None turns the cache off
    cache_dir: Path | None = DEFAULT_CACHE_DIR
    cache_max_mb: int = 512
    #: a worker process is replaced after this many renders (bounds memory growth)
    max_tasks_per_child: int = 200
    #: default languages (en | ar | both) and bilingual layout (side | stacked)
    languages: str = "both"
    layout: str = "side"
    #: how precisely "printed at" is stamped; also how long a cached PDF can be reused
    stamp: str = "minute"
    timezone: str = "UTC"
    paper: str = "A4"
    arabic_digits: bool = False

    def __post_init__(self) -> None:
        for name, value, allowed in (("languages", self.languages, LANGUAGES), ("layout", self.layout, LAYOUTS),
                                     ("stamp", self.stamp, STAMPS), ("paper", self.paper, PAPERS)):
            if value not in allowed:
                raise ValueError(f"PDF setting {name}={value!r}: use one of {', '.join(allowed)}")
        if self.workers < 0:
            raise ValueError("PDF setting workers must be 0 (in process) or more")


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def load_settings(environ: Mapping[str, str] | None = None) -> PdfSettings:
    """Read ``CLINIFORM_PDF_*`` (and ``CLINIFORM_TIMEZONE``) from ``environ``."""
    env = os.environ if environ is None else environ
    cache = env.get("CLINIFORM_PDF_CACHE_DIR", "").strip()
    cpus = os.cpu_count() or 1
    return PdfSettings(
        workers=int(env.get("CLINIFORM_PDF_WORKERS", str(min(2, cpus)))),
        cache_dir=None if cache.lower() in ("off", "none", "0") else Path(cache) if cache else DEFAULT_CACHE_DIR,
        cache_max_mb=int(env.get("CLINIFORM_PDF_CACHE_MAX_MB", "512")),
        languages=env.get("CLINIFORM_PDF_LANGUAGES", "both").strip() or "both",
        layout=env.get("CLINIFORM_PDF_LAYOUT", "side").strip() or "side",
        stamp=env.get("CLINIFORM_PDF_STAMP", "minute").strip() or "minute",
        timezone=env.get("CLINIFORM_TIMEZONE", "UTC").strip() or "UTC",
        paper=env.get("CLINIFORM_PDF_PAPER", "A4").strip() or "A4",
        arabic_digits=_flag(env.get("CLINIFORM_ARABIC_DIGITS")),
    )
