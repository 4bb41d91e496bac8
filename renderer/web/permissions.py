"""The permission matrix (permissions.yaml) and how routes declare what they need.

    @get("/patients/{patient_id:int}", opt=permission("patients.chart"))
    @post("/login", opt=PUBLIC)
    @get("/kiosk/{consent_id:int}/{token:str}", opt=SIGNING_TOKEN)

A route without a declaration is refused to everyone (and fails the generated
authorization test); a permission that the matrix does not define stops the app at start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.store.models import ROLES
from engine.store.scope import SCOPES

DEFAULT_FILE = Path(__file__).resolve().parent / "permissions.yaml"
SCHEMA = "cliniform/permissions@1"

#: anyone, signed in or not (CSRF still applies to their posts)
PUBLIC: dict[str, Any] = {"public": True}
#: anyone holding the one-time signing token in the URL (the route checks it itself);
#: patients act only through these
SIGNING_TOKEN: dict[str, Any] = {"public": True, "token": "signing"}
#: machine-to-machine JSON without cookies (CDS Hooks): no session, so no CSRF to forge
MACHINE: dict[str, Any] = {"public": True, "csrf": False}


def permission(name: str, **extra: Any) -> dict[str, Any]:
    """The ``opt`` of a route that needs ``name`` (extra keys: e.g. ``touch=False`` for a
    request that must not count as activity)."""
    return {"permission": name, **extra}


class PermissionsError(ValueError):
    """permissions.yaml is malformed, or a route names a permission it does not define."""


@dataclass(frozen=True, slots=True)
class Policy:
    """The loaded matrix: roles with their patient scope, permissions with their roles."""

    scopes: Mapping[str, str]
    permissions: Mapping[str, frozenset[str]]
    source: str = str(DEFAULT_FILE)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.scopes)

    def allows(self, roles: Iterable[str], name: str) -> bool:
        """Whether a user holding ``roles`` has permission ``name`` (unknown: never)."""
        allowed = self.permissions.get(name)
        return allowed is not None and bool(allowed & set(roles))

    def granted(self, roles: Iterable[str]) -> frozenset[str]:
        held = set(roles)
        return frozenset(name for name, allowed in self.permissions.items() if allowed & held)

    def scope(self, roles: Iterable[str]) -> str:
        """The widest patient scope of ``roles`` (``none`` when they have none)."""
        held = [self.scopes[r] for r in roles if r in self.scopes]
        return next((s for s in SCOPES if s in held), "none")


def load_policy(path: Path | None = None) -> Policy:
    """Read and check the matrix at ``path`` (default: the shipped permissions.yaml)."""
    path = path or DEFAULT_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PermissionsError(f"{path}: cannot read the permission matrix: {exc}") from exc
    return parse_policy(data, str(path))


def parse_policy(data: Any, source: str = "<permissions>") -> Policy:
    problems: list[str] = []
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise PermissionsError(f"{source}: expected a mapping with 'schema: {SCHEMA}'")
    roles = data.get("roles") or {}
    scopes: dict[str, str] = {}
    for role, spec in roles.items():
        scope = (spec or {}).get("scope") if isinstance(spec, dict) else None
        if role not in ROLES:
            problems.append(f"role {role!r} is not a role of the store ({', '.join(ROLES)})")
        elif scope not in SCOPES:
            problems.append(f"role {role!r}: scope must be one of {', '.join(SCOPES)} (got {scope!r})")
        else:
            scopes[role] = scope
    permissions: dict[str, frozenset[str]] = {}
    for name, allowed in (data.get("permissions") or {}).items():
        if not isinstance(allowed, list) or not all(isinstance(r, str) for r in allowed):
            problems.append(f"permission {name!r}: give a list of roles")
            continue
        unknown = [r for r in allowed if r not in scopes]
        if unknown:
            problems.append(f"permission {name!r} names undeclared roles {unknown}")
        permissions[name] = frozenset(r for r in allowed if r in scopes)
    if problems:
        raise PermissionsError(f"{source}: " + "; ".join(problems))
    return Policy(scopes, permissions, source)


def check_routes(policy: Policy, opts: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """Problems with the routes' declarations: (path, opt) pairs naming unknown permissions."""
    problems = []
    for path, opt in opts:
        name = opt.get("permission")
        if name is not None and name not in policy.permissions:
            problems.append(f"route {path} needs permission {name!r}, which {policy.source} does not define")
    return problems
