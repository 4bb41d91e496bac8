"""The `cliniform` command line: check, eval and test, exit codes, --json shapes, --help.

Exit codes and --help run the real command in a subprocess (`python -m engine.cli`); the
rest call `engine.cli.main` in process, which is the same code without the start-up cost.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from engine.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
DIAGNOSTIC_KEYS = {"code", "severity", "file", "line", "col", "pointer", "message", "hint"}

FORM = """\
schema: cliniform/form@1
id: demo.cli
version: 1.0.0
title: {en: CLI demo, ar: تجربة}
items:
  - {id: weight, type: quantity, label: {en: Weight, ar: الوزن}, unit: kg, min: 1, max: 400}
  - {id: height, type: quantity, label: {en: Height, ar: الطول}, unit: cm}
  - {id: bmi, type: decimal, label: {en: BMI, ar: مؤشر}, decimals: 1, calculate: "bmi(weight, height)"}
  - {id: smoker, type: boolean, label: {en: Smoker, ar: مدخن}, required: true}
  - {id: packs, type: integer, label: {en: Packs a day, ar: علب يوميا}, visible_when: smoker == true}
"""

BROKEN = """\
schema: cliniform/form@1
id: demo.broken
version: 1.0.0
title: {en: Broken, ar: معطل}
items:
  - id: depth
    type: quantitiy
    label: {en: Depth, ar: العمق}
"""

WARNING_ONLY = """\
schema: cliniform/form@1
id: demo.english_only
version: 1.0.0
title: English only
items: [{id: a, type: boolean, label: {en: A, ar: أ}}]
"""


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120, env=env)


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name, text in {"form.yaml": FORM, "broken.yaml": BROKEN, "warn.yaml": WARNING_ONLY}.items():
        (tmp_path / name).write_text(text, "utf-8")
    return tmp_path


@pytest.fixture(autouse=True)
def _project_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("CLINIFORM_PACKS", raising=False)


# -- exit codes, in a real process ------------------------------------------------------------

def test_check_exit_codes(files: Path) -> None:
    assert run("check", "form_definitions", "workflows", "rules").returncode == 0
    broken = run("check", str(files / "broken.yaml"))
    assert broken.returncode == 1
    assert f"{files / 'broken.yaml'}:7:11: FORM002 error: " in broken.stdout
    assert "    hint: did you mean 'quantity'?" in broken.stdout
    assert run("check", str(files / "warn.yaml")).returncode == 0
    missing = run("check", str(files / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
    assert run("check", "--no-such-option").returncode == 2
    assert run().returncode == 2  # no command: help, and the usage status


def test_check_with_nothing_to_check_says_so_and_exits_2(tmp_path: Path) -> None:
    """Outside the project, without CLINIFORM_PACKS and without a path, nothing is installed:
    that is not a clean check ("checked 0 definitions in 0 packs", exit 0) but bad usage."""
    for args in (("check",), ("check", "--json"), ("check", "--quiet")):
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "nothing to check: no pack found in" in done.stderr and "CLINIFORM_PACKS" in done.stderr
        assert "checked 0 definitions" not in done.stdout and not done.stdout.strip()
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a definition", "utf-8")
    empty = run("check", "empty", cwd=tmp_path)
    assert empty.returncode == 2 and "no definition files (.yaml, .yml, .json) in empty" in empty.stderr
    (tmp_path / "form.yaml").write_text(FORM, "utf-8")
    one = run("check", "form.yaml", cwd=tmp_path)  # a named file outside any pack is still checked
    assert one.returncode == 0 and one.stdout.strip().endswith("checked 1 definitions in 0 packs: 0 errors, 0 warnings")


def test_exit_statuses_are_in_the_help() -> None:
    for command in ("check", "eval", "test"):
        text = " ".join(run(command, "--help").stdout.split())
        assert "Exit status: 0 when" in text and ", 1 when" in text and ", 2 " in text, (command, text)
    evaluated = " ".join(run("eval", "--help").stdout.split())
    assert "0 when the answers are valid, 1 when they have errors or the form or a file cannot be read" in evaluated


# -- check --------------------------------------------------------------------------------------

def test_check_prints_every_problem_and_a_summary(capsys: pytest.CaptureFixture[str], files: Path) -> None:
    code, out, _ = call(capsys, "check", str(files))
    assert code == 1
    lines = out.splitlines()
    assert any(line.startswith(f"{files / 'broken.yaml'}:7:11: FORM002 error:") for line in lines)
    assert any(line.startswith(f"{files / 'warn.yaml'}:4:8: I18N001 warning:") for line in lines)
    assert lines[-1].startswith("checked ") and "1 errors, 1 warnings" in lines[-1]


def test_check_quiet_prints_errors_only(capsys: pytest.CaptureFixture[str], files: Path) -> None:
    code, out, _ = call(capsys, "check", "--quiet", str(files))
    assert code == 1
    assert "FORM002" in out and "I18N001" not in out and "checked" not in out


def test_check_json(capsys: pytest.CaptureFixture[str], files: Path) -> None:
    code, out, _ = call(capsys, "check", "--json", str(files))
    assert code == 1
    diagnostics: list[dict[str, Any]] = json.loads(out)
    assert all(set(d) == DIAGNOSTIC_KEYS for d in diagnostics)
    by_code = {d["code"]: d for d in diagnostics}
    assert set(by_code) == {"FORM002", "I18N001"}
    form002 = by_code["FORM002"]
    assert (form002["severity"], form002["line"], form002["col"], form002["pointer"]) == ("error", 7, 11, "/items/0/type")
    assert Path(form002["file"]).name == "broken.yaml"
    assert isinstance(form002["message"], str) and form002["hint"] == "did you mean 'quantity'?"
    assert by_code["I18N001"]["severity"] == "warning"


def test_check_json_with_warnings_only_exits_0(capsys: pytest.CaptureFixture[str], files: Path) -> None:
    code, out, _ = call(capsys, "check", "--json", str(files / "warn.yaml"))
    assert code == 0 and [d["code"] for d in json.loads(out)] == ["I18N001"]


def test_check_json_of_clean_definitions_is_an_empty_list(capsys: pytest.CaptureFixture[str], files: Path) -> None:
    code, out, _ = call(capsys, "check", "--json", str(files / "form.yaml"))
    assert (code, json.loads(out)) == (0, [])


def test_check_reports_only_the_named_paths(capsys: pytest.CaptureFixture[str], files: Path) -> None:
    """Installed packs are loaded (references resolve) but only the named files are reported."""
    (files / "rule.yaml").write_text(textwrap.dedent("""\
        schema: cliniform/rule@1
        id: demo.crisis
        version: 1.0.0
        title: {en: Crisis, ar: أزمة}
        applies_to: {forms: [core.vitals]}
        when: systolic >= 180
        severity: critical
        summary: {en: Very high, ar: مرتفع جدا}
        """), "utf-8")
    code, out, _ = call(capsys, "check", "--json", str(files / "rule.yaml"))
    assert (code, json.loads(out)) == (0, [])


# -- eval ---------------------------------------------------------------------------------------

def test_eval_json(capsys: pytest.CaptureFixture[str], files: Path) -> None:
    (files / "answers.yaml").write_text("weight: 70\nheight: 175\nsmoker: 'yes'\npacks: '٢'\n", "utf-8")
    code, out, _ = call(capsys, "eval", str(files / "form.yaml"), "--answers", str(files / "answers.yaml"), "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"form", "answers", "calculated", "visible", "hidden", "required", "errors", "issues"}
    assert result["form"] == "demo.cli@1.0.0"
    assert result["answers"]["bmi"] == 22.9 and result["answers"]["packs"] == 2
    assert result["answers"]["weight"] == {"value": 70.0, "unit": "kg"}
    assert result["calculated"] == ["bmi"]
    assert "packs" in result["visible"] and result["hidden"] == []
    assert result["required"] == ["smoker"]
    assert result["errors"] == {} and result["issues"] == []


def test_eval_errors_exit_1_in_the_requested_language(capsys: pytest.CaptureFixture[str], files: Path) -> None:
    (files / "answers.json").write_text('{"weight": 900}', "utf-8")
    code, out, _ = call(capsys, "eval", str(files / "form.yaml"), "--answers", str(files / "answers.json"), "--json", "--locale", "ar")
    assert code == 1
    result = json.loads(out)
    assert set(result["errors"]) == {"weight", "smoker"}
    assert result["errors"]["smoker"] == ["هذا الحقل مطلوب."]
    assert "packs" in result["hidden"]


def test_eval_text_output_by_form_id(capsys: pytest.CaptureFixture[str], files: Path) -> None:
    (files / "answers.yaml").write_text("weight: 70\nheight: 175\n", "utf-8")
    code, out, _ = call(capsys, "eval", "core.vitals", "--answers", str(files / "answers.yaml"))
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert lines["form"].startswith('"core.vitals@')
    assert json.loads(lines["answers"])["bmi"] == 22.9
    assert code in (0, 1) and (code == 1) == (json.loads(lines["errors"]) != {})


def test_eval_problems(capsys: pytest.CaptureFixture[str], files: Path) -> None:
    (files / "answers.yaml").write_text("a: 1\n", "utf-8")
    code, _, err = call(capsys, "eval", "demo.nonexistent", "--answers", str(files / "answers.yaml"))
    assert code == 1 and "demo.nonexistent" in err
    code, _, err = call(capsys, "eval", str(files / "form.yaml"), "--answers", str(files / "missing.yaml"))
    assert code == 1 and "READ001" in err
    (files / "list.yaml").write_text("- 1\n- 2\n", "utf-8")
    code, _, err = call(capsys, "eval", str(files / "form.yaml"), "--answers", str(files / "list.yaml"))
    assert code == 1 and "mapping" in err


# -- test ---------------------------------------------------------------------------------------

def test_test_command_on_the_installed_packs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(capsys, "test", "--json", "core")
    assert code == 0
    outcomes = json.loads(out)
    assert outcomes and all(set(o) == {"definition", "name", "passed", "detail", "location"} for o in outcomes)
    assert all(o["definition"].startswith("core.") and o["passed"] for o in outcomes)
    code, out, _ = call(capsys, "test", "core")
    assert code == 0 and out.splitlines()[-1] == f"{len(outcomes)} passed, 0 failed"


def test_test_command_unknown_pack(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call(capsys, "test", "no_such_pack")
    assert code == 2 and "no_such_pack" in err


def test_test_command_reports_a_failing_test(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = tmp_path / "demo"
    (pack / "forms").mkdir(parents=True)
    (pack / "pack.yaml").write_text("schema: cliniform/pack@1\nid: demo\nversion: 1.0.0\ntitle: {en: Demo, ar: تجربة}\nlocales: [en, ar]\n", "utf-8")
    (pack / "forms" / "f.yaml").write_text(FORM.replace("demo.cli", "demo.f") + textwrap.dedent("""\
        tests:
          - name: right
            answers: {weight: 70, height: 175, smoker: false}
            expect: {values: {bmi: 22.9}, valid: true}
          - name: wrong on purpose
            answers: {weight: 70, height: 175}
            expect: {values: {bmi: 30}}
        """), "utf-8")
    monkeypatch.setenv("CLINIFORM_PACKS", str(tmp_path))
    code, out, _ = call(capsys, "test")
    assert code == 1
    assert "FAIL demo.f@1.0.0 :: wrong on purpose" in out
    assert out.splitlines()[-1] == "1 passed, 1 failed"


# -- --help on every command --------------------------------------------------------------------

def _command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths += _command_paths(sub, (*prefix, name))
    return paths


def test_help_on_every_command() -> None:
    paths = _command_paths(build_parser())
    assert {("check",), ("eval",), ("test",)} <= set(paths)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda p: (p, run(*p, "--help")), paths))
    for path, done in results:
        assert done.returncode == 0, (path, done.stderr)
        assert done.stdout.startswith("usage: cliniform" + "".join(f" {p}" for p in path)), (path, done.stdout[:200])
        assert len(done.stdout.splitlines()) >= 3, path


def test_version() -> None:
    done = run("--version")
    assert done.returncode == 0 and done.stdout.startswith("cliniform ")
