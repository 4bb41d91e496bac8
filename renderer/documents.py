"""A stored document seen read-only, in one language or two side by side (web and PDF).

`DocumentView` wraps an Evaluation of a document's answers and answers what the shared
fragment ``documents/_answers.html`` asks: which items to show (hidden items are left out),
each answer formatted for a locale (Babel), checkboxes as glyph lists, repeating groups and
grids as tables, calculated values marked. The web document page and the PDF render the
same fragment from the same view; only the page around it and the CSS differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.evaluator import Evaluation
from engine.model import Item, Text
from engine.types import TYPES
from renderer.document_tables import Table, build_table
from renderer.fields import Label, label, unit_label
from renderer.formatting import Formatter, direction, isolate, text_direction, tr

#: widget -> how a read-only document shows the item (one entry per widget, no if-chains)
KINDS: dict[str, str] = {
    "text": "value", "number": "value", "quantity": "value", "date": "value",
    "datetime": "value", "time": "value", "long_text": "long", "boolean": "checks",
    "choice": "checks", "choices": "checks", "display": "display", "signature": "signature",
    "attachment": "attachment", "group": "group", "repeating_group": "table", "grid": "table",
}
#: a choice with more options than this prints only what was chosen
CHECKLIST_MAX = 12
CHECKED, UNCHECKED = "☑", "☐"

#: a file reference (``{"file": sha256, ...}``) -> an image source, or None when unavailable
ImageSource = Callable[[Mapping[str, Any]], str | None]


#: UCUM units that are words, printed in the document's language (others print as symbols)
UNIT_WORDS: dict[str, str] = {"a": "years", "mo": "months", "wk": "weeks", "d": "days"}


def unit_text(unit: str | None, locale: str) -> str:
    """A unit as printed: a word in ``locale`` for time spans, else its symbol (``mmHg``)."""
    word = UNIT_WORDS.get(unit or "")
    return tr(locale, word) if word else unit_label(unit)


def _no_images(ref: Mapping[str, Any]) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Entry:
    """One item at one answer path, as the fragment draws it (``kind`` picks the markup)."""

    item: Item
    path: str
    kind: str
    depth: int = 0


@dataclass(frozen=True, slots=True)
class Check:
    label: Label
    checked: bool

    @property
    def glyph(self) -> str:
        return CHECKED if self.checked else UNCHECKED


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer formatted for one locale. ``isolate`` is the ``dir`` of its ``<bdi>``."""

    text: str = ""
    isolate: str = "auto"
    checks: tuple[Check, ...] = ()
    image: str | None = None
    signer: str = ""
    signed_at: str = ""
    calculated: bool = False
    #: a measurement ("120 mmHg") that must not wrap inside
    nowrap: bool = False

    @property
    def empty(self) -> bool:
        return not (self.text or self.checks or self.image)


@dataclass(slots=True)
class DocumentView:
    """A document's evaluated answers for read-only display in ``locales`` (one or two)."""

    evaluation: Evaluation
    locales: tuple[str, ...] = ("en",)
    images: ImageSource = _no_images
    arabic_digits: bool = False
    timezone: str = "UTC"
    #: put Unicode isolate controls around values (prints: WeasyPrint ignores <bdi>)
    marks: bool = False
    _formatters: dict[str, Formatter] = field(default_factory=dict)

    @property
    def form(self) -> Any:
        return self.evaluation.form

    @property
    def side_by_side(self) -> bool:
        return len(self.locales) > 1

    def only(self, locale: str) -> DocumentView:
        """The same document in one of its languages (for stacked bilingual prints)."""
        return DocumentView(self.evaluation, (locale,), self.images, self.arabic_digits, self.timezone, self.marks)

    # -- language ------------------------------------------------------------------------
    def dir(self, locale: str) -> str:
        return direction(locale)

    def t(self, locale: str, message: str, **params: Any) -> str:
        return tr(locale, message, **params)

    def iso(self, text: str, dir: str = "auto") -> str:
        """A value for a <bdi>: with isolate controls around it in prints."""
        return isolate(text, dir) if self.marks else text

    def text_dir(self, text: str) -> str:
        """The direction of free text by its first strong character (for ``dir``)."""
        return text_direction(text)

    def label(self, text: Text, locale: str) -> Label:
        return label(text, locale)

    def fmt(self, locale: str) -> Formatter:
        found = self._formatters.get(locale)
        if found is None:
            found = self._formatters[locale] = Formatter(locale, self.arabic_digits, self.timezone)
        return found

    # -- which items ---------------------------------------------------------------------
    def visible(self, item: Item, path: str) -> bool:
        return self.evaluation.visible.get(path, item.visible_when is None)

    def entries(self, items: tuple[Item, ...] | None = None, prefix: str = "", depth: int = 0) -> Iterator[Entry]:
        """Visible items in document order; a group comes before its children, and a group
        with nothing visible inside is left out."""
        for item in self.form.items if items is None else items:
            path = prefix + item.id
            if not self.visible(item, path):
                continue
            kind = KINDS[TYPES[item.type].widget]
            if kind == "group":
                children = list(self.entries(item.children, prefix, depth + 1))
                if children:
                    yield Entry(item, path, kind, depth)
                    yield from children
                continue
            yield Entry(item, path, kind, depth)

    # -- values --------------------------------------------------------------------------
    def value(self, path: str) -> Any:
        """The typed answer at ``path`` (``meds[0].dose`` and ``teeth[16].status`` too)."""
        values = self.evaluation.values
        if "[" not in path:
            return values.get(path)
        container, rest = path.split("[", 1)
        key, cell = rest.split("].", 1)
        rows = values.get(container)
        try:
            row = rows[int(key)] if isinstance(rows, list) else (rows or {}).get(key)
        except (IndexError, ValueError):
            return None
        return row.get(cell) if isinstance(row, dict) else None

    def answer(self, item: Item, path: str, locale: str, *, compact: bool = False) -> Answer:
        """The answer at ``path`` for ``locale``; ``compact`` (table cells) lists only chosen
        options instead of every option with its box."""
        value = self.value(path)
        calculated = path in self.evaluation.calculated
        f = self.fmt(locale)
        widget = TYPES[item.type].widget
        if widget in ("choice", "choices", "boolean"):
            return self._choices(item, value, locale, compact, calculated)
        if widget in ("signature", "attachment"):
            return self._file(item, value, locale)
        if value is None or value == "":
            return Answer(calculated=calculated)
        if widget == "number":
            shown = f.integer(value) if item.type == "integer" else f.number(value, item.decimals)
            text = f"{shown} {unit_text(item.unit, locale)}".strip()
            return Answer(text, text_direction(text), calculated=calculated, nowrap=True)
        if widget == "quantity" and isinstance(value, dict):
            text = f"{f.number(value.get('value'), item.decimals)} {unit_text(value.get('unit') or item.unit, locale)}".strip()
            return Answer(text, text_direction(text), calculated=calculated, nowrap=True)
        if widget == "date":
            return Answer(f.date(value), direction(locale), calculated=calculated)
        if widget == "datetime":
            return Answer(f.datetime(value), direction(locale), calculated=calculated)
        if widget == "time":
            return Answer(f.time(value), "ltr", calculated=calculated, nowrap=True)
        return Answer(str(value), text_direction(str(value)), calculated=calculated)

    def _choices(self, item: Item, value: Any, locale: str, compact: bool, calculated: bool) -> Answer:
        if item.type == "boolean":
            yes, no = Label(tr(locale, "Yes")), Label(tr(locale, "No"))
            if compact:
                return Answer("" if value is None else (yes.text if value else no.text), direction(locale), calculated=calculated)
            return Answer(checks=(Check(yes, value is True), Check(no, value is False)), calculated=calculated)
        chosen = [str(v) for v in value] if isinstance(value, list) else ([] if value is None else [str(value)])
        if compact or len(item.options) > CHECKLIST_MAX:
            names = [label(o.display, locale).text for o in item.options if o.code in chosen]
            names += [c for c in chosen if item.option(c) is None]
            return Answer(tr(locale, ", ").join(names), direction(locale), calculated=calculated)
        return Answer(checks=tuple(Check(label(o.display, locale), o.code in chosen) for o in item.options), calculated=calculated)

    def _file(self, item: Item, value: Any, locale: str) -> Answer:
        if not isinstance(value, Mapping) or "file" not in value:
            return Answer()
        f = self.fmt(locale)
        source = self.images(value) if str(value.get("media_type", "image/")).startswith("image/") else None
        name = str(value.get("name") or "")
        if item.type == "signature":
            signer = str(value.get("signer") or (tr(locale, item.signer.replace("_", " ").capitalize()) if item.signer else ""))
            when = f.datetime(value["signed_at"]) if value.get("signed_at") else ""
            return Answer(name or tr(locale, "Signature on file"), image=source, signer=signer, signed_at=when)
        size = value.get("size")
        text = name or str(value["file"])[:12]
        if isinstance(size, int):
            text += f" ({f.number((size + 1023) // 1024)} KB)"
        return Answer(text, image=source)

    def cell(self, item: Item, path: str) -> list[tuple[str, Answer]]:
        """A table cell's compact answer per locale, once when the languages agree."""
        found: list[tuple[str, Answer]] = []
        for locale in self.locales:
            answer = self.answer(item, path, locale, compact=True)
            if all(answer.text != a.text for _, a in found):
                found.append((locale, answer))
        return found

    # -- tables ------------------------------------------------------------------------
    def table(self, entry: Entry) -> Table:
        """A repeating group or grid as a table (renderer.document_tables)."""
        return build_table(self, entry)
