#!/usr/bin/env bash
# The demo (README's first command, `npm run demo`): installs what is missing, brings the
# reference deployment up in the lab (VM tier when this kernel has no IPVS), runs
# `lvsha doctor` and one exporter scrape against it, walks through two faults showing
# the checks' state changes, and tears everything down (also on failure or Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
say() { printf '\n\033[1m== %s\033[0m (%s s)\n' "$*" "$(( $(date +%s) - t0 ))"; }
[[ $(id -u) == 0 ]] || { echo "demo: run as root (network namespaces, qemu)" >&2; exit 1; }

say "dependencies"
scripts/install-lab-deps.sh
[[ -f dist/cli.js ]] || npx tsc -p tsconfig.json
LVSHA="node bin/lvsha"

trap '$LVSHA lab down >/dev/null 2>&1 || true' EXIT INT TERM
say "lab up (the reference deployment: two Heartbeat directors, ldirectord, two real servers)"
$LVSHA lab up
tier=$(cat .lab/tier)

say "lvsha doctor, from the lab's monitoring host"
# `lab up` returned once the deployment is healthy (VIP once, peers active, ldirectord's table
# loaded, sync daemons, real servers answering), so this first table is all OK on the VM tier;
# on the namespace tier the ipvs and sync rows are CRITICAL by nature (no IPVS in the host kernel).
# -t 60: under qemu TCG a doctor row takes 9-24 s (lab/README.md, "Measured 2026-11-30").
if [[ $tier == vm ]]; then $LVSHA lab run -- lvsha doctor -t 60 || true; else $LVSHA lab run -- lvsha doctor || true; fi

say "one Prometheus scrape of lvsha exporter on frontal1 (first lines)"
$LVSHA lab run --host frontal1 -- lab/netns/scrape.sh | grep -E '^(probes|lvsha_(vip|heartbeat_up|ipvs_backend_weight|check_status))' || true

say "fault 1: the active director crashes"
$LVSHA lab scenario director-crash || true
if [[ $tier == vm ]]; then
  say "fault 2: every real server down (ldirectord engages the sorry server)"
  $LVSHA lab scenario all-real-servers-down || true
else
  say "fault 2: a real server leaks ARP for the VIP"
  $LVSHA lab scenario arp-leak || true
fi

say "lab down"
$LVSHA lab down
trap - EXIT INT TERM
say "demo done on the $tier tier in $(( $(date +%s) - t0 )) s"
