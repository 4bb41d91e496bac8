"""Definition commands: `cliniform check`, `cliniform eval`, `cliniform test`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic, Severity
from engine.evaluator import Context, evaluate
from engine.packs import LoadResult, default_pack_roots, discover, load
from engine.reader import read_file
from engine.testing import run_tests


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = subparsers.add_parser(
        "check",
        help="read and check definitions; print every problem with file:line:col",
        description="Read and check definition files and packs: structure (JSON Schema), references, "
        "expressions, dependency cycles, types and translations. Prints every problem as "
        "`path:line:col: CODE message` with a hint. Without a path it checks the installed packs "
        "($CLINIFORM_PACKS, else form_definitions/ and specialties/ of the current folder). Exit "
        "status: 0 when there are no errors (warnings allowed), 1 when there are errors, 2 on bad "
        "usage: a path that does not exist, or nothing to check (no pack installed and no path, or "
        "paths without a definition file).",
    )
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to check (default: all installed packs)")
    check.add_argument("--json", action="store_true", help="print the diagnostics as a JSON list")
    check.add_argument("--quiet", "-q", action="store_true", help="print errors only, no warnings or summary")
    check.set_defaults(handler=cmd_check)

    ev = subparsers.add_parser(
        "eval",
        help="evaluate a form for a set of answers",
        description="Evaluate a form for the answers in a JSON or YAML file: typed answers, calculated "
        "values, visibility, required items and validation errors, as the web form would show them. "
        "Exit status: 0 when the answers are valid, 1 when they have errors or the form or a file "
        "cannot be read (an unknown form id, a form with errors, a missing or malformed answers or "
        "patient file), 2 on bad usage (an unknown option, no --answers).",
    )
    ev.add_argument("form", metavar="FORM", help="form id (e.g. core.vitals) or path to a form file")
    ev.add_argument("--answers", "-a", required=True, metavar="FILE", help="answers as a JSON or YAML mapping of item id to value")
    ev.add_argument("--patient", metavar="FILE", help="patient context (birth_date, sex, ...) as JSON or YAML")
    ev.add_argument("--locale", default="en", help="language of the messages (en, ar)")
    ev.add_argument("--json", action="store_true", help="print the result as JSON")
    ev.set_defaults(handler=cmd_eval)

    test = subparsers.add_parser(
        "test",
        help="run the tests written inside form and rule definitions",
        description="Run the `tests:` of every form (expected values, visibility, errors) and rule "
        "(fires / does not fire, summary) in the installed packs, or only in the named packs. "
        "Exit status: 0 when every test passes, 1 when a test fails or a definition has errors, "
        "2 for an unknown pack.",
    )
    test.add_argument("packs", nargs="*", metavar="PACK", help="pack ids or pack folders (default: all)")
    test.add_argument("--json", action="store_true", help="print results as JSON")
    test.set_defaults(handler=cmd_test)


def _is_under(file: str, paths: list[Path]) -> bool:
    resolved = Path(file).resolve()
    return any(resolved == p or p in resolved.parents for p in paths)


def definition_files(paths: list[str]) -> list[Path]:
    """The definition files (YAML or JSON) that ``paths`` name or hold."""
    found: list[Path] = []
    for target in (Path(p) for p in paths):
        if target.is_file():
            found.append(target)
        elif target.is_dir():
            found += [p for p in sorted(target.rglob("*")) if p.suffix.lower() in (".yaml", ".yml", ".json")]
    return found


def check_paths(paths: list[str]) -> tuple[LoadResult, list[Diagnostic]]:
    """Load the installed packs plus everything under ``paths``; diagnostics for ``paths``."""
    targets = [Path(p).resolve() for p in paths]
    roots = default_pack_roots()
    for target in targets:
        if target.is_dir() and discover([target]):
            roots.append(target)
    extra = definition_files([str(t) for t in targets])
    result = load(roots, extra_files=_not_pack_support(extra, roots))
    if not targets:
        return result, result.diagnostics
    return result, [d for d in result.diagnostics if _is_under(d.location.file, targets)]


def _not_pack_support(files: list[Path], roots: list[Path]) -> list[Path]:
    """Drop manifests and locale catalogs: they are read as part of their pack."""
    kept = []
    for path in files:
        if path.name == "pack.yaml":
            continue
        if any(parent.name == "locale" and (parent.parent / "pack.yaml").exists() for parent in path.parents):
            continue
        kept.append(path)
    return kept


def cmd_check(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"cliniform check: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.paths and not definition_files(args.paths):
        print(f"cliniform check: no definition files (.yaml, .yml, .json) in {', '.join(args.paths)}", file=sys.stderr)
        return 2
    result, diagnostics = check_paths(args.paths)
    if not args.paths and not result.packs and not diagnostics:
        roots = ", ".join(str(r) for r in default_pack_roots())
        print(f"cliniform check: nothing to check: no pack found in {roots}; run it in the project folder, "
              "set CLINIFORM_PACKS to the pack folders, or name the files or folders to check", file=sys.stderr)
        return 2
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if args.json:
        print(json.dumps([d.as_json() for d in diagnostics], ensure_ascii=False, indent=2))
        return 1 if errors else 0
    for diag in diagnostics:
        if args.quiet and not diag.is_error:
            continue
        print(f"{diag.location}: {diag.code} {diag.severity.value}: {diag.message}")
        if diag.hint:
            print(f"    hint: {diag.hint}")
    if not args.quiet:
        warnings = len(diagnostics) - len(errors)
        print(f"checked {len(result.catalog)} definitions in {len(result.packs)} packs: {len(errors)} errors, {warnings} warnings")
    return 1 if errors else 0


def _read_mapping(path: str, what: str) -> dict[str, Any] | None:
    doc, diagnostics = read_file(path)
    for diag in diagnostics:
        print(str(diag), file=sys.stderr)
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        print(f"{path}: {what} must be a mapping of names to values", file=sys.stderr)
        return None
    return doc.data


def cmd_eval(args: argparse.Namespace) -> int:
    target = Path(args.form)
    if target.suffix.lower() in (".yaml", ".yml", ".json") and target.exists():
        result = load(extra_files=[target.resolve()])
        form = next((f for f in result.catalog.latest_forms() if Path(f.path).resolve() == target.resolve()), None)
    else:
        result = load()
        form = result.catalog.form(args.form)
    if form is None:
        for diag in result.diagnostics:
            if diag.is_error:
                print(str(diag), file=sys.stderr)
        print(f"cliniform eval: form '{args.form}' is not defined (or has errors); run `cliniform check`", file=sys.stderr)
        return 1
    answers = _read_mapping(args.answers, "answers")
    patient = _read_mapping(args.patient, "patient") if args.patient else {}
    if answers is None or patient is None:
        return 1
    ev = evaluate(form, answers, Context(patient=patient), locale=args.locale)
    out = {
        "form": f"{form.id}@{form.version}",
        "answers": ev.answers_json(),
        "calculated": sorted(ev.calculated),
        "visible": sorted(p for p, v in ev.visible.items() if v),
        "hidden": sorted(p for p, v in ev.visible.items() if not v),
        "required": sorted(ev.required),
        "errors": {p: [e.message for e in errs] for p, errs in ev.errors.items()},
        "issues": [str(d) for d in ev.issues],
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    else:
        for key, value in out.items():
            print(f"{key}: {json.dumps(value, ensure_ascii=False, default=str)}")
    return 1 if ev.errors else 0


def cmd_test(args: argparse.Namespace) -> int:
    result = load()
    errors = [d for d in result.diagnostics if d.is_error]
    for diag in errors:
        print(str(diag), file=sys.stderr)
    wanted = {Path(p).name for p in args.packs}
    unknown = wanted - {p.manifest.id for p in result.packs}
    if unknown:
        print(f"cliniform test: unknown pack(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    outcomes = run_tests(result, wanted or None)
    failed = [o for o in outcomes if not o.passed]
    if args.json:
        print(json.dumps([o.as_json() for o in outcomes], ensure_ascii=False, indent=2))
    else:
        for o in failed:
            print(f"{o.location}: FAIL {o.definition} :: {o.name}\n    {o.detail}")
        print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or errors else 0
