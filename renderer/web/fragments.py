"""Form items drawn once per state: the HTML of a simple item is a pure function of what it
is drawn from, so it is kept and reused.

A form page draws every item through `forms/_item.html`. For a simple widget (a number, a
text, a choice...; not a group, a row list, a grid, a signature or an attachment, which read
more than their own field) the item's HTML depends only on: the compiled form and the path,
the `FieldView` state (value, raw input, visible, required, calculated, errors, locked), the
language and digits, and the few optional names `_item.html` and its macros test
(`offers`, `autofocus_path`, `live_url`, `row_label`, `compact`, `oob`). `item_html()` builds
a key of exactly those and, on a miss, renders the item in a context made of exactly those
(undefined names are errors), so the kept HTML cannot depend on anything the key leaves out.

A value whose `repr` does not show its content (an object of an unexpected type) is never
kept: that item is drawn every time. Everything else draws as before.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, Template, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from engine.model import Item
from renderer.fields import FieldView
from renderer.web.i18n import CURRENT_REQUEST

#: widgets whose HTML reads nothing but their own field (and the optional names below)
PURE_WIDGETS = frozenset({"number", "quantity", "text", "long_text", "date", "time", "datetime",
                          "boolean", "choice", "choices", "display"})
#: names `forms/_item.html`, its widgets and macros test with `is defined` or read if present
OPTIONAL = ("live_url", "row_label", "compact")
ITEM_TEMPLATE = "forms/_item.html"


_PLAIN_TYPES = frozenset({str, int, float, bool, Decimal, dt.date, dt.datetime, dt.time, type(None)})


def _plain(value: Any) -> bool:
    """Whether ``repr(value)`` spells out the whole value (so equal reprs mean equal HTML)."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return True
    if kind is list or kind is tuple:
        return all(_plain(v) for v in value)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


class ItemFragments:
    """The kept HTML of simple items, least recently used dropped beyond ``size``."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._html: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
        # a key names a form by its identity; the form is held so that identity is not reused
        self._forms: dict[int, Any] = {}
        self._memo: tuple[Context | None, tuple[Any, ...] | None] = (None, None)
        self._template: Template | None = None
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        self._html.clear()
        self._forms.clear()
        self._memo = (None, None)

    def _context_key(self, ctx: Context) -> tuple[Any, ...] | None:
        """The part of the key that is the same for every item drawn in ``ctx``: computed
        once per template context (a page draws a hundred items in one)."""
        memo = self._memo
        if memo[0] is ctx:
            return memo[1]
        view = ctx.get("view")
        form = getattr(view, "form", None)
        state = getattr(ctx.get("request"), "state", None)
        optional = tuple((name, ctx[name]) for name in OPTIONAL if name in ctx)
        base: tuple[Any, ...] | None = None
        if form is not None and state is not None and all(_plain(v) for _, v in optional):
            base = (id(form), getattr(state, "locale", None), bool(getattr(state, "arabic_digits", False)),
                    "offers" in ctx, "autofocus_path" in ctx, optional)
        self._memo = (ctx, base)
        return base

    def key(self, ctx: Context, field: FieldView, oob: bool) -> tuple[Any, ...] | None:
        """Everything the item's HTML is drawn from, or None when it cannot be kept."""
        if field.widget not in PURE_WIDGETS:
            return None
        base = self._context_key(ctx)
        if base is None or not (_plain(field.value) and _plain(field.raw)):
            return None
        offer = None
        if base[3]:
            offers = ctx["offers"]
            offer = offers.get(field.path) if isinstance(offers, dict) else None
            if offer is not None and not _plain(getattr(offer, "text", None)):
                return None
        return (
            base, field.path, field.item.id, field.locale, field.locked, field.visible, field.required,
            field.calculated, repr(field.value), repr(field.raw), tuple((e.code, e.message) for e in field.errors), oob,
            None if offer is None else (repr(offer.text), repr(offer.at)),
            base[4] and ctx["autofocus_path"] == field.path,
        )

    def render(self, ctx: Context, field: FieldView, oob: bool = False) -> Markup:
        key = self.key(ctx, field, oob)
        template = self._template if self._template is not None else ctx.environment.get_template(ITEM_TEMPLATE)
        self._template = template if not ctx.environment.auto_reload else None
        if key is None:
            # drawn in the caller's full context, as an include would
            return Markup("".join(template.root_render_func(template.new_context({**ctx.get_all(), "field": field, "oob": oob}))))
        found = self._html.get(key)
        if found is not None:
            self._html.move_to_end(key)
            self.hits += 1
            return found
        self.misses += 1
        state = ctx["request"].state
        names: dict[str, Any] = {
            "field": field, "oob": oob,
            # the only parts of the request a widget reads: the language and its digits
            "request": SimpleNamespace(state=SimpleNamespace(
                locale=state.locale, translations=state.translations, arabic_digits=getattr(state, "arabic_digits", False))),
        }
        if "offers" in ctx:
            offers = ctx["offers"]
            names["offers"] = {field.path: offers[field.path]} if field.path in offers else {}
        if "autofocus_path" in ctx:
            names["autofocus_path"] = field.path if ctx["autofocus_path"] == field.path else ""
        for name in OPTIONAL:
            if name in ctx:
                names[name] = ctx[name]
        # the shared macros (`m`) read the language from the current request: here, the stand-in
        token = CURRENT_REQUEST.set(names["request"])
        try:
            html = Markup(template.render(names))
        finally:
            CURRENT_REQUEST.reset(token)
        form = ctx["view"].form
        self._forms[id(form)] = form
        self._html[key] = html
        if len(self._html) > self.size:
            self._html.popitem(last=False)
        if len(self._forms) > 256:
            self.clear()
        return html


def install(env: Environment, fragments: ItemFragments | None = None) -> ItemFragments:
    """Add `item_html(field, oob=False)` to the templates' globals."""
    kept = fragments or ItemFragments()

    @pass_context
    def item_html(ctx: Context, field: FieldView, oob: bool = False) -> Markup:
        return kept.render(ctx, field, oob)

    @pass_context
    def items_html(ctx: Context, items: Iterable[Item], prefix: str = "") -> Markup:
        """Every item of ``items`` (paths under ``prefix``), as forms/_items.html draws them."""
        view = ctx["view"]
        return Markup("\n".join([kept.render(ctx, view.field(child, prefix + child.id)) for child in items]))

    env.globals["item_html"] = item_html
    env.globals["items_html"] = items_html
    env.globals["item_fragments"] = kept
    return kept
