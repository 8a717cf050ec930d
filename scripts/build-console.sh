#!/usr/bin/env bash
# Builds the web console (console/, TypeScript + Preact + Vite) into
# console/dist, which `cargo build` embeds in the server binary
# (crates/slipway-console). Needs Node.js >= 20.19 and npm; the Rust build
# itself never runs Node. `npm ci` installs exactly console/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../console"
if ! command -v node >/dev/null 2>&1; then
  echo "build-console.sh: Node.js is not installed (apt-get install nodejs npm, version >= 20.19)" >&2
  exit 1
fi
echo "== web console: npm ci ($(node --version))"
npm ci --no-audit --no-fund --loglevel=error
echo "== web console: type check and vite build -> console/dist"
npm run --silent build
