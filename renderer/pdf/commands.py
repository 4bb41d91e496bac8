"""PDF commands: `cliniform pdf document|encounter|chart ID`, `cliniform pdf check`.

The same PdfService the web app uses, rendering in this process (no pool: one job). Every
print is audited as ``print`` by the actor given (``--user-id``) or the clinic's system
actor. Exit status: 0 written, 1 failed (the message says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from renderer.pdf.settings import LAYOUTS

KINDS = {
    "document": "a stored document, against the form version it was captured with",
    "encounter": "an encounter summary: the encounter and each of its documents",
    "chart": "a chart summary of a patient (ID is the patient's id)",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pdf = subparsers.add_parser(
        "pdf", help="print documents, encounter and chart summaries as PDF/A-3b",
        description="Render a bilingual (English/Arabic) PDF/A-3b from the stored records, with "
        "the answers embedded as JSON attachments. Languages and layout default to the clinic's "
        "settings (else $CLINIFORM_PDF_LANGUAGES, $CLINIFORM_PDF_LAYOUT). See docs/pdf.md.")
    sub = pdf.add_subparsers(dest="pdf_command", metavar="SUBCOMMAND", title="subcommands")
    for kind, text in KINDS.items():
        p = sub.add_parser(kind, help=f"print {text}", description=f"Print {text}.")
        p.add_argument("id", type=int, metavar="ID")
        p.add_argument("--lang", choices=("en", "ar", "both"), help="languages (default: the clinic's)")
        p.add_argument("--layout", choices=LAYOUTS, help="bilingual layout: side by side (English left) or stacked")
        p.add_argument("-o", "--output", type=Path, help="where to write (default: a name like document-12-MRN-both.pdf)")
        p.add_argument("--html", action="store_true", help="write the final HTML instead of the PDF (for debugging)")
        p.add_argument("--clinic", default="demo", help="clinic code (default: demo)")
        p.add_argument("--user-id", type=int, help="print as this user (default: the clinic's system actor)")
        p.add_argument("--json", action="store_true", help="print {file, sha256, bytes, cached} as JSON")
        p.set_defaults(handler=cmd_print, kind=kind)
    check = sub.add_parser("check", help="check fonts, HarfBuzz subsetting and WeasyPrint",
                           description="Check what PDFs need: WeasyPrint, libharfbuzz-subset (else a "
                           "~5x slower path), the Arabic, Latin and symbol fonts of the print stack.")
    check.add_argument("--json", action="store_true", help="print the checks as JSON")
    check.set_defaults(handler=cmd_check)
    pdf.set_defaults(handler=lambda _args: _usage(pdf))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def cmd_print(args: argparse.Namespace) -> int:
    from engine.packs import default_pack_roots, load
    from engine.store import Actor, Database, Store, load_settings
    from engine.store.errors import StoreError
    from renderer.pdf.service import PdfService
    from renderer.pdf.settings import PROJECT_ROOT
    from renderer.pdf.settings import load_settings as pdf_settings

    store = Store(Database.from_settings(load_settings()))
    clinic = store.accounts.clinic_by_code(args.clinic)
    if clinic is None:
        print(f"cliniform pdf: no clinic with code {args.clinic!r}; pass --clinic CODE", file=sys.stderr)
        return 2
    actor = Actor.system(clinic.id) if args.user_id is None else Actor(args.user_id, "clinician", clinic.id)
    result = load(default_pack_roots(PROJECT_ROOT))
    settings = pdf_settings()
    service = PdfService(store, result.catalog, replace(settings, workers=0))
    try:
        if args.html:
            html = service.html(actor, args.kind, args.id, languages=args.lang, layout=args.layout)
            out = args.output or Path(f"{args.kind}-{args.id}.html")
            out.write_text(html, "utf-8")
            print(out)
            return 0
        pdf = getattr(service, args.kind)(actor, args.id, languages=args.lang, layout=args.layout)
    except (StoreError, ValueError, LookupError) as error:
        print(f"cliniform pdf {args.kind} {args.id}: {error}", file=sys.stderr)
        return 1
    finally:
        service.close()
    out = args.output or Path(pdf.filename)
    out.write_bytes(pdf.data)
    if args.json:
        print(json.dumps({"file": str(out), "sha256": pdf.sha256, "bytes": len(pdf.data), "cached": pdf.cached}))
    else:
        print(f"{out}: {len(pdf.data):,} bytes, sha256 {pdf.sha256[:16]}{' (cached)' if pdf.cached else ''}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from renderer.pdf.fonts import run_checks

    checks = run_checks()
    if args.json:
        print(json.dumps([c.as_dict() for c in checks], ensure_ascii=False, indent=2))
    else:
        for c in checks:
            print(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
    return 0 if all(c.ok for c in checks) else 1

