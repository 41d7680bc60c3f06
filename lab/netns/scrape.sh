#!/usr/bin/env bash
# One Prometheus scrape of `lvsha exporter` on this lab host (run it inside a host,
# e.g. `in_host frontal1 lab/netns/scrape.sh`): starts the exporter on loopback,
# waits (bounded) for it, fetches /metrics once, stops it by PID.
# First line: `probes ok: a,b; failed: c` (from lvsha_probe_success), then the body.
set -uo pipefail
PORT=${1:-9469}
LVSHA=${LVSHA_BIN:-lvsha}
log=$(mktemp); body=$(mktemp)
"$LVSHA" exporter --listen "127.0.0.1:$PORT" 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$log" "$body"' EXIT
ok=0
for _ in $(seq 1 100); do   # ≤ 20 s
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then ok=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
[[ $ok == 1 ]] || { echo "exporter did not listen on 127.0.0.1:$PORT"; cat "$log"; exit 1; }
curl -s --max-time 20 "http://127.0.0.1:$PORT/metrics" >"$body" || { echo "scrape failed"; exit 1; }
good=$(sed -n 's/^lvsha_probe_success{probe="\([^"]*\)"} 1$/\1/p' "$body" | sort | paste -sd, -)
bad=$(sed -n 's/^lvsha_probe_success{probe="\([^"]*\)"} 0$/\1/p' "$body" | sort | paste -sd, -)
echo "probes ok: ${good:-none}; failed: ${bad:-none}"
cat "$body"
