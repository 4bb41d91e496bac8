#!/usr/bin/env bash
# Installs the Debian packages Cliniform needs, only where they are missing.
#   scripts/system-deps.sh runtime   what the app needs (`make run`): Pango, HarfBuzz
#                                    subsetting and the fonts for PDFs, npm for the assets
#   scripts/system-deps.sh [all]     also what the test suite needs (`make test`)
#   scripts/system-deps.sh bench     all of that and the load generator (`make bench`)
# Needs root (as CI and the developer machines run) or sudo.
set -euo pipefail
mode="${1:-all}"
need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
# PDFs (WeasyPrint): Pango and HarfBuzz; without libharfbuzz-subset0 WeasyPrint takes a ~5x
# slower path. Fonts from packages, never the web: Noto (Sans, Naskh Arabic, Symbols2),
# Amiri, DejaVu as the last fallback.
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-core fonts-dejavu-core fonts-hosny-amiri; do
  have_pkg "$pkg" || need+=("$pkg")
done
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "$mode" != "runtime" ]; then
  have_initdb() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
  have_initdb || need+=(postgresql)
  # browser tests drive Debian's Chromium (never a downloaded browser)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # PDF tests read PDFs back: pdftotext, pdffonts, pdftoppm
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
fi
if [ "$mode" = "bench" ]; then
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
fi
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "system-deps: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
