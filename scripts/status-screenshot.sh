#!/usr/bin/env bash
# Regenerates docs/status.png (shown in README's "Status page"): the browser test's first case,
# an `lvsha exporter` replaying frontal1's real captured state with reel2 taken out of the table
# by ldirectord (test/exporter/status-replay.ts), seen in headless Debian chromium through
# playwright-core. Needs root (the client tests' rule) and chromium (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
out="$PWD/docs/status.png"
LVSHA_STATUS_SCREENSHOT="$out" npx jest test/clients/status-browser.test.ts -t 'frontal1 holds the VIP and reel2 is down'
[[ -s "$out" ]] || { echo "status-screenshot: no screenshot written (was the test skipped?)" >&2; exit 1; }
echo "status-screenshot: wrote $out"
