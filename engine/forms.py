"""Compile a checked form document: items, expressions, semantic checks, dependency graph."""

from __future__ import annotations

import keyword
import re
from types import MappingProxyType
from typing import Any

from engine.compiler import Builder, PackContext, check_namespace
from engine.dependencies import build_graph
from engine.diagnostics import Diagnostic, did_you_mean
from engine.expressions import CONTEXT_NAMES
from engine.model import (
    NO_TEXT,
    Coding,
    Constraint,
    Form,
    FormTest,
    GridRow,
    Item,
    Option,
    Text,
    new_item,
)
from engine.reader import SourceDocument, pointer_join
from engine.types import TYPES, ValueProblem, allowed_keys, blank

_UCUM = re.compile(r"^(?:\[[A-Za-z_.0-9]+\]|[A-Za-z%'{}0-9./()*^+-]+)+$")
ROW_CONTAINERS = ("repeating_group", "grid")
#: item ids that would shadow a name of the expression language (functions may share a
#: name with an item: `bmi(weight, height)` calls the function, `bmi` reads the item)
#: `score.<item>` reads the score of the option chosen in a scored choice item
FORM_NAMES = CONTEXT_NAMES | {"score"}
RESERVED_IDS = FORM_NAMES | frozenset(keyword.kwlist) | {"true", "false", "null", "none"}


def compile_form(doc: SourceDocument, ctx: PackContext) -> tuple[Form | None, list[Diagnostic]]:
    """Compile one structurally valid form document."""
    b = Builder(doc, ctx)
    data = doc.data
    check_namespace(b, str(data["id"]))
    raw_items = data["items"]
    names = top_level_names(raw_items)
    _row_cells(raw_items, b.row_scoped)
    items = tuple(_item(b, raw, pointer_join("/items", i), None, names) for i, raw in enumerate(raw_items))
    index: dict[str, Item] = {}
    _index(b, items, index)
    graph = build_graph(b, index)
    tests = tuple(_test(b, t, pointer_join("/tests", i)) for i, t in enumerate(data.get("tests") or ()))
    if b.errors or graph is None:
        return None, b.diagnostics
    form = Form(
        key=b.key("form"),
        title=b.text("/title", data["title"]),
        path=doc.path,
        source_text=doc.text,
        items=items,
        index=MappingProxyType(index),
        order=graph.order,
        dependents=MappingProxyType(graph.dependents),
        description=b.text("/description", data.get("description")),
        code=_codings(data.get("code"))[0] if data.get("code") else None,
        locales=ctx.locales,
        tests=tests,
    )
    return form, b.diagnostics


def _collect(items: Any, into: set[str]) -> None:
    """Item ids reachable without entering a repeating group or grid.

    Plain groups are layout: their children are named directly, the group itself is not.
    """
    for raw in items if isinstance(items, list) else ():
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        if raw.get("type") != "group":
            into.add(raw["id"])
        if raw.get("type") not in ROW_CONTAINERS:
            _collect(raw.get("items"), into)


def _row_cells(items: Any, into: dict[str, tuple[str, str]]) -> None:
    """The cells of every repeating group and grid -> (container id, container type)."""
    for raw in items if isinstance(items, list) else ():
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        if raw.get("type") in ROW_CONTAINERS:
            cells: set[str] = set()
            _collect(raw.get("items"), cells)
            for cell in cells:
                into.setdefault(cell, (raw["id"], str(raw["type"])))
        else:
            _row_cells(raw.get("items"), into)


def top_level_names(raw_items: list[Any]) -> frozenset[str]:
    """Names visible to top-level expressions: items outside rows, group ids, context."""
    names: set[str] = set()
    _collect(raw_items, names)
    return frozenset(names) | FORM_NAMES


def _codings(value: Any) -> tuple[Coding, ...]:
    values = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return tuple(Coding(str(c["system"]), str(c["code"]), str(c.get("display", ""))) for c in values)


def _item(b: Builder, raw: dict[str, Any], ptr: str, parent: str | None, names: frozenset[str]) -> Item:
    type_name = raw["type"]
    item_id = raw["id"]
    if type_name not in TYPES:
        b.report("FORM002", f"item '{item_id}' uses unknown type '{type_name}'", ptr + "/type", did_you_mean(type_name, TYPES) or "types: " + ", ".join(TYPES))
        return new_item(item_id, "display", b.text(ptr + "/label", raw.get("label")), b.doc.locate(ptr), ptr, parent)
    kind = TYPES[type_name]
    allowed = allowed_keys(type_name)
    for key in raw if not allowed.issuperset(raw) else ():
        if key not in allowed:
            b.report("FORM003", f"key '{key}' is not valid for a {type_name} item ('{item_id}')", pointer_join(ptr, key), _key_hint(key, type_name), key=True)
    if item_id in RESERVED_IDS:
        b.report("FORM014", f"item id '{item_id}' is a reserved name of the expression language", ptr + "/id", f"rename it, e.g. '{item_id}_value'")
    children_raw = raw.get("items") or []
    child_names = names
    if type_name in ROW_CONTAINERS:
        row: set[str] = set()
        _collect(children_raw, row)
        child_names = names | frozenset(row)
    if kind.is_container and not children_raw:
        b.report("FORM006", f"{type_name} '{item_id}' has no items", ptr, "add an `items:` list with at least one item", key=False)
    children = tuple(_item(b, c, pointer_join(ptr + "/items", i), item_id, child_names) for i, c in enumerate(children_raw))
    options = _options(b, raw, ptr)
    if type_name in ("single_choice", "multiple_choice") and not options:
        b.report("FORM004", f"choice item '{item_id}' has no options", ptr, "add `options:` with code and display for each choice")
    expr = {k: b.expression(f"{ptr}/{k}", raw[k], names) for k in _EXPRESSION_KEYS if k in raw}
    constraints = tuple(
        Constraint(e, b.text(f"{ptr}/constraints/{i}/message", c["message"]), b.doc.locate(f"{ptr}/constraints/{i}/check"))
        for i, c in enumerate(raw.get("constraints") or ())
        if (e := b.expression(f"{ptr}/constraints/{i}/check", c["check"], names)) is not None
    )
    rows = tuple(
        GridRow(str(r["code"]), b.text(f"{ptr}/rows/{i}/label", r["label"]) if "label" in r else Text(MappingProxyType({loc: str(r["code"]) for loc in b.ctx.locales}), b.ctx.default_locale))
        for i, r in enumerate(raw.get("rows") or ())
    )
    item = new_item(
        id=item_id, type=type_name, label=b.text(ptr + "/label", raw.get("label")),
        location=b.doc.locate(ptr), pointer=ptr, parent=parent,
        text=_text(b, raw, ptr, "text"), help=_text(b, raw, ptr, "help"),
        placeholder=_text(b, raw, ptr, "placeholder"), codes=_codings(raw["code"]) if "code" in raw else (),
        required=bool(raw.get("required", False)), required_when=expr.get("required_when"), visible_when=expr.get("visible_when"),
        when_hidden=raw.get("when_hidden", "clear"), readonly=bool(raw.get("readonly", False)), default=raw.get("default"),
        calculate=expr.get("calculate"), constraints=constraints,
        min=raw.get("min"), max=raw.get("max"), min_length=raw.get("min_length"), max_length=raw.get("max_length"),
        pattern=raw.get("pattern"), decimals=raw.get("decimals"), unit=raw.get("unit"), units=tuple(raw.get("units") or ()),
        options=options, appearance=raw.get("appearance", "auto"), media_types=tuple(raw.get("media_types") or ()),
        max_size_kb=raw.get("max_size_kb"), children=children, rows=rows,
        min_rows=raw.get("min_rows", 0), max_rows=raw.get("max_rows"),
        previous_value=raw.get("previous_value") == "offer", signer=raw.get("signer"),
    )
    _check_item(b, raw, item, ptr)
    return item


#: the keys of an item that hold an expression
_EXPRESSION_KEYS = ("calculate", "visible_when", "required_when")


def _text(b: Builder, raw: dict[str, Any], ptr: str, key: str) -> Text:
    """An optional text key of an item (most items have no text, help or placeholder)."""
    return b.text(f"{ptr}/{key}", raw[key]) if key in raw else NO_TEXT


def _key_hint(key: str, type_name: str) -> str:
    users = [name for name in TYPES if key in allowed_keys(name)]
    where = f"'{key}' is for {', '.join(users[:5])} items" if users else f"'{key}' is not an item key"
    return f"{where}; remove it or change the type"


def _options(b: Builder, raw: dict[str, Any], ptr: str) -> tuple[Option, ...]:
    options: list[Option] = []
    seen: set[str] = set()
    for i, o in enumerate(raw.get("options") or ()):
        code = str(o["code"])
        if code in seen:
            b.report("FORM005", f"option code '{code}' appears twice in '{raw['id']}'", f"{ptr}/options/{i}/code", "give each option its own code")
        seen.add(code)
        options.append(Option(code, b.text(f"{ptr}/options/{i}/display", o["display"]), str(o.get("system", "")), o.get("score")))
    return tuple(options)


def _check_item(b: Builder, raw: dict[str, Any], item: Item, ptr: str) -> None:
    """Type sanity of one item's keys and values."""
    kind = TYPES[item.type]
    if "label" not in raw and (kind.is_input or kind.is_container) and item.type != "group":
        b.report("SCHEMA002", f"{item.type} item '{item.id}' has no label", ptr, "add `label: {en: ..., ar: ...}`")
    if item.type == "display" and "text" not in raw and "label" not in raw:
        b.report("SCHEMA002", f"display item '{item.id}' has no text", ptr, "add `text: {en: ..., ar: ...}`")
    if item.calculate is not None and ("required" in raw or "default" in raw or "required_when" in raw):
        key = next(k for k in ("required", "default", "required_when") if k in raw)
        b.report("FORM011", f"calculated item '{item.id}' cannot also have '{key}'", f"{ptr}/{key}", f"remove `{key}`: the value comes from `calculate`", key=True)
    bound = kind.bound
    lo, hi = _bound(b, item, "min", bound, ptr), _bound(b, item, "max", bound, ptr)
    if lo is not None and hi is not None and lo > hi:
        b.report("FORM007", f"min ({raw['min']}) is greater than max ({raw['max']}) in '{item.id}'", f"{ptr}/min", "swap the two bounds")
    if item.min_length is not None and item.max_length is not None and item.min_length > item.max_length:
        b.report("FORM007", f"min_length ({item.min_length}) is greater than max_length ({item.max_length}) in '{item.id}'", f"{ptr}/min_length", "swap the two bounds")
    if item.pattern is not None:
        try:
            re.compile(item.pattern)
        except re.error as exc:
            b.report("FORM009", f"pattern of '{item.id}' is not a valid regular expression: {exc.msg}", f"{ptr}/pattern", "check brackets and escapes; in YAML, single-quote the pattern")
    units = [(f"{ptr}/unit", item.unit)] + [(f"{ptr}/units/{i}", u) for i, u in enumerate(item.units)] if item.unit is not None or item.units else []
    for unit_ptr, unit in units:
        if unit is not None and (not _UCUM.match(unit) or unit.count("[") != unit.count("]")):
            b.report("FORM010", f"'{unit}' is not a valid UCUM unit", unit_ptr, "use UCUM codes such as kg, cm, mm[Hg], /min, Cel, %")
    if item.type == "quantity" and not item.unit and not item.units:
        b.report("FORM010", f"quantity '{item.id}' has no unit", ptr, "add `unit:` with a UCUM code such as kg")
    if item.type == "grid":
        codes = [r.code for r in item.rows]
        if not codes or len(set(codes)) != len(codes):
            dup = next((c for c in codes if codes.count(c) > 1), None)
            b.report("FORM012", f"grid '{item.id}' " + (f"repeats row code '{dup}'" if dup else "has no rows"), f"{ptr}/rows" if codes else ptr, "list each row once under `rows:` with a unique code")
    if item.type == "repeating_group" and item.max_rows is not None and item.min_rows > item.max_rows:
        b.report("FORM013", f"min_rows ({item.min_rows}) is greater than max_rows ({item.max_rows}) in '{item.id}'", f"{ptr}/min_rows", "lower min_rows or raise max_rows")
    if item.type in ROW_CONTAINERS:
        nested = next((c for c in _walk(item.children) if c.type in ROW_CONTAINERS), None)
        if nested is not None:
            b.report("FORM013", f"{nested.type} '{nested.id}' is inside {item.type} '{item.id}'; rows cannot hold rows", nested.pointer + "/type", "move it out, or make it a plain group")
    if "previous_value" in raw and not kind.is_input:
        b.report("FORM015", f"previous_value is not valid on {item.type} item '{item.id}'", f"{ptr}/previous_value", "only input items can offer their previous value", key=True)
    if "default" in raw and kind.coerce is not None and not blank(raw["default"]):
        try:
            kind.coerce(raw["default"], item)
        except ValueProblem as problem:
            b.report("FORM008", f"default of '{item.id}' does not fit a {item.type} item ({problem.code})", f"{ptr}/default", "give a value of the item's type" + (", one of the option codes" if item.options else ""))


def _walk(items: tuple[Item, ...]) -> list[Item]:
    found: list[Item] = []
    for item in items:
        found.append(item)
        found.extend(_walk(item.children))
    return found


def _bound(b: Builder, item: Item, key: str, bound: type | None, ptr: str) -> Any:
    value = getattr(item, key)
    if value is None or bound is None:
        return None
    if bound is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    else:
        coerce = TYPES[item.type].coerce
        try:
            return coerce(value, item) if coerce else None
        except ValueProblem:
            pass
    b.report("SCHEMA004", f"'{key}' of '{item.id}' must be a {'number' if bound is float else item.type}", f"{ptr}/{key}", f"write {key} as a {'number' if bound is float else 'ISO ' + item.type}")
    return None


def _index(b: Builder, items: tuple[Item, ...], index: dict[str, Item]) -> None:
    for item in items:
        if item.id in index:
            first = index[item.id].location
            b.report("FORM001", f"item id '{item.id}' is used twice (first at line {first.line})", item.pointer + "/id", "item ids are unique in a form; rename one of them")
        else:
            index[item.id] = item
        _index(b, item.children, index)


def _test(b: Builder, raw: dict[str, Any], ptr: str) -> FormTest:
    return FormTest(
        name=str(raw["name"]),
        answers=MappingProxyType(dict(raw.get("answers") or {})),
        patient=MappingProxyType(dict(raw.get("patient") or {})),
        encounter=MappingProxyType(dict(raw.get("encounter") or {})),
        expect=MappingProxyType(dict(raw.get("expect") or {})),
        location=b.doc.locate(ptr),
    )
