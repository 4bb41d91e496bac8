"""Operator commands for clinics and accounts (the first administrator of a clinic, and
accounts that work in several clinics, which no clinic's administrator may change):

    cliniform clinic create CODE NAME [--name-ar NAME]
    cliniform clinic settings CODE [--name NAME] [--address-en TEXT] [--logo FILE] ... [--json]
    cliniform users list [--clinic CODE] [--json]
    cliniform users create USERNAME --name NAME --role ROLE [--role ROLE ...] [--clinic CODE]
    cliniform users roles USERNAME --role ROLE [...] [--clinic CODE]
    cliniform users reset-password USERNAME [--clinic CODE]
    cliniform users disable|enable|sign-out USERNAME [--clinic CODE]

They act as the operator (the system actor of the clinic; audited as such). A new account
or a reset gets a temporary password, printed once, that must be changed at the first
sign-in. Exit status: 0 done, 2 refused or bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys

from engine.store.accounts import Member
from engine.store.clinics import (
    LANGUAGES,
    LAYOUTS,
    LOGO_MAX_BYTES,
    PAPERS,
    ClinicChanges,
    ClinicProfile,
)
from engine.store.errors import AccountError, DuplicateError, InvalidSettingsError, NotFoundError
from engine.store.models import ROLES
from engine.store.records import Actor, ClinicRecord
from engine.store.settings import load_settings
from engine.store.store import Store

STAFF_ROLES = tuple(r for r in ROLES if r != "patient-signing")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    clinic = subparsers.add_parser("clinic", help="clinics (tenants): create, settings",
                                   description="Create a clinic (a tenant: every record belongs to one) "
                                   "or show and change its settings.")
    clinic_sub = clinic.add_subparsers(dest="clinic_command", metavar="SUBCOMMAND", title="subcommands")
    create = clinic_sub.add_parser("create", help="create a clinic", description="Create a clinic with a short CODE "
                                   "(what CLINIFORM_CLINIC names) and its NAME.")
    create.add_argument("code")
    create.add_argument("name")
    create.add_argument("--name-ar", default=None, help="the clinic's name in Arabic")
    create.set_defaults(handler=cmd_clinic_create)
    _settings_parser(clinic_sub)
    clinic.set_defaults(handler=lambda _a: _usage(clinic))

    users = subparsers.add_parser("users", help="accounts: list, create, roles, reset-password, disable, enable, sign-out",
                                  description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = users.add_subparsers(dest="users_command", metavar="SUBCOMMAND", title="subcommands")
    listing = _clinic(sub.add_parser("list", help="the accounts with a role in the clinic"))
    listing.add_argument("--json", action="store_true", help="print the accounts as JSON")
    listing.set_defaults(handler=cmd_list)
    new = _clinic(sub.add_parser("create", help="a new account with a temporary password (printed once)"))
    new.add_argument("username")
    new.add_argument("--name", required=True, help="the person's name as shown in the app")
    _roles(new).set_defaults(handler=cmd_create)
    roles = _clinic(sub.add_parser("roles", help="set the account's roles in the clinic (exactly these)"))
    roles.add_argument("username")
    _roles(roles).set_defaults(handler=cmd_roles)
    for name, helptext, handler in (
        ("reset-password", "a new temporary password (printed once); every session ends", cmd_reset),
        ("disable", "the account cannot sign in any more; every session ends", cmd_disable),
        ("enable", "the account can sign in again", cmd_enable),
        ("sign-out", "end every session of the account (a lost device)", cmd_sign_out),
    ):
        command = _clinic(sub.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + "."))
        command.add_argument("username")
        command.set_defaults(handler=handler)
    users.set_defaults(handler=lambda _a: _usage(users))


SETTINGS_HELP = """\
Show a clinic's settings, or change the ones given: its names, the letterhead of its PDFs
(address, phone, logo) and its print defaults. A default the clinic has not chosen comes
from the deployment (CLINIFORM_PDF_LANGUAGES, _LAYOUT, _PAPER, CLINIFORM_TIMEZONE,
CLINIFORM_ARABIC_DIGITS); an empty value ('') clears a setting back to that. Every change is
checked (all problems reported at once) and audited as the clinic's system actor. The web
app's pages see a change within CLINIFORM_CLINIC_CACHE_SECONDS (default 30).

examples:
  cliniform clinic settings demo
  cliniform clinic settings demo --address-en "12 Zahran St, Amman" --phone "+962 6 555 0100"
  cliniform clinic settings demo --logo logo.png --languages both --timezone Asia/Amman --arabic-digits
"""


def _settings_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("settings", help="show or change a clinic's names, letterhead and print defaults",
                            description=SETTINGS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("code", help="the clinic's code")
    parser.add_argument("--name", metavar="NAME", help="the clinic's name in English")
    parser.add_argument("--name-ar", metavar="NAME", help="the clinic's name in Arabic")
    parser.add_argument("--address-en", metavar="TEXT", help="the address printed on the letterhead, in English")
    parser.add_argument("--address-ar", metavar="TEXT", help="the address printed on the letterhead, in Arabic")
    parser.add_argument("--phone", metavar="TEXT", help="the phone number printed on the letterhead")
    logo = parser.add_mutually_exclusive_group()
    logo.add_argument("--logo", metavar="FILE", help=f"the letterhead logo: a PNG or JPEG file, at most "
                      f"{LOGO_MAX_BYTES // 1024} KB")
    logo.add_argument("--no-logo", action="store_true", help="remove the logo")
    parser.add_argument("--languages", metavar="en|ar|both", help=f"PDFs in: {', '.join(LANGUAGES)}")
    parser.add_argument("--layout", metavar="side|stacked", help=f"bilingual PDFs: {', '.join(LAYOUTS)}")
    parser.add_argument("--paper", metavar="A4|letter", help=f"paper size: {', '.join(PAPERS)}")
    parser.add_argument("--timezone", metavar="ZONE", help="the clinic's time zone for printed times (IANA name, e.g. Asia/Amman)")
    parser.add_argument("--arabic-digits", action=argparse.BooleanOptionalAction, default=None,
                        help="Arabic-Indic digits (٠١٢٣) in Arabic pages and PDFs")
    parser.add_argument("--json", action="store_true", help="print the settings as JSON")
    parser.set_defaults(handler=cmd_clinic_settings)


def _clinic(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--clinic", default=os.environ.get("CLINIFORM_CLINIC", "demo"),
                        help="the clinic's code (default: $CLINIFORM_CLINIC, else demo)")
    return parser


def _roles(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--role", action="append", required=True, choices=STAFF_ROLES, help="a role (repeat for several)")
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _fail(message: str) -> int:
    print(f"cliniform: {message}", file=sys.stderr)
    return 2


def temporary_password() -> str:
    return "-".join(secrets.token_urlsafe(4) for _ in range(3))


def _open() -> Store:
    return Store.open(load_settings())


def _operator(store: Store, code: str) -> tuple[ClinicRecord, Actor]:
    clinic = store.accounts.clinic_by_code(code)
    if clinic is None:
        raise NotFoundError("clinic", code)
    return clinic, Actor.system(clinic.id)


def _run(args: argparse.Namespace, action: str) -> int:
    store = _open()
    try:
        clinic, operator = _operator(store, args.clinic)
        user = store.accounts.user_by_name(args.username)
        if user is None:
            raise NotFoundError("user", args.username)
        if action == "reset":
            password = temporary_password()
            store.accounts.set_password(operator, user.id, password, temporary=True)
            print(f"{user.username}: temporary password {password} (to be changed at the next sign-in)")
        elif action == "disable":
            ended = store.accounts.disable(operator, user.id)
            print(f"{user.username}: disabled; {ended} session(s) ended")
        elif action == "enable":
            store.accounts.enable(operator, user.id)
            print(f"{user.username}: enabled")
        elif action == "sign-out":
            ended = store.sessions.end_all(operator, user.id, "ended_by_operator")
            print(f"{user.username}: {ended} session(s) ended")
        elif action == "roles":
            store.accounts.set_roles(operator, user.id, tuple(args.role))
            print(f"{user.username}: roles in {clinic.code}: {', '.join(sorted(args.role))}")
    except (NotFoundError, AccountError, ValueError) as exc:
        return _fail(str(exc))
    finally:
        store.db.dispose()
    return 0


def cmd_clinic_create(args: argparse.Namespace) -> int:
    store = _open()
    try:
        clinic = store.accounts.create_clinic(args.code, args.name, args.name_ar)
    except DuplicateError as exc:
        return _fail(str(exc))
    finally:
        store.db.dispose()
    print(f"clinic {clinic.code} created (id {clinic.id}); add its first administrator with "
          f"`cliniform users create USERNAME --name NAME --role admin --clinic {clinic.code}`")
    return 0


def _changes(args: argparse.Namespace) -> ClinicChanges:
    """The options given on the command line (the others are left as they are)."""
    given: dict[str, object] = {k: v for k in ("name", "name_ar", "address_en", "address_ar", "phone", "languages",
                                                 "layout", "paper", "timezone", "arabic_digits")
                                if (v := getattr(args, k)) is not None}
    if args.no_logo:
        given["logo"] = None
    elif args.logo is not None:
        with open(args.logo, "rb") as handle:
            given["logo"] = handle.read()
    return ClinicChanges(**given)  # type: ignore[arg-type]


def settings_json(clinic: ClinicProfile) -> dict[str, object]:
    return {"id": clinic.id, "code": clinic.code, "name": clinic.name, "name_ar": clinic.name_ar,
            "address": dict(clinic.address), "phone": clinic.phone, "logo_sha256": clinic.logo_sha256,
            "pdf": clinic.pdf.chosen()}


def cmd_clinic_settings(args: argparse.Namespace) -> int:
    store = _open()
    try:
        found, operator = _operator(store, args.code)
        changes = _changes(args)
        clinic = store.clinics.update(operator, changes) if changes.given() else store.clinics.get(found.id)
    except InvalidSettingsError as exc:
        for key, message in exc.problems.items():
            print(f"cliniform: --{key.replace('_', '-')}: {message}", file=sys.stderr)
        return 2
    except (NotFoundError, OSError) as exc:
        return _fail(str(exc))
    finally:
        store.db.dispose()
    if args.json:
        print(json.dumps(settings_json(clinic), ensure_ascii=False))
        return 0
    chosen = clinic.pdf.chosen()
    rows = [("code", clinic.code), ("name", clinic.name), ("name (Arabic)", clinic.name_ar or ""),
            ("address", clinic.address.get("en", "")), ("address (Arabic)", clinic.address.get("ar", "")),
            ("phone", clinic.phone), ("logo", clinic.logo_sha256 or "")]
    rows += [(k.replace("_", " "), json.dumps(chosen[k]).strip('"') if k in chosen else "(deployment default)")
             for k in ("languages", "layout", "paper", "timezone", "arabic_digits")]
    for label, value in rows:
        print(f"{label + ':':<18} {value}")
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    store = _open()
    password = temporary_password()
    try:
        _, operator = _operator(store, args.clinic)
        user = store.accounts.create_user(operator, args.username, password, args.name, tuple(args.role),
                                          must_change_password=True)
    except (NotFoundError, DuplicateError, ValueError) as exc:
        return _fail(str(exc))
    finally:
        store.db.dispose()
    print(f"{user.username}: created in {args.clinic} ({', '.join(args.role)}); temporary password {password} "
          "(to be changed at the first sign-in)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    store = _open()
    try:
        _, operator = _operator(store, args.clinic)
        members: list[Member] = store.accounts.members(operator)
    except NotFoundError as exc:
        return _fail(str(exc))
    finally:
        store.db.dispose()
    if args.json:
        print(json.dumps([{"id": m.id, "username": m.username, "name": m.display_name, "active": m.active,
                           "roles": list(m.roles), "other_clinics": m.elsewhere,
                           "locked_until": m.locked_until.isoformat() if m.locked_until else None} for m in members]))
        return 0
    for m in members:
        state = "active" if m.active else "disabled"
        print(f"{m.username:<24} {state:<8} {','.join(m.roles):<28} {m.display_name}")
    return 0


def cmd_roles(args: argparse.Namespace) -> int:
    return _run(args, "roles")


def cmd_reset(args: argparse.Namespace) -> int:
    return _run(args, "reset")


def cmd_disable(args: argparse.Namespace) -> int:
    return _run(args, "disable")


def cmd_enable(args: argparse.Namespace) -> int:
    return _run(args, "enable")


def cmd_sign_out(args: argparse.Namespace) -> int:
    return _run(args, "sign-out")
