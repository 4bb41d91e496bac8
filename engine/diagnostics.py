"""Diagnostics: every author-facing problem, in one grammar.

A diagnostic says *where* (file:line:col and a JSON pointer), *what* is wrong (a stable
code and a message) and *how to fix it* (a hint). Stages collect diagnostics instead of
raising, so that an author sees every problem of a file at once; the edge (CLI, web)
decides what to do with them.

The catalogue below is the single list of codes; docs/diagnostics.md is generated from it
and a meta-test checks that every code is produced by some conformance case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Location:
    """A 1-based position in a source file."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    location: Location
    pointer: str = ""
    hint: str = ""
    severity: Severity = field(default=Severity.ERROR)

    def __str__(self) -> str:
        text = f"{self.location}: {self.code} {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": self.location.file,
            "line": self.location.line,
            "col": self.location.col,
            "pointer": self.pointer,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class CodeInfo:
    severity: Severity
    title: str
    explanation: str


def _e(title: str, explanation: str) -> CodeInfo:
    return CodeInfo(Severity.ERROR, title, explanation)


def _w(title: str, explanation: str) -> CodeInfo:
    return CodeInfo(Severity.WARNING, title, explanation)


#: Every diagnostic code Cliniform can produce. Codes are stable: never reuse a retired one.
CATALOGUE: dict[str, CodeInfo] = {
    # -- reading files ---------------------------------------------------------------------
    "READ001": _e("file cannot be read", "The file does not exist, is not readable, or is not UTF-8."),
    "READ002": _e("YAML syntax error", "The YAML parser stopped at this position."),
    "READ003": _e("JSON syntax error", "The JSON parser stopped at this position."),
    "READ004": _e("duplicate key", "A mapping repeats a key; YAML parsers would silently keep only the last one."),
    "READ005": _e("document too large or too deep", "Definitions are limited in size, nesting and alias expansion to keep the checker safe."),
    "READ006": _e("not a definition document", "The top level must be a mapping with a `schema:` key."),
    "READ007": _e("unknown file extension", "Definitions are .yaml, .yml or .json files."),
    # -- structure (JSON Schema) -----------------------------------------------------------
    "SCHEMA001": _e("unknown schema", "`schema:` must name a known kind and format version, e.g. cliniform/form@1."),
    "SCHEMA002": _e("missing key", "A required key is absent."),
    "SCHEMA003": _e("unknown key", "The key is not part of this kind of definition (often a typo)."),
    "SCHEMA004": _e("wrong type", "The value has the wrong JSON type (e.g. a list where a mapping is expected)."),
    "SCHEMA005": _e("value not allowed", "The value is not one of the allowed values or does not match the allowed pattern."),
    "SCHEMA006": _e("value out of range", "A number, string or list is too small or too large."),
    "SCHEMA007": _e("invalid structure", "The value does not match the expected shape."),
    # -- identities and versions -----------------------------------------------------------
    "DEF001": _e("bad id", "Ids are lower-case, dot-namespaced by pack (`dental.perio_chart`)."),
    "DEF002": _e("bad version", "Versions are semantic versions: MAJOR.MINOR.PATCH."),
    "DEF003": _e("duplicate definition", "Two definitions in the catalog have the same kind, id and version."),
    "DEF004": _e("id outside pack namespace", "A pack's definitions are named `<pack id>.<name>`."),
    # -- forms -----------------------------------------------------------------------------
    "FORM001": _e("duplicate item id", "Item ids are unique within a form, including inside groups."),
    "FORM002": _e("unknown item type", "The item type is not in the type registry."),
    "FORM003": _e("key not valid for this item type", "E.g. `min` on a text item or `unit` on a boolean."),
    "FORM004": _e("choice item without options", "Single and multiple choice items need `options` or a value set."),
    "FORM005": _e("duplicate option code", "Option codes are unique within an item."),
    "FORM006": _e("group without items", "A group, repeating group or grid needs child items."),
    "FORM007": _e("min greater than max", "The lower bound is above the upper bound."),
    "FORM008": _e("bad default value", "The default does not fit the item type or its options."),
    "FORM009": _e("invalid pattern", "`pattern` is not a valid regular expression."),
    "FORM010": _e("bad unit", "A quantity's unit is not a syntactically valid UCUM unit."),
    "FORM011": _e("calculated item is also an input", "A calculated item cannot be required or have a default."),
    "FORM012": _e("bad grid rows", "A grid needs at least one row and unique row codes."),
    "FORM013": _e("bad repeat bounds", "min_rows/max_rows must be non-negative with min_rows <= max_rows."),
    "FORM014": _e("reserved item id", "The id shadows a name of the expression language (patient, encounter, a function...)."),
    "FORM015": _e("bad previous_value", "`previous_value` is only valid on input items."),
    "FORM016": _e("form test does not match", "A form's own test case (expected values, visibility, requirement or errors) fails."),
    # -- expressions -----------------------------------------------------------------------
    "EXPR001": _e("expression syntax error", "The expression is not valid in the expression language."),
    "EXPR002": _e("unknown name", "The expression uses a name that is not an item, context value or function."),
    "EXPR003": _e("unknown function", "The expression calls a function that is not in the function library."),
    "EXPR004": _e("forbidden construct", "Attribute walks, dunder names, method calls, comprehensions, lambdas and the like are not part of the language."),
    "EXPR005": _e("expression too long or too deep", "Expressions are limited in length and nesting."),
    "EXPR006": _e("dependency cycle", "Calculated or conditional items depend on each other in a loop."),
    "EXPR007": _e("wrong number of arguments", "The function is called with too few or too many arguments."),
    "EXPR008": _e("item not visible from here", "A row-scoped name is used outside its repeating group."),
    # -- runtime (reported by the evaluator; never a traceback) ----------------------------
    "EVAL001": _w("expression failed at run time", "E.g. division by zero or a wrong value type; the result is treated as missing."),
    "EVAL002": _w("expression exceeded a limit", "A value grew too large (number, string or list); the result is treated as missing."),
    # -- rules -----------------------------------------------------------------------------
    "RULE001": _e("unknown form in applies_to", "A rule applies to a form that no loaded pack defines."),
    "RULE002": _e("summary too long", "A card summary is at most 140 characters in every language."),
    "RULE003": _e("rule test does not match", "A rule's own test case fails."),
    "RULE004": _e("unknown chart event", "Chart events are patient-view and order-select."),
    # -- workflows -------------------------------------------------------------------------
    "WF001": _e("unknown document form", "The workflow's `form` is not defined by any loaded pack."),
    "WF002": _e("unknown state", "A transition or `initial` names a state that is not declared."),
    "WF003": _e("unreachable state", "No transition leads to this state from the initial state."),
    "WF004": _e("bad duration", "`valid_for` must be an ISO 8601 duration such as P1Y or P30D."),
    "WF005": _e("duplicate state or action", "State names and transition actions are unique."),
    # -- value sets ------------------------------------------------------------------------
    "VS001": _e("duplicate class", "A value set declares the same class code twice."),
    # -- packs -----------------------------------------------------------------------------
    "PACK001": _e("pack manifest missing", "A pack folder needs a pack.yaml."),
    "PACK002": _e("pack id does not match folder", "A pack's id is its folder name."),
    "PACK003": _e("unknown pack dependency", "`requires` names a pack that is not installed."),
    "PACK004": _e("dependency version not satisfied", "The installed version does not satisfy the required range."),
    "PACK005": _e("pack dependency cycle", "Packs require each other in a loop."),
    "PACK006": _e("bad version range", "Version ranges are comparisons such as '>=1.0,<2'."),
    "PACK007": _w("engine version not satisfied", "The pack asks for another engine version."),
    # -- translations ----------------------------------------------------------------------
    "I18N001": _w("missing translation", "A text has no translation for a locale the pack declares."),
    "I18N002": _e("unknown message id", "A catalog message id is not defined in the pack's locale files."),
}


def make(
    code: str,
    message: str,
    location: Location,
    *,
    pointer: str = "",
    hint: str = "",
    severity: Severity | None = None,
) -> Diagnostic:
    """Build a diagnostic whose severity comes from the catalogue unless overridden."""
    info = CATALOGUE[code]
    return Diagnostic(code, message, location, pointer, hint, severity or info.severity)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(d: Diagnostic) -> tuple[str, int, int, int, str]:
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}[d.severity]
    return (d.location.file, d.location.line, d.location.col, rank, d.code)


class DefinitionError(Exception):
    """Raised at the edge when a caller needs a compiled definition and there are errors."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        first = next((d for d in self.diagnostics if d.is_error), None)
        super().__init__(str(first) if first else "definition has errors")


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A "did you mean 'x'?" hint, or an empty string when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
