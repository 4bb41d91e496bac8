"""What routes need from the engine and the store, in one place.

Store calls are synchronous (SQLAlchemy); `blocking` runs them in a worker thread so the
event loop keeps serving other requests (argon2 sign-in takes a noticeable moment on purpose).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

from engine.catalog import Catalog
from engine.compiler import PackContext
from engine.forms import compile_form
from engine.model import Form
from engine.reader import read_text
from engine.store import Actor, DefinitionRecord, Store

T = TypeVar("T")


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a synchronous store call in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


def publish_form(store: Store, actor: Actor, form: Form) -> DefinitionRecord:
    """The published version of ``form`` in the actor's clinic (published now if new)."""
    return store.definitions.publish(
        actor, kind="form", def_id=form.id, version=form.version,
        source_text=form.source_text, content_hash=form.key.content_hash,
    )


@functools.lru_cache(maxsize=64)
def _compile_stored(source_text: str, path: str) -> Form | None:
    doc, _ = read_text(source_text, path)
    if doc is None:
        return None
    form, _ = compile_form(doc, PackContext())
    return form


def pinned_form(catalog: Catalog, definition: DefinitionRecord) -> Form:
    """The exact form version a document was captured with.

    The installed catalog has it unless the pack moved on; then the stored source text is
    compiled again (message ids of the old pack are not available in that case).
    """
    found = catalog.by_hash(definition.content_hash)
    if isinstance(found, Form):
        return found
    form = _compile_stored(definition.source_text, f"<stored {definition.def_id}@{definition.version}>")
    if form is None:
        raise LookupError(f"form {definition.def_id}@{definition.version} cannot be compiled from its stored source")
    return form
