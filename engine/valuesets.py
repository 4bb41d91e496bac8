"""Value sets: coded concepts grouped into classes, and classifying chart records by them.

A drug-class value set says amoxicillin and penicillin V are penicillins; the rule runtime
adds `classes` to every allergy, medication and order record whose code is a member, so a
rule can say `shares_class(allergies, order)` without listing every drug.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.compiler import Builder, PackContext, check_namespace
from engine.diagnostics import Diagnostic
from engine.model import Coding, ConceptClass, ValueSet
from engine.reader import SourceDocument


def compile_valueset(doc: SourceDocument, ctx: PackContext) -> tuple[ValueSet | None, list[Diagnostic]]:
    b = Builder(doc, ctx)
    data = doc.data
    check_namespace(b, str(data["id"]))
    classes: list[ConceptClass] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["classes"]):
        if raw["code"] in seen:
            b.report("VS001", f"class '{raw['code']}' is declared twice", f"/classes/{i}/code", "merge the two member lists")
        seen.add(raw["code"])
        members = tuple(Coding(str(m.get("system", "")), str(m["code"]), str(m.get("display", ""))) for m in raw["members"])
        classes.append(ConceptClass(raw["code"], b.text(f"/classes/{i}/display", raw["display"]), members))
    source = data.get("source") or {}
    if b.errors:
        return None, b.diagnostics
    return ValueSet(
        key=b.key("valueset"), title=b.text("/title", data["title"]), path=doc.path, source_text=doc.text,
        classes=tuple(classes), source_label=b.text("/source/label", source.get("label")), source_url=source.get("url", ""),
    ), b.diagnostics


class Classifier:
    """Looks up the classes of a code across value sets (by system and code, or code alone)."""

    def __init__(self, valuesets: Iterable[ValueSet]) -> None:
        self._by_code: dict[tuple[str, str], set[str]] = {}
        self._displays: dict[str, Any] = {}
        for valueset in valuesets:
            for concept_class in valueset.classes:
                self._displays.setdefault(concept_class.code, concept_class.display)
                for member in concept_class.members:
                    self._by_code.setdefault((member.system, member.code.lower()), set()).add(concept_class.code)
                    self._by_code.setdefault(("", member.code.lower()), set()).add(concept_class.code)

    def classes(self, system: str | None, code: str | None) -> list[str]:
        if not code:
            return []
        found = self._by_code.get((system or "", str(code).lower())) or self._by_code.get(("", str(code).lower())) or set()
        return sorted(found)

    def label(self, code: str, locale: str) -> str | None:
        """A class's display in ``locale`` (a summary shows "Penicillins", "البنسلينات"), or
        None when ``code`` names no class."""
        display = self._displays.get(code)
        return display.get(locale) if display is not None else None

    def annotate(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record with `classes` added (merged with any it already has)."""
        result = dict(record)
        own = list(result.get("classes") or [])
        result["classes"] = sorted(set(own) | set(self.classes(result.get("system"), result.get("code"))))
        return result
