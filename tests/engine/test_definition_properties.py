"""Property tests: whatever an author (or an attacker) writes, the pipeline answers with
diagnostics, never with an uncaught exception.

- random bytes and random text go to the reader, as YAML and as JSON;
- valid definitions from the conformance suite (forms, rules, workflows, value sets,
  packs with catalogs) are mutated: keys dropped, values replaced by junk of any type,
  junk keys added, items duplicated, random expressions and unicode, deep nesting, and
  the text itself cut and spliced; then the whole pipeline (`engine.packs.load`) runs;
- forms that still compile are evaluated, and re-evaluated, with random answers.

1,000 definition documents (200 random bytes, 250 random texts, 550 mutated definitions) and
250 random answer sets; the file runs in about a minute.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import random
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.diagnostics import CATALOGUE, Diagnostic, Severity
from engine.evaluator import Context, evaluate, reevaluate
from engine.model import Form
from engine.reader import read_file, read_text
from tests.engine.test_definition_conformance import CASES, Case, load_case

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}

#: valid cases whose files are the seeds for mutation
SEEDS: list[Case] = [c for c in CASES if c.is_valid_case]
INTERESTING_TEXT = [
    "", " ", "@", "@missing.id", "@exam.title", "quantitiy", "group", "grid", "repeating_group", "display",
    "x" * 300, "٣٫٥", "١٢", "\u202eevil", "\x00", "\t", "cliniform/form@1", "cliniform/pack@1", "1.0", "1.0.0",
    ">=1.0,<2", "~>1", "P1Y", "nope", "en", "ar", "mm[Hg", "kg", "[lb_av]", "demo.vitals", "core", "…", "🙂",
    "{", "}", "[", "]", ": ", "- ", "#", "&a", "*a", "!!python/object:os.system", "<<",
]
EXPRESSIONS = [
    "a + ", "__import__('os')", "patient.__class__", "1/0", "weight > 100", "((((", "x.upper()", "9**9**9",
    "'a' * 10**9", "[x for x in y]", "lambda: 1", "bmi(weight)", "sum(meds.dose)", "cell(perio, '16', 'depth')",
    "score.severity", "systolic >= 180 or diastolic >= 120", "-(" * 150 + "1" + ")" * 150, "a" * 3000,
    "coalesce(pain_score, 0) > 0", "patient.age > 18 and patient.sex == 'female'", "unknown_name", "f'{x}'",
]
_ATOMS = ["weight", "height", "systolic", "a", "b", "meds", "perio", "patient", "patient.age", "1", "0", "2.5",
          "'x'", "true", "null", "+", "-", "*", "/", "//", "%", "**", "<", ">=", "==", "and", "or", "not", "(", ")",
          ",", "[", "]", ".", "bmi", "sum", "count", "max", "round", "coalesce", "if", "else", "in", "is"]

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**20, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30), st.sampled_from(INTERESTING_TEXT),
    st.sampled_from(EXPRESSIONS),
)
_junk = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10) | st.sampled_from(INTERESTING_TEXT), children, max_size=4),
    max_leaves=10,
)
_random_expression = st.lists(st.sampled_from(_ATOMS), min_size=1, max_size=12).map(" ".join)


def check_diagnostics(diagnostics: list[Diagnostic]) -> None:
    """What every stage promises: catalogue codes, a severity, a printable location."""
    for diag in diagnostics:
        assert isinstance(diag, Diagnostic)
        assert diag.code in CATALOGUE, diag.code
        assert isinstance(diag.severity, Severity)
        assert diag.location.line >= 0 and diag.location.col >= 0
        assert str(diag)
        json.dumps(diag.as_json())


# -- the reader ------------------------------------------------------------------------------

@settings(max_examples=200, **SETTINGS)
@given(st.binary(max_size=400), st.sampled_from([".yaml", ".json"]))
def test_random_bytes_give_diagnostics(raw: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"random{suffix}"
        path.write_bytes(raw)
        doc, diagnostics = read_file(path)
    check_diagnostics(diagnostics)
    assert doc is not None or diagnostics


_yaml_alphabet = st.sampled_from([*"abcxyz019 -:#[]{},'\"|>&*!?%@`\n\t\\.~", "\u00e9", "٣", "\u202e", "\x00", "\r\n", "\ufeff"])


@settings(max_examples=250, **SETTINGS)
@given(st.one_of(st.text(max_size=200), st.lists(_yaml_alphabet, max_size=200).map("".join)), st.booleans())
def test_random_text_gives_diagnostics(text: str, is_json: bool) -> None:
    doc, diagnostics = read_text(text, "random.json" if is_json else "random.yaml", is_json=is_json)
    check_diagnostics(diagnostics)
    if doc is not None:
        for pointer in doc.locations:
            assert doc.locate(pointer.split("#")[0]).line >= 1


# -- mutated definitions through the whole pipeline --------------------------------------------

def _containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping and list in the tree (the root is ())."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        found.append(path)
        for key, value in node.items():
            found += _containers(value, (*path, key))
    elif isinstance(node, list):
        found.append(path)
        for i, value in enumerate(node):
            found += _containers(value, (*path, i))
    return found


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


#: mutation operations, weighted by repetition (replacing the whole document is rare)
_OPERATIONS = ["drop"] * 3 + ["junk"] * 3 + ["expression"] * 2 + ["slot"] * 4 + ["add"] * 2 + ["duplicate"] * 3 + ["type"] * 3 + ["nest", "unicode", "unicode", "root"]
#: keys that hold expressions, in forms, rules and workflows
_EXPRESSION_KEYS = ("calculate", "visible_when", "required_when", "check", "when", "guard")


def _mutate(draw: st.DrawFn, rnd: random.Random, data: Any) -> Any:
    """One random mutation of ``data`` (in place where possible); returns the new root.

    Where to mutate is chosen with ``rnd`` (uniform), not with `sampled_from`, which
    favours the first element and would nearly always drop `schema:`.
    """
    targets = _containers(data)
    if not targets:
        return draw(_junk)
    target = _at(data, rnd.choice(targets))
    op = rnd.choice(_OPERATIONS)
    if op == "slot":
        # an expression where expressions belong: an item's calculate, a rule's when, ...
        slots = [t for t in (_at(data, p) for p in targets) if isinstance(t, dict) and ("id" in t or any(k in t for k in _EXPRESSION_KEYS))]
        if slots:
            slot = rnd.choice(slots)
            present = [k for k in _EXPRESSION_KEYS if k in slot]
            slot[rnd.choice(present or ["calculate", "visible_when", "required_when"])] = draw(_random_expression | st.sampled_from(EXPRESSIONS))
            return data
    keys = list(target) if isinstance(target, dict) else list(range(len(target)))
    if op == "root":
        return draw(_junk)
    if op == "add" or not keys:
        if isinstance(target, dict):
            target[draw(st.text(max_size=12) | st.sampled_from(["type", "calculate", "items", "id", "schema", "visible_when", "unit", "min", "rows"]))] = draw(_junk)
        else:
            target.append(draw(_junk))
        return data
    key = rnd.choice(keys)
    if op == "drop":
        del target[key]
    elif op == "junk":
        target[key] = draw(_junk)
    elif op == "expression":
        target[key] = draw(_random_expression | st.sampled_from(EXPRESSIONS))
    elif op == "duplicate":
        value = copy.deepcopy(target[key])
        if isinstance(target, list):
            target.insert(draw(st.integers(0, len(target))), value)
        else:
            target[rnd.choice(keys)] = value
    elif op == "type":
        target[key] = draw(st.sampled_from(["text", "integer", "quantity", "group", "grid", "repeating_group", "display", "single_choice", "boolean", "signature", "nonsense"]))
    elif op == "nest":
        value = target[key]
        for _ in range(draw(st.integers(1, 80))):
            value = [value] if draw(st.booleans()) else {"k": value}
        target[key] = value
    elif op == "unicode":
        target[key] = draw(st.text(min_size=1, max_size=40))
    return data


def _serialise(data: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(data, ensure_ascii=False, indent=1, default=str)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)


def _splice(draw: st.DrawFn, rnd: random.Random, text: str) -> str:
    """Cut, repeat or insert a piece of the text (breaks indentation, quotes, brackets)."""
    if not text:
        return text
    i = rnd.randint(0, len(text))
    j = rnd.randint(i, min(len(text), i + 40))
    piece = draw(st.sampled_from(["", text[i:j] * 2, draw(st.text(max_size=10)), "\n  - ", ": ", "'", "{"]))
    return text[:i] + piece + text[j:]


def _definition_files(case: Case) -> list[str]:
    return [rel for rel in case.files if "/locale/" not in f"/{rel}" and rel.endswith((".yaml", ".json"))]


@st.composite
def mutated_cases(draw: st.DrawFn) -> Case:
    case = draw(st.sampled_from(SEEDS))
    rel = draw(st.sampled_from(_definition_files(case)))
    text, encoding = case.files[rel]
    doc, _ = read_text(text, rel, is_json=rel.endswith(".json"))
    assert doc is not None
    data = copy.deepcopy(doc.data)
    # a plain Random seeded from the example: uniform where hypothesis favours small values
    rnd = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 4))):
        data = _mutate(draw, rnd, data)
    as_json = rel.endswith(".json") or draw(st.integers(0, 9)) == 0
    try:
        new_text = _serialise(data, as_json)
    except (TypeError, ValueError, yaml.YAMLError):
        new_text = text
    if draw(st.integers(0, 4)) == 0:
        new_text = _splice(draw, rnd, new_text)
    files = dict(case.files)
    files[rel] = (new_text, encoding)
    return dataclasses.replace(case, files=files)


@settings(max_examples=550, **SETTINGS)
@given(mutated_cases())
def test_mutated_definitions_give_diagnostics_only(case: Case) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = load_case(case, Path(tmp))
    check_diagnostics(result.diagnostics)
    for definition in result.catalog:
        assert definition.key.id and definition.key.version


# -- evaluating whatever compiles, with random answers ------------------------------------------

def _compiled_forms() -> list[Form]:
    forms: list[Form] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, case in enumerate(SEEDS):
            root = Path(tmp) / str(n)
            root.mkdir()
            forms += load_case(case, root).catalog.latest_forms()
    return forms


FORMS = _compiled_forms()
_answer = st.one_of(
    _junk, st.sampled_from(["yes", "no", "٤٢", "3,5", "2024-01-31", "10:30", "left", "mild", "a", "0" * 64]),
    st.fixed_dictionaries({"value": _scalars, "unit": st.sampled_from(["kg", "[lb_av]", "cm", "g", "bogus"])}),
    st.lists(st.dictionaries(st.sampled_from(["drug", "dose_mg", "times_a_day", "reason", "visit_on", "x"]), _scalars, max_size=4), max_size=4),
    st.dictionaries(st.sampled_from(["16", "11", "26", "99"]), st.dictionaries(st.sampled_from(["depth", "bleeding", "missing", "x"]), _scalars, max_size=3), max_size=3),
)


@st.composite
def forms_and_answers(draw: st.DrawFn) -> tuple[Form, dict[str, Any], dict[str, Any], dict[str, Any]]:
    form = draw(st.sampled_from(FORMS))
    ids = list(form.index)
    answers = draw(st.dictionaries(st.sampled_from(ids), _answer, max_size=8))
    change = draw(st.dictionaries(st.sampled_from(ids) | st.sampled_from(["meds[0].dose_mg", "perio[16].depth", "perio[99].depth", "nope", "meds[x].y"]), _answer, max_size=2))
    patient = draw(st.fixed_dictionaries({}, optional={"sex": st.sampled_from(["female", "male", 3]), "birth_date": st.sampled_from(["1990-01-01", "not a date", "٢٠٠٠-٠١-٠١"]), "age": _scalars}))
    return form, answers, change, patient


@settings(max_examples=250, **SETTINGS)
@given(forms_and_answers())
def test_evaluating_random_answers_never_raises(scenario: tuple[Form, dict[str, Any], dict[str, Any], dict[str, Any]]) -> None:
    form, answers, change, patient = scenario
    ev = evaluate(form, answers, Context(patient=patient), locale="ar")
    check_diagnostics(list(ev.issues))
    json.dumps(ev.answers_json(), default=str)
    again = reevaluate(ev, change)
    check_diagnostics(list(again.issues))
    assert set(again.visible) >= {i for i in form.index if "[" not in i and form.index[i].parent is None}
