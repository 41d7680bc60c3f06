#!/usr/bin/env bash
# What `npm test` and `npm run demo` need on a fresh Debian 12 machine (as root), installed
# only when missing: the Debian packages (tests, then lab) and node_modules from the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-lab-deps.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
