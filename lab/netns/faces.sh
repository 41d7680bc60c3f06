#!/usr/bin/env bash
# One verdict, three faces, on the live lab: for every director and real server, the state of
# each check as the plugin gives it (exit code), as the exporter gives it (/probe's
# lvsha_check_status) and as doctor gives it (--json row), read side by side; vip: plugin and
# doctor (the exporter has no vip verdict). Run it on the monitoring host with the lab's SSH
# options:  in_host mon lab/netns/faces.sh $SSH   (or: lvsha lab run -- lab/netns/faces.sh $SSH)
# First line: `faces agree: N verdicts (check host=state ...)` or `faces disagree: check host
# plugin=X exporter=Y doctor=Z; ...`. Exit 0 when they agree, 1 otherwise.
# The three are read at about the same time (plugins in parallel, then doctor and the
# exporter): run it on a settled lab, as the scenarios' expectations do.
set -uo pipefail
PORT=${FACES_PORT:-9472}
LVSHA=${LVSHA_BIN:-lvsha}
T=${FACES_TIMEOUT:-60}
DIRECTORS=(frontal1=192.168.0.1 frontal2=192.168.0.2)
REALS=(reel1=192.168.0.4 reel2=192.168.0.5)
tmp=$(mktemp -d)
"$LVSHA" exporter --listen "127.0.0.1:$PORT" -t "$T" "$@" >"$tmp/exporter.log" 2>&1 &
epid=$!
pids=()
stop() {
  for p in "${pids[@]}" "$epid"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 1 50); do kill -0 "$epid" 2>/dev/null || break; sleep 0.1; done   # ≤ 5 s
  kill -KILL "$epid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap stop EXIT

# 1. The plugins, in parallel (each bounded by -t).
plugin() { # name check host address extra...
  local out=$1 check=$2; shift 2
  "$LVSHA" check "$check" -t "$T" "$@" >"$tmp/$out.out" 2>&1
  echo $? >"$tmp/$out.rc"
}
for d in "${DIRECTORS[@]}"; do
  n=${d%%=*} a=${d#*=}
  for c in ipvs heartbeat sync sorry; do plugin "plugin.$c.$n" "$c" -H "$a" "$@" & pids+=($!); done
done
for r in "${REALS[@]}"; do
  n=${r%%=*} a=${r#*=}
  plugin "plugin.arp.$n" arp -H "$a" "$@" & pids+=($!)
done
plugin "plugin.vip.frontal1+frontal2" vip "$@" & pids+=($!)

# 2. doctor, meanwhile (its rows in parallel, bounded by -t each).
"$LVSHA" doctor --json -t "$T" "$@" >"$tmp/doctor.json" 2>"$tmp/doctor.err" & pids+=($!)

# 3. The exporter's /probe verdicts (after it listens; bounded).
ok=0
for _ in $(seq 1 150); do   # ≤ 30 s
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then ok=1; break; fi
  kill -0 "$epid" 2>/dev/null || break
  sleep 0.2
done
if [[ $ok == 1 ]]; then
  for d in "${DIRECTORS[@]}"; do
    curl -s --max-time $((T + 15)) -G "http://127.0.0.1:$PORT/probe" --data-urlencode module=director --data-urlencode "target=${d#*=}" >"$tmp/exporter.${d%%=*}.prom" &
    pids+=($!)
  done
  for r in "${REALS[@]}"; do
    curl -s --max-time $((T + 15)) -G "http://127.0.0.1:$PORT/probe" --data-urlencode module=realserver --data-urlencode "target=${r#*=}" >"$tmp/exporter.${r%%=*}.prom" &
    pids+=($!)
  done
fi
wait "${pids[@]}" 2>/dev/null
pids=()

names=(OK WARNING CRITICAL UNKNOWN)
agree=() disagree=()
# doctor's row state for (check, host): from its JSON, one row a line.
doctor_state() {
  node -e '
    const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const r = j.results.find((x) => x.check === process.argv[2] && x.host === process.argv[3]);
    process.stdout.write(r ? String(r.exitCode) : "-");
  ' "$tmp/doctor.json" "$1" "$2" 2>/dev/null || printf -- '-'
}
exporter_state() { # check host
  sed -n "s/^lvsha_check_status{check=\"$1\"} \([0-9]\)$/\1/p" "$tmp/exporter.$2.prom" 2>/dev/null | head -n 1
}
compare() { # check host with_exporter
  local c=$1 h=$2 p e d
  p=$(cat "$tmp/plugin.$c.$h.rc" 2>/dev/null || echo -)
  d=$(doctor_state "$c" "$h")
  if [[ $3 == 1 ]]; then e=$(exporter_state "$c" "$h"); e=${e:--}; else e=$p; fi
  if [[ $p == "$e" && $p == "$d" && $p != - ]]; then
    agree+=("$c $h=${names[$p]}")
  else
    disagree+=("$c $h plugin=$p exporter=$e doctor=$d")
  fi
}
for d in "${DIRECTORS[@]}"; do for c in ipvs heartbeat sync sorry; do compare "$c" "${d%%=*}" 1; done; done
for r in "${REALS[@]}"; do compare arp "${r%%=*}" 1; done
compare vip frontal1+frontal2 0

if [[ ${#disagree[@]} -eq 0 ]]; then
  echo "faces agree: ${#agree[@]} verdicts (${agree[*]})"
  rc=0
else
  (IFS=';'; echo "faces disagree: ${disagree[*]}")
  rc=1
fi
# Details: each plugin's first line, doctor's rows, the exporter's verdicts.
for f in "$tmp"/plugin.*.out; do echo "== $(basename "$f" .out): rc $(cat "${f%.out}.rc") $(head -n 1 "$f")"; done
echo "== doctor: $(head -c 300 "$tmp/doctor.err")"
node -e 'for (const r of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results) console.log(`   ${r.check} ${r.host} ${r.state} ${r.summary}`)' "$tmp/doctor.json" 2>/dev/null
for f in "$tmp"/exporter.*.prom; do [[ -f $f ]] && echo "== $(basename "$f" .prom): $(grep -E '^lvsha_check_status' "$f" | tr '\n' ' ')"; done
[[ $ok == 1 ]] || { echo "== exporter did not listen"; cat "$tmp/exporter.log"; }
exit "$rc"
