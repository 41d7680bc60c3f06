#!/usr/bin/env bash
# Scenario helpers for a lab up with LVSHA_LAB_HA=pacemaker (lab/netns/up.sh). Usable by hand
# and from tests; every step is bounded and prints one line ending in the time it took:
#   crash HOST          kill -9 of corosync and every Pacemaker daemon of HOST, and its switch port
#                       down (a crashed node: the VIP stays on its eth0, off the wire)
#   start HOST          HOST "boots" again: its PID namespace ends (ldirectord too), eth0 back to
#                       its own address only, port up, corosync + pacemakerd started
#   standby HOST        crm node standby HOST (run on HOST)
#   online HOST         crm node online HOST
#   kill-ldirectord HOST  kill -9 of ldirectord on HOST (Pacemaker's monitor finds it, restarts it:
#                       fail count 1)
#   cleanup [RSC]       crm resource cleanup (RSC, default every resource): fail counts forgotten
#   block | unblock     drop Corosync's knet traffic (UDP 5405, in and out) in frontal2's namespace
#                       only (table inet lvsha_knet_block): both nodes lose each other, both stay
#                       quorate (two_node) and, without fencing, both run the group
#   wait-group HOST [SECONDS] [SINCE_MS]  until the VIP answers from HOST (the client's HTTP to
#                       the VIP gets HOST's sorry page without IPVS; with IPVS, the VM tier, HOST
#                       alone holds the VIP and a real server answers) and HOST's Pacemaker has every
#                       resource Started on HOST; with SINCE_MS (what a fault step printed as `at`)
#                       the VIP's time is counted from then: a failover time
#   wait-online [SECONDS]  until both directors read both nodes online, quorum and a DC
#   wait-failcount HOST RSC [SECONDS]  until HOST's Pacemaker counts a failure of RSC and RSC is
#                       Started again (run `cleanup` before the fault: an old count also matches)
#   summary HOST        crm_mon's XML on HOST digested (dc, quorum, nodes, resources)
#   holders             the directors holding the VIP on eth0
# Output: `OP HOST: WHAT in N ms (at EPOCH_MS)`, where `at` is the moment of the fault for the
# fault steps and the moment reached for the waits; exit 1 (with the line on stderr) on failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pm_lab || die "the lab is not up with LVSHA_LAB_HA=pacemaker ($STATE/ha: $(cat "$STATE/ha" 2>/dev/null || echo none))"
op=${1:-}; shift || true
t0=$(now_ms)
# done_in WHAT [SINCE_MS] [AT_MS]
done_in() { local t; t=$(now_ms); echo "$1 in $(( t - ${2:-$t0} )) ms (at ${3:-$t})"; }
director() { [[ -n "${1:-}" ]] && is_director "$1" || die "$op: expected a director (${DIRECTORS[*]}), got '${1:-}'"; }
# Pacemaker's daemons as /proc/PID/comm names them (15 characters at most)
PM_COMMS=(pacemakerd pacemaker-based pacemaker-fence pacemaker-execd pacemaker-attrd pacemaker-sched pacemaker-contr corosync)
pm_all_pids() { local c; for c in "${PM_COMMS[@]}"; do host_pids "$1" "$c"; done; }
# answers_from HOST : the client's HTTP to the VIP is answered through HOST. Without IPVS (the
# host kernel) that is HOST's sorry page; with IPVS (the VM tier) HOST alone holds the VIP and
# the answer comes from a real server (ldirectord's table on HOST) or from HOST's sorry page.
# A crashed node keeps the VIP on its eth0 but its switch port is down: only the holders on the
# wire count.
IPVS=0; ipvs_available && IPVS=1
wired_holders() {
  local h out=()
  for h in $(vip_holders); do
    ip -n "$SW_NS" -o link show "p-$h" 2>/dev/null | grep -q '[<,]UP[,>]' && out+=("$h")
  done
  printf '%s' "${out[*]:-}"
}
answers_from() {
  local out r
  out=$(in_host client timeout 3 curl -s -m 1 "http://$VIP/" 2>/dev/null | head -c 200) || true
  (( IPVS )) || { [[ $out == *"<h1>$1: "* ]]; return; }
  [[ "$(wired_holders)" == "$1" ]] || return 1
  [[ $out == *"<h1>$1: "* ]] && return 0
  for r in "${REALS[@]}"; do [[ $out == "$r"* ]] && return 0; done
  return 1
}

case "$op" in
  crash)
    director "${1:-}"; h=$1
    mapfile -t p < <(pm_all_pids "$h")
    ((${#p[@]})) || die "crash $h: no corosync or Pacemaker process"
    t_at=$(now_ms)
    kill -KILL "${p[@]}"
    ip -n "$SW_NS" link set "p-$h" down
    dead() { local x; for x in "$@"; do pid_alive "$x" && return 1; done; return 0; }
    wait_until 10 0.02 dead "${p[@]}" || die "crash $h: processes survive kill -9"
    done_in "crash $h: kill -9 ${#p[@]} processes (corosync, pacemaker), port down" "$t0" "$t_at" ;;
  start)
    director "${1:-}"; h=$1
    a=$(anchor_pid "$h"); pidns=$(readlink "/proc/$a/ns/pid")
    kill -KILL "$a"
    ns_empty() { local p; for p in $(ip netns pids "$(ns "$h")"); do
        [[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" == "$pidns" ]] && pid_alive "$p" && return 1; done; return 0; }
    wait_until 10 0.1 ns_empty || die "start $h: processes survive its PID namespace"
    ip -n "$(ns "$h")" addr flush dev eth0
    ip -n "$(ns "$h")" addr add "${IP[$h]}/24" dev eth0
    # the IPVS table belongs to the network namespace, which outlives the "boot" (as reboot_host)
    if (( IPVS )); then ip netns exec "$(ns "$h")" ipvsadm -C; fi
    ip -n "$SW_NS" link set "p-$h" up
    start_anchor "$h"; start_services "$h"; start_pacemaker "$h"
    done_in "start $h: corosync $(pm_pid "$h" corosync), pacemakerd $(pm_pid "$h" pacemakerd) running" ;;
  standby|online)
    director "${1:-}"; h=$1
    t_at=$(now_ms)
    in_host "$h" timeout 30 crm node "$op" "$h" >/dev/null
    done_in "$op $h: crm node $op $h" "$t0" "$t_at" ;;
  kill-ldirectord)
    director "${1:-}"; h=$1
    mapfile -t p < <(host_pids "$h" ldirectord)
    ((${#p[@]})) || die "kill-ldirectord $h: ldirectord is not running"
    t_at=$(now_ms)
    kill -KILL "${p[@]}"
    done_in "kill-ldirectord $h: kill -9 ${p[*]}" "$t0" "$t_at" ;;
  cleanup)
    in_host frontal1 timeout 30 crm resource cleanup ${1:+"$1"} >/dev/null 2>&1 \
      || in_host frontal2 timeout 30 crm resource cleanup ${1:+"$1"} >/dev/null
    done_in "cleanup ${1:-all}: fail counts cleared" ;;
  block|unblock)
    n=$(ns frontal2)
    t_at=$(now_ms)
    ip netns exec "$n" nft delete table inet lvsha_knet_block 2>/dev/null || true
    if [[ $op == block ]]; then
      ip netns exec "$n" nft add table inet lvsha_knet_block
      ip netns exec "$n" nft add chain inet lvsha_knet_block in '{ type filter hook input priority 0 ; }'
      ip netns exec "$n" nft add chain inet lvsha_knet_block out '{ type filter hook output priority 0 ; }'
      ip netns exec "$n" nft add rule inet lvsha_knet_block in udp dport 5405 drop
      ip netns exec "$n" nft add rule inet lvsha_knet_block out udp dport 5405 drop
    fi
    done_in "$op: knet (UDP 5405) of frontal2 $([[ $op == block ]] && echo dropped || echo flows)" "$t0" "$t_at" ;;
  wait-group)
    director "${1:-}"; h=$1; limit=${2:-60}; since=${3:-$t0}
    [[ $limit =~ ^[0-9]+$ && $since =~ ^[0-9]+$ ]] || die "$op: SECONDS and SINCE_MS are integers"
    wait_until "$limit" 0.05 answers_from "$h" || die "$op $h: the VIP does not answer from $h after $limit s (VIP on [$(vip_holders)])"
    t_vip=$(now_ms)
    all_started() { local s r; s=$(pm_summary "$h") || return 1
      for r in "${PM_RESOURCES[@]}"; do grep -q "^rsc $r Started $h\( \|$\)" <<<"$s" || return 1; done; }
    wait_until "$limit" 0.5 all_started || die "$op $h: not every resource Started on $h after $limit s: $(pm_summary "$h" | grep '^rsc' | tr '\n' ' ')"
    echo "$op $h: VIP answers from $h in $(( t_vip - since )) ms (at $t_vip), group Started on $h $(( $(now_ms) - t_vip )) ms later, VIP on [$(vip_holders)]" ;;
  wait-online)
    limit=${1:-60}
    online() { local h; for h in "${DIRECTORS[@]}"; do
        [[ -z "$(pm_unready "$h" | grep -v ' is not Started on frontal1 alone ')" ]] || return 1; done; }
    wait_until "$limit" 0.5 online || die "$op: $(for h in "${DIRECTORS[@]}"; do pm_unready "$h"; done | tr '\n' ';')"
    done_in "$op: both nodes online, quorum, a DC" ;;
  wait-failcount)
    director "${1:-}"; h=$1; r=${2:?wait-failcount HOST RSC}; limit=${3:-90}
    # counted: a fail count on RSC, RSC Started and not failed, its process back (ldirectord)
    counted() { local x; x=$(in_host "$h" timeout 10 crm_mon -1 --output-as=xml 2>/dev/null) || return 1
      grep -Eq "<resource_history id=\"$r\"[^>]* fail-count=\"[1-9]" <<<"$x" \
        && grep -Eq "<resource id=\"$r\"[^>]* role=\"Started\"[^>]* failed=\"false\"" <<<"$x" \
        && { [[ $r != ldirectord ]] || [[ -n "$(host_pids "$h" ldirectord)" ]]; }; }
    wait_until "$limit" 0.5 counted || die "$op $h $r: no fail count with $r Started again after $limit s"
    done_in "$op $h: $r failed and Started again" ;;
  summary)
    director "${1:-}"; pm_summary "$1" ;;
  holders)
    echo "$(vip_holders)" ;;
  *)
    sed -n '/^set -euo/q;2,$p' "$0" >&2; exit 2 ;;
esac
