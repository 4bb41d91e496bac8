"""The item-type registry: one entry per form item type.

Each entry says which keys the type accepts, how raw input (a web form string or a JSON
value) becomes a typed answer, how a typed answer is stored as JSON, which observation
column it fills, and which widget and FHIR Questionnaire type correspond. Adding a type is
one entry here; the checker, evaluator, renderer and exporters all read this table.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.model import Item

#: keys every item may carry
COMMON_KEYS = frozenset({"id", "type", "label", "help", "code", "visible_when", "when_hidden"})
#: keys of items that hold an answer
INPUT_KEYS = frozenset({"required", "required_when", "readonly", "default", "calculate", "constraints", "previous_value", "placeholder"})

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")


class ValueProblem(Exception):
    """Raw input that does not fit the item; ``code`` selects a message in engine.messages."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def _blank(raw: Any) -> bool:
    if isinstance(raw, dict) and "value" in raw and set(raw) <= {"value", "unit"}:
        return _blank(raw["value"])  # a quantity with a unit but no number is unanswered
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == [] or raw == {}


def _number_text(raw: str) -> str:
    return raw.strip().translate(_DIGITS).replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw.strip().translate(_DIGITS)


def coerce_integer(raw: Any, item: Item) -> int:
    if isinstance(raw, bool):
        raise ValueProblem("not_integer")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        text = _number_text(raw)
        if re.fullmatch(r"[-+]?\d{1,18}", text):
            return int(text)
    raise ValueProblem("not_integer")


def coerce_decimal(raw: Any, item: Item) -> float:
    if isinstance(raw, bool):
        raise ValueProblem("not_number")
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and re.fullmatch(r"[-+]?(\d{1,15}(\.\d{0,10})?|\.\d{1,10})", _number_text(raw)):
        value = float(_number_text(raw))
    else:
        raise ValueProblem("not_number")
    if not math.isfinite(value):
        raise ValueProblem("not_number")
    return value


#: conversions to a base unit, for quantities entered in an alternative unit
UNIT_FACTORS: dict[str, tuple[str, float, float]] = {
    "kg": ("kg", 1.0, 0.0), "g": ("kg", 0.001, 0.0), "[lb_av]": ("kg", 0.45359237, 0.0),
    "m": ("m", 1.0, 0.0), "cm": ("m", 0.01, 0.0), "mm": ("m", 0.001, 0.0), "[in_i]": ("m", 0.0254, 0.0),
    "Cel": ("Cel", 1.0, 0.0), "[degF]": ("Cel", 5 / 9, -32 * 5 / 9),
    "mg": ("kg", 1e-6, 0.0), "ug": ("kg", 1e-9, 0.0),
    "ms": ("s", 0.001, 0.0), "s": ("s", 1.0, 0.0), "min": ("s", 60.0, 0.0), "h": ("s", 3600.0, 0.0),
}


def convert(value: float, unit: str, target: str) -> float | None:
    """Convert between UCUM units of the same dimension; None when not convertible."""
    if unit == target:
        return value
    a, b = UNIT_FACTORS.get(unit), UNIT_FACTORS.get(target)
    if a is None or b is None or a[0] != b[0]:
        return None
    base = value * a[1] + a[2]
    return (base - b[2]) / b[1]


def coerce_quantity(raw: Any, item: Item) -> dict[str, Any]:
    allowed = ((item.unit,) if item.unit else ()) + tuple(u for u in item.units if u != item.unit)
    if isinstance(raw, dict):
        value, unit = raw.get("value"), raw.get("unit") or item.unit
    else:
        value, unit = raw, item.unit
    if _blank(value):
        raise ValueProblem("required")
    number = coerce_decimal(value, item)
    if allowed and unit not in allowed:
        raise ValueProblem("bad_unit", unit=unit, allowed=", ".join(allowed))
    return {"value": number, "unit": unit}


def coerce_date(raw: Any, item: Item) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw.strip().translate(_DIGITS))
        except ValueError:
            pass
    raise ValueProblem("not_date")


def coerce_datetime(raw: Any, item: Item) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, str):
        try:
            return dt.datetime.fromisoformat(raw.strip().translate(_DIGITS))
        except ValueError:
            pass
    raise ValueProblem("not_datetime")


def coerce_time(raw: Any, item: Item) -> dt.time:
    if isinstance(raw, dt.time):
        return raw
    if isinstance(raw, str):
        try:
            return dt.time.fromisoformat(raw.strip().translate(_DIGITS))
        except ValueError:
            pass
    raise ValueProblem("not_time")


_TRUE = {"true", "yes", "on", "1", "y", "نعم"}
_FALSE = {"false", "no", "off", "0", "n", "لا"}


def coerce_boolean(raw: Any, item: Item) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ValueProblem("not_boolean")


def coerce_text(raw: Any, item: Item) -> str:
    if isinstance(raw, str):
        return raw.replace("\r\n", "\n").strip()
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    raise ValueProblem("not_text")


def coerce_choice(raw: Any, item: Item) -> str:
    code = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    if code is None or item.option(code) is None:
        raise ValueProblem("bad_option", value=str(raw)[:40])
    return code


def coerce_choices(raw: Any, item: Item) -> list[str]:
    values = raw if isinstance(raw, list | tuple) else [raw]
    result: list[str] = []
    for value in values:
        if _blank(value):
            continue
        code = coerce_choice(value, item)
        if code not in result:
            result.append(code)
    return result


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def coerce_file(raw: Any, item: Item) -> dict[str, Any]:
    """Attachments and signatures are stored files, referenced by SHA-256."""
    ref = {"file": raw} if isinstance(raw, str) else raw
    if not isinstance(ref, dict) or not isinstance(ref.get("file"), str) or not _SHA256.match(ref["file"]):
        raise ValueProblem("bad_file")
    media_type = ref.get("media_type")
    if item.media_types and media_type is not None and not any(
        media_type == m or (m.endswith("/*") and media_type.startswith(m[:-1])) for m in item.media_types
    ):
        raise ValueProblem("bad_media_type", media_type=media_type, allowed=", ".join(item.media_types))
    size = ref.get("size")
    if item.max_size_kb and isinstance(size, int) and size > item.max_size_kb * 1024:
        raise ValueProblem("too_large", size_kb=size // 1024, max_kb=item.max_size_kb)
    return {k: ref[k] for k in ("file", "name", "media_type", "size", "signed_at", "signer") if k in ref}


@dataclass(frozen=True, slots=True)
class ItemType:
    name: str
    #: type-specific keys accepted besides COMMON_KEYS (and INPUT_KEYS for inputs)
    keys: frozenset[str]
    coerce: Callable[[Any, Item], Any] | None
    #: observation column: num, text, date, coding, bool or None (not stored as observation)
    column: str | None
    widget: str
    fhir_type: str
    is_input: bool = True
    is_container: bool = False
    #: min/max compare against this Python type (None: min/max not allowed)
    bound: type | None = None


def _t(name: str, keys: set[str], coerce: Callable[[Any, Item], Any] | None, column: str | None, widget: str, fhir: str, **kw: Any) -> ItemType:
    return ItemType(name, frozenset(keys), coerce, column, widget, fhir, **kw)


_NUM = {"min", "max", "unit", "decimals"}
TYPES: dict[str, ItemType] = {
    t.name: t
    for t in (
        _t("text", {"min_length", "max_length", "pattern"}, coerce_text, "text", "text", "string"),
        _t("long_text", {"min_length", "max_length"}, coerce_text, "text", "long_text", "text"),
        _t("integer", _NUM - {"decimals"}, coerce_integer, "num", "number", "integer", bound=float),
        _t("decimal", _NUM, coerce_decimal, "num", "number", "decimal", bound=float),
        _t("quantity", _NUM | {"units"}, coerce_quantity, "num", "quantity", "quantity", bound=float),
        _t("date", {"min", "max"}, coerce_date, "date", "date", "date", bound=dt.date),
        _t("datetime", {"min", "max"}, coerce_datetime, "date", "datetime", "dateTime", bound=dt.datetime),
        _t("time", {"min", "max"}, coerce_time, "text", "time", "time", bound=dt.time),
        _t("boolean", set(), coerce_boolean, "bool", "boolean", "boolean"),
        _t("single_choice", {"options", "appearance"}, coerce_choice, "coding", "choice", "coding"),
        _t("multiple_choice", {"options", "appearance", "min_length", "max_length"}, coerce_choices, "coding", "choices", "coding"),
        _t("display", {"text"}, None, None, "display", "display", is_input=False),
        _t("signature", {"signer"}, coerce_file, None, "signature", "attachment"),
        _t("attachment", {"media_types", "max_size_kb"}, coerce_file, None, "attachment", "attachment"),
        _t("group", {"items"}, None, None, "group", "group", is_input=False, is_container=True),
        _t("repeating_group", {"items", "min_rows", "max_rows"}, None, None, "repeating_group", "group", is_container=True),
        _t("grid", {"items", "rows", "appearance"}, None, None, "grid", "group", is_container=True),
    )
}


@cache
def allowed_keys(type_name: str) -> frozenset[str]:
    item_type = TYPES[type_name]
    keys = COMMON_KEYS | item_type.keys
    if item_type.is_input and not item_type.is_container:
        keys |= INPUT_KEYS
    if item_type.name == "repeating_group":
        keys |= {"required", "required_when", "readonly", "constraints"}
    if item_type.name == "grid":
        keys |= {"readonly", "constraints"}
    return keys


def blank(raw: Any) -> bool:
    """True for an unanswered raw value (None, empty string, empty list or mapping)."""
    return _blank(raw)
