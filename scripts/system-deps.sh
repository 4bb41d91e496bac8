#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only where they are missing.
# Needs root (as CI and the developer machines run) or sudo.
set -euo pipefail
need=()
have_initdb() { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_initdb || need+=(postgresql)
# browser tests drive Debian's Chromium (never a downloaded browser); Arabic and Latin fonts
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
command -v chromium >/dev/null 2>&1 || need+=(chromium)
for font in fonts-noto-core fonts-dejavu-core fonts-hosny-amiri; do have_pkg "$font" || need+=("$font"); done
command -v npm >/dev/null 2>&1 || need+=(npm)
if ((${#need[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "system-deps: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
