"""Definition benchmarks: compile, evaluate (full and incremental), expressions.

1. Compile 200 generated forms of 100 items each. Reading (YAML -> data with locations)
   is reported separately from compiling (JSON Schema structure pass + semantic compile:
   items, expressions, dependency graph). Target: compile <= 5 ms per form.
2. Evaluate a 100-item form with 30 calculated or conditional items: a full evaluation of
   a complete set of answers, and an incremental re-evaluation after one changed answer.
   Targets: full <= 2 ms, incremental <= 0.3 ms (p50; p99 reported).
3. Evaluate typical pre-parsed expressions, next to the same logic written as a plain
   Python lambda (the floor) measured in the same run. Target: <= 5 us per expression.

``python -m benchmarks definitions`` runs this module and updates docs/PERFORMANCE.md;
``python -m benchmarks.bench_definitions`` only prints the table.
"""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from benchmarks import Row, per_call, percentile, render, result, timed
from engine.compiler import PackContext
from engine.evaluator import Context, evaluate, reevaluate
from engine.expressions import Expression, Record, RecordList, compile_expression
from engine.forms import compile_form
from engine.model import Form
from engine.packs import load
from engine.reader import read_text
from engine.schema import check_structure

FORMS = 200
ITEMS = 100
DYNAMIC = 30
EVAL_RUNS = 2_000
CONTEXT = PackContext("bench", ("en", "ar"), "en")

# -- a generated form ------------------------------------------------------------------------

_INPUTS = ["integer", "decimal", "text", "boolean", "single_choice", "quantity", "date", "multiple_choice"]


def _label(i: int) -> str:
    return f"{{en: Question {i}, ar: السؤال {i}}}"


def generate_form(seed: int, items: int = ITEMS, dynamic: int = DYNAMIC, pack: str = "bench") -> str:
    """A form of ``items`` items of which ``dynamic`` are calculated or conditional.

    Inputs cycle through the common types; dynamic items read earlier inputs (and some
    read other dynamic items, so that dependency chains exist), as real forms do.
    """
    rnd = random.Random(seed)
    lines = [
        "schema: cliniform/form@1",
        f"id: {pack}.form_{seed}",
        "version: 1.0.0",
        f"title: {{en: Generated form {seed}, ar: استمارة {seed}}}",
        "items:",
    ]
    numbers: list[str] = []
    choices: list[str] = []
    flags: list[str] = []
    calculated: list[str] = []
    inputs = items - dynamic
    for i in range(inputs):
        kind = _INPUTS[i % len(_INPUTS)]
        item_id = f"q{i}"
        head = f"  - {{id: {item_id}, type: {kind}, label: {_label(i)}"
        if kind == "integer":
            lines.append(head + ", min: 0, max: 1000, required: true}")
            numbers.append(item_id)
        elif kind == "decimal":
            lines.append(head + ", min: 0, decimals: 1}")
            numbers.append(item_id)
        elif kind == "quantity":
            lines.append(head + ", unit: kg, units: [kg, '[lb_av]'], min: 0, max: 400}")
            numbers.append(item_id)
        elif kind == "text":
            lines.append(head + ", max_length: 200}")
        elif kind == "boolean":
            lines.append(head + "}")
            flags.append(item_id)
        elif kind == "date":
            lines.append(head + ", min: '1900-01-01'}")
        else:
            options = ", ".join(f"{{code: c{k}, display: {{en: Choice {k}, ar: خيار {k}}}, score: {k}}}" for k in range(4))
            lines.append(head + f", options: [{options}]}}")
            choices.append(item_id)
    for j in range(dynamic):
        item_id = f"d{j}"
        a, b = rnd.sample(numbers, 2)
        style = j % 5
        if style == 0:
            expr = f"coalesce({a}, 0) + coalesce({b}, 0) * 2"
            lines.append(f"  - {{id: {item_id}, type: decimal, label: {_label(inputs + j)}, decimals: 1, calculate: '{expr}'}}")
            calculated.append(item_id)
        elif style == 1 and calculated:
            source = rnd.choice(calculated)
            expr = f"{source} > 100 or {a} < 10"
            lines.append(f"  - {{id: {item_id}, type: boolean, label: {_label(inputs + j)}, calculate: '{expr}'}}")
        elif style == 2:
            flag = rnd.choice(flags)
            lines.append(f"  - {{id: {item_id}, type: text, label: {_label(inputs + j)}, visible_when: '{flag} == true', required_when: 'coalesce({a}, 0) > 500'}}")
        elif style == 3:
            choice = rnd.choice(choices)
            lines.append(f"  - {{id: {item_id}, type: integer, label: {_label(inputs + j)}, visible_when: \"{choice} == 'c2' or {choice} == 'c3'\", min: 0}}")
        else:
            expr = f"round(max({a}, {b}) / 2, 1) if {a} != null else null"
            lines.append(f"  - {{id: {item_id}, type: decimal, label: {_label(inputs + j)}, calculate: '{expr}'}}")
            calculated.append(item_id)
    return "\n".join(lines) + "\n"


def answers_for(form: Form, seed: int) -> dict[str, Any]:
    """A complete set of raw answers, as strings the way a browser posts them."""
    rnd = random.Random(seed)
    answers: dict[str, Any] = {}
    for item in form.index.values():
        if item.calculate is not None or not item.id.startswith("q"):
            continue
        if item.type in ("integer", "decimal", "quantity"):
            answers[item.id] = str(rnd.randint(1, 300))
        elif item.type == "text":
            answers[item.id] = "some text"
        elif item.type == "boolean":
            answers[item.id] = rnd.choice(["true", "false"])
        elif item.type == "date":
            answers[item.id] = "2024-01-31"
        elif item.type == "single_choice":
            answers[item.id] = rnd.choice(["c0", "c1", "c2", "c3"])
        elif item.type == "multiple_choice":
            answers[item.id] = ["c1", "c3"]
    return answers


def compile_text(text: str, name: str = "form.yaml") -> Form:
    doc, diagnostics = read_text(text, name)
    assert doc is not None and not diagnostics, diagnostics
    assert not check_structure(doc)
    form, diagnostics = compile_form(doc, CONTEXT)
    assert form is not None, [str(d) for d in diagnostics]
    return form


# -- 1. compiling ----------------------------------------------------------------------------

REPEATS = 3


def _once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def bench_compile() -> dict[str, float]:
    texts = [generate_form(seed) for seed in range(FORMS)]
    compile_text(texts[0])  # warm caches: schemas, validators
    # each form is read and compiled REPEATS times; its best time counts (other processes
    # on the machine only ever add time), then p50/mean/max are taken over the 200 forms
    read_ms = [float("inf")] * len(texts)
    structure_ms = [float("inf")] * len(texts)
    semantic_ms = [float("inf")] * len(texts)
    for _ in range(REPEATS):
        for n, text in enumerate(texts):
            t0 = time.perf_counter()
            doc, _ = read_text(text, f"form_{n}.yaml")
            t1 = time.perf_counter()
            assert doc is not None
            assert not check_structure(doc)
            t2 = time.perf_counter()
            form, _ = compile_form(doc, CONTEXT)
            t3 = time.perf_counter()
            assert form is not None and len(form.index) == ITEMS
            read_ms[n] = min(read_ms[n], (t1 - t0) * 1000)
            structure_ms[n] = min(structure_ms[n], (t2 - t1) * 1000)
            semantic_ms[n] = min(semantic_ms[n], (t3 - t2) * 1000)
    compile_ms = [s + c for s, c in zip(structure_ms, semantic_ms, strict=True)]
    # where reading and compiling spend their time: libyaml alone, expression parsing alone
    sample = texts[:50]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    libyaml_ms = statistics.median(min(_once(lambda text=text: yaml.compose(text, Loader=loader)) for _ in range(REPEATS)) for text in sample)  # type: ignore[misc]
    expr_ms: list[float] = []
    for text in sample:
        form = compile_text(text)
        sources = [e.source for item in form.index.values() for e in (item.calculate, item.visible_when, item.required_when) if e is not None]
        known = set(form.index) | {"score"}
        expr_ms.append(min(_once(lambda sources=sources, known=known: [compile_expression(s, known_names=known) for s in sources]) for _ in range(REPEATS)))  # type: ignore[misc]
        expressions_per_form = len(sources)
    with tempfile.TemporaryDirectory(prefix="cliniform-bench-") as tmp:
        pack = Path(tmp) / "bench"
        (pack / "forms").mkdir(parents=True)
        (pack / "pack.yaml").write_text("schema: cliniform/pack@1\nid: bench\nversion: 1.0.0\ntitle: {en: Bench, ar: قياس}\nlocales: [en, ar]\n", "utf-8")
        for n, text in enumerate(texts):
            (pack / "forms" / f"form_{n}.yaml").write_text(text, "utf-8")
        start = time.perf_counter()
        loaded = load([pack])
        load_s = time.perf_counter() - start
        assert loaded.ok and len(loaded.catalog) == FORMS, [str(d) for d in loaded.diagnostics[:3]]
        del loaded
        # the same with the cyclic garbage collector paused: what GC costs while a whole
        # catalog of small objects (nodes, locations, items) is alive
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            load([pack])
            load_nogc_s = time.perf_counter() - start
        finally:
            gc.enable()
    return {
        "read_p50_ms": statistics.median(read_ms), "read_mean_ms": statistics.fmean(read_ms),
        "structure_p50_ms": statistics.median(structure_ms), "semantic_p50_ms": statistics.median(semantic_ms),
        "compile_p50_ms": statistics.median(compile_ms), "compile_mean_ms": statistics.fmean(compile_ms),
        "compile_max_ms": max(compile_ms), "compile_total_s": sum(compile_ms) / 1000,
        "load_200_s": load_s, "load_200_nogc_s": load_nogc_s, "bytes_per_form": statistics.fmean(len(t.encode()) for t in texts),
        "libyaml_compose_ms": libyaml_ms, "expressions_p50_ms": statistics.median(expr_ms), "expressions_per_form": float(expressions_per_form),
    }


# -- 2. evaluating ---------------------------------------------------------------------------

def bench_evaluate() -> dict[str, float]:
    form = compile_text(generate_form(7))
    answers = answers_for(form, 7)
    context = Context(patient={"sex": "female", "birth_date": "1980-05-01"})
    full = timed(lambda: evaluate(form, answers, context), EVAL_RUNS)
    base = evaluate(form, answers, context)
    assert not base.issues and len(base.calculated) >= 10
    # one changed answer: every input in turn, each with a new value
    inputs = [i for i in answers if form.index[i].type in ("integer", "decimal", "quantity", "boolean", "single_choice")]
    changes = [(i, "999" if form.index[i].type != "boolean" and form.index[i].type != "single_choice" else ("false" if answers[i] == "true" else "c2" if form.index[i].type == "single_choice" else "true")) for i in inputs]
    cycle = iter(range(10**9))
    dependents = [len(form.dependents.get(i, ())) for i, _ in changes]

    def one_change() -> None:
        item_id, value = changes[next(cycle) % len(changes)]
        reevaluate(base, {item_id: value})

    incremental = timed(one_change, EVAL_RUNS)
    # the most connected input alone (the worst case for the incremental path)
    hub, hub_value = max(changes, key=lambda c: len(form.dependents.get(c[0], ())))
    worst = timed(lambda: reevaluate(base, {hub: hub_value}), EVAL_RUNS // 2)
    return {
        "full_p50_ms": percentile(full, 0.5), "full_p99_ms": percentile(full, 0.99),
        "incremental_p50_ms": percentile(incremental, 0.5), "incremental_p99_ms": percentile(incremental, 0.99),
        "incremental_hub_p50_ms": percentile(worst, 0.5), "hub_dependents": float(len(form.dependents.get(hub, ()))),
        "mean_dependents": statistics.fmean(dependents), "dynamic_items": float(sum(1 for i in form.index.values() if i.calculate or i.visible_when or i.required_when)),
    }


# -- 3. expressions --------------------------------------------------------------------------

ENV: dict[str, Any] = {
    "systolic": 185, "diastolic": 95, "weight": 81.0, "height": 180.0, "pain_score": None,
    "patient": Record({"sex": "female", "age": 34}), "smoker": True, "packs": 2, "years": 20,
    "meds": RecordList([{"dose": 5.0}, {"dose": 2.5}, {"dose": 10.0}]),
    "symptoms": ["fever", "cough"], "score_a": 2, "score_b": 3, "score_c": 1,
}

#: (expression, the same logic as a plain Python lambda)
EXPRESSIONS: list[tuple[str, Callable[[Mapping[str, Any]], Any]]] = [
    ("systolic >= 180 or diastolic >= 120", lambda e: e["systolic"] >= 180 or e["diastolic"] >= 120),
    ("bmi(weight, height)", lambda e: round(e["weight"] / (e["height"] / 100) ** 2, 1)),
    ("weight / (height / 100) ** 2", lambda e: e["weight"] / (e["height"] / 100) ** 2),
    ("coalesce(pain_score, 0) > 0", lambda e: (e["pain_score"] if e["pain_score"] is not None else 0) > 0),
    ("patient.sex == 'female' and patient.age >= 12", lambda e: e["patient"].sex == "female" and e["patient"].age >= 12),
    ("packs * years / 20 if smoker else 0", lambda e: e["packs"] * e["years"] / 20 if e["smoker"] else 0),
    ("sum(meds.dose)", lambda e: sum(e["meds"].dose)),
    ("'fever' in symptoms", lambda e: "fever" in e["symptoms"]),
    ("score_a + score_b + score_c >= 5", lambda e: e["score_a"] + e["score_b"] + e["score_c"] >= 5),
    ("18.5 <= bmi(weight, height) < 25", lambda e: 18.5 <= round(e["weight"] / (e["height"] / 100) ** 2, 1) < 25),
]


def bench_expressions() -> dict[str, Any]:
    from engine.expressions import reference_evaluate

    names = set(ENV)
    rows: list[dict[str, Any]] = []
    for source, floor in EXPRESSIONS:
        expr: Expression = compile_expression(source, known_names=names)
        assert expr.evaluate(ENV) == floor(ENV), source
        engine_us = per_call(lambda expr=expr: expr.evaluate(ENV), 20_000)  # type: ignore[misc]
        lambda_us = per_call(lambda floor=floor: floor(ENV), 20_000)  # type: ignore[misc]
        reference_us = per_call(lambda expr=expr: reference_evaluate(expr, ENV), 2_000)  # type: ignore[misc]
        rows.append({"source": source, "engine_us": engine_us, "lambda_us": lambda_us, "reference_us": reference_us})
    return {"expressions": rows}


# -- the report ------------------------------------------------------------------------------

def _ms(value: float) -> str:
    return f"{value:.3f} ms" if value < 1 else f"{value:.2f} ms"


def run() -> dict[str, Any]:
    c = bench_compile()
    e = bench_evaluate()
    x = bench_expressions()
    exprs = x["expressions"]
    worst_expr = max(r["engine_us"] for r in exprs)
    mean_expr = statistics.fmean(r["engine_us"] for r in exprs)
    mean_floor = statistics.fmean(r["lambda_us"] for r in exprs)
    rows: list[Row] = [
        (f"read {FORMS} forms of {ITEMS} items (YAML -> data + locations), per form, p50", _ms(c["read_p50_ms"]), "", None),
        ("  of which libyaml parsing and composing nodes, p50", _ms(c["libyaml_compose_ms"]), "", None),
        ("compile per form, p50 (structure + semantic)", _ms(c["compile_p50_ms"]), "<= 5 ms", c["compile_p50_ms"] <= 5),
        ("compile per form, mean / max", f"{_ms(c['compile_mean_ms'])} / {_ms(c['compile_max_ms'])}", "", None),
        ("  of which structure pass (JSON Schema), p50", _ms(c["structure_p50_ms"]), "", None),
        ("  of which semantic compile (items, expressions, graph), p50", _ms(c["semantic_p50_ms"]), "", None),
        (f"    of which parsing and checking its {int(c['expressions_per_form'])} expressions, p50", _ms(c["expressions_p50_ms"]), "", None),
        (f"load a pack of {FORMS} such forms from disk, end to end", f"{c['load_200_s']:.2f} s", "", None),
        ("  the same with Python's cyclic garbage collector paused", f"{c['load_200_nogc_s']:.2f} s", "", None),
        (f"evaluate a {ITEMS}-item form ({int(e['dynamic_items'])} calculated/conditional), full, p50", _ms(e["full_p50_ms"]), "<= 2 ms", e["full_p50_ms"] <= 2),
        ("evaluate, full, p99", _ms(e["full_p99_ms"]), "", None),
        ("re-evaluate after one changed answer, p50", _ms(e["incremental_p50_ms"]), "<= 0.3 ms", e["incremental_p50_ms"] <= 0.3),
        ("re-evaluate after one changed answer, p99", _ms(e["incremental_p99_ms"]), "", None),
        (f"re-evaluate after a change to the most-read input ({int(e['hub_dependents'])} dependents), p50", _ms(e["incremental_hub_p50_ms"]), "", None),
        (f"pre-parsed expression, mean of {len(exprs)} typical ones", f"{mean_expr:.2f} us", "<= 5 us", mean_expr <= 5),
        ("pre-parsed expression, slowest of them", f"{worst_expr:.2f} us", "<= 5 us", worst_expr <= 5),
        ("the same logic as plain Python lambdas (floor), mean", f"{mean_floor:.2f} us", "", None),
    ]
    detail = ["| expression | engine | simpleeval reference path | Python lambda | engine / lambda |", "|---|---:|---:|---:|---:|"]
    for r in exprs:
        detail.append(f"| `{r['source']}` | {r['engine_us']:.2f} us | {r['reference_us']:.1f} us | {r['lambda_us']:.2f} us | {r['engine_us'] / r['lambda_us']:.1f}x |")
    notes = "\n".join([
        f"Compile and read times are per form, the best of {REPEATS} passes over the {FORMS} forms (other processes on",
        "the machine can only add time), then the median (p50), mean and maximum over the forms.",
        f"Forms are generated (`benchmarks/bench_definitions.py`, `generate_form`): {ITEMS - DYNAMIC} inputs cycling through",
        f"integer, decimal, text, boolean, single and multiple choice, quantity and date, and {DYNAMIC} calculated or",
        f"conditional items reading them (some reading each other), about {c['bytes_per_form'] / 1024:.0f} kB of YAML each.",
        f"Evaluation times are over {EVAL_RUNS:,} runs with a complete set of answers posted as strings; the",
        "incremental runs change each numeric, boolean and choice input in turn (on average",
        f"{e['mean_dependents']:.1f} dependent items per input). Expression times are per call, best of 5 batches of",
        "20,000 calls, with the values already in the environment; the simpleeval reference path is the",
        "customer's evaluator of record, kept for conformance, not used at run time.",
        "",
        "Where the time goes (from the sub-measurements above):",
        "",
        f"- Reading a form ({_ms(c['read_p50_ms'])}) is libyaml's parser and composer ({_ms(c['libyaml_compose_ms'])}) plus the",
        "  reader's own pass in Python, which resolves every scalar with the YAML 1.2 rules and records",
        "  a location for every node (the price of `file:line:col` on every diagnostic). Reading has no",
        "  target, but it is the larger half of loading a pack.",
        f"- Compiling ({_ms(c['compile_p50_ms'])}) is the JSON Schema pass ({_ms(c['structure_p50_ms'])}), parsing and checking the",
        f"  {int(c['expressions_per_form'])} expressions ({_ms(c['expressions_p50_ms'])}), and building the items, texts, checks and dependency",
        f"  graph ({_ms(max(0.0, c['semantic_p50_ms'] - c['expressions_p50_ms']))}); no single step dominates.",
        "- Loading a pack end to end costs more than read + compile per form because the cyclic",
        "  garbage collector keeps re-scanning the growing catalog of small objects: with it paused the",
        f"  same load takes {c['load_200_nogc_s']:.2f} s instead of {c['load_200_s']:.2f} s. Pausing the collector while a catalog",
        "  is built (and `gc.freeze()` once it is built) is the cheapest speed-up available.",
        "",
        "Per expression:",
        "",
        *detail,
    ])
    metrics = {**c, **e, "expression_mean_us": mean_expr, "expression_max_us": worst_expr, "lambda_mean_us": mean_floor}
    return result("Definitions: compile, evaluate, expressions", rows, notes, metrics)


if __name__ == "__main__":
    print(render(run()))
