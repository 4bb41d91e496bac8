"""Decision-support benchmark: 500 rules over a chart and a 100-item form.

A generated form of 100 items (70 numbers, 10 yes/no, 10 choices, a medication group with
a drug and a dose, 7 calculations) and 500 generated rules of eight shapes: thresholds on
one or two answers, answers with a yes/no or a choice, a calculated value, a coded problem
of the chart, the latest observation of a code (`value_of`), drug classes shared between
the allergies and the form's medication rows, and the patient's age. The chart holds 200
latest observations, 5 allergies, 8 medications and 10 problems.

1. Full evaluation: the 100-item form evaluated from its raw posted answers (`evaluate`:
   typing, 7 calculations, visibility, validation), the rule environment built from it and
   the chart (`form_env`), then all 500 rules run and the firing ones made into cards
   (`run_rules`). Target: <= 5 ms, i.e. <= 10 us per rule (p50). The three parts are
   reported too.
2. Re-evaluation after one changed answer: the form re-evaluated incrementally, the rules
   that read the answer found (`form_affected_rules`) and only they run again; the other
   cards are carried over. Reported: how many rules that touches, and its time; checked:
   the cards equal a full run on the new answers, and the rules run again are exactly
   the rules whose inputs include the answer, directly or through calculated items --
   a set the benchmark computes on its own (`readers_of`: the names each rule's condition
   and summary read, closed over the calculations' names), not with the engine's
   dependency graph.

``python -m benchmarks rules`` runs this module and updates docs/PERFORMANCE.md;
``python -m benchmarks.bench_rules`` only prints the table.
"""

from __future__ import annotations

import random
import statistics
from typing import Any

from benchmarks import Row, per_call, percentile, render, result, timed
from engine.compiler import PackContext
from engine.decisions import (
    SEVERITY_ORDER,
    Card,
    ChartContext,
    form_affected_rules,
    form_env,
    run_rules,
)
from engine.evaluator import Context, evaluate, reevaluate
from engine.forms import compile_form
from engine.model import Form, Rule, ValueSet
from engine.packs import load
from engine.reader import read_text
from engine.rules import compile_rule
from engine.valuesets import Classifier

RULES = 500
OBSERVATIONS = 200
RUNS = 300
CONTEXT = PackContext("bench", ("en", "ar"), "en")
ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
DRUGS = ("amoxicillin", "warfarin", "apixaban", "aspirin", "ibuprofen", "metformin", "isotretinoin", "cefalexin")


def generate_form() -> str:
    """100 items: n0-n69 numbers, b0-b9 yes/no, c0-c9 choices, a medication group (3), k0-k6."""
    lines = ["schema: cliniform/form@1", "id: bench.rules_form", "version: 1.0.0",
             "title: {en: Rules benchmark form, ar: استمارة قياس القواعد}", "items:"]
    lines += [f"  - {{id: n{i}, type: integer, label: {{en: N{i}, ar: ع{i}}}, min: 0, max: 1000}}" for i in range(70)]
    lines += [f"  - {{id: b{i}, type: boolean, label: {{en: B{i}, ar: ب{i}}}}}" for i in range(10)]
    options = ", ".join(f"{{code: c{k}, display: {{en: C{k}, ar: خ{k}}}}}" for k in range(4))
    lines += [f"  - {{id: c{i}, type: single_choice, label: {{en: C{i}, ar: خ{i}}}, options: [{options}]}}" for i in range(10)]
    drugs = ", ".join(f"{{code: {d}, display: {{en: {d}, ar: {d}}}}}" for d in DRUGS)
    lines += ["  - id: meds", "    type: repeating_group", "    label: {en: Medicines, ar: الأدوية}", "    items:",
              f"      - {{id: drug, type: single_choice, label: {{en: Drug, ar: الدواء}}, options: [{drugs}]}}",
              "      - {id: dose, type: decimal, label: {en: Dose, ar: الجرعة}, min: 0}"]
    lines += [f"  - {{id: k{j}, type: integer, label: {{en: K{j}, ar: ك{j}}}, calculate: 'coalesce(n{2 * j}, 0) + coalesce(n{2 * j + 1}, 0)'}}"
              for j in range(7)]
    return "\n".join(lines) + "\n"


def generate_rule(i: int, rnd: random.Random) -> str:
    """One rule of eight shapes; thresholds set so that a few per cent fire."""
    a, b = rnd.sample(range(70), 2)
    shape = i % 8
    if shape == 0:
        when, summary = f"n{a} >= {rnd.randint(985, 1000)}", f"N{a} is {{n{a}}}"
    elif shape == 1:
        when, summary = f"n{a} > {rnd.randint(600, 900)} and n{b} < {rnd.randint(20, 100)}", f"N{a} {{n{a}}} with N{b} {{n{b}}}"
    elif shape == 2:
        when, summary = f"b{rnd.randrange(10)} == true and n{a} > {rnd.randint(900, 990)}", f"Flag and N{a} {{n{a}}}"
    elif shape == 3:
        when, summary = f"c{rnd.randrange(10)} == 'c3' and k{rnd.randrange(7)} > {rnd.randint(1500, 1900)}", "Choice c3 and a high sum"
    elif shape == 4:
        when, summary = f"has_code(problems, '{ICD10}', 'X{rnd.randrange(40)}') and n{a} > {rnd.randint(700, 990)}", f"Problem and N{a} {{n{a}}}"
    elif shape == 5:
        code = rnd.randrange(OBSERVATIONS)
        when, summary = f"value_of(observations, '{LOINC}', 'L{code}') > {rnd.randint(980, 1010)}", f"L{code} is {{value_of(observations, '{LOINC}', 'L{code}')}}"
    elif shape == 6:
        when, summary = "count(shared_classes(allergies, meds)) > 0", "Allergy class in {shared_classes(allergies, meds)}"
        if i % 80 != 6:  # most of them look at one class only
            when, summary = f"has_class(meds, '{rnd.choice(('anticoagulants', 'nsaids', 'teratogens'))}') and n{a} > 990", "A class and a high value"
    else:
        when, summary = f"coalesce(patient.age, 0) >= {rnd.randint(60, 90)} and n{a} > {rnd.randint(800, 995)}", f"Older patient, N{a} {{n{a}}}"
    severity = ("info", "warning", "critical")[i % 3]
    return "\n".join([
        "schema: cliniform/rule@1", f"id: bench.rule_{i}", "version: 1.0.0", f"title: {{en: Rule {i}}}",
        "applies_to: {forms: [bench.rules_form]}", f"when: \"{when}\"", f"severity: {severity}",
        f"summary: {{en: \"{summary}\"}}",
        "override_reasons: [{code: reviewed, display: {en: Reviewed}}]",
    ]) + "\n"


def build() -> tuple[Form, list[Rule], list[ValueSet]]:
    doc, diagnostics = read_text(generate_form(), "bench_form.yaml")
    assert doc is not None and not diagnostics
    form, diagnostics = compile_form(doc, CONTEXT)
    assert form is not None and len(form.index) == 100, [str(d) for d in diagnostics]
    rnd = random.Random(7)
    rules: list[Rule] = []
    for i in range(RULES):
        rule_doc, diagnostics = read_text(generate_rule(i, rnd), f"rule_{i}.yaml")
        assert rule_doc is not None and not diagnostics, diagnostics
        rule, diagnostics = compile_rule(rule_doc, CONTEXT, {form.id: form})
        assert rule is not None, [str(d) for d in diagnostics]
        rules.append(rule)
    valuesets = [v for v in load().catalog.valuesets() if isinstance(v, ValueSet)]
    return form, rules, valuesets


def chart(rnd: random.Random) -> ChartContext:
    observations = tuple({"system": LOINC, "code": f"L{j}", "value": rnd.randint(0, 1000), "unit": "1", "date": "2025-01-01"}
                         for j in range(OBSERVATIONS))
    return ChartContext(
        patient={"sex": "female", "birth_date": "1950-05-05"},
        allergies=tuple({"system": "", "code": c, "display": c} for c in ("penicillin", "latex", "peanut", "egg", "codeine")),
        medications=tuple({"system": "", "code": c, "display": c} for c in DRUGS),
        problems=tuple({"system": ICD10, "code": f"X{k}", "display": f"X{k}"} for k in range(0, 20, 2)),
        observations=observations,
    )


def answers(rnd: random.Random) -> dict[str, Any]:
    found: dict[str, Any] = {f"n{i}": str(rnd.randint(0, 1000)) for i in range(70)}
    found |= {f"b{i}": rnd.choice(["true", "false"]) for i in range(10)}
    found |= {f"c{i}": rnd.choice(["c0", "c1", "c2", "c3"]) for i in range(10)}
    found["meds"] = [{"drug": "amoxicillin", "dose": "500"}, {"drug": "metformin", "dose": "1000"}]
    return found


def _key(cards: list[Card]) -> list[tuple[str, str, str]]:
    return [(c.rule_id, c.summary, c.inputs_hash) for c in cards]


def readers_of(form: Form, rules: list[Rule], changed: str) -> set[str]:
    """The rules whose inputs include ``changed``: it, a calculated item computed from it
    (transitively), or the repeating group it is a cell of, among the names the rule's
    condition and summary read. Computed from the expressions' names alone, as a check
    on the engine's dependency graph (`form.dependents`, `form_affected_rules`)."""
    calculations = {item.id: item.calculate.names for item in form.index.values() if item.calculate is not None}
    inputs = {changed}
    while grown := {item_id for item_id, names in calculations.items() if item_id not in inputs and names & inputs}:
        inputs |= grown
    for item_id in list(inputs):
        parent = form.index[item_id].parent
        while parent is not None:
            inputs.add(parent)
            parent = form.index[parent].parent
    return {r.id for r in rules if (r.when.names | {n for e in r.summary_parts.values() for n in e.names}) & inputs}


def run() -> dict[str, Any]:
    form, rules, valuesets = build()
    classifier = Classifier(valuesets)
    rnd = random.Random(11)
    patient_chart = chart(rnd)
    context = Context(patient=dict(patient_chart.patient))
    raw = answers(rnd)
    ev = evaluate(form, raw, context)
    assert ev.valid, dict(ev.errors)

    def full() -> list[Card]:
        return run_rules(rules, form_env(evaluate(form, raw, context), patient_chart, classifier), "en")

    cards = full()
    full_ms = timed(full, RUNS)
    form_ms = timed(lambda: evaluate(form, raw, context), RUNS)
    env_ms = timed(lambda: form_env(ev, patient_chart, classifier), RUNS)
    env = form_env(ev, patient_chart, classifier)
    rules_only_ms = timed(lambda: run_rules(rules, env, "en"), RUNS)
    classifier_us = per_call(lambda: Classifier(valuesets), 200)

    # one changed answer: re-evaluate the form, run only the rules that read it; n5 is
    # read directly and through the calculation k2 = n4 + n5
    changed = "n5"
    touched = form_affected_rules(rules, form, [changed])
    rerun = {r.id for r in touched}
    readers = readers_of(form, rules, changed)
    exact = rerun == readers
    new_value = "999"
    ev2 = reevaluate(ev, {changed: new_value})
    untouched = {r.id for r in rules} - {r.id for r in touched}

    def incremental() -> list[Card]:
        ev_new = reevaluate(ev, {changed: new_value})
        fresh = run_rules(form_affected_rules(rules, form, [changed]), form_env(ev_new, patient_chart, classifier), "en")
        kept = [c for c in cards if c.rule_id in untouched]
        return sorted(kept + fresh, key=lambda c: (SEVERITY_ORDER[c.severity], c.rule_id))

    carried = incremental()
    reference = run_rules(rules, form_env(ev2, patient_chart, classifier), "en")
    same = sorted(_key(carried)) == sorted(_key(reference))
    incremental_ms = timed(incremental, RUNS)
    reevaluate_ms = timed(lambda: reevaluate(ev, {changed: new_value}), RUNS)
    affected_us = per_call(lambda: form_affected_rules(rules, form, [changed]), 200)
    row_change = {r.id for r in form_affected_rules(rules, form, ["drug"])}
    row_readers = readers_of(form, rules, "drug")
    row_exact = row_change == row_readers

    full_p50 = statistics.median(full_ms)
    per_rule_us = full_p50 * 1000 / RULES
    rows: list[Row] = [
        (f"full evaluation: {len(form.index)}-item form + environment + {RULES} rules + cards, p50", f"{full_p50:.2f} ms", "<= 5 ms", full_p50 <= 5),
        ("per rule (full p50 / rules)", f"{per_rule_us:.1f} us", "<= 10 us", per_rule_us <= 10),
        ("full evaluation, p95 / p99", f"{percentile(full_ms, 0.95):.2f} / {percentile(full_ms, 0.99):.2f} ms", "", None),
        (f"of which the {len(form.index)}-item form evaluated from its raw answers, p50", f"{statistics.median(form_ms):.2f} ms", "", None),
        ("of which the environment (answers + chart records + drug classes), p50", f"{statistics.median(env_ms):.2f} ms", "", None),
        (f"of which {RULES} rules and {len(cards)} cards, p50", f"{statistics.median(rules_only_ms):.2f} ms", "", None),
        (f"one answer changed ({changed}): rules run again", f"{len(rerun)} of {RULES}", "", None),
        (f"rules whose inputs include {changed} (directly or through k2), computed apart", f"{len(readers)} of {RULES}", "", None),
        ("rules run again = the rules that depend on the answer", "yes" if exact else "NO", "equal", exact),
        ("one answer changed: re-evaluate form + affected rules + carry cards over, p50", f"{statistics.median(incremental_ms):.2f} ms", "", None),
        ("of which the incremental form re-evaluation, p50", f"{statistics.median(reevaluate_ms):.2f} ms", "", None),
        ("finding the affected rules", f"{affected_us:.0f} us", "", None),
        ("carried-over cards equal a full re-run", "yes" if same else "NO", "equal", same),
        ("a medication row's drug changed: rules run again = rules reading the group",
         f"{len(row_change)} = {len(row_readers)} of {RULES}" if row_exact else f"NO: {len(row_change)} != {len(row_readers)}", "equal", row_exact),
        ("drug-class lookup table built from the value sets", f"{classifier_us:.0f} us", "", None),
    ]
    notes = (
        f"Generated form of {len(form.index)} items; {RULES} generated rules of 8 shapes "
        f"({len(cards)} fire on the answers used); a chart of {OBSERVATIONS} latest observations, 5 allergies, "
        f"8 medications, 10 problems. Full evaluation starts from the raw posted answers (strings), as a submit "
        "does: the form is evaluated, then the rules run on it. The rules that depend on a changed answer are "
        "computed by the benchmark from each rule's expression names and the form's calculations, apart from "
        "the engine's dependency graph, and compared as sets with the rules the engine runs again. "
        "Times are one process, after a warm-up, garbage collector paused per call. "
        "The web app runs the same path: a live round-trip re-runs only the rules reading what changed "
        "and swaps only their alert slots (renderer/web/alerts.py)."
    )
    metrics = {
        "full_p50_ms": full_p50, "per_rule_us": per_rule_us, "form_p50_ms": statistics.median(form_ms),
        "env_p50_ms": statistics.median(env_ms), "rules_p50_ms": statistics.median(rules_only_ms),
        "affected_rules": float(len(touched)), "dependent_rules": float(len(readers)),
        "incremental_p50_ms": statistics.median(incremental_ms), "cards": float(len(cards)),
    }
    return result("Decision support (rules)", rows, notes, metrics)


if __name__ == "__main__":
    print(render(run()))
