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
from engine.model import Form
from engine.packs import pinned
from engine.store import Actor, DefinitionRecord, Store

T = TypeVar("T")


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a synchronous store call in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))


async def reading(store: Store, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a store call that only reads: inline on SQLite, where a read in WAL mode takes no
    lock and costs less than the hop to a worker thread; in a worker thread on PostgreSQL."""
    if store.db.backend == "sqlite":
        return fn(*args, **kwargs)
    return await blocking(fn, *args, **kwargs)


def publish_form(store: Store, actor: Actor, form: Form) -> DefinitionRecord:
    """The published version of ``form`` in the actor's clinic (published now if new)."""
    return store.definitions.publish(
        actor, kind="form", def_id=form.id, version=form.version,
        source_text=form.source_text, content_hash=form.key.content_hash,
    )


def pinned_form(catalog: Catalog, definition: DefinitionRecord) -> Form:
    """The exact form version a document was captured with (engine.packs.pinned)."""
    form = pinned(catalog, definition)
    if not isinstance(form, Form):
        raise LookupError(f"{definition.def_id}@{definition.version} is not a form")
    return form
