#!/usr/bin/env bash
# Scenario helpers for a lab up with LVSHA_LAB_HA=keepalived (lab/netns/up.sh). Usable by hand
# and from tests; every step is bounded and prints one line ending in the time it took:
#   crash HOST         kill -9 of keepalived's processes on HOST (PIDs from its pid files,
#                      which stay, stale, with the dumps; the VIP stays on eth0)
#   stop HOST          SIGTERM to keepalived's parent (graceful: VIP and pid files removed)
#   start HOST         keepalived again (the host's dbus-daemon if it is gone too)
#   block | unblock    drop VRRP (IP protocol 112) arriving at both directors (nft, inside the
#                      director namespaces only: table inet lvsha_vrrp_block)
#   script-fail HOST   the tracked script chk_lvsha_lab fails (flag file removed): priority -60
#   script-ok HOST     it passes again
#   dump HOST          signals JSON (36), DATA (USR1), STATS (USR2) to keepalived's parent; waits
#                      (bounded) for /tmp/keepalived.{json,data,stats} newer than the signal and
#                      prints them, each after a `==> FILE <==` line
#   state HOST         the instance's state over DBus (Master, Backup, Fault; empty: no answer)
#   wait-state HOST STATE [SECONDS] [SINCE_MS]   until DBus says STATE (Master, Backup...)
#   wait-master HOST [SECONDS] [SINCE_MS]        until HOST is Master over DBus and holds the VIP;
#                      with SINCE_MS (epoch ms, e.g. what crash printed as `at`) the time is
#                      counted from then: a failover time
#   holders            the directors holding the VIP
# Output: `OP HOST: WHAT in N ms (at EPOCH_MS)`, where `at` is the moment of the fault (the
# kill, the nft rule, the flag file) for the fault steps and the moment reached for the waits;
# exit 1 (with the line on stderr) on failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ka_lab || die "the lab is not up with LVSHA_LAB_HA=keepalived ($STATE/ha: $(cat "$STATE/ha" 2>/dev/null || echo none))"
op=${1:-}; shift || true
t0=$(now_ms)
# done_in WHAT [SINCE_MS] [AT_MS]
done_in() { local t; t=$(now_ms); echo "$1 in $(( t - ${2:-$t0} )) ms (at ${3:-$t})"; }
director() { [[ -n "${1:-}" ]] && is_director "$1" || die "$op: expected a director (${DIRECTORS[*]}), got '${1:-}'"; }

case "$op" in
  crash)
    director "${1:-}"; h=$1
    mapfile -t p < <(ka_pidfile_pids "$h")
    crash_keepalived "$h"
    done_in "crash $h: kill -9 ${p[*]}" "$t0" "$KA_T_SIGNAL" ;;
  stop)
    director "${1:-}"; h=$1
    [[ -n "$(ka_parent "$h")" ]] || die "stop $h: keepalived is not running"
    stop_keepalived "$h"
    done_in "stop $h: keepalived exited" "$t0" "$KA_T_SIGNAL" ;;
  start)
    director "${1:-}"; h=$1
    [[ -z "$(host_pids "$h" keepalived)" ]] || die "start $h: keepalived processes are running ($(host_pids "$h" keepalived | tr '\n' ' '))"
    start_keepalived "$h"
    done_in "start $h: keepalived $(ka_parent "$h") running" ;;
  block|unblock)
    t_at=""
    for h in "${DIRECTORS[@]}"; do
      n=$(ns "$h")
      [[ -n $t_at ]] || t_at=$(now_ms)
      ip netns exec "$n" nft delete table inet lvsha_vrrp_block 2>/dev/null || true
      if [[ $op == block ]]; then
        ip netns exec "$n" nft add table inet lvsha_vrrp_block
        ip netns exec "$n" nft add chain inet lvsha_vrrp_block in '{ type filter hook input priority 0 ; }'
        ip netns exec "$n" nft add rule inet lvsha_vrrp_block in ip protocol vrrp drop
      fi
    done
    done_in "$op: VRRP between ${DIRECTORS[*]} $([[ $op == block ]] && echo dropped || echo flows)" "$t0" "$t_at" ;;
  script-fail|script-ok)
    director "${1:-}"; h=$1
    f="$STATE/nodes/$h/tmp/${KA_FLAG#/tmp/}"
    t_at=$(now_ms)
    if [[ $op == script-fail ]]; then rm -f "$f"; else : >"$f"; fi
    done_in "$op $h: $KA_FLAG $([[ $op == script-fail ]] && echo removed || echo present)" "$t0" "$t_at" ;;
  dump)
    director "${1:-}"; h=$1
    p=$(ka_parent "$h"); [[ -n "$p" ]] || die "dump $h: keepalived is not running"
    r="$(hroot "$h")/tmp"
    mtime_ns() { stat -c %.9Y "$1" 2>/dev/null | tr -d . || true; }
    # fresh = another mtime than before the signal and not older than it (file times follow the
    # kernel's coarse clock: up to a tick, 10 ms here, behind), then unchanged for one poll
    fresh() { local m s; m=$(mtime_ns "$1"); [[ -n $m && $m != "$2" ]] || return 1
      (( m / 1000000 >= $3 - 10 )) || return 1; s=$(stat -c %s "$1"); sleep 0.05; [[ "$(stat -c %s "$1")" == "$s" ]]; }
    for k in JSON DATA STATS; do
      f=$r/keepalived.$(tr '[:upper:]' '[:lower:]' <<<"$k")
      old=$(mtime_ns "$f"); ts=$(now_ms)
      kill -s "$(keepalived --signum="$k")" "$p"
      wait_until 5 0.02 fresh "$f" "$old" "$ts" || die "dump $h: no $f newer than the $k signal within 5 s"
      echo "==> /tmp/${f##*/} <=="; cat "$f"; echo
    done
    done_in "dump $h: json, data, stats" >&2 ;;
  state)
    director "${1:-}"; ka_state "$1" ;;
  wait-state|wait-master)
    director "${1:-}"; h=$1
    if [[ $op == wait-master ]]; then want=Master; shift; else want=${2:?wait-state HOST STATE}; shift 2; fi
    limit=${1:-30}; since=${2:-$t0}
    [[ $limit =~ ^[0-9]+$ && $since =~ ^[0-9]+$ ]] || die "$op: SECONDS and SINCE_MS are integers"
    # Master: first the VIP on HOST's eth0 (one cheap `ip` per poll: the time counted is when
    # keepalived added it, i.e. its transition), then DBus must agree.
    has_vip() { ip -n "$(ns "$h")" -o -4 addr show dev eth0 2>/dev/null | grep -q " $VIP/"; }
    t_vip=""
    if [[ $want == Master ]]; then
      wait_until "$limit" 0.01 has_vip || die "$op $h: no VIP on $h after $limit s (DBus: '$(ka_state "$h")', VIP on [$(vip_holders)])"
      t_vip=$(now_ms)
    fi
    wait_until "$limit" 0.05 ka_state_is "$h" "$want" || die "$op $h: not $want after $limit s (DBus: '$(ka_state "$h")', VIP on [$(vip_holders)])"
    if [[ -n $t_vip ]]; then
      echo "$op $h: VIP on $h in $(( t_vip - since )) ms (at $t_vip), DBus $want $(( $(now_ms) - t_vip )) ms later, VIP on [$(vip_holders)]"
    else done_in "$op $h: $want" "$since"; fi ;;
  holders)
    echo "$(vip_holders)" ;;
  *)
    sed -n '2,26p' "$0" >&2; exit 2 ;;
esac
