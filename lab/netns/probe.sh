#!/usr/bin/env bash
# The exporter's /probe modules against the lab, each body through `promtool check metrics`.
# Run it on the monitoring host with the lab's SSH options, e.g.
#   in_host mon lab/netns/probe.sh $SSH      (or: lvsha lab run -- lab/netns/probe.sh $SSH)
# It starts `lvsha exporter` on loopback (the arguments are added to its command line),
# waits (bounded) for it, fetches
#   /probe?module=director&target=192.168.0.1     (over SSH)
#   /probe?module=realserver&target=192.168.0.4   (over SSH)
#   /probe?module=sorry&target=http://192.168.0.1:80/  (HTTP from here: the directors'
#                                                      sorry server listens on 0.0.0.0:80)
# and stops it by PID. First line, one part per module:
#   probe director: promtool clean, ok heartbeat,ipvs,sync,vip, failed none, checks heartbeat=0 ... | realserver: ... | sorry: ..., page up 1
# (ok/failed = lvsha_probe_success 1/0; checks = lvsha_check_status; `promtool N lines` when promtool said something).
# Then each module's promtool output, probe and check lines. Exit 0 when every fetch
# answered and promtool printed nothing with rc 0 for every body, else 1.
set -uo pipefail
PORT=${PROBE_PORT:-9471}
LVSHA=${LVSHA_BIN:-lvsha}
PROMTOOL=${PROMTOOL:-promtool}
DIRECTOR=${PROBE_DIRECTOR:-192.168.0.1}
REAL=${PROBE_REAL:-192.168.0.4}
tmp=$(mktemp -d)
"$LVSHA" exporter --listen "127.0.0.1:$PORT" -t 30 "$@" >"$tmp/log" 2>&1 &
pid=$!
stop() {
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done   # ≤ 5 s
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap stop EXIT
ok=0
for _ in $(seq 1 150); do   # ≤ 30 s (first node start in the VM: cold 9p cache)
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then ok=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
[[ $ok == 1 ]] || { echo "exporter did not listen on 127.0.0.1:$PORT"; cat "$tmp/log"; exit 1; }

rc=0; parts=(); details=()
for m in director realserver sorry; do
  case $m in
    director) target=$DIRECTOR ;;
    realserver) target=$REAL ;;
    sorry) target="http://$DIRECTOR:80/" ;;
  esac
  body="$tmp/$m.prom"
  code=$(curl -s -o "$body" -w '%{http_code}' --max-time 45 -G "http://127.0.0.1:$PORT/probe" \
    --data-urlencode "module=$m" --data-urlencode "target=$target")
  if [[ $? -ne 0 || $code != 200 ]]; then
    parts+=("$m: HTTP ${code:-none}"); rc=1
    details+=("== $m ($target): fetch failed, HTTP ${code:-none}" "$(head -c 2000 "$body" 2>/dev/null)")
    continue
  fi
  said=$("$PROMTOOL" check metrics <"$body" 2>&1); prc=$?
  if [[ $prc -eq 0 && -z $said ]]; then pt="promtool clean"; else pt="promtool rc $prc, $(printf '%s\n' "$said" | grep -c .) lines"; rc=1; fi
  good=$(sed -n 's/^lvsha_probe_success{probe="\([^"]*\)"} 1$/\1/p' "$body" | sort | paste -sd, -)
  bad=$(sed -n 's/^lvsha_probe_success{probe="\([^"]*\)"} 0$/\1/p' "$body" | sort | paste -sd, -)
  part="$m: $pt, ok ${good:-none}, failed ${bad:-none}"
  # The checks' verdicts (lvsha_check_status), e.g. `checks heartbeat=0 sorry=0`.
  checks=$(sed -n 's/^lvsha_check_status{check="\([^"]*\)"} \([0-9]\)$/\1=\2/p' "$body" | sort | paste -sd' ' -)
  [[ -n $checks ]] && part+=", checks $checks"
  [[ $m == sorry ]] && part+=", page up $(sed -n 's/^lvsha_sorry_up \([0-9]*\)$/\1/p' "$body")"
  parts+=("$part")
  details+=("== $m ($target): $(wc -c <"$body") bytes" "${said:+$said}" "$(grep -E '^lvsha_(probe_success|check_status)[{ ]' "$body")")
done
(IFS='|'; line="${parts[*]}"; echo "probe ${line//|/ | }")
printf '%s\n' "${details[@]}" | grep -v '^$'
[[ $rc == 0 ]] || { echo "== exporter log"; cat "$tmp/log"; }
exit "$rc"
