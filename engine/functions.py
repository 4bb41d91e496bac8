"""The function library of the expression language.

Every function is pure (apart from `today` and `now`, which read the clock), takes
positional arguments only and follows the missing-value rules of docs/expressions.md:
scalar functions give None when a needed argument is None; aggregates (sum, min, max, count,
mean, any, all) skip missing values; predicates (contains, has_code, has_any_code, has_code_under) give
False. Wrong argument types raise TypeError or ValueError, which the evaluator reports as
EVAL001. `LIBRARY` is the single table: the checker reads arities from it and
docs/expressions.md documents every entry (a test keeps the two in step).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from engine.arguments import SEQUENCES as _SEQUENCES
from engine.arguments import as_text as _text
from engine.arguments import flat as _flat
from engine.code_functions import (
    has_any_code,
    has_class,
    has_code,
    has_code_under,
    repeated_classes,
    shared_classes,
    value_of,
)
from engine.sandbox import NUMBER_TYPES, Record, RecordList, field, kind

_MISSING_ARG: Any = object()  # an omitted optional argument (different from a None value)


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    impl: Callable[..., Any]
    params: str
    min_args: int
    max_args: int | None  # None: any number
    summary: str
    example: str
    #: when not empty, the only argument counts allowed
    counts: frozenset[int] = frozenset()

    def accepts(self, count: int) -> bool:
        if self.counts:
            return count in self.counts
        return count >= self.min_args and (self.max_args is None or count <= self.max_args)


# -- helpers ---------------------------------------------------------------------------------


def _num(value: Any, name: str) -> float | int:
    if type(value) not in NUMBER_TYPES:
        raise TypeError(f"{name}() needs a number, not {kind(value)}")
    return value


def _as_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) <= 40:
        text = value.strip()
        return dt.datetime.fromisoformat(text).date() if len(text) > 10 else dt.date.fromisoformat(text)
    raise TypeError(f"{name}() needs a date, not {kind(value)}")


def whole_years(start: dt.date, end: dt.date) -> int:
    """Completed years; someone born on 29 February has a birthday on 1 March in other years."""
    if end < start:
        return -whole_years(end, start)
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


# -- dates -----------------------------------------------------------------------------------


def age(birth_date: Any, on_date: Any = _MISSING_ARG) -> int | None:
    if on_date is _MISSING_ARG:
        on_date = dt.date.today()
    if birth_date is None or on_date is None:
        return None
    born, on = _as_date(birth_date, "age"), _as_date(on_date, "age")
    if on < born:
        raise ValueError(f"the birth date {born.isoformat()} is after {on.isoformat()}")
    return whole_years(born, on)


def today() -> dt.date:
    return dt.date.today()


def now() -> dt.datetime:
    return dt.datetime.now()


def days_between(a: Any, b: Any) -> int | None:
    if a is None or b is None:
        return None
    return (_as_date(b, "days_between") - _as_date(a, "days_between")).days


def years_between(a: Any, b: Any) -> int | None:
    if a is None or b is None:
        return None
    return whole_years(_as_date(a, "years_between"), _as_date(b, "years_between"))


def date(*args: Any) -> dt.date | None:
    if any(a is None for a in args):
        return None
    if len(args) == 1:
        return _as_date(args[0], "date")
    year, month, day = (_num(a, "date") for a in args)
    if not all(isinstance(v, int) for v in (year, month, day)):
        raise TypeError("date(year, month, day) needs whole numbers")
    return dt.date(int(year), int(month), int(day))


# -- numbers ---------------------------------------------------------------------------------

def round_(x: Any, ndigits: Any = _MISSING_ARG) -> int | float | None:
    """Half away from zero, on the number as written (round(2.675, 2) == 2.68)."""
    if x is None or ndigits is None:
        return None
    _num(x, "round")
    places = 0 if ndigits is _MISSING_ARG else ndigits
    if type(places) not in (int, bool) or not -20 <= places <= 20:
        raise ValueError("round() needs a whole number of digits between -20 and 20")
    exact = Decimal(x) if isinstance(x, int) else Decimal(repr(x))
    result = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=Context(prec=250))
    if ndigits is _MISSING_ARG or isinstance(x, int):
        return int(result)
    return float(result)


def _unary(name: str, operation: Callable[[float], float], domain: Callable[[float], bool] | None = None, message: str = "") -> Callable[[Any], Any]:
    def apply(x: Any) -> Any:
        if x is None:
            return None
        value = _num(x, name)
        if domain is not None and not domain(value):
            raise ValueError(f"{name}() {message}, got {value}")
        return operation(value)

    apply.__name__ = name
    return apply


sqrt = _unary("sqrt", math.sqrt, lambda v: v >= 0, "needs a number >= 0")
cbrt = _unary("cbrt", math.cbrt)
ln = _unary("ln", math.log, lambda v: v > 0, "needs a number > 0")
log10 = _unary("log10", math.log10, lambda v: v > 0, "needs a number > 0")
exp = _unary("exp", math.exp)
abs_ = _unary("abs", abs)


def bmi(weight_kg: Any, height_cm: Any) -> float | None:
    if weight_kg is None or height_cm is None:
        return None
    weight, height = _num(weight_kg, "bmi"), _num(height_cm, "bmi")
    if weight <= 0 or height <= 0:
        raise ValueError(f"bmi() needs a positive weight and height, got {weight} kg and {height} cm")
    return round_(weight / (height / 100) ** 2, 1)


def int_(x: Any) -> int | None:
    if x is None:
        return None
    if isinstance(x, str):
        if len(x) > 120:
            raise ValueError("int() text is too long to be a number")
        return int(x.strip())
    return int(_num(x, "int"))


def float_(x: Any) -> float | None:
    if x is None:
        return None
    if isinstance(x, str):
        if len(x) > 120:
            raise ValueError("float() text is too long to be a number")
        value = float(x.strip())
    else:
        value = float(_num(x, "float"))
    if not math.isfinite(value):
        raise ValueError("float() needs a finite number")
    return value


# -- aggregates ------------------------------------------------------------------------------


def sum_(*args: Any) -> int | float:
    total: int | float = 0
    for value in _flat(args):
        total += _num(value, "sum")
    return total


def count(*args: Any) -> int:
    return len(_flat(args))


def _matching(value: Any, wanted: set[Any]) -> bool:
    if isinstance(value, _SEQUENCES):  # a multiple-choice answer matches when any choice does
        return any(v in wanted for v in value)
    return value in wanted


def count_in(values: Any, wanted: Any) -> int:
    """How many of ``values`` (a list or a grid column) are one of ``wanted``."""
    choices = set(_flat([wanted]))
    return sum(1 for v in (values if isinstance(values, _SEQUENCES) else [values]) if v is not None and _matching(v, choices))


def sum_where(values: Any, conditions: Any) -> int | float:
    """Total of ``values`` where the matching item of ``conditions`` is true (same order)."""
    if values is None or conditions is None:
        return 0
    if not isinstance(values, _SEQUENCES) or not isinstance(conditions, _SEQUENCES):
        raise TypeError("sum_where() needs two lists, e.g. sum_where(plan.cost, plan.accepted)")
    if len(values) != len(conditions):
        raise ValueError(f"sum_where() needs lists of the same length ({len(values)} and {len(conditions)})")
    total: int | float = 0
    for value, condition in zip(values, conditions, strict=True):
        if condition is True and value is not None:
            total += _num(value, "sum_where")
    return total


def mean(*args: Any) -> float | None:
    values = [_num(v, "mean") for v in _flat(args)]
    return sum(values) / len(values) if values else None


def min_(*args: Any) -> Any:
    values = _flat(args)
    return min(values) if values else None


def max_(*args: Any) -> Any:
    values = _flat(args)
    return max(values) if values else None


def any_(*args: Any) -> bool:
    return any(_flat(args))


def all_(*args: Any) -> bool:
    return all(_flat(args))


def coalesce(*args: Any) -> Any:
    return next((a for a in args if a is not None), None)


# -- text and lists --------------------------------------------------------------------------


def str_(x: Any) -> str | None:
    if x is None:
        return None
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, str):
        return x
    if isinstance(x, int | float):
        return repr(x)
    if isinstance(x, dt.date | dt.time):
        return x.isoformat()
    raise TypeError(f"str() needs a number, text, yes/no or date, not {kind(x)}")


def len_(x: Any) -> int | None:
    if x is None:
        return None
    if isinstance(x, str | list | tuple | dict | RecordList):
        return len(x)
    raise TypeError(f"len() needs text or a list, not {kind(x)}")


def lower(x: Any) -> str | None:
    return None if x is None else _text(x, "lower").lower()


def upper(x: Any) -> str | None:
    return None if x is None else _text(x, "upper").upper()


def contains(text: Any, part: Any) -> bool:
    if text is None or part is None:
        return False
    return _text(part, "contains") in _text(text, "contains")


# -- grids -----------------------------------------------------------------------------------


def cell(grid: Any, row_code: Any, column_id: Any) -> Any:
    if grid is None or row_code is None or column_id is None:
        return None
    if not (type(grid) is Record or isinstance(grid, Mapping)):
        raise TypeError(f"cell() needs a grid answer, not {kind(grid)}")
    return field(field(grid, str(row_code)), str(column_id))


def column(grid: Any, column_id: Any) -> list[Any] | None:
    if grid is None or column_id is None:
        return None
    if type(grid) is Record:
        grid = grid.as_dict()
    if not isinstance(grid, Mapping):
        raise TypeError(f"column() needs a grid answer, not {kind(grid)}")
    return [field(row, str(column_id)) for row in grid.values()]


def _f(name: str, impl: Callable[..., Any], params: str, arity: tuple[int, int | None], summary: str, example: str, counts: frozenset[int] = frozenset()) -> Function:
    return Function(name, impl, params, arity[0], arity[1], summary, example, counts)


#: the function library, by name
LIBRARY: dict[str, Function] = {f.name: f for f in (
    _f("age", age, "birth_date[, on_date]", (1, 2), "completed years from birth_date to on_date (default today)", "age(patient.birth_date) < 18"),
    _f("today", today, "", (0, 0), "today's date", "days_between(lmp, today())"),
    _f("now", now, "", (0, 0), "the current date and time", "now()"),
    _f("days_between", days_between, "a, b", (2, 2), "calendar days from a to b (negative if b is earlier)", "days_between(lmp, today()) / 7"),
    _f("years_between", years_between, "a, b", (2, 2), "completed years from a to b", "years_between(diagnosed_on, today())"),
    _f("date", date, "text | year, month, day", (1, 3), "a date from ISO text or from its parts", "visit_date >= date('2024-01-31')", frozenset({1, 3})),
    _f("round", round_, "x[, ndigits]", (1, 2), "x rounded half away from zero", "round(egfr, 1)"),
    _f("abs", abs_, "x", (1, 1), "absolute value", "abs(change) > 5"),
    _f("sqrt", sqrt, "x", (1, 1), "square root", "qt / sqrt(rr / 1000)"),
    _f("cbrt", cbrt, "x", (1, 1), "cube root", "qt / cbrt(rr / 1000)"),
    _f("ln", ln, "x", (1, 1), "natural logarithm", "ln(creatinine)"),
    _f("log10", log10, "x", (1, 1), "base-10 logarithm", "log10(viral_load)"),
    _f("exp", exp, "x", (1, 1), "e to the power x", "exp(0.5)"),
    _f("bmi", bmi, "weight_kg, height_cm", (2, 2), "body mass index in kg/m2, one decimal", "bmi(weight, height)"),
    _f("int", int_, "x", (1, 1), "a whole number from a number (truncated) or text", "int('42')"),
    _f("float", float_, "x", (1, 1), "a decimal number from a number or text", "float('36.6')"),
    _f("str", str_, "x", (1, 1), "a number, yes/no or date as text", "'BP ' + str(systolic)"),
    _f("len", len_, "x", (1, 1), "length of a text or list, number of rows", "len(allergies) > 0"),
    _f("lower", lower, "text", (1, 1), "text in lower case", "lower(smoker) == 'yes'"),
    _f("upper", upper, "text", (1, 1), "text in upper case", "upper(side)"),
    _f("contains", contains, "text, part", (2, 2), "whether part occurs in text", "contains(lower(notes), 'chest pain')"),
    _f("sum", sum_, "values...", (1, None), "total of the numbers", "sum(meds.dose)"),
    _f("count", count, "values...", (1, None), "how many values are not missing", "count(meds) >= 5"),
    _f("count_in", count_in, "values, wanted", (2, 2), "how many values are one of wanted (a value or a list)", "count_in(column(teeth, 'status'), ['caries', 'filled'])"),
    _f("sum_where", sum_where, "values, conditions", (2, 2), "total of values whose matching condition is true", "sum_where(plan.cost, plan.accepted)"),
    _f("mean", mean, "values...", (1, None), "average of the numbers", "mean(bp1, bp2, bp3)"),
    _f("min", min_, "values...", (1, None), "smallest value", "min(scr / 0.9, 1)"),
    _f("max", max_, "values...", (1, None), "largest value", "max(meds.dose)"),
    _f("any", any_, "values...", (1, None), "whether any value is true", "any(symptoms.severe)"),
    _f("all", all_, "values...", (1, None), "whether every value is true", "all(checklist.done)"),
    _f("coalesce", coalesce, "a, b, ...", (1, None), "the first value that is not missing", "coalesce(pain, 0) > 6"),
    _f("has_code", has_code, "values, system, code", (3, 3), "whether a code occurs in the values", "has_code(problems, 'http://snomed.info/sct', '24211005')"),
    _f("has_any_code", has_any_code, "values, system, codes", (3, 3), "whether any of the codes occurs", "has_any_code(allergies, '', ['penicillin', 'amoxicillin'])"),
    _f("has_code_under", has_code_under, "values, system, codes", (3, 3), "whether a code at or below any of the codes occurs (ICD-10: 'Q21' covers 'Q21.3')", "has_code_under(problems, 'http://hl7.org/fhir/sid/icd-10', ['I33', 'Q21.3'])"),
    _f("has_class", has_class, "records, class", (2, 2), "whether any record belongs to the class (from value sets)", "has_class(medications, 'anticoagulants')"),
    _f("shared_classes", shared_classes, "records_a, records_b...", (2, None), "the classes records_a shares with any of the other lists", "count(shared_classes(allergies, order, medications)) > 0"),
    _f("value_of", value_of, "records, system, code", (3, 3), "the value of the record with that code (the latest observation of a code)", "value_of(observations, 'http://loinc.org', '8480-6') >= 180"),
    _f("repeated_classes", repeated_classes, "records", (1, 1), "the classes more than one record belongs to", "count(repeated_classes(medications)) > 0"),
    _f("cell", cell, "grid, row_code, column_id", (3, 3), "one cell of a grid answer", "cell(perio, '16', 'depth') > 4"),
    _f("column", column, "grid, column_id", (2, 2), "a grid column's values over the rows", "max(column(perio, 'depth'))"),
)}  # fmt: skip

FUNCTION_NAMES: frozenset[str] = frozenset(LIBRARY)
