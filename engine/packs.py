"""Packs: find them, order them by dependencies, read and compile their definitions.

A pack is a folder with a `pack.yaml` manifest and definition files in forms/, rules/ and
workflows/ (or the folders its `paths:` names), plus locale/<lang>.yaml message catalogs.
The core definitions (form_definitions/, workflows/, rules/) are the `core` pack and load
exactly like the dental and cardiology packs.

`load` is the whole pipeline for a set of packs: read -> structure -> compile forms ->
compile rules and workflows (which reference forms) -> catalog.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from engine.catalog import Catalog
from engine.compiler import PackContext
from engine.diagnostics import Diagnostic, Location, did_you_mean, make, sort_key
from engine.forms import compile_form
from engine.model import Definition, Form, PackManifest, Rule, Text, Workflow
from engine.reader import SourceDocument, read_file, read_text
from engine.rules import compile_rule
from engine.schema import check_structure, kind_of
from engine.valuesets import compile_valueset
from engine.versions import check_range, satisfies
from engine.workflows import compile_workflow

ENGINE_VERSION = "1.0.0"
MANIFEST = "pack.yaml"
DEFAULT_FOLDERS = {"forms": ("forms",), "rules": ("rules",), "workflows": ("workflows",), "locale": ("locale",)}


@dataclass(slots=True)
class Pack:
    manifest: PackManifest
    root: Path
    files: list[Path] = field(default_factory=list)
    context: PackContext = field(default_factory=PackContext)


@dataclass(slots=True)
class LoadResult:
    catalog: Catalog
    packs: list[Pack]
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def default_pack_roots(base: Path | None = None) -> list[Path]:
    """Where packs are installed: $CLINIFORM_PACKS (path list) or the project's folders."""
    env = os.environ.get("CLINIFORM_PACKS")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    base = base or Path.cwd()
    return [base / "form_definitions", base / "specialties"]


def discover(roots: Iterable[Path]) -> list[Path]:
    """Manifest paths under ``roots`` (a root may itself be a pack)."""
    found: list[Path] = []
    for root in roots:
        if (root / MANIFEST).is_file():
            found.append(root / MANIFEST)
        elif root.is_dir():
            found.extend(sorted(p for p in root.glob(f"*/{MANIFEST}")))
    return list(dict.fromkeys(p.resolve() for p in found))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_manifest(path: Path) -> tuple[Pack | None, list[Diagnostic]]:
    doc, diagnostics = read_file(_display(path))
    if doc is None:
        return None, diagnostics
    kind, problems = kind_of(doc)
    diagnostics += problems
    if kind is None:
        return None, diagnostics
    if kind != "pack":
        return None, [*diagnostics, make("PACK001", f"{MANIFEST} declares a {kind}, not a pack", doc.locate("/schema"), pointer="/schema", hint="use `schema: cliniform/pack@1`")]
    diagnostics += check_structure(doc)
    if any(d.is_error for d in diagnostics):
        return None, diagnostics
    data = doc.data
    root = path.parent
    if "paths" not in data and data["id"] != root.name:
        diagnostics.append(make("PACK002", f"pack id '{data['id']}' does not match its folder '{root.name}'", doc.locate("/id"), pointer="/id", hint=f"rename the folder or set `id: {root.name}`"))
    locales = tuple(data["locales"])
    default_locale = data.get("default_locale", locales[0])
    requires = data.get("requires") or {}
    for dep, spec in (requires.get("packs") or {}).items():
        problem = check_range(spec)
        if problem:
            diagnostics.append(make("PACK006", f"version range for '{dep}': {problem}", doc.locate(f"/requires/packs/{dep}"), pointer=f"/requires/packs/{dep}", hint="write e.g. '>=1.0,<2'"))
    engine_spec = requires.get("engine")
    if engine_spec and (check_range(engine_spec) or not satisfies(ENGINE_VERSION, engine_spec)):
        diagnostics.append(make("PACK007", f"pack needs engine {engine_spec}; this is engine {ENGINE_VERSION}", doc.locate("/requires/engine"), pointer="/requires/engine", hint="install a matching Cliniform version or relax the range"))
    folders = {k: tuple(v) for k, v in {**DEFAULT_FOLDERS, **(data.get("paths") or {})}.items()}
    title = Text(MappingProxyType(data["title"] if isinstance(data["title"], dict) else {default_locale: data["title"]}), default_locale)
    manifest = PackManifest(
        id=data["id"], version=data["version"], title=title, path=doc.path, locales=locales, default_locale=default_locale,
        requires_engine=engine_spec, requires_packs=MappingProxyType(dict(requires.get("packs") or {})),
        folders=MappingProxyType(folders), source_text=doc.text, content_hash=doc.content_hash,
    )
    pack = Pack(manifest, root)
    messages, message_diags = _messages(root, folders["locale"], locales)
    diagnostics += message_diags
    pack.context = PackContext(manifest.id, locales, default_locale, MappingProxyType(messages))
    pack.files = _definition_files(root, folders)
    return pack, diagnostics


def _messages(root: Path, folders: Sequence[str], locales: Sequence[str]) -> tuple[dict[str, dict[str, str]], list[Diagnostic]]:
    """locale/<lang>.yaml: message id -> text (nested mappings join keys with dots)."""
    messages: dict[str, dict[str, str]] = {}
    diagnostics: list[Diagnostic] = []
    for folder in folders:
        for locale in locales:
            for suffix in (".yaml", ".yml", ".json"):
                path = root / folder / f"{locale}{suffix}"
                if not path.is_file():
                    continue
                doc, diags = read_file(_display(path))
                diagnostics += diags
                if doc is not None and isinstance(doc.data, dict):
                    messages.setdefault(locale, {}).update(_flatten(doc.data))
    return messages, diagnostics


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        elif value is not None:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def _definition_files(root: Path, folders: dict[str, tuple[str, ...]]) -> list[Path]:
    skip = {(root / f).resolve() for f in folders.get("locale", ())}
    files: list[Path] = []
    for kind in ("forms", "rules", "workflows"):
        for folder in folders.get(kind, ()):
            base = (root / folder).resolve()
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*")):
                if path.suffix.lower() in (".yaml", ".yml", ".json") and path.name != MANIFEST and not any(s in path.parents for s in skip):
                    files.append(path)
    return list(dict.fromkeys(files))


def order_packs(packs: list[Pack]) -> tuple[list[Pack], list[Diagnostic]]:
    """Dependencies first; report unknown, unsatisfied and cyclic dependencies."""
    by_id = {p.manifest.id: p for p in packs}
    diagnostics: list[Diagnostic] = []
    ordered: list[Pack] = []
    state: dict[str, int] = {}

    def loc(pack: Pack, dep: str) -> Location:
        doc_path = pack.manifest.path
        return _locate_in_manifest(pack, f"/requires/packs/{dep}") or Location(doc_path, 1, 1)

    def visit(pack: Pack, trail: list[str]) -> None:
        pid = pack.manifest.id
        if state.get(pid) == 2:
            return
        if state.get(pid) == 1:
            cycle = [*trail[trail.index(pid):], pid]
            diagnostics.append(make("PACK005", "pack dependency cycle: " + " -> ".join(cycle), Location(pack.manifest.path, 1, 1), hint="remove one of the `requires` entries"))
            return
        state[pid] = 1
        for dep, spec in pack.manifest.requires_packs.items():
            other = by_id.get(dep)
            if other is None:
                diagnostics.append(make("PACK003", f"pack '{pid}' requires unknown pack '{dep}'", loc(pack, dep), pointer=f"/requires/packs/{dep}", hint=did_you_mean(dep, by_id) or "install that pack or remove the requirement"))
                continue
            if check_range(spec) is None and not satisfies(other.manifest.version, spec):
                diagnostics.append(make("PACK004", f"pack '{pid}' requires {dep} {spec}, but {dep} {other.manifest.version} is installed", loc(pack, dep), pointer=f"/requires/packs/{dep}", hint=f"install a version of {dep} matching {spec}, or change the range"))
            visit(other, [*trail, pid])
        state[pid] = 2
        ordered.append(pack)

    for pack in sorted(packs, key=lambda p: p.manifest.id):
        visit(pack, [])
    return ordered, diagnostics


def _locate_in_manifest(pack: Pack, pointer: str) -> Location | None:
    from engine.reader import read_text

    doc, _ = read_text(pack.manifest.source_text, pack.manifest.path)
    return doc.locate(pointer) if doc is not None else None


def read_definitions(paths: Iterable[Path]) -> tuple[list[tuple[str, SourceDocument]], list[Diagnostic]]:
    """Read files and check their structure; returns (kind, document) pairs that passed."""
    docs: list[tuple[str, SourceDocument]] = []
    diagnostics: list[Diagnostic] = []
    for path in paths:
        doc, diags = read_file(_display(path))
        diagnostics += diags
        if doc is None or any(d.is_error for d in diags):
            continue
        kind, problems = kind_of(doc)
        diagnostics += problems
        if kind is None:
            continue
        if kind == "pack":
            diagnostics.append(make("PACK001", "a pack manifest must be named pack.yaml at the pack's root", doc.locate("/schema"), hint="move it to the pack folder as pack.yaml"))
            continue
        structural = check_structure(doc)
        diagnostics += structural
        if not any(d.is_error for d in structural):
            docs.append((kind, doc))
    return docs, diagnostics


def load(roots: Iterable[Path] | None = None, extra_files: Iterable[Path] = ()) -> LoadResult:
    """Load every pack under ``roots`` (default: the installed packs) into a catalog."""
    # Compiling builds many small immutable objects that live as long as the catalog; the
    # cyclic garbage collector finds nothing to free among them but halves the load speed.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(roots, extra_files)
    finally:
        if enabled:
            gc.enable()


def _load(roots: Iterable[Path] | None, extra_files: Iterable[Path]) -> LoadResult:
    manifests = discover(list(roots) if roots is not None else default_pack_roots())
    diagnostics: list[Diagnostic] = []
    packs: list[Pack] = []
    for manifest_path in manifests:
        pack, diags = read_manifest(manifest_path)
        diagnostics += diags
        if pack is not None:
            packs.append(pack)
    packs, order_diags = order_packs(packs)
    diagnostics += order_diags
    catalog = Catalog()
    staged: list[tuple[str, SourceDocument, PackContext]] = []
    owned = set()
    for pack in packs:
        catalog.add_pack(pack.manifest, pack.context)
        docs, diags = read_definitions(pack.files)
        diagnostics += diags
        staged += [(kind, doc, pack.context) for kind, doc in docs]
        owned |= {p.resolve() for p in pack.files}
    loose = [p for p in extra_files if p.resolve() not in owned]
    docs, diags = read_definitions(loose)
    diagnostics += diags
    staged += [(kind, doc, PackContext()) for kind, doc in docs]
    diagnostics += _compile_all(staged, catalog)
    diagnostics.sort(key=sort_key)
    return LoadResult(catalog, packs, diagnostics)


def _compile_all(staged: list[tuple[str, SourceDocument, PackContext]], catalog: Catalog) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for kind, doc, ctx in staged:
        if kind == "form":
            form, diags = compile_form(doc, ctx)
            diagnostics += diags
            if form is not None:
                diagnostics += catalog.add(form, doc)
        elif kind == "valueset":
            valueset, diags = compile_valueset(doc, ctx)
            diagnostics += diags
            if valueset is not None:
                diagnostics += catalog.add(valueset, doc)
    forms: dict[str, Form] = {f.id: f for f in catalog.latest_forms()}
    for kind, doc, ctx in staged:
        if kind in ("rule", "workflow"):
            compiled: Rule | Workflow | None
            if kind == "rule":
                compiled, diags = compile_rule(doc, ctx, forms)
            else:
                compiled, diags = compile_workflow(doc, ctx, forms)
            diagnostics += diags
            if compiled is not None:
                diagnostics += catalog.add(compiled, doc)
    return diagnostics


def compile_stored(source_text: str, path: str, catalog: Catalog,
                   forms: Mapping[str, Form] | None = None) -> tuple[Definition | None, list[Diagnostic]]:
    """Compile a stored definition version (e.g. the one a document is pinned to) with the
    pack context of its id and the catalog's forms (or ``forms``), exactly as when it was loaded."""
    doc, diagnostics = read_text(source_text, path, is_json=path.endswith(".json"))
    if doc is None:
        return None, diagnostics
    kind, problems = kind_of(doc)
    diagnostics += problems
    if kind is None or kind == "pack":
        return None, diagnostics
    structural = check_structure(doc)
    diagnostics += structural
    if any(d.is_error for d in structural):
        return None, diagnostics
    ctx = catalog.context_for(str(doc.data.get("id", "")))
    if forms is None:
        forms = {f.id: f for f in catalog.latest_forms()}
    compiled: Definition | None
    if kind == "form":
        compiled, diags = compile_form(doc, ctx)
    elif kind == "rule":
        compiled, diags = compile_rule(doc, ctx, forms)
    elif kind == "workflow":
        compiled, diags = compile_workflow(doc, ctx, forms)
    else:
        compiled, diags = compile_valueset(doc, ctx)
    return compiled, diagnostics + diags


class StoredDefinition(Protocol):
    """A published definition version as the store keeps it (engine.store DefinitionRecord)."""

    @property
    def def_id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def source_text(self) -> str: ...


def pinned(catalog: Catalog, stored: StoredDefinition, forms: Mapping[str, Form] | None = None) -> Definition:
    """The exact definition version a record was captured with: the installed one with that
    content hash, else compiled again from the stored source with its pack's context (once per
    process). Raises LookupError, with the diagnostics, when the source no longer compiles."""
    found = catalog.by_hash(stored.content_hash)
    if found is not None:
        return found
    compiled, diagnostics = compile_stored(stored.source_text, f"<stored {stored.def_id}@{stored.version}>", catalog, forms)
    if compiled is None:
        problems = "; ".join(str(d) for d in diagnostics if d.is_error)
        raise LookupError(f"{stored.def_id}@{stored.version} cannot be compiled from its stored source: {problems}")
    catalog.keep_stored(compiled)
    return compiled
