"""Definition preview: browse the installed forms and fill one live; nothing is stored.

This is what an author uses to try a definition, and the same form machinery documents use:
a GET shows the form, a plain POST checks it (or adds/removes a row) and shows the whole page
again, and the live endpoint answers htmx round-trips with out-of-band fragments.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from engine.catalog import Catalog
from engine.evaluator import Context, evaluate
from engine.model import Form
from renderer.fields import FormView
from renderer.web.alerts import preview_panel
from renderer.web.formpost import (
    affected_rule_ids,
    evaluate_live,
    first_input_of_new_row,
    live_response,
    read_submission,
)
from renderer.web.permissions import permission
from renderer.web.views import page

SEXES = ("female", "male", "other", "unknown")
#: authors and clinicians try forms here
OPT = permission("forms.preview")


def _form(request: Request[Any, Any, Any], form_id: str) -> Form:
    catalog: Catalog = request.app.state.catalog
    form = catalog.form(form_id)
    if form is None:
        raise NotFoundException(f"no form {form_id!r}")
    return form


def _context(sex: str | None, birth_date: str | None) -> Context:
    patient: dict[str, Any] = {"sex": sex if sex in SEXES else "female"}
    if birth_date:
        patient["birth_date"] = birth_date
    return Context(patient=patient)


def _sexes(tr: Any) -> list[tuple[str, str]]:
    labels = {"female": tr.gettext("Female"), "male": tr.gettext("Male"), "other": tr.gettext("Other"), "unknown": tr.gettext("Unknown")}
    return [(s, labels[s]) for s in SEXES]


def _page(request: Request[Any, Any, Any], view: FormView, *, sex: str, birth_date: str, result: str | None = None,
          status_code: int = 200, **extra: Any) -> Response[Any]:
    tr = request.state.translations
    form_id = view.form.id
    return page(
        request, "forms/preview.html", status_code=status_code, view=view, result=result,
        panel=preview_panel(request.app.state.catalog, view.evaluation),
        action_url=f"/forms/{form_id}", live_url=f"/forms/{form_id}/live",
        actions=[("_action", "check", tr.gettext("Check answers"), "primary")],
        hidden_fields=[("_sex", sex), ("_birth_date", birth_date)],
        sex=sex, birth_date=birth_date, sex_label=dict(_sexes(tr)).get(sex, sex),
        sexes=_sexes(tr), nav_section="forms", **extra,
    )


@get("/forms", name="forms", opt=OPT)
async def form_list(request: Request[Any, Any, Any]) -> Response[Any]:
    catalog: Catalog = request.app.state.catalog
    locale = request.state.locale
    forms = [
        {"id": f.id, "version": f.version, "title": f.title.get(locale), "count": len(f.index)}
        for f in catalog.latest_forms()
    ]
    return page(request, "forms/list.html", forms=forms, nav_section="forms")


@get("/forms/{form_id:str}", name="preview", opt=OPT)
async def preview(request: Request[Any, Any, Any], form_id: FromPath[str], sex: FromQuery[str] = "female", birth_date: FromQuery[str] = "1990-01-01") -> Response[Any]:
    form = _form(request, form_id)
    evaluation = evaluate(form, {}, _context(sex, birth_date), request.state.locale)
    return _page(request, FormView(evaluation), sex=sex, birth_date=birth_date)


@post("/forms/{form_id:str}", name="preview-post", opt=OPT)
async def preview_post(request: Request[Any, Any, Any], form_id: FromPath[str]) -> Response[Any]:
    """The plain post: check the answers, or add/remove a row, and show the page again."""
    form = _form(request, form_id)
    sub = await read_submission(request, form)
    sex, birth_date = sub.data.get("_sex", "female"), sub.data.get("_birth_date")
    evaluation = evaluate(form, sub.raw, _context(sex, birth_date), request.state.locale)
    if sub.action is not None:
        view = FormView(evaluation, show_all_errors=sub.submitted)
        return _page(request, view, sex=sex, birth_date=birth_date,
                     autofocus_path=first_input_of_new_row(form, evaluation, sub.action))
    if evaluation.valid:
        result = json.dumps(evaluation.answers_json(), ensure_ascii=False, indent=2, sort_keys=True)
        return _page(request, FormView(evaluation), sex=sex, birth_date=birth_date, result=result)
    return _page(request, FormView(evaluation, show_all_errors=True), sex=sex, birth_date=birth_date, status_code=422)


@post("/forms/{form_id:str}/live", name="preview-live", opt=OPT)
async def preview_live(request: Request[Any, Any, Any], form_id: FromPath[str]) -> Response[Any]:
    """An htmx round-trip: evaluate the posted answers, return the affected fragments."""
    form = _form(request, form_id)
    sub = await read_submission(request, form)
    context = _context(sub.data.get("_sex"), sub.data.get("_birth_date"))
    evaluation = evaluate_live(request, form, sub, context)
    only = affected_rule_ids(request.app.state.catalog, form, sub)
    panel = preview_panel(request.app.state.catalog, evaluation, only=only)
    return live_response(request, evaluation, sub, f"/forms/{form_id}/live", panel=panel)


ROUTES = [form_list, preview, preview_post, preview_live]
