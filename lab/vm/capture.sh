#!/bin/bash
# Guest-side script: builds a DR lab with network namespaces inside the lab VM
# (real kernel IPVS) and captures real /proc and ipvsadm outputs for the parser
# fixtures. Run it from the host with:
#     lab/vm/run.sh -t 600 -o .lab/vm-out/capture lab/vm/capture.sh
# or lab/vm/refresh-fixtures.sh (which also replaces test/fixtures/real/ipvs).
#
# Everything lives inside the VM: one namespace `sw` holds the bridge, every
# host (frontal1, frontal2, reel1, reel2, client) is a namespace with a veth
# `eth0` plugged into it. Traffic goes only to those namespaces.
# Output: /share/out/ipvs/<scenario>/<file> + README.md per scenario.
set -u
. /share/env 2>/dev/null
OUT=/share/out/ipvs
LAB=/tmp/lab
mkdir -p "$OUT" "$LAB"
TIMINGS=/share/out/timings.txt
: > "$TIMINGS"
T0=$(awk '{print $1}' /proc/uptime)
mark() { echo "$(awk '{print $1}' /proc/uptime) $*" >> "$TIMINGS"; echo "== $* (uptime $(awk '{print $1}' /proc/uptime))"; }
mark start
KREL=$(uname -r)
IPVSADM_VERSION=$(ipvsadm --version 2>&1)
NREQ=0  # requests sent in the current scenario (kept <= 50)

VIP=192.168.0.3
VIP6=2001:db8::3

# ---------------------------------------------------------------- topology
sw_up() {
  ip netns add sw
  ip -n sw link set lo up
  ip -n sw link add br0 type bridge
  ip -n sw link set br0 up
}
# host_up NAME IPv4 IPv6 : namespace NAME with eth0 on the bridge
host_up() {
  local n=$1 a4=$2 a6=$3
  ip netns add "$n"
  ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
  ip -n sw link add "p-$n" type veth peer name eth0 netns "$n"
  ip -n sw link set "p-$n" master br0 up
  ip -n "$n" link set lo up
  ip -n "$n" addr add "$a4/24" dev eth0
  ip -n "$n" addr add "$a6/64" dev eth0 nodad
  ip -n "$n" link set eth0 up
}
host_down() {
  local n=$1
  # end what runs in it (processes started by this script; PIDs recorded)
  local p
  for p in $(ip netns pids "$n" 2>/dev/null); do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  ip -n sw link del "p-$n" 2>/dev/null
  ip netns del "$n" 2>/dev/null
}
# director_up NAME IPv4 IPv6 [vip]
director_up() {
  host_up "$1" "$2" "$3"
  if [ "${4:-}" = vip ]; then
    # what Heartbeat's IPaddr does: the VIP on eth0 with label eth0:0
    ip -n "$1" addr add "$VIP/24" dev eth0 label eth0:0
    ip -n "$1" addr add "$VIP6/64" dev eth0 nodad
    ip netns exec "$1" arping -q -U -c 1 -I eth0 "$VIP" >/dev/null 2>&1
    ip -n client neigh flush all 2>/dev/null
  fi
}
real_up() {
  local n=$1 a4=$2 a6=$3
  host_up "$n" "$a4" "$a6"
  ip netns exec "$n" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.lo.arp_ignore=1 net.ipv4.conf.lo.arp_announce=2 \
    net.ipv4.conf.all.accept_redirects=0 net.ipv4.conf.eth0.accept_redirects=0
  ip -n "$n" addr add "$VIP/32" dev lo
  ip -n "$n" addr add "$VIP6/128" dev lo
  mkdir -p "$LAB/www/$n"
  echo "$n" > "$LAB/www/$n/index.html"
  httpd_start "$n" 80
  httpd_start "$n" 443
  httpd_start "$n" 8081
}
declare -A HTTPD=()
httpd_start() {  # httpd_start NS PORT [DOCROOT]
  local d=${3:-$LAB/www/$1}
  ip netns exec "$1" busybox httpd -f -p "$2" -h "$d" &
  HTTPD[$1:$2]=$!
}
httpd_stop() {
  local p=${HTTPD[$1:$2]:-}
  [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  unset "HTTPD[$1:$2]"
}

# req SRC URL : one bounded HTTP request from the client
req() {
  NREQ=$((NREQ + 1))
  if [ $NREQ -gt 50 ]; then echo "req: more than 50 requests in this scenario, skipped"; return 1; fi
  local r
  r=$(ip netns exec client curl -s -g --max-time 3 --interface "$1" "$2" -w ' %{http_code}' 2>&1)
  echo "  req $1 -> $2 : $r"
}

# ipvs NS ARGS... : run ipvsadm in a director namespace, log the command and rc
ipvs() {
  local ns=$1; shift
  ip netns exec "$ns" ipvsadm "$@"
  local rc=$?
  echo "  [$ns] ipvsadm $* -> rc=$rc"
  echo "ipvsadm $*   # rc=$rc" >> "$LAB/cmds.$ns"
  return $rc
}

# wait_until SECONDS CMD... : bounded poll (0.5 s step)
wait_until() {
  local t=$1 i; shift
  for i in $(seq 1 $((t * 2))); do "$@" && return 0; sleep 0.5; done
  return 1
}

# ---------------------------------------------------------------- capture
# snap SCENARIO NS "state description" [extra...]
#   extra: lines "file|command" run in NS in addition to the standard set
STD_CMDS=(
  "proc-net-ip_vs.txt|cat /proc/net/ip_vs"
  "proc-net-ip_vs_stats.txt|cat /proc/net/ip_vs_stats"
  "proc-net-ip_vs_stats_percpu.txt|cat /proc/net/ip_vs_stats_percpu"
  "proc-net-ip_vs_conn.txt|cat /proc/net/ip_vs_conn"
  "proc-net-ip_vs_conn_sync.txt|cat /proc/net/ip_vs_conn_sync"
  "ipvsadm-Ln.txt|ipvsadm -Ln"
  "ipvsadm-Ln-stats.txt|ipvsadm -Ln --stats"
  "ipvsadm-Ln-stats-exact.txt|ipvsadm -Ln --stats --exact"
  "ipvsadm-Ln-rate.txt|ipvsadm -Ln --rate"
  "ipvsadm-Ln-rate-exact.txt|ipvsadm -Ln --rate --exact"
  "ipvsadm-Ln-exact.txt|ipvsadm -Ln --exact"
  "ipvsadm-Lnc.txt|ipvsadm -Lnc"
  "ipvsadm-L-daemon.txt|ipvsadm -L --daemon"
  "ipvsadm-Ln-persistent-conn.txt|ipvsadm -Ln --persistent-conn"
  "ipvsadm-Ln-thresholds.txt|ipvsadm -Ln --thresholds"
  "ipvsadm-Ln-tun-info.txt|ipvsadm -Ln --tun-info"
  "ipvsadm-L-timeout.txt|ipvsadm -L --timeout"
  "ipvsadm-Sn.txt|ipvsadm -Sn"
)
snap() {
  local sc=$1 ns=$2 state=$3; shift 3
  local d=$OUT/$sc
  mkdir -p "$d"
  # the 6.1 kernel copies the per-cpu counters into the values it reports
  # (/proc/net/ip_vs_stats, ipvsadm --stats) only in its 2-second estimator
  # run: wait for one so that every file shows the same counters
  sleep "${SNAP_SETTLE:-2.5}"
  local tmp=$LAB/snap.$sc
  : > "$tmp"
  local line f c rc t
  for line in "${STD_CMDS[@]}" "$@"; do
    f=${line%%|*}; c=${line#*|}
    t=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
    # shellcheck disable=SC2086  # c is a plain word list
    ip netns exec "$ns" $c > "$d/$f" 2> "$d/$f.stderr"
    rc=$?
    [ -s "$d/$f.stderr" ] || rm -f "$d/$f.stderr"
    printf '| `%s` | `ip netns exec %s %s` | %s | %s |\n' "$f" "$ns" "$c" "$rc" "$t" >> "$tmp"
  done
  {
    echo "# IPVS capture: $sc"
    echo
    echo "State: $state"
    echo
    echo "Captured $(date -u +%Y-%m-%d) in the lvsha lab VM (qemu TCG), kernel $KREL, $IPVSADM_VERSION,"
    echo "network namespace \`$ns\` (each director namespace has its own IPVS table)."
    echo "Files are verbatim stdout (byte exact); \`X.stderr\` holds stderr when it was not empty."
    echo "All files of this directory were taken one after the other from the same table, 2.5 s"
    echo "after the last traffic (so the 2-second estimator has copied the counters), within"
    echo "about 5 s (each command takes ~0.25 s under TCG): connection expiry timers count down"
    echo "and rates decay between files; counters and the table itself do not change."
    echo "Produced by lab/vm/capture.sh; refresh with lab/vm/refresh-fixtures.sh. Do not edit."
    echo
    if [ -s "$LAB/cmds.$ns" ]; then
      echo "Commands that built the table in \`$ns\` (in order, with exit status):"
      echo
      echo '```'
      cat "$LAB/cmds.$ns"
      echo '```'
      echo
    fi
    echo "| file | command | rc | time (UTC) |"
    echo "|---|---|---|---|"
    cat "$tmp"
  } > "$d/README.md"
  echo "  snap $sc from $ns: $(ls "$d" | wc -l) files"
}
new_scenario() { NREQ=0; mark "scenario $1"; }

# ================================================================ lab
sw_up
real_up reel1 192.168.0.4 2001:db8::4
real_up reel2 192.168.0.5 2001:db8::5
host_up client 192.168.0.10 2001:db8::10
for a in 11 12 13 14; do ip -n client addr add 192.168.0.$a/24 dev eth0; done
ip netns exec client sysctl -qw net.ipv4.tcp_tw_reuse=1
sleep 1
mark "lab up"

# ---------------------------------------------------------------- empty
new_scenario empty
director_up frontal1 192.168.0.1 2001:db8::1
snap empty frontal1 "fresh namespace, IPVS module loaded, no service, no daemon" \
  "sysctl-net.ipv4.vs.txt|sysctl net.ipv4.vs"
host_down frontal1; rm -f "$LAB/cmds.frontal1"

# ---------------------------------------------------------------- (a) reference
new_scenario reference
director_up frontal1 192.168.0.1 2001:db8::1 vip
# sorry server on the director (the article: an HTTP server on 127.0.0.1:80)
mkdir -p "$LAB/www/sorry"; echo "maintenance" > "$LAB/www/sorry/index.html"
httpd_start frontal1 80 "$LAB/www/sorry"
ipvs frontal1 -A -t $VIP:80 -s wlc -p 3600
ipvs frontal1 -a -t $VIP:80 -r 192.168.0.4:80 -g -w 1
ipvs frontal1 -a -t $VIP:80 -r 192.168.0.5:80 -g -w 1
for i in 1 2 3 4 5; do
  for src in 192.168.0.10 192.168.0.12 192.168.0.13 192.168.0.14; do req $src http://$VIP/; done
done
snap reference frontal1 "reference service (-A -t 192.168.0.3:80 -s wlc -p 3600; reals .4 and .5 -g -w 1) right after $NREQ HTTP requests from 4 client addresses (192.168.0.10,12,13,14; 5 each, sequential); persistence templates present" \
  "ipvsadm-Ln-t-service.txt|ipvsadm -Ln -t $VIP:80" \
  "ipvsadm-Ln-t-service-stats.txt|ipvsadm -Ln -t $VIP:80 --stats"

# ---------------------------------------------------------------- (b) weight 0
new_scenario weight0
ipvs frontal1 -e -t $VIP:80 -r 192.168.0.5:80 -g -w 0
for i in 1 2; do
  for src in 192.168.0.10 192.168.0.12 192.168.0.13 192.168.0.14; do req $src http://$VIP/; done
done
snap weight0 frontal1 "reference table, then 192.168.0.5:80 set to weight 0 (quiescent/drained, ipvsadm -e ... -w 0), then $NREQ more requests (persistence templates still send known clients to .5)"

# ---------------------------------------------------------------- one removed
new_scenario one-removed
ipvs frontal1 -d -t $VIP:80 -r 192.168.0.5:80
for src in 192.168.0.10 192.168.0.12; do req $src http://$VIP/; done
snap one-removed frontal1 "reference table with 192.168.0.5:80 deleted (ipvsadm -d), only 192.168.0.4:80 left (what ldirectord does with quiescent=no when one check fails); $NREQ requests since"

# ---------------------------------------------------------------- (c) fallback
new_scenario fallback
ipvs frontal1 -d -t $VIP:80 -r 192.168.0.4:80
# exactly what ldirectord 4.12 runs when every real is down: the fallback with
# its default forwarding method (gate) and weight 1
ipvs frontal1 -a -t $VIP:80 -r 127.0.0.1:80 -g -w 1
# the article's sorry server listens on 127.0.0.1:80 only: with gate (DR) the
# packets keep their destination (the VIP), so such a server never sees them
httpd_stop frontal1 80
httpd_start frontal1 127.0.0.1:80 "$LAB/www/sorry"
sleep 0.5
echo "  sorry server bound to 127.0.0.1:80 only:"
req 192.168.0.14 http://$VIP/
httpd_stop frontal1 127.0.0.1:80
httpd_start frontal1 80 "$LAB/www/sorry"
sleep 0.5
echo "  sorry server bound to *:80:"
for src in 192.168.0.10 192.168.0.12 192.168.0.13; do req $src http://$VIP/; done
snap fallback frontal1 "both reals removed, only the fallback 127.0.0.1:80 -g -w 1 (as ldirectord adds it); $NREQ requests since: 1 while the sorry server (busybox httpd in frontal1) listened on 127.0.0.1:80 only, then 3 with it on *:80"
host_down frontal1; rm -f "$LAB/cmds.frontal1"

# ---------------------------------------------------------------- (d) mixed
new_scenario mixed
director_up frontal1 192.168.0.1 2001:db8::1 vip
ip netns exec frontal1 sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
  net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0 net.ipv4.vs.conntrack=0
# masq replies to the masq test client address go back through the director
for r in reel1 reel2; do ip -n $r route add 192.168.0.11/32 via 192.168.0.1; done
# firewall mark 5 for tcp VIP:8081 (FWM service)
ip netns exec frontal1 nft -f - <<'NFT'
table ip lvsha {
  chain pre { type filter hook prerouting priority -150; ip daddr 192.168.0.3 tcp dport 8081 meta mark set 5; }
}
NFT
echo "  nft rc=$?"
ipvs frontal1 -A -t $VIP:80 -s wlc -p 3600
ipvs frontal1 -a -t $VIP:80 -r 192.168.0.4:80 -g -w 1
ipvs frontal1 -a -t $VIP:80 -r 192.168.0.5:80 -g -w 1
ipvs frontal1 -A -t $VIP:443 -s rr
ipvs frontal1 -a -t $VIP:443 -r 192.168.0.4:443 -m -w 1
ipvs frontal1 -a -t $VIP:443 -r 192.168.0.5:443 -m -w 2 -x 100 -y 50
ipvs frontal1 -A -t $VIP:8080 -s sed -p 600 -M 255.255.255.0
ipvs frontal1 -a -t $VIP:8080 -r 192.168.0.4:8080 -i -w 1
ipvs frontal1 -a -t $VIP:8080 -r 192.168.0.5:8080 -i -w 1 --tun-type gue --tun-port 6080
ipvs frontal1 -A -u $VIP:53 -s rr -o
ipvs frontal1 -a -u $VIP:53 -r 192.168.0.4:53 -g -w 1
ipvs frontal1 -a -u $VIP:53 -r 192.168.0.5:53 -g -w 1
ipvs frontal1 -A -u $VIP:5060 -s rr -p 60 --pe sip
ipvs frontal1 -a -u $VIP:5060 -r 192.168.0.4:5060 -g -w 1
ipvs frontal1 -A --sctp-service $VIP:3868 -s sh -b sh-port,sh-fallback
ipvs frontal1 -a --sctp-service $VIP:3868 -r 192.168.0.4:3868 -g -w 1
ipvs frontal1 -a --sctp-service $VIP:3868 -r 192.168.0.5:3868 -g -w 1
ipvs frontal1 -A -f 5 -s wrr
ipvs frontal1 -a -f 5 -r 192.168.0.4 -g -w 3
ipvs frontal1 -a -f 5 -r 192.168.0.5 -g -w 1
ipvs frontal1 -A -f 6 -6 -s rr
ipvs frontal1 -a -f 6 -6 -r 2001:db8::4 -g -w 1
ipvs frontal1 -A -t "[$VIP6]:80" -s lc -p 300 -M 64
ipvs frontal1 -a -t "[$VIP6]:80" -r "[2001:db8::4]:80" -g -w 1
ipvs frontal1 -a -t "[$VIP6]:80" -r "[2001:db8::5]:80" -g -w 1
ipvs frontal1 -A -u "[$VIP6]:53" -s wrr
ipvs frontal1 -a -u "[$VIP6]:53" -r "[2001:db8::5]:53" -g -w 2
ipvs frontal1 -A -t $VIP:25 -s mh -b mh-port
ipvs frontal1 -a -t $VIP:25 -r 192.168.0.4:25 -g -w 1
ipvs frontal1 -a -t $VIP:25 -r 192.168.0.5:25 -g -w 0
ipvs frontal1 -A -t $VIP:110 -s nq
ipvs frontal1 -a -t $VIP:110 -r 192.168.0.4:110 -g -w 1
ipvs frontal1 -A -t $VIP:143 -s lblcr
ipvs frontal1 -a -t $VIP:143 -r 192.168.0.4:143 -g -w 1
ipvs frontal1 -A -t $VIP:993 -s dh
ipvs frontal1 -a -t $VIP:993 -r 192.168.0.4:993 -g -w 1
ipvs frontal1 -A -t $VIP:995 -s fo
ipvs frontal1 -a -t $VIP:995 -r 192.168.0.4:995 -g -w 1
ipvs frontal1 -a -t $VIP:995 -r 192.168.0.5:995 -g -w 5
ipvs frontal1 -A -t $VIP:587 -s ovf
ipvs frontal1 -a -t $VIP:587 -r 192.168.0.4:587 -g -w 1
ipvs frontal1 -A -t $VIP:21 -s lblc
ipvs frontal1 -a -t $VIP:21 -r 192.168.0.4:21 -g -w 1
ipvs frontal1 -A -t 192.168.0.6:80 -s wlc
for i in 1 2 3 4; do req 192.168.0.10 http://$VIP/; done
for i in 1 2 3 4; do req 192.168.0.11 http://$VIP:443/; done
for i in 1 2 3 4; do req 192.168.0.12 http://$VIP:8081/; done
for i in 1 2 3 4; do req 2001:db8::10 "http://[$VIP6]/"; done
NREQ=$((NREQ + 6))
ip netns exec client timeout 10 node -e '
const d = require("dgram");
const send = (fam, host, n) => new Promise(r => { const s = d.createSocket(fam);
  let k = 0; const go = () => { if (k++ >= n) { s.close(); return r(); } s.send("lvsha", 53, host, go); }; go(); });
send("udp4", "192.168.0.3", 3).then(() => send("udp6", "2001:db8::3", 3)).then(() => console.log("  udp sent"));'
ipvs frontal1 -L --timeout
ipvs frontal1 --set 900 120 300
snap mixed frontal1 "mixed table (see commands), traffic: 4 HTTP to tcp 80 (DR), 4 to tcp 443 (masq, from 192.168.0.11), 4 to tcp 8081 (marked 5 by nftables, FWM service), 4 to IPv6 tcp 80 (DR), 3 UDP datagrams to udp 53 (one-packet scheduling) and 3 to IPv6 udp 53; timeouts set to 900 120 300"
for r in reel1 reel2; do ip -n $r route del 192.168.0.11/32 via 192.168.0.1; done
host_down frontal1; rm -f "$LAB/cmds.frontal1"

# ---------------------------------------------------------------- (e) sync daemon
new_scenario sync
director_up frontal1 192.168.0.1 2001:db8::1 vip
director_up frontal2 192.168.0.2 2001:db8::2
mkdir -p "$OUT/sync-daemon"
ip netns exec frontal1 ipvsadm -L --daemon > "$OUT/sync-daemon/ipvsadm-L-daemon.none.txt" 2>&1
echo "none rc=$?" > "$LAB/daemon.rc"
ipvs frontal1 -A -t $VIP:80 -s wlc -p 3600
ipvs frontal1 -a -t $VIP:80 -r 192.168.0.4:80 -g -w 1
ipvs frontal1 -a -t $VIP:80 -r 192.168.0.5:80 -g -w 1
ipvs frontal1 --start-daemon master --syncid=1 --mcast-interface eth0
ipvs frontal2 --start-daemon backup --syncid=1 --mcast-interface eth0
ip netns exec frontal1 ipvsadm -L --daemon > "$OUT/sync-daemon/ipvsadm-L-daemon.master.txt" 2>&1
echo "master rc=$?" >> "$LAB/daemon.rc"
ip netns exec frontal2 ipvsadm -L --daemon > "$OUT/sync-daemon/ipvsadm-L-daemon.backup.txt" 2>&1
echo "backup rc=$?" >> "$LAB/daemon.rc"
sleep 1
for i in 1 2 3; do
  for src in 192.168.0.10 192.168.0.12 192.168.0.13 192.168.0.14; do req $src http://$VIP/; done
done
has_sync() { ip netns exec frontal2 grep -q ' SYNC ' /proc/net/ip_vs_conn_sync; }
if wait_until 10 has_sync; then echo "  backup received sync"; else echo "  backup has no SYNC rows after 10 s"; fi
sleep 1
snap sync-master frontal1 "sync daemon: frontal1 holds the VIP and the reference service, runs 'ipvsadm --start-daemon master --syncid=1 --mcast-interface eth0'; $NREQ requests through it; frontal2 runs the backup daemon (see ../sync-backup)"
snap sync-backup frontal2 "sync daemon: frontal2 (no VIP, no service: ldirectord runs only on the active director) runs 'ipvsadm --start-daemon backup --syncid=1 --mcast-interface eth0' and received the master's connections (Origin SYNC)"
ipvs frontal1 --start-daemon backup --syncid=1 --mcast-interface eth0
ip netns exec frontal1 ipvsadm -L --daemon > "$OUT/sync-daemon/ipvsadm-L-daemon.both.txt" 2>&1
echo "both rc=$?" >> "$LAB/daemon.rc"
ipvs frontal1 --stop-daemon master
ipvs frontal1 --stop-daemon backup
ip netns exec frontal1 ipvsadm -L --daemon > "$OUT/sync-daemon/ipvsadm-L-daemon.stopped.txt" 2>&1
echo "stopped rc=$?" >> "$LAB/daemon.rc"
ipvs frontal2 --stop-daemon backup
{
  echo "# ipvsadm -L --daemon in four daemon states"
  echo
  echo "Captured $(date -u +%Y-%m-%d) in the lvsha lab VM, kernel $KREL, $IPVSADM_VERSION. Verbatim stdout+stderr. Do not edit."
  echo
  echo "| file | state | command | rc |"
  echo "|---|---|---|---|"
  echo "| \`ipvsadm-L-daemon.none.txt\` | no daemon (fresh namespace frontal1) | \`ip netns exec frontal1 ipvsadm -L --daemon\` | $(sed -n 's/^none rc=//p' "$LAB/daemon.rc") |"
  echo "| \`ipvsadm-L-daemon.master.txt\` | master only (\`--start-daemon master --syncid=1 --mcast-interface eth0\`) | \`ip netns exec frontal1 ipvsadm -L --daemon\` | $(sed -n 's/^master rc=//p' "$LAB/daemon.rc") |"
  echo "| \`ipvsadm-L-daemon.backup.txt\` | backup only (\`--start-daemon backup --syncid=1 --mcast-interface eth0\`) | \`ip netns exec frontal2 ipvsadm -L --daemon\` | $(sed -n 's/^backup rc=//p' "$LAB/daemon.rc") |"
  echo "| \`ipvsadm-L-daemon.both.txt\` | master and backup on the same node | \`ip netns exec frontal1 ipvsadm -L --daemon\` | $(sed -n 's/^both rc=//p' "$LAB/daemon.rc") |"
  echo "| \`ipvsadm-L-daemon.stopped.txt\` | after \`--stop-daemon master\` and \`--stop-daemon backup\` | \`ip netns exec frontal1 ipvsadm -L --daemon\` | $(sed -n 's/^stopped rc=//p' "$LAB/daemon.rc") |"
} > "$OUT/sync-daemon/README.md"
host_down frontal2; rm -f "$LAB/cmds.frontal2"

# ---------------------------------------------------------------- (f) large counters
new_scenario large-counters
# sink on reel1:9 (the VIP is on its lo, DR): reads and discards
ip netns exec reel1 timeout 120 node -e '
require("net").createServer(s => { s.resume(); s.on("end", () => s.end()); }).listen(9, "0.0.0.0");' &
SINK=$!
sleep 4
ipvs frontal1 -A -t $VIP:9 -s rr
ipvs frontal1 -a -t $VIP:9 -r 192.168.0.4:9 -g -w 1
NREQ=$((NREQ + 1))
ip netns exec client timeout 100 node -e '
const MB = 1 << 20, total = 130 * MB, chunk = Buffer.alloc(MB, 0x61);
const t0 = Date.now(); let sent = 0;
const s = require("net").connect(9, "192.168.0.3", function pump() {
  while (sent < total) { sent += MB; if (!s.write(chunk)) return s.once("drain", pump); }
  s.end();
});
s.on("close", () => console.log("  uploaded", sent, "bytes in", (Date.now() - t0) / 1000, "s"));
s.on("error", e => console.log("  upload error", e.message));'
echo "  upload rc=$?"
snap large-counters frontal1 "reference service plus tcp 192.168.0.3:9 -s rr -> 192.168.0.4:9 -g, after one 130 MiB upload through port 9 (DR: the director counts only client->server bytes) and the earlier sync-scenario requests; shows the K/M abbreviations of ipvsadm --stats/--rate vs --exact"
kill "$SINK" 2>/dev/null; wait "$SINK" 2>/dev/null
host_down frontal1; rm -f "$LAB/cmds.frontal1"

# ---------------------------------------------------------------- ldirectord
new_scenario ldirectord
director_up frontal1 192.168.0.1 2001:db8::1 vip
httpd_start frontal1 80 "$LAB/www/sorry"
# the reference www.cf (checktimeout/checkinterval chosen for the lab)
cat > "$LAB/www.cf" <<EOF
checktimeout=3
checkinterval=5
autoreload=no
logfile="$LAB/ldirectord.log"
quiescent=no

virtual=192.168.0.3:80
	fallback=127.0.0.1:80
	real=192.168.0.4:80 gate 1
	real=192.168.0.5:80 gate 1
	service=http
	scheduler=wlc
	protocol=tcp
	checktype=connect
	persistent=3600
EOF
LDSTATE=$OUT/ldirectord
mkdir -p "$LDSTATE"
cp "$LAB/www.cf" "$LDSTATE/www.cf"
ip netns exec frontal1 timeout 20 ldirectord "$LAB/www.cf" start
echo "  ldirectord start rc=$?"
# what a monitor sees right after the start (ldirectord adds the fallback first)
ip netns exec frontal1 ipvsadm -Ln > "$LDSTATE/ipvsadm-Ln.just-started.txt" 2>&1
echo "just-started rc=$?" > "$LAB/ld.rc"
ip netns exec frontal1 ldirectord "$LAB/www.cf" status > "$LDSTATE/ldirectord-status.running.txt" 2>&1
echo "running rc=$?" >> "$LAB/ld.rc"
has_real() { ip netns exec frontal1 ipvsadm -Ln | grep -q -- "-> $1"; }
no_real() { ! has_real "$1"; }
both_up() { has_real 192.168.0.4:80 && has_real 192.168.0.5:80 && no_real 127.0.0.1:80; }
wait_until 20 both_up || echo "  ldirectord did not add both reals"
sleep 6   # more than checkinterval: let a start-up flap show
wait_until 20 both_up || echo "  ldirectord did not keep both reals"
for src in 192.168.0.10 192.168.0.12 192.168.0.13 192.168.0.14; do req $src http://$VIP/; done
snap ldirectord-up frontal1 "table built by ldirectord 4.12 from www.cf (see ../ldirectord/www.cf), both reals up; $NREQ requests"
httpd_stop reel2 80
wait_until 20 no_real 192.168.0.5:80 || echo "  ldirectord did not remove reel2"
for src in 192.168.0.10 192.168.0.12; do req $src http://$VIP/; done
snap ldirectord-one-down frontal1 "ldirectord after reel2's HTTP listener (192.168.0.5:80) stopped: quiescent=no, so it deleted the real; $NREQ requests in total since ldirectord-up"
httpd_stop reel1 80
wait_until 20 has_real 127.0.0.1:80 || echo "  ldirectord did not add the fallback"
for src in 192.168.0.10 192.168.0.13 192.168.0.14; do req $src http://$VIP/; done
snap ldirectord-fallback frontal1 "ldirectord after both reals' HTTP listeners stopped: reals deleted, fallback 127.0.0.1:80 added; $NREQ requests in total since ldirectord-up"
httpd_start reel1 80
wait_until 20 has_real 192.168.0.4:80 || echo "  ldirectord did not re-add reel1"
sleep 1
for src in 192.168.0.10 192.168.0.12; do req $src http://$VIP/; done
snap ldirectord-recovered frontal1 "ldirectord after reel1's listener came back: reel1 re-added, fallback removed; $NREQ requests in total since ldirectord-up"
ip netns exec frontal1 timeout 20 ldirectord "$LAB/www.cf" stop
echo "  ldirectord stop rc=$?"
ip netns exec frontal1 ldirectord "$LAB/www.cf" status > "$LDSTATE/ldirectord-status.stopped.txt" 2>&1
echo "stopped rc=$?" >> "$LAB/ld.rc"
snap ldirectord-stopped frontal1 "after 'ldirectord www.cf stop'"
cp "$LAB/ldirectord.log" "$LDSTATE/ldirectord.log" 2>/dev/null
{
  echo "# ldirectord in the lab VM"
  echo
  echo "Captured $(date -u +%Y-%m-%d), kernel $KREL, $(ldirectord --version 2>&1 | head -1 | tr -d '\n'), $IPVSADM_VERSION."
  echo "ldirectord ran in namespace frontal1 with \`www.cf\` (the reference file, checktimeout=3 and checkinterval=5 for the lab)."
  echo "States: ../ldirectord-up, ../ldirectord-one-down, ../ldirectord-fallback, ../ldirectord-recovered, ../ldirectord-stopped."
  echo "Verbatim files, do not edit."
  echo
  echo "| file | command | rc |"
  echo "|---|---|---|"
  echo "| \`www.cf\` | (the configuration used) | |"
  echo "| \`ldirectord-status.running.txt\` | \`ip netns exec frontal1 ldirectord $LAB/www.cf status\` (stdout+stderr) | $(sed -n 's/^running rc=//p' "$LAB/ld.rc") |"
  echo "| \`ldirectord-status.stopped.txt\` | \`ip netns exec frontal1 ldirectord $LAB/www.cf status\` after stop (stdout+stderr) | $(sed -n 's/^stopped rc=//p' "$LAB/ld.rc") |"
  echo "| \`ipvsadm-Ln.just-started.txt\` | \`ip netns exec frontal1 ipvsadm -Ln\` right after \`ldirectord ... start\` returned (stdout+stderr) | $(sed -n 's/^just-started rc=//p' "$LAB/ld.rc") |"
  echo "| \`ldirectord.log\` | its logfile over the whole run | |"
} > "$LDSTATE/README.md"
host_down frontal1

# ---------------------------------------------------------------- teardown
for n in client reel2 reel1; do host_down $n; done
ip netns del sw
for k in "${!HTTPD[@]}"; do kill "${HTTPD[$k]}" 2>/dev/null; done
# index of the scenarios
{
  echo "# Real IPVS captures (kernel $KREL, $IPVSADM_VERSION)"
  echo
  echo "Captured $(date -u +%Y-%m-%d) by lab/vm/capture.sh in the lvsha lab VM (qemu TCG, Debian"
  echo "linux-image-$KREL, the host's Debian 12 userspace). One directory per table state; each"
  echo "has a README.md naming the exact command, exit status and time of every file."
  echo "Verbatim, byte exact: never edit; refresh with lab/vm/refresh-fixtures.sh."
  echo
  echo "| directory | state |"
  echo "|---|---|"
  for d in "$OUT"/*/; do
    d=${d%/}; n=${d##*/}
    st=$(sed -n 's/^State: //p' "$d/README.md" | head -1)
    [ -n "$st" ] || st=$(sed -n '1s/^# //p' "$d/README.md")
    printf '| `%s/` | %s |\n' "$n" "$st"
  done
} > "$OUT/README.md"
mark end
echo "capture done in $(awk -v a="$T0" '{printf "%.1f", $1 - a}' /proc/uptime) s guest time"
