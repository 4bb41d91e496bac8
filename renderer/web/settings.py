"""Web settings, read from the environment in one place (`load_settings`), never at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.store.settings import StoreSettings
from engine.store.settings import load_settings as load_store_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class WebSettings:
    """How the web app runs. Tests build their own; `cliniform serve` reads the environment."""

    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False
    #: UI languages offered; the first is the default
    locales: tuple[str, ...] = ("en", "ar")
    #: show numbers in Arabic-Indic digits when the UI is Arabic, for a clinic that has not
    #: chosen (its own choice is a clinic setting: /admin/clinic)
    arabic_digits: bool = False
    #: how long each process keeps a clinic's settings before reading them again
    #: (renderer/web/clinic_settings.py): a change shows in other processes within this
    clinic_cache_seconds: float = 30.0
    #: where the packs are (None: $CLINIFORM_PACKS or the project's folders)
    pack_roots: tuple[Path, ...] | None = None
    #: gettext catalogs (locale/<lang>/LC_MESSAGES/messages.mo)
    locale_dir: Path = PROJECT_ROOT / "locale"
    #: largest upload accepted at all; items may set a lower max_size_kb
    max_upload_kb: int = 10_240
    #: most fields one form post may carry (a periodontal chart posts about 2,000: a control
    #: and a visibility marker per cell); Litestar's default of 1,000 refuses large grids
    max_form_fields: int = 10_000
    log_level: str = "INFO"
    store: StoreSettings = field(default_factory=StoreSettings)
    #: the clinic (tenant code) people sign in to
    clinic: str = "demo"
    #: keys the CSRF tokens; empty: a random key kept in var/secret.key (one host only:
    #: set it, the same on every host, when several hosts serve the clinic)
    secret_key: str = ""
    #: sign-in lasts at most this long, and ends after this long without a request
    session_max_hours: float = 12.0
    session_idle_minutes: float = 15.0
    #: the page warns this long before the idle timeout signs the person out
    session_warning_seconds: int = 120
    #: mark cookies Secure and send HSTS (also done for any request that arrived over https)
    secure_cookies: bool = False
    #: the permission matrix (None: renderer/web/permissions.yaml)
    permissions_file: Path | None = None
    #: a nurse's care window: patients with an encounter this recent (or open)
    care_window_days: int = 30
    #: how long break-glass (emergency) access to one patient lasts
    break_glass_minutes: float = 60.0
    #: sign-in lockout: this many failures in `login_lock_minutes` lock the name that long
    login_max_failures: int = 5
    login_lock_minutes: float = 15.0
    #: an address (a whole clinic behind NAT, perhaps) is locked after this many failures
    login_max_failures_per_address: int = 50
    #: the reverse proxies whose X-Forwarded-For/-Proto are believed (comma-separated IPs,
    #: e.g. 127.0.0.1); empty: none, the peer address is the client
    forwarded_allow_ips: str = ""
    #: a consent signing link (tablet or kiosk) works this long, once
    signing_link_minutes: float = 10.0

    @property
    def default_locale(self) -> str:
        return self.locales[0]


def load_settings(environ: Mapping[str, str] | None = None) -> WebSettings:
    """Read ``CLINIFORM_*`` variables from ``environ`` (default: os.environ)."""
    env = os.environ if environ is None else environ
    locales = tuple(x.strip() for x in env.get("CLINIFORM_LOCALES", "en,ar").split(",") if x.strip())
    packs = env.get("CLINIFORM_PACKS", "").strip()
    return WebSettings(
        host=env.get("CLINIFORM_HOST", "127.0.0.1"),
        port=int(env.get("CLINIFORM_PORT", "8000")),
        debug=_flag(env.get("CLINIFORM_DEBUG")),
        locales=locales or ("en", "ar"),
        arabic_digits=_flag(env.get("CLINIFORM_ARABIC_DIGITS")),
        clinic_cache_seconds=float(env.get("CLINIFORM_CLINIC_CACHE_SECONDS", "30")),
        pack_roots=tuple(Path(p) for p in packs.split(os.pathsep) if p) if packs else None,
        locale_dir=Path(env.get("CLINIFORM_LOCALE_DIR", str(PROJECT_ROOT / "locale"))),
        max_upload_kb=int(env.get("CLINIFORM_MAX_UPLOAD_KB", "10240")),
        max_form_fields=int(env.get("CLINIFORM_MAX_FORM_FIELDS", "10000")),
        log_level=env.get("CLINIFORM_LOG_LEVEL", "INFO").upper(),
        store=load_store_settings(env),
        clinic=env.get("CLINIFORM_CLINIC", "demo").strip() or "demo",
        secret_key=env.get("CLINIFORM_SECRET_KEY", ""),
        session_max_hours=float(env.get("CLINIFORM_SESSION_MAX_HOURS", "12")),
        session_idle_minutes=float(env.get("CLINIFORM_SESSION_IDLE_MINUTES", "15")),
        session_warning_seconds=int(env.get("CLINIFORM_SESSION_WARNING_SECONDS", "120")),
        secure_cookies=_flag(env.get("CLINIFORM_SECURE_COOKIES")),
        permissions_file=Path(env["CLINIFORM_PERMISSIONS"]) if env.get("CLINIFORM_PERMISSIONS") else None,
        care_window_days=int(env.get("CLINIFORM_CARE_WINDOW_DAYS", "30")),
        break_glass_minutes=float(env.get("CLINIFORM_BREAK_GLASS_MINUTES", "60")),
        login_max_failures=int(env.get("CLINIFORM_LOGIN_MAX_FAILURES", "5")),
        login_lock_minutes=float(env.get("CLINIFORM_LOGIN_LOCK_MINUTES", "15")),
        login_max_failures_per_address=int(env.get("CLINIFORM_LOGIN_MAX_FAILURES_PER_ADDRESS", "50")),
        forwarded_allow_ips=env.get("CLINIFORM_FORWARDED_ALLOW_IPS", "").strip(),
        signing_link_minutes=float(env.get("CLINIFORM_SIGNING_LINK_MINUTES", "10")),
    )
