#!/usr/bin/env bash
# (Re)capture Corosync + Pacemaker's state from the namespace lab (LVSHA_LAB_HA=pacemaker) into
# test/fixtures/real/pacemaker/<scenario>/<director>/:
#   crm_mon.xml        crm_mon -1 --output-as=xml (stdout; its stderr, when any, in crm_mon.xml.stderr)
#   crm_mon.txt        crm_mon -1 -r -f (for humans)
#   cib.xml            cibadmin -Q
#   quorumtool.txt     corosync-quorumtool -s
#   cfgtool.txt        corosync-cfgtool -s
#   ip-addr.txt        ip -o addr
#   capture.txt        scenario, date, each command with its exit status
# Usage: capture-pacemaker.sh [SCENARIO...] (default: all, in order). Runs up.sh first unless
# LVSHA_CAPTURE_REUSE=1 (a pacemaker lab that is up and healthy), and down.sh at the end
# unless LVSHA_CAPTURE_KEEP_UP=1. A scenario's folder is replaced, the others are kept.
set -euo pipefail
export LVSHA_LAB_HA=pacemaker
. "$(dirname "$0")/lib.sh"
FIX="${LVSHA_FIXTURES:-$(cd "$LAB_NETNS_DIR/../.." && pwd)/test/fixtures/real}/pacemaker"
P="$LAB_NETNS_DIR/pacemaker.sh"
ALL=(healthy ldirectord-killed standby node-crash split-brain after-heal not-running)
(($#)) && SCEN=("$@") || SCEN=("${ALL[@]}")
for s in "${SCEN[@]}"; do [[ " ${ALL[*]} " == *" $s "* ]] || die "unknown scenario '$s' (${ALL[*]})"; done

if [[ "${LVSHA_CAPTURE_REUSE:-0}" == 1 ]]; then
  [[ "$(cat "$STATE/ha" 2>/dev/null)" == pacemaker ]] || die "LVSHA_CAPTURE_REUSE=1: no pacemaker lab is up"
else
  "$LAB_NETNS_DIR/up.sh"
fi
mkdir -p "$FIX"

# run1 OUT NAME HOST cmd... : cmd's stdout into OUT/NAME, stderr into OUT/NAME.stderr when not
# empty, its exit status into OUT/capture.txt; bounded.
run1() {
  local out=$1 name=$2 h=$3 rc=0; shift 3
  in_host "$h" timeout 30 "$@" >"$out/$name" 2>"$out/$name.stderr" || rc=$?
  [[ -s "$out/$name.stderr" ]] || rm -f "$out/$name.stderr"
  printf '%s: `%s` exit %s\n' "$name" "$*" "$rc" >>"$out/capture.txt"
}
# cap SCENARIO HOST DESCRIPTION : every view of HOST, as the scenario left it.
cap() {
  local s=$1 h=$2 desc=$3 out
  out="$FIX/$s/$h"
  rm -rf "$out"; mkdir -p "$out"
  printf 'scenario: %s\ndirector: %s\nwhat: %s\ncaptured: %s\n' "$s" "$h" "$desc" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out/capture.txt"
  run1 "$out" crm_mon.xml "$h" crm_mon -1 --output-as=xml
  run1 "$out" crm_mon.txt "$h" crm_mon -1 -r -f
  run1 "$out" cib.xml "$h" cibadmin -Q
  run1 "$out" quorumtool.txt "$h" corosync-quorumtool -s
  run1 "$out" cfgtool.txt "$h" corosync-cfgtool -s
  run1 "$out" ip-addr.txt "$h" ip -o addr
  log "captured $s/$h"
}
cap_both() { local h; for h in "${DIRECTORS[@]}"; do cap "$1" "$h" "$2"; done; }

for s in "${SCEN[@]}"; do
  rm -rf "${FIX:?}/$s"
  case "$s" in
    healthy)
      left=$(wait_lab_ready 60) || die "not healthy: $left"
      cap_both healthy "both online, quorate, group lvs (vip, ldirectord) Started on frontal1" ;;
    *) die "scenario $s: not written yet" ;;
  esac
done

[[ "${LVSHA_CAPTURE_KEEP_UP:-0}" == 1 ]] || "$LAB_NETNS_DIR/down.sh"
