"""What PDFs need from the system, checked: WeasyPrint, HarfBuzz subsetting, the fonts.

The print stack (print.css) names these families; all come from Debian packages
(scripts/system-deps.sh installs them), never from the web.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import asdict, dataclass

#: family -> the Debian package that provides it, in print-stack order
FONTS: dict[str, str] = {
    "Noto Sans": "fonts-noto-core",
    "Noto Naskh Arabic": "fonts-noto-core",
    "Noto Sans Symbols2": "fonts-noto-core",
    "DejaVu Sans": "fonts-dejavu-core",
}
#: PostScript name prefixes of the fonts a print may embed (tests check pdffonts against it)
EXPECTED_EMBEDDED = ("Noto-Sans", "Noto-Naskh-Arabic", "Noto-Sans-Symbols2", "DejaVu-Sans")


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def installed_families() -> set[str]:
    """Font families fontconfig knows (empty when fc-list is missing)."""
    if shutil.which("fc-list") is None:
        return set()
    out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",")}


def run_checks() -> list[Check]:
    checks: list[Check] = []
    try:
        import weasyprint
        from weasyprint.text import ffi

        checks.append(Check("weasyprint", True, weasyprint.__version__))
        subset = getattr(ffi, "harfbuzz_subset", None) is not None
        checks.append(Check("libharfbuzz-subset0", subset,
                            "found" if subset else "missing: WeasyPrint takes a ~5x slower path; install libharfbuzz-subset0"))
    except (ImportError, OSError) as error:
        checks.append(Check("weasyprint", False, f"{error}; install the pdf extra and libpango-1.0-0"))
    families = installed_families()
    for family, package in FONTS.items():
        ok = family in families
        checks.append(Check(f"font {family}", ok, "installed" if ok else f"missing: install {package}"))
    return checks
