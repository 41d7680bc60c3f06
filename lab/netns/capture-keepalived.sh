#!/usr/bin/env bash
# (Re)capture keepalived's state from the namespace lab (LVSHA_LAB_HA=keepalived) into
# test/fixtures/real/keepalived/<scenario>/<director>/, laid out as the root tree that
# `--root DIR` replays:
#   run/keepalived.pid run/vrrp.pid [run/checkers.pid]   as keepalived left them
#   proc/<pid>/stat proc/<pid>/comm                     each pid of those files alive in the
#                                                       director's PID namespace (its own /proc)
#   tmp/keepalived.{json,data,stats}                    the dumps (fresh after signals 36, 10, 12
#                                                       when keepalived runs; else as left: stale)
#   dbus/state.txt dbus/getall.txt dbus/introspect.txt  dbus-send answers (or their error text)
#   ip/addr.json                                        ip -j addr of the director
#   capture.txt                                         scenario, commands, dump mtimes, date
# The VRRP password is masked in the copies: `"auth_data":"<value>"` and `Password = <value>`
# become 8 asterisks `********` whatever the value's length (VRRPv2 PASS: at most 8 bytes);
# the script fails if the lab's password is still found anywhere in the captures.
# Runs up.sh itself (LVSHA_LAB_HA=keepalived) and down.sh at the end (LVSHA_CAPTURE_KEEP_UP=1
# keeps the lab up). About 1.5 minutes.
set -euo pipefail
export LVSHA_LAB_HA=keepalived
. "$(dirname "$0")/lib.sh"
FIX="${LVSHA_FIXTURES:-$(cd "$LAB_NETNS_DIR/../.." && pwd)/test/fixtures/real}/keepalived"
K="$LAB_NETNS_DIR/keepalived.sh"
STAMP=$(date -u +%Y-%m-%dT%H:%M:%SZ)
KA_VERSION=$( { keepalived --version 2>&1 || true; } | head -1)   # it exits 2
TIMES="$STATE/capture-keepalived-times.txt"

"$LAB_NETNS_DIR/up.sh"
: >"$TIMES"
note() { log "$*"; printf '%s\n' "$*" >>"$TIMES"; }
PASS=$(awk '$1 == "auth_pass" { print $2; exit }' "$STATE/nodes/frontal1/keepalived/keepalived.conf")
[[ -n $PASS ]] || die "no auth_pass in frontal1's keepalived.conf"
rm -rf "${FIX:?}"
mkdir -p "$FIX"

# introspect HOST PATH DEPTH : Introspect of PATH and its child nodes, each after `==> PATH <==`.
introspect() {
  local h=$1 p=$2 depth=$3 out c
  out=$(ka_dbus "$h" --dest="$KA_BUS" "$p" org.freedesktop.DBus.Introspectable.Introspect 2>&1) || true
  printf '==> %s <==\n%s\n' "$p" "$out"
  (( depth > 0 )) || return 0
  for c in $(grep -o '<node name="[^"]*"' <<<"$out" | cut -d'"' -f2); do
    introspect "$h" "$p/$c" $(( depth - 1 ))
  done
}
mask() {   # mask FILE : the VRRP password in a dump copy
  sed -i -E 's/("auth_data":")[^"]*"/\1********"/g; s/^([[:space:]]*Password = ).*$/\1********/' "$1"
}

# cap SCENARIO HOST DESCRIPTION : everything of HOST, as the scenario left it.
cap() {
  local s=$1 h=$2 desc=$3 out r f p fresh=no
  out="$FIX/$s/$h"; r=$(hroot "$h")
  mkdir -p "$out/run" "$out/tmp" "$out/dbus" "$out/ip"
  if [[ -n "$(ka_parent "$h")" ]]; then "$K" dump "$h" >/dev/null; fresh=yes; fi
  for f in keepalived vrrp checkers; do
    [[ -e "$r/run/$f.pid" ]] || continue
    cp "$r/run/$f.pid" "$out/run/$f.pid"
    p=$(tr -dc '0-9' <"$r/run/$f.pid")
    [[ -n $p ]] || continue
    if in_host "$h" test -e "/proc/$p/stat"; then
      mkdir -p "$out/proc/$p"
      in_host "$h" cat "/proc/$p/stat" >"$out/proc/$p/stat"
      in_host "$h" cat "/proc/$p/comm" >"$out/proc/$p/comm"
    fi
  done
  for f in json data stats; do
    [[ -e "$r/tmp/keepalived.$f" ]] || continue
    cp "$r/tmp/keepalived.$f" "$out/tmp/keepalived.$f"; chmod 644 "$out/tmp/keepalived.$f"
    mask "$out/tmp/keepalived.$f"
  done
  ka_dbus "$h" --dest="$KA_BUS" "$KA_INSTANCE_PATH" org.freedesktop.DBus.Properties.Get \
    string:org.keepalived.Vrrp1.Instance string:State >"$out/dbus/state.txt" 2>&1 || true
  ka_dbus "$h" --dest="$KA_BUS" "$KA_INSTANCE_PATH" org.freedesktop.DBus.Properties.GetAll \
    string:org.keepalived.Vrrp1.Instance >"$out/dbus/getall.txt" 2>&1 || true
  introspect "$h" /org/keepalived/Vrrp1/Instance 3 >"$out/dbus/introspect.txt"
  ip -n "$(ns "$h")" -j addr >"$out/ip/addr.json"
  { printf 'scenario: %s\n' "$desc"
    printf 'director: %s (%s), VIP holders at capture: [%s]\n' "$h" "${IP[$h]}" "$(vip_holders)"
    printf 'keepalived: %s, started as: keepalived -f %s -n -l -D%s (lab/netns/lib.sh start_keepalived)\n' \
      "$KA_VERSION" "$KA_CONF" "$(ipvs_available || echo ' -P')"
    printf 'dumps: %s\n' "$([[ $fresh == yes ]] && echo 'fresh: lab/netns/keepalived.sh dump (signals 36, 10, 12; files newer than each signal)' || echo 'not signalled (keepalived not running): the files as keepalived left them')"
    for f in json data stats; do
      [[ -e "$r/tmp/keepalived.$f" ]] && printf 'mtime tmp/keepalived.%s: %s\n' "$f" "$(stat -c %.3Y "$r/tmp/keepalived.$f")"
    done
    printf 'captured at: %s (epoch %s) by lab/netns/capture-keepalived.sh, host kernel %s\n' "$(date -u +%FT%T.%3NZ)" "$(date +%s.%3N)" "$(uname -r)"
    printf 'dbus: dbus-send --system --print-reply --dest=%s %s org.freedesktop.DBus.Properties.Get string:org.keepalived.Vrrp1.Instance string:State (state.txt), .GetAll (getall.txt), Introspect below /org/keepalived/Vrrp1/Instance (introspect.txt); stdout and stderr\n' "$KA_BUS" "$KA_INSTANCE_PATH"
  } >"$out/capture.txt"
}
cap_both() { local h; for h in "${DIRECTORS[@]}"; do cap "$1" "$h" "$2"; done; note "captured $1: VIP on [$(vip_holders)]"; }
at_of() { sed -E 's/.*\(at ([0-9]+)\).*/\1/' <<<"$1"; }
step() { local o; o=$("$K" "$@"); note "$o"; printf '%s' "$o"; }

cap_both healthy "healthy: frontal1 MASTER (priority 150), frontal2 BACKUP (100), VIP on frontal1"

a=$(step script-fail frontal1); step wait-master frontal2 30 "$(at_of "$a")" >/dev/null
step wait-state frontal1 Backup 30 >/dev/null
cap_both script-failed "script-failed: the tracked script chk_lvsha_lab fails on frontal1 (flag file removed, weight -60: 90 < 100); frontal2 took over"
a=$(step script-ok frontal1); step wait-master frontal1 30 "$(at_of "$a")" >/dev/null; step wait-state frontal2 Backup 30 >/dev/null

a=$(step block); step wait-master frontal2 30 "$(at_of "$a")" >/dev/null
cap_both split-brain "split-brain: VRRP (IP protocol 112) dropped by nftables on input in both directors; both MASTER, both hold the VIP"
a=$(step unblock); step wait-state frontal2 Backup 30 "$(at_of "$a")" >/dev/null

"$K" dump frontal1 >/dev/null    # the dumps frontal1 leaves behind say MASTER
a=$(step stop frontal1); step wait-master frontal2 30 "$(at_of "$a")" >/dev/null
cap_both master-stopped "master-stopped: keepalived on frontal1 stopped gracefully (SIGTERM): no pid file, stale dumps from before the stop (MASTER), bus name released; frontal2 MASTER"

a=$(step start frontal1); step wait-master frontal1 30 "$(at_of "$a")" >/dev/null; step wait-state frontal2 Backup 30 >/dev/null
cap_both rejoined "rejoined: keepalived on frontal1 started again; it preempted (priority 150 > 100): frontal1 MASTER, frontal2 BACKUP"

"$K" dump frontal1 >/dev/null
a=$(step crash frontal1); step wait-master frontal2 30 "$(at_of "$a")" >/dev/null
cap_both master-killed "master-killed: kill -9 of keepalived's processes on frontal1 (parent and VRRP child): stale pid files, stale MASTER dumps, the VIP left on frontal1's eth0 (two holders); frontal2 MASTER"

if grep -rlF -- "$PASS" "$FIX" >/dev/null; then die "the VRRP password is still in: $(grep -rlF -- "$PASS" "$FIX" | tr '\n' ' ')"; fi
note "captures in $FIX"
if [[ "${LVSHA_CAPTURE_KEEP_UP:-0}" != 1 ]]; then "$LAB_NETNS_DIR/down.sh"; fi
