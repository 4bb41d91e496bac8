"""Meta-tests that keep the diagnostics catalogue honest.

- every code in engine.diagnostics.CATALOGUE is produced by at least one conformance case
  (definition cases, or expression cases for the codes raised while evaluating);
- every code the engine's source mentions is in the catalogue;
- docs/diagnostics.md lists exactly the catalogue and is what the generator writes.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from engine.diagnostics import CATALOGUE, Severity
from tests.engine.test_definition_conformance import CASES, run_case

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"^[A-Z][A-Z0-9]*[A-Z][0-9]{3}$")
CODE_LITERAL = re.compile(r"""["']([A-Z][A-Z0-9]*[A-Z][0-9]{3})["']""")


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "gen_diagnostics_doc.py"
    spec = importlib.util.spec_from_file_location("gen_diagnostics_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _generator()


@pytest.fixture(scope="module")
def produced_by_definitions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """code -> the definition cases that really produce it (by running them)."""
    produced: dict[str, list[str]] = {}
    for n, case in enumerate(CASES):
        root = tmp_path_factory.mktemp(f"case{n}")
        for diag in run_case(case, root):
            produced.setdefault(diag.code, []).append(f"{case.origin} {case.name}")
    return produced


def test_catalogue_entries_are_well_formed() -> None:
    for code, info in CATALOGUE.items():
        assert CODE.match(code), code
        assert info.title and info.explanation, code
        assert isinstance(info.severity, Severity), code
        assert info.explanation.endswith("."), code


def test_every_code_is_produced_by_a_conformance_case(produced_by_definitions: dict[str, list[str]], generator: ModuleType) -> None:
    from_expressions = {case["error"] for _, case in generator.expression_cases()}
    covered = set(produced_by_definitions) | from_expressions
    missing = sorted(set(CATALOGUE) - covered)
    assert not missing, f"no conformance case produces {missing}: add a case, or report why the code cannot be produced"


def test_run_time_codes_are_covered_by_expression_cases(generator: ModuleType) -> None:
    """EVAL codes come from evaluating expressions; the expression cases must show each."""
    from_expressions = {case["error"] for _, case in generator.expression_cases()}
    evaluation = {code for code in CATALOGUE if code.startswith("EVAL")}
    assert evaluation, "the catalogue has run-time codes"
    assert evaluation <= from_expressions


def test_expression_cases_only_name_catalogue_codes(generator: ModuleType) -> None:
    unknown = {case["error"] for _, case in generator.expression_cases()} - set(CATALOGUE)
    assert not unknown


def test_definition_cases_only_produce_catalogue_codes(produced_by_definitions: dict[str, list[str]]) -> None:
    assert set(produced_by_definitions) <= set(CATALOGUE)


def test_every_code_in_the_engine_source_is_in_the_catalogue() -> None:
    """A code typed into engine code but missing from the catalogue would crash `make`."""
    used: dict[str, str] = {}
    for path in sorted((ROOT / "engine").rglob("*.py")):
        if path.name == "diagnostics.py":
            continue
        for code in CODE_LITERAL.findall(path.read_text("utf-8")):
            used.setdefault(code, str(path.relative_to(ROOT)))
    unknown = {code: where for code, where in used.items() if code not in CATALOGUE}
    assert not unknown
    assert {"FORM002", "EXPR006", "PACK003", "I18N001"} <= set(used)


def test_doc_lists_exactly_the_catalogue() -> None:
    text = (ROOT / "docs" / "diagnostics.md").read_text("utf-8")
    headings = re.findall(r"^### ([A-Z][A-Z0-9]*[0-9]{3})$", text, flags=re.MULTILINE)
    assert headings == list(CATALOGUE)
    rows = re.findall(r"^\| \[([A-Z][A-Z0-9]*[0-9]{3})\]\(#[a-z0-9]+\) \| (\w+) \|", text, flags=re.MULTILINE)
    assert rows == [(code, info.severity.value) for code, info in CATALOGUE.items()]


def test_doc_is_up_to_date(generator: ModuleType) -> None:
    current = (ROOT / "docs" / "diagnostics.md").read_text("utf-8")
    assert current == generator.render(), "docs/diagnostics.md is out of date: run .venv/bin/python scripts/gen_diagnostics_doc.py"


def test_every_code_has_an_example_in_the_doc() -> None:
    text = (ROOT / "docs" / "diagnostics.md").read_text("utf-8")
    assert "No conformance case produces this code yet" not in text
