"""Packs: discovery, manifests, load order by dependency, version ranges, locale catalogs,
the core pack, and the catalog keyed by (kind, id, version) and content hash."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.catalog import Catalog
from engine.model import Form
from engine.packs import default_pack_roots, discover, load
from engine.versions import check_range, parse_version, satisfies

ROOT = Path(__file__).resolve().parents[2]


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    return root


def manifest(pack_id: str, version: str = "1.0.0", requires: str = "", extra: str = "") -> str:
    lines = [
        "schema: cliniform/pack@1",
        f"id: {pack_id}",
        f"version: {version}",
        f"title: {{en: {pack_id.title()}, ar: حزمة}}",
        "locales: [en, ar]",
    ]
    if requires:
        lines.append(f"requires: {{packs: {{{requires}}}}}")
    return "\n".join(lines) + "\n" + extra


def form(form_id: str, version: str = "1.0.0", items: str = "[{id: a, type: boolean, label: {en: A, ar: أ}}]", title: str = "{en: T, ar: ع}") -> str:
    return f"schema: cliniform/form@1\nid: {form_id}\nversion: {version}\ntitle: {title}\nitems: {items}\n"


def diag_codes(result: object) -> list[str]:
    return [d.code for d in result.diagnostics]  # type: ignore[attr-defined]


# -- discovery and load order ----------------------------------------------------------------

def test_discover_finds_packs_and_a_root_that_is_a_pack(tmp_path: Path) -> None:
    write(tmp_path, {"a/pack.yaml": manifest("a"), "b/pack.yaml": manifest("b"), "notapack/forms/x.yaml": form("x.y")})
    assert [p.parent.name for p in discover([tmp_path])] == ["a", "b"]
    assert [p.parent.name for p in discover([tmp_path / "a"])] == ["a"]
    assert discover([tmp_path / "missing"]) == []


def test_load_order_puts_dependencies_first(tmp_path: Path) -> None:
    write(tmp_path, {
        "aaa/pack.yaml": manifest("aaa", requires="mmm: '>=1.0'"),
        "mmm/pack.yaml": manifest("mmm", requires="zzz: '>=1.0'"),
        "zzz/pack.yaml": manifest("zzz"),
        "bbb/pack.yaml": manifest("bbb"),
    })
    result = load([tmp_path])
    assert result.ok, [str(d) for d in result.diagnostics]
    order = [p.manifest.id for p in result.packs]
    assert order.index("zzz") < order.index("mmm") < order.index("aaa")
    assert sorted(order) == ["aaa", "bbb", "mmm", "zzz"]


def test_unknown_dependency_pack003(tmp_path: Path) -> None:
    write(tmp_path, {"dental/pack.yaml": manifest("dental", requires="coer: '>=1.0'"), "core/pack.yaml": manifest("core")})
    result = load([tmp_path])
    [diag] = result.diagnostics
    assert (diag.code, diag.pointer, diag.location.line) == ("PACK003", "/requires/packs/coer", 6)
    assert "core" in diag.hint
    assert [p.manifest.id for p in result.packs] == ["core", "dental"]  # the pack still loads


@pytest.mark.parametrize(("installed", "spec", "ok"), [
    ("1.4.0", ">=1.0,<2", True), ("2.0.0", ">=1.0,<2", False), ("1.4.0", "^1.2", True), ("2.1.0", "^1.2", False),
    ("1.2.9", "~1.2", True), ("1.3.0", "~1.2", False), ("1.0.0", "1.0.0", True), ("1.0.1", "!=1.0.1", False),
])
def test_dependency_version_pack004(tmp_path: Path, installed: str, spec: str, ok: bool) -> None:
    write(tmp_path, {"core/pack.yaml": manifest("core", version=installed), "dental/pack.yaml": manifest("dental", requires=f"core: '{spec}'")})
    result = load([tmp_path])
    assert diag_codes(result) == ([] if ok else ["PACK004"])


def test_dependency_cycle_pack005(tmp_path: Path) -> None:
    write(tmp_path, {
        "alpha/pack.yaml": manifest("alpha", requires="beta: '>=1.0'"),
        "beta/pack.yaml": manifest("beta", requires="gamma: '>=1.0'"),
        "gamma/pack.yaml": manifest("gamma", requires="alpha: '>=1.0'"),
    })
    result = load([tmp_path])
    [diag] = result.diagnostics
    assert diag.code == "PACK005"
    assert "alpha -> beta -> gamma -> alpha" in diag.message


@pytest.mark.parametrize("spec", ["~>1.0", "latest", "", ">=one", "1.0 || 2.0"])
def test_bad_version_range_pack006(tmp_path: Path, spec: str) -> None:
    write(tmp_path, {"core/pack.yaml": manifest("core"), "dental/pack.yaml": manifest("dental", requires=f"core: '{spec}'")})
    assert diag_codes(load([tmp_path])) == ["PACK006"]


def test_engine_version_pack007_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path, {"future/pack.yaml": manifest("future", extra="requires: {engine: '>=2.0'}\n")})
    result = load([tmp_path])
    assert diag_codes(result) == ["PACK007"]
    assert result.ok  # warnings do not stop loading
    assert [p.manifest.id for p in result.packs] == ["future"]


def test_manifest_problems(tmp_path: Path) -> None:
    write(tmp_path, {
        "renamed/pack.yaml": manifest("other"),
        "formpack/pack.yaml": form("formpack.x"),
        "broken/pack.yaml": "schema: cliniform/pack@1\nid: broken\n",
    })
    result = load([tmp_path])
    assert sorted(diag_codes(result)) == ["PACK001", "PACK002", "SCHEMA002", "SCHEMA002", "SCHEMA002"]
    assert [p.manifest.id for p in result.packs] == ["other"]


# -- contents of a pack ----------------------------------------------------------------------

def test_pack_contents_catalogs_and_namespaces(tmp_path: Path) -> None:
    write(tmp_path, {
        "clinic/pack.yaml": manifest("clinic", extra="default_locale: ar\n"),
        "clinic/locale/en.yaml": "intake:\n  title: Intake\n  smoker: Smoker\n",
        "clinic/locale/ar.yaml": "intake:\n  title: الاستقبال\n  smoker: مدخن\n",
        "clinic/forms/intake.yaml": form("clinic.intake", title="'@intake.title'", items="[{id: smoker, type: boolean, label: '@intake.smoker'}]"),
        "clinic/forms/sub/plain.yaml": form("clinic.plain", title="استمارة"),
        "clinic/rules/r.yaml": "schema: cliniform/rule@1\nid: clinic.smoking\nversion: 1.0.0\ntitle: {en: S, ar: ت}\napplies_to: {forms: [clinic.intake]}\nwhen: smoker == true\nseverity: info\nsummary: {en: Smoker, ar: مدخن}\n",
        "clinic/notes.txt": "not a definition",
    })
    result = load([tmp_path])
    # plain text is in the pack's default locale (ar here), so only en is missing
    assert [(d.code, Path(d.location.file).name, d.location.line) for d in result.diagnostics] == [("I18N001", "plain.yaml", 4)]
    intake = result.catalog.form("clinic.intake")
    assert intake is not None
    assert dict(intake.title.values) == {"en": "Intake", "ar": "الاستقبال"}
    assert intake.index["smoker"].label.get("ar") == "مدخن"
    plain = result.catalog.form("clinic.plain")
    assert plain is not None and dict(plain.title.values) == {"ar": "استمارة"} and plain.title.get("en") == "استمارة"
    assert [r.id for r in result.catalog.rules()] == ["clinic.smoking"]


def test_paths_name_the_folders(tmp_path: Path) -> None:
    """Like the core pack: forms next to pack.yaml, rules in a sibling folder, locale/ skipped."""
    write(tmp_path, {
        "defs/pack.yaml": manifest("core", extra="paths:\n  forms: ['.']\n  rules: ['../core_rules']\n  locale: ['locale']\n"),
        "defs/intake.yaml": form("core.intake"),
        "defs/locale/en.yaml": "greeting: Hello\n",
        "defs/locale/ar.yaml": "greeting: مرحبا\n",
        "core_rules/r.yaml": "schema: cliniform/rule@1\nid: core.r\nversion: 1.0.0\ntitle: {en: R, ar: ق}\napplies_to: {forms: [core.intake]}\nwhen: a == true\nseverity: info\nsummary: '@greeting'\n",
    })
    result = load([tmp_path / "defs"])
    assert result.ok and not result.diagnostics, [str(d) for d in result.diagnostics]
    assert {d.id for d in result.catalog} == {"core.intake", "core.r"}
    rule = result.catalog.rules()[0]
    assert rule.summary.get("ar") == "مرحبا"


def test_definitions_outside_the_namespace_and_loose_files(tmp_path: Path) -> None:
    write(tmp_path, {
        "demo/pack.yaml": manifest("demo"),
        "demo/forms/a.yaml": form("other.a"),
        "loose/b.yaml": form("anything.b"),
    })
    result = load([tmp_path], extra_files=[tmp_path / "loose" / "b.yaml", tmp_path / "demo" / "forms" / "a.yaml"])
    assert diag_codes(result) == ["DEF004"]  # reported once: a pack's file is not loaded again as a loose file
    assert result.catalog.form("anything.b") is not None


# -- the catalog -----------------------------------------------------------------------------

def test_catalog_keys_versions_and_hashes(tmp_path: Path) -> None:
    write(tmp_path, {
        "demo/pack.yaml": manifest("demo"),
        "demo/forms/v1.yaml": form("demo.f", "1.2.0"),
        "demo/forms/v2.yaml": form("demo.f", "1.10.0", items="[{id: b, type: boolean, label: {en: B, ar: ب}}]"),
    })
    result = load([tmp_path])
    catalog: Catalog = result.catalog
    assert result.ok
    assert len(catalog) == 2
    keys = catalog.keys()
    assert keys == [d.key for d in catalog]
    assert {(k.kind, k.id, k.version) for k in keys} == {("form", "demo.f", "1.2.0"), ("form", "demo.f", "1.10.0")}
    latest = catalog.form("demo.f")
    assert isinstance(latest, Form) and latest.version == "1.10.0"  # semantic, not text order
    old = catalog.form("demo.f", "1.2.0")
    assert old is not None and "a" in old.index
    assert catalog.by_hash(old.key.content_hash) is old
    assert old.key.content_hash != latest.key.content_hash
    assert catalog.get("rule", "demo.f") is None
    assert [f.version for f in catalog.latest_forms()] == ["1.10.0"]


def test_same_id_and_version_twice_def003(tmp_path: Path) -> None:
    write(tmp_path, {"demo/pack.yaml": manifest("demo"), "demo/forms/a.yaml": form("demo.f"), "demo/forms/b.yaml": form("demo.f", items="[{id: z, type: boolean, label: {en: Z, ar: ز}}]")})
    result = load([tmp_path])
    [diag] = result.diagnostics
    assert diag.code == "DEF003" and diag.pointer == "/version" and Path(diag.location.file).name == "b.yaml"
    assert len(result.catalog) == 1


def test_content_hash_changes_with_the_text(tmp_path: Path) -> None:
    write(tmp_path, {"demo/pack.yaml": manifest("demo"), "demo/forms/a.yaml": form("demo.f")})
    first = load([tmp_path]).catalog.form("demo.f")
    (tmp_path / "demo/forms/a.yaml").write_text(form("demo.f") + "# a comment\n", "utf-8")
    second = load([tmp_path]).catalog.form("demo.f")
    assert first is not None and second is not None
    assert first.key.content_hash != second.key.content_hash
    assert (first.key.kind, first.key.id, first.key.version) == (second.key.kind, second.key.id, second.key.version)


# -- the shipped core pack -------------------------------------------------------------------

def test_core_pack_loads_through_the_pack_machinery() -> None:
    result = load([ROOT / "form_definitions"])
    assert result.ok, [str(d) for d in result.diagnostics if d.is_error]
    [core] = result.packs
    assert core.manifest.id == "core" and core.manifest.locales == ("en", "ar")
    assert dict(core.manifest.folders)["rules"] == ("../rules",)
    vitals = result.catalog.form("core.vitals")
    assert vitals is not None and "bmi" in vitals.index
    assert any(r.id == "core.hypertensive_crisis" for r in result.catalog.rules())
    assert any(w.id == "core.note_signing" for w in result.catalog.workflows())
    assert "core" in result.catalog.packs


def test_installed_packs_load_core_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("CLINIFORM_PACKS", raising=False)
    roots = default_pack_roots()
    assert roots == [ROOT / "form_definitions", ROOT / "specialties"]
    result = load(roots)
    order = [p.manifest.id for p in result.packs]
    assert order[0] == "core" and {"dental", "cardiology"} <= set(order)


def test_cliniform_packs_environment_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLINIFORM_PACKS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert default_pack_roots() == [tmp_path / "a", tmp_path / "b"]


# -- versions --------------------------------------------------------------------------------

def test_versions() -> None:
    assert parse_version("1.2.3") == (1, 2, 3)
    assert parse_version("1.2") == (1, 2, 0)
    assert parse_version("1.2.3-rc.1") == (1, 2, 3)
    assert parse_version("one") is None
    assert check_range(">=1.0,<2") is None and check_range("^1.2") is None
    assert check_range("~>1.0") is not None and check_range("") is not None
    assert satisfies("1.10.0", ">1.9") and not satisfies("1.9.0", ">=1.10")
    assert not satisfies("x", ">=1.0") and not satisfies("1.0.0", "nonsense")
