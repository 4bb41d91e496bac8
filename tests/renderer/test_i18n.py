"""Every UI string has an Arabic translation: the messages are extracted from the code and
templates exactly as `make messages` does (its own `pybabel extract` arguments, read from the
Makefile), and each must have a non-empty, non-fuzzy msgstr in
locale/ar/LC_MESSAGES/messages.po with the same placeholders.

A string added without its translation fails here with the msgid to translate: run
`make messages`, then fill its msgstr in locale/ar/LC_MESSAGES/messages.po."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
ARABIC = ROOT / "locale" / "ar" / "LC_MESSAGES" / "messages.po"
#: %(name)s, %s, %d ...; "%%" is a literal percent sign, not a placeholder
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0+]*\d*(?:\.\d+)?[sdifr]")


def _extract_arguments() -> list[str]:
    """The `pybabel extract` arguments of the Makefile's `messages` target, without its output."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(r"pybabel extract (.+)$", makefile, flags=re.MULTILINE)
    assert found, "the Makefile's messages target no longer runs `pybabel extract`"
    arguments = shlex.split(found.group(1))
    if "-o" in arguments:
        at = arguments.index("-o")
        del arguments[at:at + 2]
    return arguments


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The UI strings of the code and templates as they are now (a fresh messages.pot)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    arguments = _extract_arguments()
    # the Makefile runs from the project root ("." and the -F path are relative to it)
    arguments = [str(ROOT / a) if a in (".", "locale/babel.cfg") else a for a in arguments]
    CommandLineInterface().run(["pybabel", "-q", "extract", *arguments, "-o", str(pot)])
    with pot.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def arabic() -> Catalog:
    with ARABIC.open("rb") as handle:
        return read_po(handle, locale="ar")


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(1) or m.group(0) for m in PLACEHOLDER.finditer(text.replace("%%", "")))


def _forms(message: Message) -> tuple[str, ...]:
    value = message.string
    return tuple(value) if isinstance(value, (tuple, list)) else (value or "",)


def _ids(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (tuple, list)) else (message.id,)


def test_the_extraction_finds_the_ui_strings(extracted: Catalog) -> None:
    """A guard for the test itself: the extraction reads both code and templates."""
    ids = {_ids(m)[0] for m in extracted if m.id}
    assert len(ids) > 200
    assert {"Sign", "Save draft"} <= ids  # renderer/web/routes/documents.py
    assert "Sign in" in ids  # renderer/web/templates/login.html


def test_every_ui_string_has_an_arabic_translation(extracted: Catalog, arabic: Catalog) -> None:
    missing, fuzzy, empty = [], [], []
    for message in extracted:
        if not message.id:
            continue
        msgid = _ids(message)[0]
        translated = arabic.get(message.id)
        if translated is None:
            missing.append(msgid)
        elif translated.fuzzy:
            fuzzy.append(msgid)
        elif not all(form.strip() for form in _forms(translated)):
            empty.append(msgid)
    problems = [f"{kind}: {msgid!r}" for kind, found in (("not in the catalog", missing), ("fuzzy", fuzzy),
                                                        ("empty msgstr", empty)) for msgid in found]
    assert not problems, (f"{len(problems)} UI string(s) without an Arabic translation; run `make messages` and "
                          f"translate them in {ARABIC.relative_to(ROOT)}:\n" + "\n".join(problems))


def test_translations_keep_the_placeholders(extracted: Catalog, arabic: Catalog) -> None:
    """``%(name)s`` in the English text is in the Arabic text too (a missing or renamed one
    raises KeyError, or loses the value, when the page is drawn in Arabic). A plural form
    for one number only (Arabic's zero, one and two: "سنتان") may leave the count out, but
    never adds a placeholder; the last, general form has them all."""
    problems = []
    for message in extracted:
        translated = arabic.get(message.id) if message.id else None
        if translated is None or translated.fuzzy:
            continue
        ids = _ids(message)
        expected = _placeholders(ids[-1])
        forms = _forms(translated)
        for index, form in enumerate(forms):
            found = _placeholders(form)
            general = index == len(forms) - 1
            if form and (found != expected if general else not set(found) <= set(expected)):
                problems.append(f"{ids[0]!r}: {expected} in English, {found} in {form!r}")
    assert not problems, "placeholders differ in " + str(ARABIC.relative_to(ROOT)) + ":\n" + "\n".join(problems)
