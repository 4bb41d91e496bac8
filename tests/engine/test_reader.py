"""The reader: YAML 1.2 scalars, duplicate keys, locations for YAML and JSON, encodings,
and the limits that keep it safe on hostile input (size, depth, alias bombs)."""

from __future__ import annotations

import hashlib
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.diagnostics import Location
from engine.reader import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    SourceDocument,
    pointer_join,
    read_file,
    read_text,
)


def data_of(text: str, **kw: Any) -> Any:
    doc, diagnostics = read_text(text, "t.yaml", **kw)
    assert doc is not None and not diagnostics, [str(d) for d in diagnostics]
    return doc.data


def codes(text: str, **kw: Any) -> list[tuple[str, int, int]]:
    _, diagnostics = read_text(text, "t.yaml", **kw)
    return [(d.code, d.location.line, d.location.col) for d in diagnostics]


# -- YAML 1.2 core schema -----------------------------------------------------------------

@pytest.mark.parametrize("word", ["no", "No", "NO", "yes", "Yes", "on", "On", "off", "OFF", "y", "n", "Y", "N"])
def test_yaml_11_booleans_stay_text(word: str) -> None:
    assert data_of(f"a: {word}") == {"a": word}


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False),
    ("~", None), ("null", None), ("Null", None), ("", None),
    ("12", 12), ("+12", 12), ("-0", 0), ("017", 17), ("0o17", 15), ("0x1F", 31),
    ("1.5", 1.5), (".5", 0.5), ("1e3", 1000.0), ("1.5e-3", 0.0015), ("0.", 0.0),
    (".inf", math.inf), ("-.inf", -math.inf),
])
def test_core_schema_scalars(text: str, expected: Any) -> None:
    value = data_of(f"a: {text}")["a"]
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("text", ["1_000", "0b11", "2024-01-31", "12:30", "1.2.3", "+", ".", "0x", "mm[Hg]"])
def test_yaml_11_only_forms_stay_text(text: str) -> None:
    assert data_of(f"a: {text}") == {"a": text}


def test_nan() -> None:
    assert math.isnan(data_of("a: .nan")["a"])


def test_quoted_block_and_tagged_scalars_are_text() -> None:
    data = data_of('a: "true"\nb: \'12\'\nc: !!str 12\nd: |\n  12\ne: >\n  no\n')
    assert data == {"a": "true", "b": "12", "c": "12", "d": "12\n", "e": "no\n"}


def test_keys_are_text() -> None:
    assert data_of("1: a\ntrue: b\nno: c\n") == {"1": "a", "true": "b", "no": "c"}


def test_keys_that_are_not_scalars() -> None:
    assert codes("? [a, b]\n: c\n") == [("SCHEMA004", 1, 3)]
    assert codes("null: a\n") == [("SCHEMA004", 1, 1)]


def test_merge_keys_are_not_merged() -> None:
    """`<<` is YAML 1.1 only; it stays an ordinary key, so the schema reports it."""
    assert data_of("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n")["c"] == {"<<": {"x": 1}, "y": 2}


# -- duplicate keys ------------------------------------------------------------------------

def test_duplicate_key_is_reported_at_the_second_key() -> None:
    doc, diagnostics = read_text("a: 1\nb:\n  c: 2\n  c: 3\n", "t.yaml")
    assert [(d.code, d.location.line, d.location.col, d.pointer) for d in diagnostics] == [("READ004", 4, 3, "/b/c")]
    assert "line 3" in diagnostics[0].message
    assert doc is not None and doc.data == {"a": 1, "b": {"c": 2}}  # the first one is kept


def test_duplicate_key_in_json() -> None:
    assert codes('{\n  "a": 1,\n  "a": 2\n}', is_json=True) == [("READ004", 3, 3)]


def test_duplicate_keys_everywhere_are_all_reported() -> None:
    assert codes("a: 1\na: 2\nb: {x: 1, x: 2}\nc: [{y: 1, y: 2}]\n") == [("READ004", 2, 1), ("READ004", 3, 11), ("READ004", 4, 12)]


# -- locations -----------------------------------------------------------------------------

YAML_DOC = """\
schema: cliniform/form@1
items:
  - id: weight
    label: {en: Weight, ar: الوزن}
  - id: "a/b~c"
"""


def test_yaml_locations() -> None:
    doc, _ = read_text(YAML_DOC, "t.yaml")
    assert doc is not None
    assert doc.locate("/schema") == Location("t.yaml", 1, 9)
    assert doc.key_location("/items") == Location("t.yaml", 2, 1)
    assert doc.locate("/items/0") == Location("t.yaml", 3, 5)
    assert doc.locate("/items/0/label/ar") == Location("t.yaml", 4, 29)
    assert doc.key_location("/items/0/label/ar") == Location("t.yaml", 4, 25)
    # a pointer below any node falls back to its nearest located ancestor
    assert doc.locate("/items/0/label/fr/x") == Location("t.yaml", 4, 12)
    assert doc.locate("/nothing") == Location("t.yaml", 1, 1)


JSON_DOC = """\
{
  "schema": "cliniform/form@1",
  "items": [
    {"id": "weight", "label": {"en": "Weight", "ar": "الوزن"}},
    {"id": "height",
     "unit": "cm"}
  ]
}
"""


def test_json_locations() -> None:
    doc, diagnostics = read_text(JSON_DOC, "t.json", is_json=True)
    assert doc is not None and not diagnostics
    assert doc.locate("/schema") == Location("t.json", 2, 13)
    assert doc.locate("/items/0") == Location("t.json", 4, 5)
    assert doc.locate("/items/0/label/ar") == Location("t.json", 4, 54)
    assert doc.key_location("/items/1/unit") == Location("t.json", 6, 6)
    assert doc.locate("/items/1/unit") == Location("t.json", 6, 14)


def test_pointer_escaping() -> None:
    assert pointer_join("/items", "a/b~c") == "/items/a~1b~0c"
    doc, _ = read_text('"a/b~c": {x: 1}\n', "t.yaml")
    assert doc is not None and doc.locate("/a~1b~0c/x") == Location("t.yaml", 1, 14)


def test_crlf_line_endings_keep_lines() -> None:
    doc, _ = read_text("a: 1\r\nb:\r\n  - x\r\n", "t.yaml")
    assert doc is not None and doc.data == {"a": 1, "b": ["x"]}
    assert doc.locate("/b/0") == Location("t.yaml", 3, 5)


def test_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffschema: cliniform/form@1\nid: demo.bom\n".encode())
    doc, diagnostics = read_file(path)
    assert doc is not None and not diagnostics
    assert doc.data["schema"] == "cliniform/form@1"
    assert doc.locate("/id") == Location(str(path), 2, 5)
    json_path = tmp_path / "bom.json"
    json_path.write_bytes('\ufeff{"a": 1}'.encode())
    doc, diagnostics = read_file(json_path)
    assert doc is not None and doc.data == {"a": 1} and not diagnostics


def test_content_hash_is_sha256_of_the_text() -> None:
    doc, _ = read_text("a: 1\n", "t.yaml")
    assert isinstance(doc, SourceDocument)
    assert doc.content_hash == hashlib.sha256(b"a: 1\n").hexdigest()


# -- errors --------------------------------------------------------------------------------

def test_yaml_syntax_error_position() -> None:
    assert codes("a: [1, 2\nb: 3\n") == [("READ002", 2, 2)]
    assert codes("a:\n\t- x\n") == [("READ002", 2, 1)]


def test_json_syntax_error_position() -> None:
    assert codes('{"a": 1,}', is_json=True) == [("READ003", 1, 9)]
    assert codes('{"a": 1}\n{"b": 2}', is_json=True) == [("READ003", 2, 1)]


def test_several_documents_in_one_file() -> None:
    assert codes("a: 1\n---\nb: 2\n") == [("READ002", 2, 1)]


def test_empty_file() -> None:
    assert codes("") == [("READ006", 1, 1)]
    assert codes("# only a comment\n") == [("READ006", 1, 1)]


def test_read_file_errors(tmp_path: Path) -> None:
    missing = read_file(tmp_path / "missing.yaml")
    assert missing[0] is None and [d.code for d in missing[1]] == ["READ001"]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("title: Café\n".encode("latin-1"))
    doc, diagnostics = read_file(latin)
    assert doc is None and [(d.code, d.location.line) for d in diagnostics] == [("READ001", 0)]
    text = tmp_path / "form.txt"
    text.write_text("a: 1\n")
    doc, diagnostics = read_file(text)
    assert doc is None and [d.code for d in diagnostics] == ["READ007"]


# -- limits --------------------------------------------------------------------------------

def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: '" + b"x" * MAX_BYTES + b"'\n")
    doc, diagnostics = read_file(path)
    assert doc is None and [d.code for d in diagnostics] == ["READ005"]
    assert [d.code for d in read_text("a: '" + "x" * MAX_BYTES + "'")[1]] == ["READ005"]


def test_nesting_limit_in_block_style() -> None:
    lines = [("  " * i) + "a:" for i in range(MAX_DEPTH + 5)]
    doc, diagnostics = read_text("\n".join(lines) + " 1\n", "t.yaml")
    assert doc is None and [d.code for d in diagnostics] == ["READ005"]
    ok = [("  " * i) + "a:" for i in range(MAX_DEPTH - 1)]
    assert read_text("\n".join(ok) + " 1\n")[0] is not None


def test_nesting_limit_in_json() -> None:
    doc, diagnostics = read_text("[" * 100 + "]" * 100, "t.json", is_json=True)
    assert doc is None and [d.code for d in diagnostics] == ["READ005"]
    doc, diagnostics = read_text("[" * 200_000 + "]" * 200_000, "t.json", is_json=True)
    assert doc is None and [d.code for d in diagnostics] == ["READ005"]


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_very_deep_flow_nesting_is_refused_without_crashing(opener: str) -> None:
    """libyaml recurses in C while composing: ~30,000 nested `[` used to kill the process
    with SIGSEGV. Run in a child process so that a regression fails this test instead of
    taking the test session down."""
    closer = "]" if opener == "[" else "}"
    code = (
        "from engine.reader import read_text\n"
        f"n = 300_000\n"
        f"doc, d = read_text('a: ' + {opener!r} * n + '1' + {closer!r} * n, 't.yaml')\n"
        "print(doc is None, [x.code for x in d])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "True ['READ005']"


def test_alias_bomb() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    doc, diagnostics = read_text("\n".join(lines) + "\n", "t.yaml")
    assert doc is None and [d.code for d in diagnostics] == ["READ005"]


def test_too_many_nodes_without_aliases() -> None:
    text = "a: [" + ", ".join(["1"] * (MAX_NODES + 10)) + "]\n"
    doc, diagnostics = read_text(text, "t.yaml")
    assert doc is None and [d.code for d in diagnostics] == ["READ005"]


def test_small_aliases_are_fine() -> None:
    data = data_of("label: &l {en: Yes, ar: نعم}\nother: *l\n")
    assert data["other"] == {"en": "Yes", "ar": "نعم"}
