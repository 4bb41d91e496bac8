"""The expression library's functions over coded values: codes and code systems
(has_code, has_any_code, has_code_under, value_of) and the drug classes value sets give
records (has_class, shared_classes, repeated_classes). Registered in engine.functions
`LIBRARY`; their rules are those of docs/expressions.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from engine.arguments import SEQUENCES as _SEQUENCES
from engine.arguments import as_text as _text
from engine.arguments import flat as _flat
from engine.sandbox import Record, RecordList, field, kind


def _codings(value: Any, depth: int = 0) -> Iterable[tuple[Any, Any]]:
    """(system, code) pairs in a value: code strings, Codings, CodeableConcept-like records."""
    if value is None or depth > 4:
        return
    if isinstance(value, str):
        yield None, value
    elif isinstance(value, _SEQUENCES):
        for v in value:
            yield from _codings(v, depth + 1)
    elif type(value) is Record or isinstance(value, Mapping):
        code = field(value, "code")
        if isinstance(code, str):
            yield field(value, "system"), code
        else:
            yield from _codings(code, depth + 1)
        yield from _codings(field(value, "coding"), depth + 1)


def _code_systems(records: RecordList) -> dict[str, tuple[Any, ...]]:
    """Every code of `_codings` in ``records``, with the systems it comes with."""
    found: dict[str, list[Any]] = {}
    for system, code in _codings(records):
        found.setdefault(code, []).append(system)
    return {code: tuple(systems) for code, systems in found.items()}


def _matches(values: Any, system: Any, wanted: Callable[[Any], bool] | set[str]) -> bool:
    """Whether a coding in ``values`` of ``system`` has a code in ``wanted`` (a set, or a test)."""
    if system is not None and not isinstance(system, str):
        raise TypeError(f"the code system must be text, not {kind(system)}")
    if type(values) is RecordList:  # a chart list, read by many rules: look codes up
        index = values._derive(_code_systems)
        codes = [c for c in wanted if c in index] if isinstance(wanted, set) else [c for c in index if wanted(c)]
        return any(not system or not s or s == system for code in codes for s in index[code])
    test = wanted.__contains__ if isinstance(wanted, set) else wanted
    return any(test(code) and (not system or not s or s == system) for s, code in _codings(values))


def has_code(values: Any, system: Any, code: Any) -> bool:
    if code is None:
        return False
    return _matches(values, system, {_text(code, "has_code")})


def has_any_code(values: Any, system: Any, codes: Any) -> bool:
    wanted = {codes} if isinstance(codes, str) else {_text(c, "has_any_code") for c in _flat([codes])}
    return _matches(values, system, wanted)


def has_code_under(values: Any, system: Any, codes: Any) -> bool:
    """A code equal to one of ``codes`` or below it: hierarchical code systems (ICD-10, ATC)
    put a code's children under its leading characters, so 'Q21' covers 'Q21.3'."""
    given = [codes] if isinstance(codes, str) else [_text(c, "has_code_under") for c in _flat([codes])]
    wanted = tuple(c for c in given if c)  # '' would be above every code
    return _matches(values, system, lambda code: isinstance(code, str) and code.startswith(wanted))


def _classes(values: Any) -> frozenset[str]:
    """The classes value sets gave to the records in ``values`` (their `classes` field)."""
    if type(values) is RecordList:  # a chart list or the form's rows, read by many rules
        return values._derive(_classes_of)
    return _classes_of(values)


def _classes_of(values: Any) -> frozenset[str]:
    found: set[str] = set()
    for record in values if isinstance(values, _SEQUENCES) else [values]:
        if type(record) is Record or isinstance(record, Mapping):
            classes = field(record, "classes")
            if isinstance(classes, str):
                found.add(classes)
            elif isinstance(classes, _SEQUENCES):
                found |= {c for c in classes if isinstance(c, str)}
    return frozenset(found)


def has_class(values: Any, class_code: Any) -> bool:
    if class_code is None or values is None:
        return False
    return _text(class_code, "has_class") in _classes(values)


def shared_classes(a: Any, *others: Any) -> list[str]:
    if a is None:
        return []
    other: set[str] = set()
    for records in others:
        if records is not None:
            other |= _classes(records)
    return sorted(_classes(a) & other)


def value_of(values: Any, system: Any, code: Any) -> Any:
    """The `value` of the first record in ``values`` with ``code`` (and ``system``, when both
    the argument and the record name one): the latest observation of a code."""
    if code is None or values is None:
        return None
    if system is not None and not isinstance(system, str):
        raise TypeError(f"the code system must be text, not {kind(system)}")
    wanted = _text(code, "value_of")
    rows = values._with_code(wanted) if type(values) is RecordList else values if isinstance(values, _SEQUENCES) else [values]
    for record in rows:
        if (type(record) is Record or isinstance(record, Mapping)) and field(record, "code") == wanted:
            own = field(record, "system")
            if not system or not own or own == system:
                return field(record, "value")
    return None


def repeated_classes(records: Any) -> list[str]:
    """The classes that more than one record belongs to (e.g. two anticoagulants)."""
    if records is None:
        return []
    seen: set[str] = set()
    repeated: set[str] = set()
    for record in records if isinstance(records, _SEQUENCES) else [records]:
        classes = _classes([record])
        repeated |= classes & seen
        seen |= classes
    return sorted(repeated)
