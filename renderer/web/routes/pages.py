"""The language switch (anyone may use it, signed in or not)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from litestar import Request, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from renderer.web.i18n import COOKIE
from renderer.web.permissions import PUBLIC
from renderer.web.views import local_path


def _without_lang(target: str) -> str:
    parts = urlsplit(target)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "lang"])
    return parts.path + (f"?{query}" if query else "")


@post("/language", name="language", status_code=HTTP_303_SEE_OTHER, opt=PUBLIC)
async def switch_language(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    """Remember the chosen UI language in a cookie and go back where the person was."""
    settings = request.app.state.settings
    lang = data.get("lang", "")
    target = _without_lang(local_path(data.get("next")))
    if lang not in settings.locales:
        return Redirect(target, status_code=HTTP_303_SEE_OTHER)
    cookie = Cookie(key=COOKIE, value=lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax", path="/")
    return Redirect(target, status_code=HTTP_303_SEE_OTHER, cookies=[cookie])


ROUTES = [switch_language]
