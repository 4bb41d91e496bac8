#!/usr/bin/env bash
# Front-end assets from the npm registry (pinned in package.json / package-lock.json),
# copied into renderer/web/static/vendor/. Run by `make run` and `make test`; never a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
vendor=renderer/web/static/vendor
stamp=node_modules/.cliniform-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  touch "$stamp"
fi
mkdir -p "$vendor"
copy() { cmp -s "$1" "$2" || cp "$1" "$2"; }
copy node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx.min.js"
copy node_modules/signature_pad/dist/signature_pad.umd.min.js "$vendor/signature_pad.umd.min.js"
