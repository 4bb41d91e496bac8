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

The part of the key that is the same for a whole page (the form, the language, the digits,
the optional names) stands in the key as a number given once per page kind. A page drawing
its items (`items_html`) looks each one up by its state straight from the form view, and
builds the item's `FieldView` only to draw one that is not kept.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, Template, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from engine.model import Item
from renderer.fields import FieldState, FieldView, FormView, widget_of
from renderer.web.i18n import CURRENT_REQUEST

#: widgets whose HTML reads nothing but their own field (and the optional names below)
PURE_WIDGETS = frozenset({"number", "quantity", "text", "long_text", "date", "time", "datetime",
                          "boolean", "choice", "choices", "display"})
#: names `forms/_item.html`, its widgets and macros test with `is defined` or read if present
OPTIONAL = ("live_url", "row_label", "compact")
ITEM_TEMPLATE = "forms/_item.html"
#: how many kinds of page (form, language, digits, live URL...) are told apart by number
#: before the numbering starts again
PAGE_KINDS = 4096


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
        # the part of a key that is the same for a whole page, as a small number (a key is
        # hashed on every item drawn: a number hashes at once, a nested tuple walks itself)
        self._pages: dict[tuple[Any, ...], int] = {}
        self._tokens = itertools.count()  # never reused: a token always stands for one page kind
        self._memo: tuple[Context | None, _Page | None] = (None, None)
        self._template: Template | None = None
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        self._html.clear()
        self._forms.clear()
        self._pages.clear()
        self._memo = (None, None)

    def _page(self, ctx: Context) -> _Page | None:
        """What is the same for every item drawn in ``ctx``, computed once per template
        context (a page draws a hundred items in one); None when nothing drawn in it is kept."""
        memo = self._memo
        if memo[0] is ctx:
            return memo[1]
        view = ctx.get("view")
        form = getattr(view, "form", None)
        state = getattr(ctx.get("request"), "state", None)
        optional = tuple((name, ctx[name]) for name in OPTIONAL if name in ctx)
        page: _Page | None = None
        if form is not None and state is not None and all(_plain(v) for _, v in optional):
            base = (id(form), getattr(state, "locale", None), bool(getattr(state, "arabic_digits", False)),
                    "offers" in ctx, "autofocus_path" in ctx, optional)
            token = self._pages.get(base)
            if token is None:
                if len(self._pages) >= PAGE_KINDS:
                    self._pages.clear()  # their fragments are only no longer found, and age out
                token = self._pages[base] = next(self._tokens)
            page = _Page(token, ctx.get("offers"), ctx.get("autofocus_path"))
        self._memo = (ctx, page)
        return page

    def _key(self, page: _Page, path: str, locale: str, state: FieldState, oob: bool) -> tuple[Any, ...] | None:
        """Everything the HTML of the item at ``path`` is drawn from, or None when it cannot
        be kept."""
        value, raw, visible, required, calculated, errors, locked = state
        if not (_plain(value) and _plain(raw)):
            return None
        offer = None
        if page.offers is not None:
            offer = page.offers.get(path) if isinstance(page.offers, dict) else None
            if offer is not None and not _plain(getattr(offer, "text", None)):
                return None
        return (
            page.token, path, locale, locked, visible, required, calculated, repr(value), repr(raw),
            tuple([(e.code, e.message) for e in errors]) if errors else (), oob,
            None if offer is None else (repr(offer.text), repr(offer.at)),
            page.autofocus is not None and page.autofocus == path,
        )

    def key(self, ctx: Context, field: FieldView, oob: bool) -> tuple[Any, ...] | None:
        """Everything the item's HTML is drawn from, or None when it cannot be kept."""
        if field.widget not in PURE_WIDGETS:
            return None
        page = self._page(ctx)
        if page is None:
            return None
        return self._key(page, field.path, field.locale, (field.value, field.raw, field.visible, field.required,
                                                            field.calculated, field.errors, field.locked), oob)

    def render(self, ctx: Context, field: FieldView, oob: bool = False) -> Markup:
        """The HTML of ``field`` as `forms/_item.html` draws it in ``ctx``."""
        key = self.key(ctx, field, oob)
        if key is None:
            return self._in_context(ctx, field, oob)
        found = self._kept(key)
        return found if found is not None else self._draw(ctx, field, oob, key)

    def render_item(self, ctx: Context, view: FormView, item: Item, path: str) -> Markup:
        """``render(ctx, view.field(item, path))``, without building the field view when the
        item's HTML is kept (most items of a page opened again)."""
        page = self._page(ctx) if widget_of(item) in PURE_WIDGETS else None
        if page is None:
            return self.render(ctx, view.field(item, path))
        state = view.state(item, path)
        key = self._key(page, path, view.locale, state, False)
        if key is not None and (found := self._kept(key)) is not None:
            return found
        field = FieldView(item, path, view.locale, *state)
        return self._in_context(ctx, field, False) if key is None else self._draw(ctx, field, False, key)

    def _kept(self, key: tuple[Any, ...]) -> Markup | None:
        """The kept HTML of ``key``, if any (then the most recently used)."""
        found = self._html.get(key)
        if found is not None:
            self._html.move_to_end(key)
            self.hits += 1
        return found

    def _in_context(self, ctx: Context, field: FieldView, oob: bool) -> Markup:
        """``field`` drawn in the caller's full context, as an include would (not kept)."""
        template = self._item_template(ctx)
        return Markup("".join(template.root_render_func(template.new_context({**ctx.get_all(), "field": field, "oob": oob}))))

    def _item_template(self, ctx: Context) -> Template:
        template = self._template if self._template is not None else ctx.environment.get_template(ITEM_TEMPLATE)
        self._template = template if not ctx.environment.auto_reload else None
        return template

    def _draw(self, ctx: Context, field: FieldView, oob: bool, key: tuple[Any, ...]) -> Markup:
        """Draw ``field`` afresh in a context of exactly what ``key`` is made of, and keep it."""
        template = self._item_template(ctx)
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


@dataclass(frozen=True, slots=True)
class _Page:
    """ItemFragments' part of a key shared by a page's items: a number standing for the form,
    the language, the digits and the optional names; and the two names read per item."""

    token: int
    offers: Any
    autofocus: Any


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
        return Markup("\n".join([kept.render_item(ctx, view, child, prefix + child.id) for child in items]))

    env.globals["item_html"] = item_html
    env.globals["items_html"] = items_html
    env.globals["item_fragments"] = kept
    return kept
