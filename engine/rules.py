"""Decision-support rules: compile rule documents and evaluate them against a context.

A rule names the forms it applies to (their answers are plain names in `when`) and/or
chart events. Its summary may show values through `{expression}` placeholders, which are
parsed at compile time like every other expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from engine.compiler import Builder, PackContext, check_namespace
from engine.diagnostics import Diagnostic, did_you_mean
from engine.evaluation import row_container
from engine.expressions import CONTEXT_NAMES, EvaluationProblem, Expression
from engine.model import Form, Option, Rule, RuleTest
from engine.reader import SourceDocument

#: names every rule can read besides the answers of the forms it applies to
RULE_NAMES = frozenset({"allergies", "medications", "problems", "observations", "order", "answers", "chart"}) | CONTEXT_NAMES
EVENTS = ("patient-view", "order-select")
SUMMARY_LIMIT = 140
#: what ends a summary cut short to the limit at run time
ELLIPSIS = "\u2026"
_PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]+)\}(?!\})")
_LAST_SPACE = re.compile(r"\s\S*$")
#: separators left dangling where a summary is cut (a list's comma, the Arabic comma, a colon)
_TRAILING = " \t\n,\u060c;\u061b:-\u2013\u2014/\u00b7"


def compile_rule(doc: SourceDocument, ctx: PackContext, forms: Mapping[str, Form]) -> tuple[Rule | None, list[Diagnostic]]:
    b = Builder(doc, ctx)
    data = doc.data
    check_namespace(b, str(data["id"]))
    applies = data["applies_to"]
    form_ids = tuple(applies.get("forms") or ())
    names: set[str] = set(RULE_NAMES)
    for i, form_id in enumerate(form_ids):
        form = forms.get(form_id)
        if form is None:
            b.report("RULE001", f"rule applies to unknown form '{form_id}'", f"/applies_to/forms/{i}", did_you_mean(form_id, forms) or "check the form id and that its pack is installed")
        else:
            names |= answer_names(form, b)
    events = tuple(applies.get("events") or ())
    for i, event in enumerate(events):
        if event not in EVENTS:
            b.report("RULE004", f"unknown chart event '{event}'", f"/applies_to/events/{i}", did_you_mean(event, EVENTS) or "events: " + ", ".join(EVENTS))
    when = b.expression("/when", data["when"], names)
    summary = b.text("/summary", data["summary"])
    parts: dict[str, Expression] = {}
    for locale, template in summary.values.items():
        shown = _PLACEHOLDER.sub("12345678", template)
        if len(shown) > SUMMARY_LIMIT:
            b.report("RULE002", f"the {locale} summary is {len(shown)} characters; the limit is {SUMMARY_LIMIT}", "/summary", "move details into `detail:`")
        for source in _PLACEHOLDER.findall(template):
            if source not in parts:
                expr = b.expression("/summary", source.strip(), names)
                if expr is not None:
                    parts[source] = expr
    source = data.get("source") or {}
    tests = tuple(
        RuleTest(str(t["name"]), MappingProxyType(dict(t.get("answers") or {})), MappingProxyType(dict(t.get("context") or {})), t["expect"] == "fires", t.get("summary"), doc.locate(f"/tests/{i}"), t.get("event"))
        for i, t in enumerate(data.get("tests") or ())
    )
    if b.errors or when is None:
        return None, b.diagnostics
    rule = Rule(
        key=b.key("rule"), title=b.text("/title", data["title"]), path=doc.path, source_text=doc.text,
        forms=form_ids, events=events, when=when, severity=data["severity"], summary=summary,
        summary_parts=MappingProxyType(parts), detail=b.text("/detail", data.get("detail")),
        source_label=b.text("/source/label", source.get("label")), source_url=source.get("url", ""),
        suggestions=tuple(b.text(f"/suggestions/{i}/label", s["label"]) for i, s in enumerate(data.get("suggestions") or ())),
        override_reasons=tuple(Option(str(o["code"]), b.text(f"/override_reasons/{i}/display", o["display"])) for i, o in enumerate(data.get("override_reasons") or ())),
        tests=tests,
    )
    return rule, b.diagnostics


def answer_names(form: Form, b: Builder | None = None) -> set[str]:
    """The item ids of ``form`` that hold an answer a rule can read by name: top-level
    items and whole repeating groups and grids, not plain groups nor cells inside rows
    (those are never names of a rule's environment; with ``b`` they become EXPR008)."""
    names: set[str] = set()
    for item_id, item in form.index.items():
        container = row_container(form, item)
        if container is not None:
            if b is not None:
                b.row_scoped.setdefault(item_id, (container.id, container.type))
        elif item.type != "group":
            names.add(item_id)
    return names


def fires(rule: Rule, env: Mapping[str, Any]) -> bool:
    """Whether the rule's condition holds; a failing expression does not fire."""
    try:
        return rule.when.run(env) is True  # the closures straight (evaluate's wrapper only maps errors)
    except Exception:  # any failure of the expression is "does not fire"
        return False


def render_summary(rule: Rule, env: Mapping[str, Any], locale: str, label: Callable[[str], str | None] | None = None) -> str:
    """The summary in ``locale`` with its placeholders filled (missing values shown as -),
    at most :data:`SUMMARY_LIMIT` characters (:func:`shorten`). ``label`` names a code in
    the reader's language (a drug class code -> "البنسلينات")."""
    template = rule.summary.get(locale)

    def fill(match: re.Match[str]) -> str:
        expr = rule.summary_parts.get(match.group(1))
        if expr is None:
            return match.group(0)
        try:
            value = expr.evaluate(env)
        except EvaluationProblem:
            value = None
        return _shown(value)

    def _shown(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, list | tuple):
            return ("، " if locale == "ar" else ", ").join(_shown(v) for v in value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:g}"
        if label is not None and isinstance(value, str):
            return label(value) or value
        return str(value)

    return shorten(_PLACEHOLDER.sub(fill, template).replace("{{", "{").replace("}}", "}"))


def shorten(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """``text`` when it fits in ``limit`` characters, else cut at the last word boundary
    that leaves room for "…" (a word longer than that is cut inside). The compile-time
    check (RULE002) counts a placeholder as 8 characters; a value filled in at run time
    can be longer (four drug classes named in Arabic), and a card never exceeds the limit."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    if not text[len(head)].isspace():  # the cut falls inside a word: end before that word
        boundary = _LAST_SPACE.search(head)
        if boundary is not None and boundary.start() > 0:
            head = head[: boundary.start()]
    return (head.rstrip(_TRAILING) or head) + ELLIPSIS

