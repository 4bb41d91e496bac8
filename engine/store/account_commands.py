"""Operator commands for clinics and accounts (the first administrator of a clinic, and
accounts that work in several clinics, which no clinic's administrator may change):

    cliniform clinic create CODE NAME [--name-ar NAME]
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
from engine.store.errors import AccountError, DuplicateError, NotFoundError
from engine.store.models import ROLES
from engine.store.records import Actor, ClinicRecord
from engine.store.settings import load_settings
from engine.store.store import Store

STAFF_ROLES = tuple(r for r in ROLES if r != "patient-signing")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    clinic = subparsers.add_parser("clinic", help="clinics (tenants): create",
                                   description="Create a clinic (a tenant: every record belongs to one).")
    clinic_sub = clinic.add_subparsers(dest="clinic_command", metavar="SUBCOMMAND", title="subcommands")
    create = clinic_sub.add_parser("create", help="create a clinic", description="Create a clinic with a short CODE "
                                   "(what CLINIFORM_CLINIC names) and its NAME.")
    create.add_argument("code")
    create.add_argument("name")
    create.add_argument("--name-ar", default=None, help="the clinic's name in Arabic")
    create.set_defaults(handler=cmd_clinic_create)
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
