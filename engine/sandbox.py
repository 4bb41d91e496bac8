"""The run-time side of the expression sandbox: limits, record values and guarded operators.

Every operator of the expression language is one function in `OPERATORS`; both evaluation
paths (the fast closure path in `engine.expressions` and the simpleeval reference path) call
exactly these functions, so they cannot disagree about what `a + b` means.

Missing values (``None``) propagate through arithmetic, make comparisons False (except
``==``/``!=``/``is``) and are skipped by aggregates. Numbers, and the texts and lists an
expression builds, are bounded: an operation whose result would exceed a limit raises
`EvaluationProblem` with code EVAL002 *before* the result is built. Type mismatches raise TypeError, which the caller
turns into EVAL001.
"""

from __future__ import annotations

import ast
import datetime as dt
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NoReturn, TypeVar

#: longest expression source, in characters
MAX_SOURCE_LENGTH = 2_000
#: deepest syntax tree (nesting of operators, calls, parentheses)
MAX_DEPTH = 100
#: most syntax-tree nodes in one expression
MAX_NODES = 1_000
#: most elements written in one list literal
MAX_LITERAL_ITEMS = 200
#: longest text or list an expression may build
MAX_LENGTH = 10_000
#: largest magnitude of a number an expression may build
MAX_NUMBER = 10**100
_MAX_FLOAT = float(MAX_NUMBER)
#: bit length of MAX_NUMBER: the cheap pre-check for ``**`` and ``<<`` on integers
_MAX_BITS = MAX_NUMBER.bit_length()
#: largest shift count of ``<<`` and ``>>``
MAX_SHIFT = 332

T = TypeVar("T")
_UNSET: Any = object()

NUMBER_TYPES = frozenset({int, float, bool})
_INT_TYPES = frozenset({int, bool})
_SEQUENCE_TYPES = frozenset({list, tuple})


class EvaluationProblem(Exception):
    """A run-time problem: EVAL001 (an error such as division by zero) or EVAL002 (a limit)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[EvaluationProblem], tuple[str, str]]:
        return (type(self), (self.code, self.message))


def _too_large(what: str) -> NoReturn:
    raise EvaluationProblem("EVAL002", what)


class Record:
    """An immutable record value (patient, encounter, a repeating-group row, a coding).

    Field access ``r.x`` gives the field or None when the record has no such field. Names
    starting with ``_`` are never fields. Records are the only values whose attributes the
    expression language can read, and it reads fields only, never Python attributes.
    """

    __slots__ = ("_fields",)
    _fields: dict[str, Any]

    def __init__(self, fields: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_fields", dict(fields or {}))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._fields.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Record is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("a Record is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is Record and other._fields == self._fields

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Record({self._fields!r})"

    def __reduce__(self) -> tuple[type[Record], tuple[dict[str, Any]]]:
        return (Record, (self._fields,))

    def as_dict(self) -> dict[str, Any]:
        """A shallow copy of the fields."""
        return dict(self._fields)


class RecordList:
    """An immutable list of Records (the rows of a repeating group).

    ``rows.x`` gives the list of field ``x`` over the rows (None where a row lacks it).
    """

    __slots__ = ("_derived", "_rows")
    _rows: tuple[Record, ...]
    #: what the function library derived from the rows (the rows by code for value_of over
    #: 200 observations, the codings of has_code, the classes of has_class), by the function
    #: that derives it: built on first use and kept, as the rows never change
    _derived: dict[Callable[[RecordList], Any], Any] | None

    def __init__(self, rows: Iterable[Record | Mapping[str, Any]] = ()) -> None:
        object.__setattr__(self, "_rows", tuple(r if type(r) is Record else Record(r) for r in rows))  # type: ignore[arg-type]
        object.__setattr__(self, "_derived", None)

    def _derive(self, build: Callable[[RecordList], T]) -> T:
        """``build(self)``, computed once per list (a list is read by many rules in one run)."""
        derived = self._derived
        if derived is None:
            derived = {}
            object.__setattr__(self, "_derived", derived)
        value = derived.get(build, _UNSET)
        if value is _UNSET:
            value = derived[build] = build(self)
        return value

    def _with_code(self, code: Any) -> tuple[Record, ...]:
        """The rows whose `code` field is ``code``, in order."""
        return self._derive(_rows_by_code).get(code, ())

    def __getattr__(self, name: str) -> list[Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return [row._fields.get(name) for row in self._rows]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a RecordList is immutable")

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Record]:
        return iter(self._rows)

    def __getitem__(self, index: int) -> Record:
        return self._rows[index]

    def __eq__(self, other: object) -> bool:
        return type(other) is RecordList and other._rows == self._rows

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RecordList({list(self._rows)!r})"

    def __reduce__(self) -> tuple[type[RecordList], tuple[tuple[Record, ...]]]:
        return (RecordList, (self._rows,))


def _rows_by_code(rows: RecordList) -> dict[Any, tuple[Record, ...]]:
    built: dict[Any, list[Record]] = {}
    for row in rows._rows:
        found = row._fields.get("code")
        if isinstance(found, str):
            built.setdefault(found, []).append(row)
    return {k: tuple(v) for k, v in built.items()}


def field(value: Any, name: str) -> Any:
    """A field of a Record or a mapping (grid rows are plain dicts); None otherwise."""
    if type(value) is Record:
        return value._fields.get(name)
    if isinstance(value, Mapping):
        return value.get(name)
    return None


def kind(value: Any) -> str:
    """The name of a value's type in the words of the language reference."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.datetime):
        return "date-time"
    for cls, name in ((str, "text"), (dt.date, "date"), (dt.time, "time"), (list, "list"), (tuple, "list"), (Record, "record"), (RecordList, "rows"), (dict, "grid")):
        if isinstance(value, cls):
            return name
    return type(value).__name__


def _mismatch(symbol: str, a: Any, b: Any) -> TypeError:
    return TypeError(f"cannot apply '{symbol}' to {kind(a)} and {kind(b)}")


def number(value: Any) -> Any:
    """Check a computed number against MAX_NUMBER (which also rejects inf and nan)."""
    if -_MAX_FLOAT <= value <= _MAX_FLOAT:
        return value
    _too_large(f"a number exceeded the limit of 1e{len(str(MAX_NUMBER)) - 1}")


def bounded(value: Any) -> Any:
    """Check a function result: numbers against MAX_NUMBER, no complex numbers.

    Texts and lists are not checked here: no library function grows them by more than a
    small factor of its arguments (lower/upper at most 3x, str only of single values), and
    a long answer passed through (``coalesce(notes, '')``) is not growth. The operators
    that can grow them (``+``, ``*``) check their results.
    """
    t = type(value)
    if t is int or t is float:
        return number(value)
    if t is complex:
        raise ValueError("the result is not a real number")
    return value


def _sequence_size(size: int) -> None:
    if size > MAX_LENGTH:
        _too_large(f"a text or list would exceed the limit of {MAX_LENGTH} elements")


# -- arithmetic ------------------------------------------------------------------------------


def add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta in NUMBER_TYPES and tb in NUMBER_TYPES:
        return number(a + b)
    if a is None or b is None:
        return None
    if ta is str and tb is str:
        _sequence_size(len(a) + len(b))
        return a + b
    if ta in _SEQUENCE_TYPES and tb in _SEQUENCE_TYPES:
        _sequence_size(len(a) + len(b))
        return [*a, *b]
    raise _mismatch("+", a, b)


def _numeric(symbol: str, operation: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if type(a) in NUMBER_TYPES and type(b) in NUMBER_TYPES:
            return number(operation(a, b))
        if a is None or b is None:
            return None
        raise _mismatch(symbol, a, b)

    apply.__name__ = f"guarded {symbol}"
    return apply


subtract = _numeric("-", operator.sub)
divide = _numeric("/", operator.truediv)
floor_divide = _numeric("//", operator.floordiv)
modulo = _numeric("%", operator.mod)


def multiply(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta in NUMBER_TYPES and tb in NUMBER_TYPES:
        return number(a * b)
    if a is None or b is None:
        return None
    if tb in _INT_TYPES and (ta is str or ta in _SEQUENCE_TYPES):
        _sequence_size(len(a) * b)
        return a * b if ta is str else list(a) * b
    if ta in _INT_TYPES and (tb is str or tb in _SEQUENCE_TYPES):
        return multiply(b, a)
    raise _mismatch("*", a, b)


def power(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta in NUMBER_TYPES and tb in NUMBER_TYPES:
        if ta in _INT_TYPES and tb in _INT_TYPES and b > 0 and (abs(a).bit_length() - 1) * b > _MAX_BITS:
            _too_large(f"{a} ** {b} exceeds the limit of 1e100")
        result = a**b
        if type(result) is complex:
            raise ValueError("a negative number cannot be raised to a fractional power")
        return number(result)
    if a is None or b is None:
        return None
    raise _mismatch("**", a, b)


def _integer(symbol: str, operation: Callable[[Any, Any], Any], shift: bool = False) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if type(a) in _INT_TYPES and type(b) in _INT_TYPES:
            if shift and b > MAX_SHIFT:
                _too_large(f"a shift by more than {MAX_SHIFT} bits")
            return number(operation(a, b))
        if a is None or b is None:
            return None
        raise _mismatch(symbol, a, b)

    apply.__name__ = f"guarded {symbol}"
    return apply


left_shift = _integer("<<", operator.lshift, shift=True)
right_shift = _integer(">>", operator.rshift, shift=True)
bit_and = _integer("&", operator.and_)
bit_or = _integer("|", operator.or_)
bit_xor = _integer("^", operator.xor)


def negate(a: Any) -> Any:
    if type(a) in NUMBER_TYPES:
        return -a
    if a is None:
        return None
    raise TypeError(f"cannot negate {kind(a)}")


def plus(a: Any) -> Any:
    if type(a) in NUMBER_TYPES:
        return +a
    if a is None:
        return None
    raise TypeError(f"cannot apply unary '+' to {kind(a)}")


def invert(a: Any) -> Any:
    if type(a) in _INT_TYPES:
        return ~a
    if a is None:
        return None
    raise TypeError(f"cannot apply '~' to {kind(a)}")


def not_(a: Any) -> bool:
    return not a


# -- comparisons -----------------------------------------------------------------------------


def equal(a: Any, b: Any) -> bool:
    """``a == b``; false when a side is missing (``x == null`` is compiled to ``is``)."""
    if a is None or b is None:
        return False
    return bool(a == b)


def not_equal(a: Any, b: Any) -> bool:
    """``a != b``; false when a side is missing (``x != null`` is compiled to ``is not``)."""
    if a is None or b is None:
        return False
    return bool(a != b)


def _ordering(operation: Callable[[Any, Any], Any]) -> Callable[[Any, Any], bool]:
    def apply(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        return bool(operation(a, b))

    return apply


less = _ordering(operator.lt)
less_equal = _ordering(operator.le)
greater = _ordering(operator.gt)
greater_equal = _ordering(operator.ge)


def contains(a: Any, b: Any) -> bool:
    """``a in b``: text in text, a value in a list, a row code in a grid; missing -> False."""
    if a is None or b is None:
        return False
    tb = type(b)
    if tb is str:
        if type(a) is not str:
            raise TypeError(f"'in' on text needs text on the left, not {kind(a)}")
        return a in b
    if tb in _SEQUENCE_TYPES or tb is dict:
        return a in b
    if tb is RecordList:
        return a in b._rows
    raise TypeError(f"'in' needs text, a list or a grid on the right, not {kind(b)}")


def not_contains(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    return not contains(a, b)


def is_(a: Any, b: Any) -> bool:
    return a is b


def is_not(a: Any, b: Any) -> bool:
    return a is not b


#: every operator of the language, by AST node type
OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: add, ast.Sub: subtract, ast.Mult: multiply, ast.Div: divide,
    ast.FloorDiv: floor_divide, ast.Mod: modulo, ast.Pow: power,
    ast.LShift: left_shift, ast.RShift: right_shift,
    ast.BitAnd: bit_and, ast.BitOr: bit_or, ast.BitXor: bit_xor,
    ast.USub: negate, ast.UAdd: plus, ast.Invert: invert, ast.Not: not_,
    ast.Eq: equal, ast.NotEq: not_equal, ast.Lt: less, ast.LtE: less_equal,
    ast.Gt: greater, ast.GtE: greater_equal, ast.In: contains, ast.NotIn: not_contains,
    ast.Is: is_, ast.IsNot: is_not,
}  # fmt: skip


# -- attribute access and literals -----------------------------------------------------------


def attribute(value: Any, name: str) -> Any:
    """``value.name``: a Record's field, a RecordList's column; missing stays missing."""
    t = type(value)
    if t is Record:
        return value._fields.get(name)
    if t is RecordList:
        return [row._fields.get(name) for row in value._rows]
    if value is None:
        return None
    raise TypeError(f"'.{name}' works only on records (patient, encounter, rows), not on {kind(value)}")


_NESTED = frozenset({list, tuple, RecordList})


def make_list(items: list[Any]) -> list[Any]:
    """A list literal: flat (a list inside a list would multiply the cost of comparisons)."""
    for item in items:
        if type(item) in _NESTED:
            raise TypeError("a list cannot contain a list")
    return items
