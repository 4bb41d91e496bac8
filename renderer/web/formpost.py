"""Reading a posted form and answering a live round-trip: shared by every page with a form
(the definition preview now, documents later)."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from litestar.plugins.htmx import HTMXTemplate

from engine.catalog import Catalog
from engine.evaluator import Context, Evaluation, evaluate_from
from engine.model import Form
from renderer.answers import (
    ADD_ROW,
    REMOVE_ROW,
    FormData,
    RowAction,
    apply_row_action,
    cells,
    is_input,
    parse_answers,
    row_action,
)
from renderer.fields import FormView
from renderer.live import changed_item, live_parts
from renderer.tooth_chart import charts_to_refresh
from renderer.web.alerts import ACCEPT, ACK, Panel, affected_rules
from renderer.web.auth import current_user
from renderer.web.uploads import Keeper, file_refs, hash_only
from renderer.web.views import page


@dataclass(slots=True)
class Submission:
    """One post of a form, parsed: raw answers plus what the person pressed."""

    data: FormData
    raw: dict[str, Any]
    action: RowAction | None = None
    #: the posted field that changed (live round-trips)
    changed: str | None = None
    #: fields changed before it whose round-trip the browser replaced (never answered)
    earlier: tuple[str, ...] = ()
    #: the person has tried to submit once: show every error from now on
    submitted: bool = False
    shown: list[str] = field(default_factory=list)

    @property
    def button(self) -> str:
        """The ``_action`` button pressed (``""`` when none)."""
        return self.data.get("_action")


#: the button that puts an offered last value into its item (forms/_macros.html)
USE_PREVIOUS = "_use_previous"
#: the buttons of a form page that post (a name each, its value saying what for): the page's
#: actions, a row added or removed, a rule card acknowledged or noted, a last value used
BUTTONS = frozenset({"_action", ADD_ROW, REMOVE_ROW, ACK, ACCEPT, USE_PREVIOUS})


async def read_submission(request: Request[Any, Any, Any], form: Form, *, keep: Keeper = hash_only,
                          previous: dict[str, Any] | None = None) -> Submission:
    """Parse the posted form (files included) into raw answers for ``form``."""
    multi = await request.form()
    pairs = list(multi.multi_items())
    if request.headers.get("hx-request") == "true":
        # htmx adds the button that has the focus to a post of the form that typing sent
        # (someone who tabs out of a field lands on "Use the last value" or "Remove"): a
        # button counts as pressed only when it sent the request itself (its name is the
        # request's HX-Trigger-Name); without JavaScript the browser posts only the pressed one
        pressed = request.headers.get("hx-trigger-name")
        pairs = [(name, value) for name, value in pairs if name not in BUTTONS or name == pressed]
    data = FormData(pairs)
    uploads = await file_refs(form, pairs, keep)
    raw = parse_answers(form, data, uploads, previous)
    action = row_action(form, data)
    if action is not None:
        raw = apply_row_action(form, raw, action)
    return Submission(
        data=data, raw=raw, action=action, changed=data.get("_changed") or None, earlier=tuple(data.getall("_changed")[:-1]),
        submitted="_submitted" in data, shown=data.getall("_visible"),
    )


def first_input_of_new_row(form: Form, evaluation: Evaluation, action: RowAction | None) -> str | None:
    """The path to focus after a row was added: the first input of the last row."""
    if action is None or action.remove is not None:
        return None
    rows = evaluation.raw.get(action.container) or []
    first = next((c for c in cells(form.index[action.container]) if is_input(c)), None)
    return f"{action.container}[{len(rows) - 1}].{first.id}" if rows and first else None


class LiveEvaluations:
    """The evaluation of each page's last live round-trip, so that the next one re-evaluates
    only the answers that changed (`engine.incremental.evaluate_from`: the same result as a
    full evaluation, which it falls back to when the form, patient, language, day or set of
    answers differ). Kept per page and person, in this worker's memory: at most ``size``
    pages, the least recently used dropped first. Used from the event loop's thread only.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[str, int | None], tuple[dt.date, Evaluation]] = OrderedDict()

    def evaluate(self, request: Request[Any, Any, Any], form: Form, sub: Submission, context: Context) -> Evaluation:
        user = current_user(request)
        key = (request.url.path, user.session_id if user is not None else None)
        # expressions may read today(): an evaluation from another day is not re-used
        today = dt.date.today()
        kept = self._kept.pop(key, None)
        evaluation = evaluate_from(kept[1] if kept is not None and kept[0] == today else None, form, sub.raw, context, request.state.locale)
        self._kept[key] = (today, evaluation)
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return evaluation


def evaluate_live(request: Request[Any, Any, Any], form: Form, sub: Submission, context: Context) -> Evaluation:
    """The evaluation of a live round-trip's answers (see `LiveEvaluations`)."""
    kept: LiveEvaluations = request.app.state.live_evaluations
    return kept.evaluate(request, form, sub, context)


def affected_rule_ids(catalog: Catalog, form: Form, sub: Submission, forced: tuple[str, ...] = ()) -> set[str]:
    """The rules a live post has to run again: those reading the changed answer (or a row
    added or removed, or a value put in), plus a card being acknowledged."""
    changed = set(forced)
    for name in (*sub.earlier, sub.changed):
        hit = changed_item(form, name)
        if hit is not None:
            changed.add(hit[0].id)
    if sub.action is not None:
        changed.add(sub.action.container)
    ids = {r.id for r in affected_rules(catalog, form, changed)} if changed else set()
    return ids | {v for v in (sub.data.get(ACK), sub.data.get(ACCEPT)) if v}


def live_response(request: Request[Any, Any, Any], evaluation: Evaluation, sub: Submission,
                  live_url: str, forced: tuple[str, ...] = (), panel: Panel | None = None, **context: Any) -> HTMXTemplate:
    """Out-of-band fragments for the items a live post affected (``forced``: swap whole) and
    for the alert slots of the rules it ran again (``panel``, see renderer/web/alerts.py)."""
    hit = changed_item(evaluation.form, sub.changed)
    view = FormView(evaluation, show_all_errors=sub.submitted, changed=hit[1] if hit else None)
    forced = forced + ((sub.action.container,) if sub.action else ())
    parts = live_parts(view, sub.changed, sub.shown, forced, sub.earlier)
    charts = charts_to_refresh(view, [*sub.earlier, sub.changed or ""], {p.field.item.id for p in parts if p.whole and not p.prefix})
    return page(
        request, "forms/_live.html", view=view, parts=parts, charts=charts, summary=sub.submitted, live_url=live_url, panel=panel or Panel(),
        autofocus_path=first_input_of_new_row(evaluation.form, evaluation, sub.action),
        focus_add=bool(sub.action and sub.action.remove is not None), **context,
    )
