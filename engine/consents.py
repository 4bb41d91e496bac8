"""Consent forms: who fills which part, the exact text a signer is shown, and its SHA-256.

A consent form (e.g. ``dental.extraction_consent_form``) is read in three parts, by the
order of its top-level items (docs/consents.md):

- the **clinician part**: everything before the first item that carries consent text
  (procedure, teeth, risks discussed), filled by the clinician before signing starts;
- the **patient part**: the consent text (display items), the understanding questions and
  the intent statement, read and answered by each person who signs for the patient;
- **signer sections**: each top-level group holding a ``signature`` item (``signer:``
  patient, guardian, interpreter, witness, clinician); its text input is the signer's name,
  its single choice their relation to the patient, and its booleans are flags the clinician
  sets (``interpreter_used``).

`shown_text` lists the blocks of text a signer sees, in their language, computed from the
definition, the clinician's answers and the language alone; the kiosk page shows exactly
these blocks and `text_sha256` hashes them, so the server can recompute the hash of what
was shown and refuse a post that claims to have shown anything else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.evaluator import Context, Evaluation, evaluate
from engine.model import Form, Item

#: the order people sign in; the clinician countersigns last
SIGNER_ORDER = ("patient", "guardian", "interpreter", "witness", "clinician")
#: who signs on the patient's side (on the kiosk), in order
KIOSK_ROLES = SIGNER_ORDER[:-1]
_YES_NO = {"en": ("Yes", "No"), "ar": ("نعم", "لا")}
_LIST_SEPARATOR = {"ar": "، "}
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class SignerSection:
    """The part of the form one signer completes: name, relation, signature."""

    role: str
    signature: Item
    name: Item | None = None
    relation: Item | None = None
    flags: tuple[Item, ...] = ()
    statements: tuple[Item, ...] = ()


@dataclass(frozen=True, slots=True)
class ConsentLayout:
    form: Form
    clinician: tuple[Item, ...]
    patient: tuple[Item, ...]
    signers: Mapping[str, SignerSection]

    def questions(self) -> Iterator[Item]:
        """The patient part's inputs (understanding questions, intent), in order."""
        yield from (i for i in _walk(self.patient) if i.type not in ("group", "display"))

    @property
    def clinician_ids(self) -> frozenset[str]:
        return frozenset(i.id for i in self.clinician_inputs())

    def clinician_inputs(self) -> Iterator[Item]:
        """What the clinician fills: the clinician part and the signer sections' flags."""
        yield from (i for i in _walk(self.clinician) if i.type not in ("group", "display"))
        for section in self.signers.values():
            yield from section.flags


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of text shown to a signer. ``kind``: title, heading, fact, paragraph,
    question or help."""

    kind: str
    item_id: str
    text: str


def _walk(items: tuple[Item, ...]) -> Iterator[Item]:
    for item in items:
        yield item
        if item.type == "group":
            yield from _walk(item.children)


def _carries_text(item: Item) -> bool:
    return any(i.type == "display" for i in _walk((item,)))


def _section(item: Item) -> SignerSection | None:
    members = tuple(_walk((item,)))
    signature = next((i for i in members if i.type == "signature"), None)
    if signature is None:
        return None
    return SignerSection(
        role=signature.signer or "patient", signature=signature,
        name=next((i for i in members if i.type == "text"), None),
        relation=next((i for i in members if i.type == "single_choice"), None),
        flags=tuple(i for i in members if i.type == "boolean"),
        statements=tuple(i for i in members if i.type == "display"),
    )


def layout(form: Form) -> ConsentLayout:
    """Split a consent form into its clinician part, patient part and signer sections."""
    clinician: list[Item] = []
    patient: list[Item] = []
    signers: dict[str, SignerSection] = {}
    text_started = False
    for item in form.items:
        section = _section(item)
        if section is not None:
            signers.setdefault(section.role, section)
            continue
        text_started = text_started or _carries_text(item)
        (patient if text_started else clinician).append(item)
    ordered = {role: signers[role] for role in SIGNER_ORDER if role in signers}
    ordered.update({r: s for r, s in signers.items() if r not in ordered})
    return ConsentLayout(form, tuple(clinician), tuple(patient), ordered)


def canonical(text: str) -> str:
    """Text as hashed: Unicode NFC, every run of white space one space, trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def text_sha256(blocks: tuple[Block, ...] | list[Block]) -> str:
    """SHA-256 (hex) of the blocks' canonical text, one block a line, UTF-8."""
    return hashlib.sha256("\n".join(canonical(b.text) for b in blocks).encode("utf-8")).hexdigest()


def shown_value(item: Item, value: Any, locale: str) -> str:
    """An answer as a sentence shows it: option names, Yes/No, numbers without '.0'."""
    if value is None or value == "" or value == []:
        return ""
    if item.type == "boolean":
        yes, no = _YES_NO.get(locale, _YES_NO["en"])
        return yes if value else no
    if item.options:
        chosen = value if isinstance(value, list) else [value]
        names = [(o.display.get(locale) if (o := item.option(str(c))) else str(c)) for c in chosen]
        return _LIST_SEPARATOR.get(locale, ", ").join(names)
    if isinstance(value, dict) and "value" in value:
        return f"{shown_value(item, value['value'], locale)} {value.get('unit') or ''}".strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _blocks(items: tuple[Item, ...], ev: Evaluation, locale: str, facts: bool) -> Iterator[Block]:
    for item in items:
        if not ev.visible.get(item.id, item.visible_when is None):
            continue
        if item.type == "group":
            inner = list(_blocks(item.children, ev, locale, facts))
            if inner:
                yield Block("heading", item.id, canonical(item.label.get(locale)))
                yield from inner
        elif item.type == "display":
            yield Block("paragraph", item.id, canonical(item.text.get(locale)))
        elif facts:
            shown = shown_value(item, ev.values.get(item.id), locale)
            if shown:
                yield Block("fact", item.id, canonical(f"{item.label.get(locale)}: {shown}"))
        else:
            yield Block("question", item.id, canonical(item.label.get(locale)))
            if item.help.values:
                yield Block("help", item.id, canonical(item.help.get(locale)))


def clinician_answers(consent: ConsentLayout, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers the clinician gave (clinician part and flags), nothing else."""
    keep = consent.clinician_ids
    return {k: v for k, v in answers.items() if k in keep}


def shown_text(consent: ConsentLayout, answers: Mapping[str, Any], patient: Mapping[str, Any], locale: str) -> tuple[Block, ...]:
    """The text a signer is shown in ``locale``: the title, the clinician's answers as facts,
    then the consent text, questions and intent. Only the clinician's answers count, so the
    text (and its hash) cannot change while the signer answers."""
    ev = evaluate(consent.form, clinician_answers(consent, answers), Context(patient=dict(patient)), locale)
    return (
        Block("title", consent.form.id, canonical(consent.form.title.get(locale))),
        *_blocks(consent.clinician, ev, locale, facts=True),
        *_blocks(consent.patient, ev, locale, facts=False),
    )


def must_be_true(item: Item) -> bool:
    """A statement the signer ticks (a boolean whose constraint demands true): a checkbox
    rather than a Yes/No question."""
    return item.type == "boolean" and any(c.check.source.replace(" ", "") == f"{item.id}==true" for c in item.constraints)
