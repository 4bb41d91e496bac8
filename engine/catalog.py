"""The catalog: every loaded definition, keyed by (kind, id, version) and content hash."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from engine.compiler import STANDALONE, PackContext
from engine.diagnostics import Diagnostic, make
from engine.model import Definition, DefinitionKey, Form, PackManifest, Rule, ValueSet, Workflow
from engine.reader import SourceDocument
from engine.versions import parse_version

if TYPE_CHECKING:
    from engine.valuesets import Classifier


class Catalog:
    """All compiled definitions of the loaded packs. Built once, then only read."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str, str], Definition] = {}
        # the latest version of each (kind, id), kept as definitions are added: the web app
        # looks a form's rules up on every live round-trip
        self._latest: dict[tuple[str, str], Definition] = {}
        self._classifier: Classifier | None = None
        self._stored: dict[str, Definition] = {}
        self._by_hash: dict[str, Definition] = {}
        self.packs: dict[str, PackManifest] = {}
        self.contexts: dict[str, PackContext] = {}

    def add_pack(self, manifest: PackManifest, context: PackContext | None = None) -> None:
        self.packs[manifest.id] = manifest
        if context is not None:
            self.contexts[manifest.id] = context

    def context_for(self, def_id: str) -> PackContext:
        """The pack context (locales, message catalog) a definition id belongs to."""
        return self.contexts.get(def_id.split(".", 1)[0], STANDALONE)

    def add(self, definition: Definition, doc: SourceDocument) -> list[Diagnostic]:
        key = definition.key
        existing = self._by_key.get((key.kind, key.id, key.version))
        if existing is not None:
            return [make("DEF003", f"{key.kind} '{key.id}' version {key.version} is defined twice (also in {existing.path})", doc.locate("/version"), pointer="/version", hint="raise the version of the newer definition")]
        self._by_key[(key.kind, key.id, key.version)] = definition
        self._classifier = None
        current = self._latest.get((key.kind, key.id))
        if current is None or _order(definition) > _order(current):
            self._latest[(key.kind, key.id)] = definition
        self._by_hash[key.content_hash] = definition
        return []

    def get(self, kind: str, def_id: str, version: str | None = None) -> Definition | None:
        """A definition by id, at ``version`` or the latest version."""
        if version is not None:
            return self._by_key.get((kind, def_id, version))
        return self._latest.get((kind, def_id))

    def classifier(self) -> Classifier:
        """The drug-class (value set) classifier of the latest value sets, built once."""
        if self._classifier is None:
            from engine.valuesets import Classifier

            self._classifier = Classifier(self.valuesets())
        return self._classifier

    def by_hash(self, content_hash: str) -> Definition | None:
        """An installed definition, or one compiled again from a stored version (keep_stored)."""
        return self._by_hash.get(content_hash) or self._stored.get(content_hash)

    def keep_stored(self, definition: Definition) -> None:
        """Remember a definition compiled from stored source (engine.packs.pinned), so that it
        is compiled once per process; it is not installed (no id lookup finds it)."""
        self._stored[definition.key.content_hash] = definition

    def form(self, form_id: str, version: str | None = None) -> Form | None:
        found = self.get("form", form_id, version)
        return found if isinstance(found, Form) else None

    def latest(self, kind: str) -> list[Definition]:
        """The latest version of every definition of ``kind``, by id."""
        return [d for (k, _), d in sorted(self._latest.items()) if k == kind]

    def latest_forms(self) -> list[Form]:
        return [f for f in self.latest("form") if isinstance(f, Form)]

    def rules(self) -> list[Rule]:
        return [d for d in self._by_key.values() if isinstance(d, Rule)]

    def workflows(self) -> list[Workflow]:
        return [d for d in self._by_key.values() if isinstance(d, Workflow)]

    def valuesets(self) -> list[ValueSet]:
        """The latest version of every value set."""
        return [v for v in self.latest("valueset") if isinstance(v, ValueSet)]

    def keys(self) -> list[DefinitionKey]:
        return [d.key for d in self._by_key.values()]

    def __iter__(self) -> Iterator[Definition]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)


def _order(definition: Definition) -> tuple[int, ...]:
    return parse_version(definition.key.version) or (0, 0, 0)
