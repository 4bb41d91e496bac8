"""`cliniform clinic create` and `cliniform users ...`: the operator's account commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine.cli import main
from engine.store import Database, Store


def test_the_first_administrator_of_a_new_clinic(database_url: str, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINIFORM_DATABASE_URL", database_url)
    assert main(["clinic", "create", "east", "East clinic"]) == 0
    assert "cliniform users create" in capsys.readouterr().out
    assert main(["clinic", "create", "east", "Again"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["users", "create", "Boss", "--name", "The Boss", "--role", "admin", "--clinic", "east"]) == 0
    password = re.search(r"temporary password (\S+)", capsys.readouterr().out)
    assert password is not None
    store = Store(Database.from_url(database_url))
    clinic = store.accounts.clinic_by_code("east")
    assert clinic is not None
    signed = store.accounts.sign_in(clinic.id, "boss", password.group(1))
    assert signed.user is not None and signed.must_change_password
    assert main(["users", "roles", "boss", "--role", "admin", "--role", "auditor", "--clinic", "east"]) == 0
    assert main(["users", "list", "--json", "--clinic", "east"]) == 0
    listed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert listed[0]["username"] == "boss" and listed[0]["roles"] == ["admin", "auditor"]
    token, _ = store.sessions.start(signed.user.id, clinic.id, idle_seconds=900, max_seconds=3600)
    assert main(["users", "disable", "boss", "--clinic", "east"]) == 0
    assert "1 session(s) ended" in capsys.readouterr().out
    assert store.sessions.resume(token).session is None
    assert main(["users", "enable", "boss", "--clinic", "east"]) == 0
    assert main(["users", "reset-password", "boss", "--clinic", "east"]) == 0
    assert "temporary password" in capsys.readouterr().out
    assert main(["users", "sign-out", "nobody", "--clinic", "east"]) == 2
    assert "not found" in capsys.readouterr().err
    store.db.dispose()


def test_the_operator_sets_a_clinics_letterhead_and_print_defaults(
        database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.engine.store.test_clinics import png

    monkeypatch.setenv("CLINIFORM_DATABASE_URL", database_url)
    assert main(["clinic", "create", "east", "East clinic"]) == 0
    capsys.readouterr()
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    assert main(["clinic", "settings", "east", "--address-en", "12 Zahran St", "--address-ar", "١٢ شارع زهران",
                 "--phone", "+962 6 555 0100", "--logo", str(logo), "--languages", "both", "--layout", "stacked",
                 "--timezone", "Asia/Amman", "--arabic-digits", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["address"] == {"en": "12 Zahran St", "ar": "١٢ شارع زهران"} and shown["phone"] == "+962 6 555 0100"
    assert shown["pdf"] == {"languages": "both", "layout": "stacked", "timezone": "Asia/Amman", "arabic_digits": True}
    assert len(shown["logo_sha256"]) == 64
    # every problem at once, each named by its option; nothing changes
    assert main(["clinic", "settings", "east", "--timezone", "Mars/Base", "--paper", "A3", "--logo", "/dev/null"]) == 2
    err = capsys.readouterr().err
    assert "--timezone: unknown time zone 'Mars/Base'" in err and "--paper:" in err and "--logo:" in err
    # '' clears a setting back to the deployment default; --no-logo removes the logo
    assert main(["clinic", "settings", "east", "--timezone", "", "--no-logo", "--no-arabic-digits"]) == 0
    out = capsys.readouterr().out
    assert "timezone:          (deployment default)" in out and "arabic digits:     false" in out
    assert "layout:            stacked" in out
    assert re.search(r"^logo: +$", out, re.M)
    assert main(["clinic", "settings", "nowhere"]) == 2
    assert "not found" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["clinic", "create"], ["clinic", "settings"], ["users", "create"], ["users", "roles"], ["users", "list"],
                                     ["users", "reset-password"], ["users", "disable"], ["users", "sign-out"]])
def test_every_account_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0 and "usage: cliniform" in capsys.readouterr().out
