#!/usr/bin/env bash
# (Re)capture real program output from the namespace lab into
# test/fixtures/real/{heartbeat,ip,arping,ss,sysctl,ldirectord}/.
# Each capture NAME gets NAME.stdout, NAME.stderr, NAME.rc (exit code + "\n")
# and NAME.meta (command, host, scenario, date). Files are written by the
# programs themselves: never edit them by hand, re-run this script.
# It runs up.sh first and down.sh at the end (LVSHA_CAPTURE_KEEP_UP=1 keeps the
# lab up). Takes about 3 minutes with the fast timings.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
FIX="${LVSHA_FIXTURES:-$(cd "$LAB_NETNS_DIR/../.." && pwd)/test/fixtures/real}"
STAMP=$(date -u +%Y-%m-%dT%H:%M:%SZ)
TIMES="$STATE/capture-times.txt"
CAP_TIMEOUT=10
SCEN=""          # description of the current scenario, goes into .meta

"$LAB_NETNS_DIR/up.sh"
: >"$TIMES"
note() { log "$*"; printf '%s\n' "$*" >>"$TIMES"; }
TIMINGS="keepalive $(hb_param frontal1 keepalive), warntime $(hb_param frontal1 warntime), deadtime $(hb_param frontal1 deadtime), initdead $(hb_param frontal1 initdead)"
DEADTIME=$(hb_param frontal1 deadtime)

for d in heartbeat ip arping ss sysctl ldirectord; do rm -rf "${FIX:?}/$d"; done

# meta FILE HOST CMD... : the .meta of one capture.
meta() {
  local f=$1 h=$2; shift 2
  { printf 'command: %s\n' "$*"
    printf 'host: %s (%s), run as: nsenter -t <anchor of %s> -n -m -u -p -- timeout %s %s\n' \
      "$h" "${IP[$h]}" "$h" "$CAP_TIMEOUT" "$*"
    printf 'scenario: %s\n' "$SCEN"
    printf 'heartbeat timings: %s\n' "$TIMINGS"
    printf 'captured: %s by lab/netns/capture.sh (namespace tier, host kernel %s)\n' "$STAMP" "$(uname -r)"
  } >"$f"
}
# cap REL HOST CMD... : run CMD inside HOST, save REL.{stdout,stderr,rc,meta}.
cap() {
  local rel=$1 h=$2; shift 2
  local d b rc=0
  d="$FIX/$(dirname "$rel")"; b=$(basename "$rel")
  mkdir -p "$d"
  in_host "$h" timeout "$CAP_TIMEOUT" "$@" >"$d/$b.stdout" 2>"$d/$b.stderr" || rc=$?
  printf '%s\n' "$rc" >"$d/$b.rc"
  meta "$d/$b.meta" "$h" "$@"
}
peer_of() { if [[ $1 == frontal1 ]]; then echo frontal2; else echo frontal1; fi; }

# cl_set SCENARIO HOST : every cl_status query we know, on HOST.
cl_set() {
  local b="heartbeat/$1/$2" n p peer; peer=$(peer_of "$2")
  cap "$b/hbstatus" "$2" cl_status hbstatus
  cap "$b/hbstatus-v" "$2" cl_status hbstatus -v
  cap "$b/listnodes" "$2" cl_status listnodes
  cap "$b/listnodes-v" "$2" cl_status listnodes -v
  for n in "${DIRECTORS[@]}"; do
    cap "$b/nodestatus-$n" "$2" cl_status nodestatus "$n"
    cap "$b/nodetype-$n" "$2" cl_status nodetype "$n"
    cap "$b/listhblinks-$n" "$2" cl_status listhblinks "$n"
    cap "$b/listhblinks-v-$n" "$2" cl_status listhblinks -v "$n"
    cap "$b/hblinkstatus-$n-eth0" "$2" cl_status hblinkstatus "$n" eth0
  done
  for p in keepalive warntime deadtime initdead udpport auto_failback; do
    cap "$b/hbparameter-$p" "$2" cl_status hbparameter -p "$p"
  done
  cap "$b/rscstatus" "$2" cl_status rscstatus
  cap "$b/clientstatus-$peer-ipfail" "$2" cl_status clientstatus "$peer" ipfail 2
  cap "$b/nodestatus-unknown-node" "$2" cl_status nodestatus nosuchnode
  cap "$b/hbparameter-missing-name" "$2" cl_status hbparameter
  cap "$b/hbparameter-unknown-name" "$2" cl_status hbparameter -p nosuchparameter
  cap "$b/bad-subcommand" "$2" cl_status nosuchsubcommand
}
ip_set() {   # ip_set SCENARIO HOST
  cap "ip/$1/$2/addr" "$2" ip -j addr
  cap "ip/$1/$2/link" "$2" ip -j link
}
arping_cap() { cap "arping/$1/client/arping" client arping -b -c 3 -I eth0 "$VIP"; }
ss_set() {   # ss_set SCENARIO HOST
  cap "ss/$1/$2/ltn" "$2" ss -ltnH
  cap "ss/$1/$2/lun" "$2" ss -lunH
}
# sysctl_tree CASE HOST : copy the ARP sysctls as HOST's /proc/sys shows them.
sysctl_tree() {
  local c=$1 h=$2 i k d
  for i in all default lo eth0; do
    d="$FIX/sysctl/$c/proc/sys/net/ipv4/conf/$i"; mkdir -p "$d"
    for k in arp_ignore arp_announce; do
      in_host "$h" cat "/proc/sys/net/ipv4/conf/$i/$k" >"$d/$k"
    done
  done
  meta "$FIX/sysctl/$c.meta" "$h" cat "/proc/sys/net/ipv4/conf/{all,default,lo,eth0}/{arp_ignore,arp_announce}"
}
# === A. healthy =====================================================================
wait_peers_active
SCEN="healthy: both directors run Heartbeat and see each other active; frontal1 holds the VIP 192.168.0.3 on eth0 (label eth0:0) and runs ldirectord; reel1 and reel2 hold it on lo/32 with arp_ignore=1 arp_announce=2 on all and lo"
holders_are frontal1 || die "expected frontal1 to hold the VIP, got [$(vip_holders)]"
for h in "${DIRECTORS[@]}"; do cl_set healthy "$h"; done
ip_set healthy frontal1; ip_set healthy frontal2; ip_set healthy reel1; ip_set healthy reel2
arping_cap healthy
ss_set listening-any reel1; ss_set listening-any reel2
SCEN="healthy, director: sorry server on 0.0.0.0:80, sshd on its address, Heartbeat on udp 694 (ucast)"
ss_set director frontal1; ss_set director frontal2
SCEN="real server with the recommended ARP settings: arp_ignore=1 arp_announce=2 on all and lo (eth0 and default untouched)"
sysctl_tree correct reel2

# === B. ldirectord (runs its checks; every ipvsadm call fails: no IP_VS) ===============
# Heartbeat started it on the holder (haresources ldirectord::www.cf) unless
# LVSHA_LAB_LDIRECTORD=0; then start it by hand.
ld_running() { in_host frontal1 timeout 10 ldirectord /etc/ha.d/conf/www.cf status >/dev/null 2>&1; }
if ! ld_running; then
  in_host frontal1 timeout 30 ldirectord www.cf start >>"$STATE/log/ldirectord-capture.log" 2>&1 || die "ldirectord start failed"
fi
wait_until 10 0.2 ld_running || die "ldirectord status never says running"
SCEN="healthy; ldirectord running on the VIP holder (host kernel without IP_VS: its ipvsadm calls fail but the daemon runs and checks)"
cap ldirectord/running/frontal1/status frontal1 ldirectord /etc/ha.d/conf/www.cf status
cap ldirectord/running/frontal1/status-relative frontal1 ldirectord www.cf status
in_host frontal1 timeout 30 ldirectord www.cf stop >>"$STATE/log/ldirectord-capture.log" 2>&1 || die "ldirectord stop failed"
SCEN="healthy; ldirectord stopped by hand on the VIP holder (ldirectord www.cf stop)"
cap ldirectord/stopped/frontal1/status frontal1 ldirectord /etc/ha.d/conf/www.cf status
in_host frontal1 timeout 30 ldirectord www.cf start >>"$STATE/log/ldirectord-capture.log" 2>&1 || die "ldirectord restart failed"
SCEN="healthy; ldirectord not running on the backup director"
cap ldirectord/stopped/frontal2/status frontal2 ldirectord /etc/ha.d/conf/www.cf status

# === C. real-server variants on reel2 (directors healthy) ===========================
SCEN="reel2 with default ARP sysctls (0/0 on all and lo) and the VIP on lo: ARP leak"
set_arp_sysctls reel2 0 0 0 0
sysctl_tree defaults reel2
arping_cap arp-leak
SCEN="reel2 with arp_ignore=1 arp_announce=2 on all only (lo left 0/0)"
set_arp_sysctls reel2 1 2 0 0
sysctl_tree all-only reel2
SCEN="reel2 with arp_ignore=1 arp_announce=2 on lo only (all left 0/0)"
set_arp_sysctls reel2 0 0 1 2
sysctl_tree lo-only reel2
set_arp_sysctls reel2 1 2 1 2
SCEN="reel2 without the VIP on lo (ip addr del 192.168.0.3/32 dev lo), ARP sysctls correct"
ip -n "$(ns reel2)" addr del "$VIP/32" dev lo
ip_set real-without-vip reel2
ip -n "$(ns reel2)" addr add "$VIP/32" dev lo
SCEN="reel2 web server bound to the VIP only (busybox httpd -p 192.168.0.3:80)"
stop_pidfile reel2.httpd; start_httpd reel2 "$VIP"
ss_set listening-vip reel2
SCEN="reel2 web server stopped: nothing listens on port 80"
stop_pidfile reel2.httpd
ss_set not-listening reel2
start_httpd reel2

# === D. split brain ===================================================================
# Both directors drop incoming udp/694 (nftables inside their own namespaces):
# heartbeats are lost both ways while ARP and everything else still flows,
# so both take the VIP and both stay reachable from the client.
SPLIT_RULES='table inet lvsha_split {
  chain input { type filter hook input priority 0; policy accept; udp dport 694 drop; }
}'
t=$(now_ms)
for h in "${DIRECTORS[@]}"; do in_host "$h" nft -f - <<<"$SPLIT_RULES"; done
wait_until $((DEADTIME + 20)) 0.1 holders_are frontal1 frontal2 || die "no split brain: holders [$(vip_holders)]"
note "split brain: both directors hold the VIP $(( $(now_ms) - t )) ms after dropping udp/694"
wait_until 10 0.2 nodestatus_is frontal1 frontal2 dead || die "frontal1 still sees frontal2"
wait_until 10 0.2 nodestatus_is frontal2 frontal1 dead || die "frontal2 still sees frontal1"
SCEN="split brain: nftables on both directors drops incoming udp dport 694 (heartbeats); both declared the peer dead and both hold the VIP on eth0; both still reachable (ARP, TCP)"
for h in "${DIRECTORS[@]}"; do cl_set split-brain "$h"; ip_set split-brain "$h"; done
arping_cap split-brain
# Healing: each Heartbeat logs "Cluster node ... returning after partition",
# gives up all its resources and restarts itself (exec, new master PID), then
# waits initdead again: expect an outage with no holder at all.
restarts() { grep -c 'Performing heartbeat restart exec' "$STATE/nodes/$1/log/ha-log" || true; }
declare -A R0; for h in "${DIRECTORS[@]}"; do R0[$h]=$(restarts "$h"); done
restarted() { (( $(restarts "$1") > ${R0[$1]} )); }
t=$(now_ms)
for h in "${DIRECTORS[@]}"; do in_host "$h" nft delete table inet lvsha_split; done
single_or_none() { [[ "$(vip_holders)" != "frontal1 frontal2" ]]; }
wait_until 30 0.05 single_or_none || die "split brain did not heal: holders [$(vip_holders)]"
note "split brain: duplicate VIP gone $(( $(now_ms) - t )) ms after removing the drop rules (holders now [$(vip_holders)])"
for h in "${DIRECTORS[@]}"; do
  if wait_until 30 0.2 restarted "$h"; then note "split brain heal: heartbeat on $h restarted itself"
  else note "split brain heal: heartbeat on $h did NOT restart within 30 s"; fi
done
no_holder() { [[ -z "$(vip_holders)" ]]; }
if wait_until 15 0.05 no_holder; then t_none=$(now_ms); else t_none=""; fi
wait_until $(( $(hb_param frontal1 initdead) + DEADTIME + 30 )) 0.05 holders_are frontal1 \
  || die "split brain did not heal: holders [$(vip_holders)]"
note "split brain healed: frontal1 alone holds the VIP $(( $(now_ms) - t )) ms after removing the drop rules${t_none:+, after $(( $(now_ms) - t_none )) ms with no holder at all}"
wait_peers_active
for h in "${DIRECTORS[@]}"; do echo "$(heartbeat_master "$h")" >"$PIDS/$h.heartbeat.pid"; done

# === E. crash of the VIP holder ==========================================================
# kill -9 of every heartbeat process of frontal1 and its switch port down
# (a crashed host: its VIP stays configured but it is gone from the wire).
t=$(now_ms)
crash_host frontal1
frontal2_holds() { [[ " $(vip_holders) " == *" frontal2 "* ]]; }
wait_until $((DEADTIME + 20)) 0.05 frontal2_holds || die "frontal2 did not take the VIP"
note "failover after kill -9 + link down of frontal1: VIP on frontal2 after $(( $(now_ms) - t )) ms"
wait_until 20 0.2 nodestatus_is frontal2 frontal1 dead || die "frontal2 does not see frontal1 dead"
note "frontal2 reads frontal1 dead $(( $(now_ms) - t )) ms after the crash"
SCEN="peer dead: frontal1 crashed (kill -9 of all its heartbeat processes, its switch port down); frontal2 took over the VIP"
cl_set peer-dead frontal2
ip_set peer-dead frontal2
SCEN="crashed node: on frontal1 after kill -9 of all its heartbeat processes (stale /run/heartbeat.pid); its VIP still configured, its switch port down (eth0 without carrier)"
cap heartbeat/crashed/frontal1/hbstatus frontal1 cl_status hbstatus
cap heartbeat/crashed/frontal1/hbstatus-v frontal1 cl_status hbstatus -v
cap heartbeat/crashed/frontal1/nodestatus-frontal2 frontal1 cl_status nodestatus frontal2
ip_set crashed frontal1
SCEN="peer dead, client view: frontal1 off the wire, frontal2 holds the VIP"
arping_cap peer-dead
t=$(now_ms)
reboot_host frontal1
wait_until $(( $(hb_param frontal1 initdead) + DEADTIME + 30 )) 0.05 holders_are frontal1 || die "no failback: holders [$(vip_holders)]"
note "auto_failback: VIP back on frontal1 (only) $(( $(now_ms) - t )) ms after its reboot began"
wait_peers_active

# === F. graceful stop of the backup, then of the holder ===================================
t=$(now_ms)
stop_heartbeat frontal2
note "graceful stop of heartbeat on frontal2 took $(( $(now_ms) - t )) ms"
SCEN="stopped: heartbeat stopped gracefully (SIGTERM) on this node"
cl_set stopped frontal2
SCEN="peer stopping: frontal2 stopped gracefully moments ago (within deadtime), as seen from frontal1"
cap heartbeat/peer-stopping/frontal1/nodestatus-frontal2 frontal1 cl_status nodestatus frontal2
cap heartbeat/peer-stopping/frontal1/hblinkstatus-frontal2-eth0 frontal1 cl_status hblinkstatus frontal2 eth0
wait_until $((DEADTIME + 20)) 0.2 nodestatus_is frontal1 frontal2 dead || die "frontal1 never reads frontal2 dead"
note "after the graceful stop, frontal1 reads frontal2 dead $(( $(now_ms) - t )) ms after the stop began"
SCEN="peer stopped: frontal2 stopped gracefully more than deadtime ago, as seen from frontal1 (which holds the VIP)"
cl_set peer-stopped frontal1
t=$(now_ms)
stop_heartbeat frontal1
note "graceful stop of heartbeat on frontal1 (holder, peer down) took $(( $(now_ms) - t )) ms"
SCEN="no holder: heartbeat stopped on both directors; nobody holds the VIP on eth0 (real servers still hold it on lo with correct ARP sysctls)"
cl_set stopped frontal1
ip_set no-holder frontal1
arping_cap no-holder

log "captures in $FIX; times:"; cat "$TIMES" >&2
if [[ "${LVSHA_CAPTURE_KEEP_UP:-0}" != 1 ]]; then "$LAB_NETNS_DIR/down.sh"; fi
