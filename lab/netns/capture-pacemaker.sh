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
# Scenarios: healthy; ldirectord-killed (kill -9, Pacemaker's monitor restarts it: fail count 1);
# standby (crm node standby frontal1: the group on frontal2); node-crash (frontal1's corosync and
# Pacemaker killed, its port down: frontal2 runs the group; frontal1's folder holds crm_mon's
# answer when nothing of the cluster runs); split-brain (knet dropped in frontal2's namespace:
# both run the group); after-heal (knet flows again, the group back on frontal1 alone);
# heal-multiple-active (a split brain healed, caught while Pacemaker sees the group active on
# both nodes: nodes_running_on="2", before it stops one); unprivileged (crm_mon as nobody, with
# and without the haclient group).
# Failover times (crash, standby: until the VIP answers from frontal2) go to
# $STATE/capture-pacemaker-times.txt.
# Usage: capture-pacemaker.sh [SCENARIO...] (default: all, in order). Runs up.sh first unless
# LVSHA_CAPTURE_REUSE=1 (a pacemaker lab that is up and healthy), and down.sh at the end
# unless LVSHA_CAPTURE_KEEP_UP=1. A scenario's folder is replaced, the others are kept.
set -euo pipefail
export LVSHA_LAB_HA=pacemaker
. "$(dirname "$0")/lib.sh"
FIX="${LVSHA_FIXTURES:-$(cd "$LAB_NETNS_DIR/../.." && pwd)/test/fixtures/real}/pacemaker"
P="$LAB_NETNS_DIR/pacemaker.sh"
ALL=(healthy ldirectord-killed standby node-crash split-brain after-heal heal-multiple-active unprivileged)
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
# cap SCENARIO HOST DESCRIPTION [KEEP] : every view of HOST, as the scenario left it (KEEP=1: the
# folder already holds crm_mon.xml and capture.txt, taken first on every director).
cap() {
  local s=$1 h=$2 desc=$3 out
  out="$FIX/$s/$h"
  if [[ "${4:-0}" != 1 ]]; then
    rm -rf "$out"; mkdir -p "$out"
    printf 'scenario: %s\ndirector: %s\nwhat: %s\ncaptured: %s\n' "$s" "$h" "$desc" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out/capture.txt"
    run1 "$out" crm_mon.xml "$h" crm_mon -1 --output-as=xml
  fi
  run1 "$out" crm_mon.txt "$h" crm_mon -1 -r -f
  run1 "$out" cib.xml "$h" cibadmin -Q
  run1 "$out" quorumtool.txt "$h" corosync-quorumtool -s
  run1 "$out" cfgtool.txt "$h" corosync-cfgtool -s
  run1 "$out" ip-addr.txt "$h" ip -o addr
  log "captured $s/$h"
}
cap_both() { local h; for h in "${DIRECTORS[@]}"; do cap "$1" "$h" "$2"; done; }

TIMES="$STATE/capture-pacemaker-times.txt"
note() { log "$*"; printf '%s\n' "$*" >>"$TIMES"; }
# step [LABEL:] OP ARGS... : pacemaker.sh OP ARGS, its line noted (after LABEL), kept in $R; stops
# the capture when it fails
step() { local label=""; [[ $1 == *: ]] && { label="$1 "; shift; }
  R=$("$P" "$@") || die "pacemaker.sh $* failed"; note "$label$R"; }
at_of() { sed -n 's/.*(at \([0-9]*\)).*/\1/p' <<<"$1" | head -1; }
# both: the split brain is complete: the VIP on both directors, each runs the whole group
both() { [[ "$(vip_holders)" == "frontal1 frontal2" ]] && "$P" summary frontal2 | grep -q "^rsc ldirectord Started frontal2" \
  && "$P" summary frontal1 | grep -q "^rsc ldirectord Started frontal1"; }
ready() { local left; left=$(wait_lab_ready "${1:-90}") || die "not healthy: ${left//$'\n'/; }"; }

for s in "${SCEN[@]}"; do
  rm -rf "${FIX:?}/$s"
  case "$s" in
    healthy)
      ready
      cap_both healthy "both online, quorate, group lvs (vip, ldirectord) Started on frontal1" ;;
    ldirectord-killed)
      ready
      step cleanup   # no fail count left by an earlier run: the one we count is ours
      step kill-ldirectord frontal1
      step wait-failcount frontal1 ldirectord 120
      cap_both ldirectord-killed "ldirectord killed (kill -9) on frontal1, restarted by Pacemaker: fail count 1, a failed monitor"
      step cleanup ldirectord ;;
    standby)
      ready
      step standby frontal1; at=$(at_of "$R")
      step "standby failover:" wait-group frontal2 60 "$at"
      cap_both standby "crm node standby frontal1: group lvs Started on frontal2"
      step online frontal1; at=$(at_of "$R")
      step "standby failback:" wait-group frontal1 60 "$at" ;;
    node-crash)
      ready
      step crash frontal1; at=$(at_of "$R")
      step "crash failover:" wait-group frontal2 60 "$at"
      cap_both node-crash "frontal1 crashed (kill -9 of corosync and Pacemaker, port down): group lvs on frontal2; frontal1: nothing of the cluster runs"
      step start frontal1
      step wait-online 120
      step "crash failback:" wait-group frontal1 120 ;;
    split-brain)
      ready
      step block; at=$(at_of "$R")
      wait_until 120 0.5 both || die "split-brain: both directors do not run the group (VIP on [$(vip_holders)])"
      note "split brain: both run the group $(( $(now_ms) - at )) ms after the block"
      cap_both split-brain "knet (UDP 5405) dropped in frontal2's namespace: each node sees the other offline, both quorate (two_node), both run group lvs"
      if [[ " ${SCEN[*]} " != *" after-heal "* ]]; then step unblock; ready 180; fi ;;
    after-heal)
      step unblock; at=$(at_of "$R")
      ready 180
      note "healed: healthy again $(( $(now_ms) - at )) ms after the unblock"
      cap_both after-heal "knet flows again after the split brain: one partition, the group on frontal1 alone" ;;
    heal-multiple-active)
      ready
      step block; at=$(at_of "$R")
      wait_until 120 0.5 both || die "heal-multiple-active: both directors do not run the group (VIP on [$(vip_holders)])"
      note "split brain again $(( $(now_ms) - at )) ms after the block"
      step unblock; at=$(at_of "$R")
      # poll both directors' crm_mon until one counts the VIP on two nodes, then keep that XML
      seen=""
      multi() { local h x; for h in "${DIRECTORS[@]}"; do
          x=$(in_host "$h" timeout 10 crm_mon -1 --output-as=xml 2>/dev/null) || continue
          if grep -q 'nodes_running_on="2"' <<<"$x"; then seen=$h; MULTI_XML=$x; return 0; fi
        done; return 1; }
      wait_until 60 0.1 multi || die "heal-multiple-active: no crm_mon showed nodes_running_on=2 within 60 s of the unblock"
      note "multiple active seen by $seen $(( $(now_ms) - at )) ms after the unblock"
      for h in "${DIRECTORS[@]}"; do
        out="$FIX/$s/$h"; rm -rf "$out"; mkdir -p "$out"
        printf 'scenario: %s\ndirector: %s\nwhat: %s\ncaptured: %s\n' "$s" "$h" \
          "split brain healed (knet flows again): the partitions merged, the group still active on both nodes" \
          "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out/capture.txt"
        if [[ $h == "$seen" ]]; then
          printf '%s\n' "$MULTI_XML" >"$out/crm_mon.xml"
          printf 'crm_mon.xml: `crm_mon -1 --output-as=xml` exit 0 (the poll that saw nodes_running_on="2")\n' >>"$out/capture.txt"
        else run1 "$out" crm_mon.xml "$h" crm_mon -1 --output-as=xml; fi
      done
      for h in "${DIRECTORS[@]}"; do cap "$s" "$h" "" 1; done
      ready 180 ;;
    unprivileged)
      ready
      out="$FIX/unprivileged/frontal1"; mkdir -p "$out"
      printf 'scenario: unprivileged\ndirector: frontal1\nwhat: crm_mon as nobody: in the haclient group, then in no group\ncaptured: %s\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out/capture.txt"
      run1 "$out" crm_mon-haclient.xml frontal1 setpriv --reuid=nobody --regid=nogroup --groups=haclient crm_mon -1 --output-as=xml
      run1 "$out" crm_mon-nogroup.xml frontal1 setpriv --reuid=nobody --regid=nogroup --clear-groups crm_mon -1 --output-as=xml
      log "captured unprivileged/frontal1" ;;
  esac
done

[[ "${LVSHA_CAPTURE_KEEP_UP:-0}" == 1 ]] || "$LAB_NETNS_DIR/down.sh"
