"""The compiled model: immutable forms, items, rules, workflows and packs.

Everything here is produced by engine.compiler from checked source documents and is never
mutated afterwards: frozen, slotted dataclasses and tuples. Expressions are already parsed
(`engine.expressions.Expression`), so evaluating a form never parses text again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, make_dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from engine.diagnostics import Location

if TYPE_CHECKING:
    from engine.expressions import Expression

EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Text:
    """Text shown to people, per locale. ``missing`` lists declared locales without text."""

    values: Mapping[str, str]
    default_locale: str = "en"

    def get(self, locale: str) -> str:
        """The text in ``locale``, else in the default locale, else any."""
        if locale in self.values:
            return self.values[locale]
        if self.default_locale in self.values:
            return self.values[self.default_locale]
        return next(iter(self.values.values()), "")

    def has(self, locale: str) -> bool:
        return locale in self.values

    def __str__(self) -> str:
        return self.get(self.default_locale)


NO_TEXT = Text(MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Coding:
    system: str
    code: str
    display: str = ""


@dataclass(frozen=True, slots=True)
class Option:
    code: str
    display: Text
    system: str = ""
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Constraint:
    check: Expression
    message: Text
    location: Location


@dataclass(frozen=True, slots=True)
class GridRow:
    code: str
    label: Text


@dataclass(frozen=True, slots=True)
class Item:
    """One compiled form item. ``children`` holds group, repeating-group and grid columns."""

    id: str
    type: str
    label: Text
    location: Location
    pointer: str
    parent: str | None = None
    text: Text = NO_TEXT
    help: Text = NO_TEXT
    placeholder: Text = NO_TEXT
    codes: tuple[Coding, ...] = ()
    required: bool = False
    required_when: Expression | None = None
    visible_when: Expression | None = None
    when_hidden: str = "clear"
    readonly: bool = False
    default: Any = None
    calculate: Expression | None = None
    constraints: tuple[Constraint, ...] = ()
    min: Any = None
    max: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    decimals: int | None = None
    unit: str | None = None
    units: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    appearance: str = "auto"
    media_types: tuple[str, ...] = ()
    max_size_kb: int | None = None
    children: tuple[Item, ...] = ()
    rows: tuple[GridRow, ...] = ()
    min_rows: int = 0
    max_rows: int | None = None
    previous_value: bool = False
    signer: str | None = None

    @property
    def is_input(self) -> bool:
        from engine.types import TYPES

        return TYPES[self.type].is_input and self.calculate is None

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


P = ParamSpec("P")
T = TypeVar("T")


def fast_constructor(cls: Callable[P, T]) -> Callable[P, T]:
    """A constructor for the frozen, slotted dataclass ``cls``, with the same parameters,
    that returns the same frozen instance about four times sooner.

    A frozen dataclass's ``__init__`` stores every field through ``object.__setattr__``
    (~0.2 us a field here, 8 us for the 36 fields of an `Item`: a sixth of compiling a
    form). This one fills a plain slotted twin with the same fields, defaults and slot
    layout, then gives the instance its real class: what comes out is an instance of
    ``cls``, equal to ``cls(...)`` with the same arguments, and as frozen as any other.
    """
    # the twin's __post_init__ sets the class, so one of cls's own would never run
    assert not hasattr(cls, "__post_init__"), f"{cls.__name__} has a __post_init__"
    spec: list[Any] = []
    for f in fields(cls):  # type: ignore[arg-type]
        if f.default is not MISSING:
            spec.append((f.name, f.type, field(default=f.default)))
        elif f.default_factory is not MISSING:
            spec.append((f.name, f.type, field(default_factory=f.default_factory)))
        else:
            spec.append((f.name, f.type))

    def __post_init__(self: Any) -> None:
        self.__class__ = cls

    namespace = {"__post_init__": __post_init__}
    twin = make_dataclass(f"{cls.__name__}Draft", spec, namespace=namespace, slots=True, eq=False, repr=False)
    assert twin.__slots__ == cls.__slots__  # type: ignore[attr-defined]
    return twin


#: `Item(...)`, four times sooner: the compiler builds a hundred per form
new_item = fast_constructor(Item)


@dataclass(frozen=True, slots=True)
class FormTest:
    name: str
    answers: Mapping[str, Any]
    patient: Mapping[str, Any]
    encounter: Mapping[str, Any]
    expect: Mapping[str, Any]
    location: Location


@dataclass(frozen=True, slots=True)
class DefinitionKey:
    """How the catalog names a definition: kind, id, version and the hash of its source."""

    kind: str
    id: str
    version: str
    content_hash: str

    def __str__(self) -> str:
        return f"{self.kind} {self.id}@{self.version} ({self.content_hash[:12]})"


@dataclass(frozen=True, slots=True)
class Form:
    key: DefinitionKey
    title: Text
    path: str
    source_text: str
    items: tuple[Item, ...]
    #: every item by id, in document order, at any depth
    index: Mapping[str, Item]
    #: item ids in evaluation order (dependencies first)
    order: tuple[str, ...]
    #: item id -> ids of items whose value, visibility or requirement reads it (transitive)
    dependents: Mapping[str, frozenset[str]]
    description: Text = NO_TEXT
    code: Coding | None = None
    locales: tuple[str, ...] = ("en",)
    tests: tuple[FormTest, ...] = ()

    @property
    def id(self) -> str:
        return self.key.id

    @property
    def version(self) -> str:
        return self.key.version


def per_form(fn: Callable[[Form], T]) -> Callable[[Form], T]:
    """``fn(form)`` worked out once per compiled form and kept: for what is derived from a
    form alone (a form never changes once compiled). Kept by the form's identity, with the
    form held so that its identity is not reused; at most PER_FORM_KEPT forms, then
    started afresh."""
    kept: dict[int, tuple[Form, T]] = {}

    @functools.wraps(fn)
    def derived(form: Form) -> T:
        found = kept.get(id(form))
        if found is not None and found[0] is form:
            return found[1]
        value = fn(form)
        if len(kept) >= PER_FORM_KEPT:
            kept.clear()
        kept[id(form)] = (form, value)
        return value

    return derived


#: how many forms `per_form` keeps a derived value for
PER_FORM_KEPT = 1024


@dataclass(frozen=True, slots=True)
class RuleTest:
    name: str
    answers: Mapping[str, Any]
    context: Mapping[str, Any]
    expect_fires: bool
    summary: str | None
    location: Location
    #: run as this chart event (patient-view, order-select) rather than on the rule's form
    event: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    key: DefinitionKey
    title: Text
    path: str
    source_text: str
    forms: tuple[str, ...]
    events: tuple[str, ...]
    when: Expression
    severity: str
    summary: Text
    #: placeholder expressions used inside summary texts, by their source
    summary_parts: Mapping[str, Expression]
    detail: Text = NO_TEXT
    source_label: Text = NO_TEXT
    source_url: str = ""
    suggestions: tuple[Text, ...] = ()
    override_reasons: tuple[Option, ...] = ()
    tests: tuple[RuleTest, ...] = ()

    @property
    def id(self) -> str:
        return self.key.id


@dataclass(frozen=True, slots=True)
class Signer:
    role: str
    when: Expression | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    label: Text = NO_TEXT
    roles: tuple[str, ...] = ()
    guard: Expression | None = None
    signers: tuple[Signer, ...] = ()
    reason_required: bool = False


@dataclass(frozen=True, slots=True)
class State:
    id: str
    label: Text = NO_TEXT
    final: bool = False
    on_enter: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Workflow:
    key: DefinitionKey
    title: Text
    path: str
    source_text: str
    form: str | None
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    valid_for: str | None = None

    @property
    def id(self) -> str:
        return self.key.id


@dataclass(frozen=True, slots=True)
class PackManifest:
    id: str
    version: str
    title: Text
    path: str
    locales: tuple[str, ...]
    default_locale: str
    requires_engine: str | None = None
    requires_packs: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    folders: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: EMPTY)
    source_text: str = ""
    content_hash: str = ""


@dataclass(frozen=True, slots=True)
class ConceptClass:
    code: str
    display: Text
    members: tuple[Coding, ...]


@dataclass(frozen=True, slots=True)
class ValueSet:
    """Concept classes: which codes belong to which class (e.g. drugs to drug classes)."""

    key: DefinitionKey
    title: Text
    path: str
    source_text: str
    classes: tuple[ConceptClass, ...]
    source_label: Text = NO_TEXT
    source_url: str = ""

    @property
    def id(self) -> str:
        return self.key.id


Definition = Form | Rule | Workflow | ValueSet
