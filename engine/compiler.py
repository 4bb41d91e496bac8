"""Compile checked source documents into the immutable model.

`compile_document` is the entry point for one file: it names the kind, runs the structural
pass (JSON Schema) and then the kind's semantic compiler (engine.forms, engine.rules,
engine.workflows), collecting every diagnostic. Cross-definition references (a rule's
forms, a workflow's form) are resolved by engine.packs once every form is compiled.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine.diagnostics import Diagnostic, Location, Severity, did_you_mean, make
from engine.expressions import Expression, ExpressionProblem, compile_expression
from engine.model import NO_TEXT, DefinitionKey, Text
from engine.reader import SourceDocument


@dataclass(frozen=True, slots=True)
class PackContext:
    """What a definition needs to know about the pack it belongs to."""

    pack_id: str | None = None
    locales: tuple[str, ...] = ("en", "ar")
    default_locale: str = "en"
    #: locale -> message id -> text, from the pack's locale/ folder
    messages: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))


STANDALONE = PackContext()


class Builder:
    """Per-document helper: diagnostics with locations, texts and expressions."""

    def __init__(self, doc: SourceDocument, ctx: PackContext) -> None:
        self.doc = doc
        self.ctx = ctx
        self.diagnostics: list[Diagnostic] = []
        #: cells of repeating groups and grids -> (container id, container type); a name
        #: from here used outside its rows is EXPR008 rather than an unknown name
        self.row_scoped: dict[str, tuple[str, str]] = {}

    def report(self, code: str, message: str, pointer: str, hint: str = "", *, key: bool = False, location: Location | None = None) -> None:
        loc = location or (self.doc.key_location(pointer) if key else self.doc.locate(pointer))
        self.diagnostics.append(make(code, message, loc, pointer=pointer, hint=hint))

    def key(self, kind: str) -> DefinitionKey:
        data = self.doc.data
        return DefinitionKey(kind, str(data.get("id", "")), str(data.get("version", "")), self.doc.content_hash)

    def text(self, pointer: str, value: Any) -> Text:
        """Compile a text value; report unknown message ids and missing translations."""
        if value is None:
            return NO_TEXT
        ctx = self.ctx
        if isinstance(value, str) and value.startswith("@") and len(value) > 1:
            msgid = value[1:]
            values = {loc: msgs[msgid] for loc, msgs in ctx.messages.items() if msgid in msgs}
            if not values:
                known = {m for msgs in ctx.messages.values() for m in msgs}
                self.report("I18N002", f"message id '{msgid}' is not in the pack's catalog", pointer, did_you_mean(msgid, known) or "add it to the pack's locale/<lang>.yaml files")
                return Text(MappingProxyType({ctx.default_locale: msgid}), ctx.default_locale)
        elif isinstance(value, str):
            values = {ctx.default_locale: value}
        elif isinstance(value, dict):
            values = {k: v for k, v in value.items() if isinstance(v, str)}
        else:
            return NO_TEXT
        missing = [loc for loc in ctx.locales if not values.get(loc, "").strip()]
        if missing:
            self.report("I18N001", f"text has no {', '.join(missing)} translation", pointer, "add " + ", ".join(f"`{m}: ...`" for m in missing) + " to this text")
        return Text(MappingProxyType(values), ctx.default_locale)

    def expression(self, pointer: str, source: Any, known_names: Collection[str]) -> Expression | None:
        """Parse and check one expression; report its problem at the exact column."""
        if not isinstance(source, str):
            return None
        try:
            return compile_expression(source, known_names=known_names)
        except ExpressionProblem as problem:
            code, message, hint = problem.code, problem.message, problem.hint
            name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", source[problem.offset :]) if code == "EXPR002" else None
            if name is not None and name.group() in self.row_scoped:
                cell = name.group()
                container, kind = self.row_scoped[cell]
                code = "EXPR008"
                message = f"'{cell}' is a column of {kind} '{container}' and only has a value inside its rows"
                hint = f"outside the rows use {container}.{cell} (every row's value), e.g. sum({container}.{cell})" if kind == "repeating_group" else f"outside the grid use cell({container}, 'ROW', '{cell}') or column({container}, '{cell}')"
            self.report(code, message, pointer, hint, location=self._column(pointer, source, problem.offset))
            return None

    def _column(self, pointer: str, source: str, offset: int) -> Location:
        loc = self.doc.locate(pointer)
        lines = self.doc.text.splitlines()
        if 0 < loc.line <= len(lines):
            rest = lines[loc.line - 1][loc.col - 1 :]
            first = source.splitlines()[0] if source else ""
            if rest.startswith(first):
                return Location(loc.file, loc.line, loc.col + offset)
            if rest[:1] in "'\"" and rest[1:].startswith(first):
                return Location(loc.file, loc.line, loc.col + 1 + offset)
        return loc

    @property
    def errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


def check_namespace(builder: Builder, def_id: str) -> None:
    """A pack's definitions are named `<pack>.<name>`."""
    pack = builder.ctx.pack_id
    if pack and def_id and not def_id.startswith(pack + "."):
        name = def_id.split(".", 1)[-1]
        builder.report("DEF004", f"id '{def_id}' is not in the namespace of pack '{pack}'", "/id", f"rename it to '{pack}.{name}'")
