"""The UI language: which one a request gets, its gettext catalog, and Babel formatting.

The language of a request comes from, in order: ``?lang=`` on the URL (for an htmx request
without one, the ``?lang=`` of the page it comes from, its HX-Current-URL header: a page
opened in Arabic by link gets its live fragments in Arabic too), the language cookie
(set by the switch in the page header), the signed-in user's preference (later), the
browser's Accept-Language, then the first configured locale. Chrome strings go through the
catalogs in locale/ (compiled .mo files; English text is the message id, so a missing catalog
shows English). Definition labels are not here: they come from the definitions themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import Request

from renderer.formatting import Formatter

COOKIE = "cliniform_lang"
NATIVE_NAMES = {"en": "English", "ar": "العربية"}


@lru_cache(maxsize=32)
def translations(locale_dir: Path, locale: str) -> NullTranslations:
    """The compiled catalog for ``locale`` (an empty one when it is not compiled yet)."""
    return Translations.load(str(locale_dir), [locale], domain="messages")


def _accept_language(header: str) -> list[str]:
    """Languages from an Accept-Language header, best first."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(request: Request[Any, Any, Any], locales: Sequence[str], user_locale: str | None = None) -> str:
    """The UI language for ``request`` (see the module docstring for the order)."""
    candidates = [request.query_params.get("lang"), _page_lang(request), request.cookies.get(COOKIE), user_locale]
    for candidate in candidates:
        if candidate is not None and candidate in locales:
            return str(candidate)
    for tag in _accept_language(request.headers.get("accept-language", "")):
        base = tag.split("-")[0]
        if base in locales:
            return base
    return locales[0]


def _page_lang(request: Request[Any, Any, Any]) -> str | None:
    """For an htmx request: the ``?lang=`` of the page it was sent from, if any."""
    if "lang" in request.query_params or request.headers.get("hx-request") != "true":
        return None
    values = parse_qs(urlsplit(request.headers.get("hx-current-url", "")).query).get("lang")
    return values[-1] if values else None


def direction(locale: str) -> str:
    """``rtl`` or ``ltr`` for the locale's script."""
    try:
        return "rtl" if Locale.parse(locale).character_order == "right-to-left" else "ltr"
    except (ValueError, TypeError):
        return "ltr"


def native_name(locale: str) -> str:
    return NATIVE_NAMES.get(locale) or Locale.parse(locale).get_display_name(locale) or locale


# -- template helpers: the request's locale is read from the template context -------------
#: the request being answered, for templates drawn without it in their context: macro
#: modules imported without context (cached once, not rebuilt per include) call `_()` too
CURRENT_REQUEST: ContextVar[Any] = ContextVar("cliniform_request", default=None)


def use_request(request: Any) -> None:
    """Make ``request`` the one whose language templates without a `request` draw in."""
    CURRENT_REQUEST.set(request)


def _request_locale(ctx: Context) -> tuple[str, NullTranslations]:
    request = ctx.get("request")
    if request is None:
        request = CURRENT_REQUEST.get()
    # the scope's state dict itself: `request.state` wraps it in a new object on every access
    scope = getattr(request, "scope", None)
    state = scope.get("state") if isinstance(scope, dict) else None
    if isinstance(state, dict):
        return state.get("locale") or "en", state.get("translations") or _NULL
    state = getattr(request, "state", None)
    locale = getattr(state, "locale", None) or "en"
    tr = getattr(state, "translations", None) or _NULL
    return locale, tr


_NULL = NullTranslations()


@pass_context
def gettext(ctx: Context, message: str, **params: Any) -> str:
    """``{{ _("Hello %(name)s", name=user) }}``: translated, then filled (escaped by Jinja)."""
    _, tr = _request_locale(ctx)
    text = tr.gettext(message)
    return text % params if params else text


@pass_context
def ngettext(ctx: Context, singular: str, plural: str, n: int, **params: Any) -> str:
    _, tr = _request_locale(ctx)
    # the count in the page's digits: filled in as text (a catalog's %(num)d as %(num)s)
    text = tr.ngettext(singular, plural, n).replace("%(num)d", "%(num)s")
    return text % {"num": formatter(ctx).integer(n), **params}


def _arabic_digits(ctx: Context) -> bool:
    request = ctx.get("request")
    if request is None:
        request = CURRENT_REQUEST.get()
    scope = getattr(request, "scope", None)
    state = scope.get("state") if isinstance(scope, dict) else None
    if isinstance(state, dict):
        return bool(state.get("arabic_digits", False))
    return bool(getattr(getattr(request, "state", None), "arabic_digits", False))


@lru_cache(maxsize=64)
def _formatter(locale: str, arabic_digits: bool) -> Formatter:
    return Formatter(locale, arabic_digits)


def formatter(ctx: Context) -> Formatter:
    """The request's formatter: its language, and Arabic-Indic digits when the request has
    them (``request.state.arabic_digits``: an Arabic page of a clinic that asks for them)."""
    locale, _ = _request_locale(ctx)
    return _formatter(locale, _arabic_digits(ctx))


def request_formatter(request: Any) -> Formatter:
    """The formatter of a request's page, for text a route writes itself."""
    return _formatter(request.state.locale, bool(getattr(request.state, "arabic_digits", False)))


@pass_context
def number(ctx: Context, value: Any) -> str:
    """A number formatted for the UI language (Arabic-Indic digits when the clinic asks)."""
    if value is None or value == "":
        return ""
    try:
        return formatter(ctx).number(value)
    except (TypeError, ValueError, ArithmeticError):
        return str(value)


@pass_context
def date(ctx: Context, value: Any, format: str = "medium") -> str:
    """A date or datetime formatted for the UI language."""
    f = formatter(ctx)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return f.localise(format_datetime(value, format=format, locale=f.locale))
    if isinstance(value, dt.date):
        return f.localise(format_date(value, format=format, locale=f.locale))
    return "" if value is None else str(value)


@pass_context
def digits(ctx: Context, text: Any) -> str:
    """A value already written out (``128 mmHg``, ``2025-05-03``) with the request's digits."""
    return formatter(ctx).localise("" if text is None else str(text))


JINJA_GLOBALS: dict[str, Any] = {"_": gettext, "gettext": gettext, "ngettext": ngettext}
JINJA_FILTERS: dict[str, Any] = {"number": number, "date": date, "digits": digits}


@pass_context
def time_of_day(ctx: Context, value: Any) -> str:
    """A time (of a datetime) for the UI language, in the local zone of the server."""
    f = formatter(ctx)
    if isinstance(value, dt.datetime):
        return f.localise(format_time(value, f.locale))
    return "" if value is None else str(value)


def format_time(value: dt.datetime, locale: str) -> str:
    from babel.dates import format_time as babel_time

    return babel_time(value.astimezone() if value.tzinfo else value, format="short", locale=locale)


def age(value: Any) -> int | None:
    """Whole years since ``value`` (a birth date)."""
    if not isinstance(value, dt.date):
        return None
    today = dt.date.today()
    return today.year - value.year - ((today.month, today.day) < (value.month, value.day))


def N_(message: str) -> str:
    return message


LABELS = {
    "sex": {"female": N_("Female"), "male": N_("Male"), "other": N_("Other"), "unknown": N_("Unknown")},
    "status": {"draft": N_("Draft"), "signed": N_("Signed"), "amended": N_("Amended"), "open": N_("Open"), "closed": N_("Closed")},
    "revision": {"create": N_("Started"), "draft": N_("Draft saved"), "sign": N_("Signed"), "amend": N_("Amended"), "conflict": N_("Conflicting copy kept")},
    "role": {"admin": N_("administrator"), "clinician": N_("clinician"), "nurse": N_("nurse"), "reception": N_("reception"), "auditor": N_("auditor")},
    "severity": {"critical": N_("Critical"), "warning": N_("Warning"), "info": N_("Info")},
    "alert_action": {"shown": N_("Shown"), "accepted": N_("Noted"), "overridden": N_("Overridden"), "dismissed": N_("Dismissed")},
    "encounter": {"outpatient": N_("Outpatient visit"), "follow_up": N_("Follow-up"), "telephone": N_("Telephone consultation"), "emergency": N_("Emergency")},
}


def _labeller(kind: str) -> Any:
    @pass_context
    def label(ctx: Context, code: str) -> str:
        _, tr = _request_locale(ctx)
        text = LABELS[kind].get(code)
        return tr.gettext(text) if text else code
    return label


JINJA_GLOBALS.update({f"{kind}_label": _labeller(kind) for kind in LABELS})
JINJA_FILTERS.update({"time": time_of_day, "age": age})
