"""`cliniform db upgrade|current` on both backends, and the help texts."""

from __future__ import annotations

import json

import pytest

from engine.cli import build_parser, main
from engine.store.migrate import head_revision


def test_db_current_then_upgrade_then_current(empty_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "current", "--database-url", empty_url]) == 1
    assert "run `cliniform db upgrade`" in capsys.readouterr().out
    assert main(["db", "upgrade", "--database-url", empty_url]) == 0
    assert f"migrated from an empty database to revision {head_revision()}" in capsys.readouterr().out
    assert main(["db", "upgrade", "--database-url", empty_url]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main(["db", "current", "--json", "--database-url", empty_url]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["current"], report["up_to_date"]) == (head_revision(), True)


def test_database_url_comes_from_the_environment(
    empty_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINIFORM_DATABASE_URL", empty_url)
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    assert "(up to date)" in capsys.readouterr().out


def test_unreachable_database_gets_a_message_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
    assert main(["db", "upgrade", "--database-url", url]) == 1
    assert "cannot migrate postgresql+psycopg://nobody@127.0.0.1:1/none" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "current"], ["audit", "verify"],
                                     ["backup"], ["restore"]])
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([*command, "--help"])
    assert done.value.code == 0
    assert "--database-url" in capsys.readouterr().out


def test_group_without_subcommand_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db"]) == 2
    assert "upgrade" in capsys.readouterr().err
