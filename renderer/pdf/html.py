"""Compose: PrintJob -> the final HTML, from the web app's template tree plus print CSS.

The print pages (``print/*.html``) include the same document fragment as the web document
page (``documents/_answers.html``); print.css is inlined so the HTML is self-contained (the
renderer fetches nothing) and the cache key covers the CSS too.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from renderer.formatting import Formatter, direction, isolate, tr
from renderer.pdf.job import PrintJob

WEB = Path(__file__).resolve().parents[1] / "web"
TEMPLATE_DIR = WEB / "templates"
PRINT_CSS = WEB / "static" / "css" / "print.css"
TEMPLATES = {
    "document": "print/document.html",
    "consent": "print/document.html",
    "encounter": "print/encounter.html",
    "chart": "print/chart.html",
}


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Jinja2 over the web template tree: autoescaped, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False,
    )
    env.globals.update(t=tr, dir=direction, iso=isolate)
    return env


@lru_cache(maxsize=4)
def _css(path: Path, mtime: float) -> str:
    return path.read_text("utf-8")


def stylesheet(path: Path = PRINT_CSS) -> str:
    return _css(path, path.stat().st_mtime)


def page_direction(job: PrintJob) -> tuple[str, str]:
    """The root element's language and direction: a bilingual print is laid out left to
    right (English column left), a single-language print in that language's direction."""
    first = job.options.locales[0]
    return (first, direction(first)) if not job.options.bilingual else ("en", "ltr")


def compose(job: PrintJob, **extra: Any) -> str:
    lang, page_dir = page_direction(job)
    fmt = {loc: Formatter(loc, job.arabic_digits, job.timezone) for loc in job.options.locales}
    template = environment().get_template(TEMPLATES[job.kind])
    return template.render(
        job=job, opts=job.options, locales=job.options.locales, fmt=fmt, lang=lang,
        page_dir=page_dir, css=stylesheet(), **extra,
    )
