# shellcheck shell=bash
# Shared helpers of the namespace tier (sourced by up.sh, down.sh, capture.sh).
# Everything lives in network namespaces named lvsha-*; nothing is created in
# the host's root namespace. Each host also gets an "anchor" process that is
# PID 1 of its own PID namespace and owns its private mount + UTS namespaces
# (hostname, tmpfs /run, /proc of the PID namespace, bind mounts); every daemon
# of that host is started with nsenter into the anchor, so sshd sessions,
# cl_status and ldirectord all see the same /run and /etc/ha.d, and `ps` on a
# node shows only that node.
# Why a PID namespace: Heartbeat's ResourceManager answers a failed resource
# stop with `pkill -9 heartbeat` and `/sbin/reboot -nf`, and heartbeat itself
# calls reboot(2) (cl_reboot) when a managed child dies. Without a PID
# namespace that would kill the other node's heartbeat and reboot the host;
# inside one, reboot(2) only ends the node's PID namespace, like a crash.

LAB_NETNS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_DIR="${LVSHA_LAB_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.lab}"
STATE="$LAB_DIR/netns"            # runtime state: pids, node dirs, logs
PIDS="$STATE/pids"
KEYS="$LAB_DIR/ssh"               # kept across runs (stable known_hosts)
ETC_DIR="${LVSHA_LAB_ETC:-$LAB_NETNS_DIR/etc}"
# etc_of HOST : the host's config root in $ETC_DIR. Two layouts: the hand-made
# one (etc/HOST/ha.d/...) and `lvsha generate -o DIR` (DIR/HOST/etc/ha.d/...).
etc_of() { if [[ -d "$ETC_DIR/$1/etc" ]]; then printf '%s/%s/etc' "$ETC_DIR" "$1"; else printf '%s/%s' "$ETC_DIR" "$1"; fi; }

NS_PREFIX="lvsha-"
SW_NS="${NS_PREFIX}sw"
HOSTS=(frontal1 frontal2 reel1 reel2 client mon)
DIRECTORS=(frontal1 frontal2)
REALS=(reel1 reel2)
SSH_HOSTS=(frontal1 frontal2 reel1 reel2)
VIP=192.168.0.3

# Lab Heartbeat timings: "fast" (default), "reference" (2/6/10/60), "file"
# (keep ha.cf as found in $ETC_DIR) or "keepalive warntime deadtime initdead".
LVSHA_HB_TIMINGS="${LVSHA_HB_TIMINGS:-fast}"
# The directors' HA layer: heartbeat (default; Heartbeat + ldirectord) or keepalived (VRRP in
# unicast between the directors, a dbus-daemon per director for org.keepalived.Vrrp1; the
# virtual_server blocks only where the kernel has IPVS) or pacemaker (Corosync + Pacemaker, the
# group vip + ldirectord; see start_pacemaker). up.sh takes it from the environment
# only and records it in $STATE/ha; every other script follows the lab that is up.
LVSHA_LAB_HA_ENV="${LVSHA_LAB_HA:-}"
LVSHA_LAB_HA="${LVSHA_LAB_HA:-$(cat "$STATE/ha" 2>/dev/null || echo heartbeat)}"
ka_lab() { [[ "$LVSHA_LAB_HA" == keepalived ]]; }
pm_lab() { [[ "$LVSHA_LAB_HA" == pacemaker ]]; }

declare -A IP=([frontal1]=192.168.0.1 [frontal2]=192.168.0.2 [reel1]=192.168.0.4
               [reel2]=192.168.0.5 [client]=192.168.0.10 [mon]=192.168.0.20)
# Fixed, locally administered MACs so captures are stable across runs.
declare -A MAC=([frontal1]=02:1a:00:00:00:01 [frontal2]=02:1a:00:00:00:02
                [reel1]=02:1a:00:00:00:04 [reel2]=02:1a:00:00:00:05
                [client]=02:1a:00:00:00:0a [mon]=02:1a:00:00:00:14)

log() { printf '%s [%s] %s\n' "$(date +%T.%3N)" "$(basename "$0")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
ns() { printf '%s%s' "$NS_PREFIX" "$1"; }
now_ms() { date +%s%3N; }

# tx SECONDS : a start-up bound, stretched x10 under qemu TCG (LVSHA_LAB_SLOW=1, set by the VM
# agent), where a process start costs ~0.25 s and other work on the machine slows the guest
# further (an anchor took over 20 s to start with a load of 12 on 2 cores).
tx() { if [[ "${LVSHA_LAB_SLOW:-0}" == 1 ]]; then echo $(( $1 * 10 )); else echo "$1"; fi; }

# wait_until TIMEOUT_S STEP_S cmd... : poll cmd until it succeeds, bounded.
wait_until() {
  local timeout=$1 step=$2; shift 2
  local deadline=$(( $(now_ms) + timeout * 1000 ))
  while :; do
    if "$@"; then return 0; fi
    (( $(now_ms) < deadline )) || return 1
    sleep "$step"
  done
}

# pid_alive PID : running and not a zombie (zombies wait for an outside reaper).
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  [[ "$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" != Z ]]
}
pidfile_pid() { [[ -s "$PIDS/$1.pid" ]] && cat "$PIDS/$1.pid"; return 0; }
anchor_pid() {
  local p; p=$(pidfile_pid "$1.anchor")
  pid_alive "$p" || die "host $1 has no live anchor (is the lab up?)"
  printf '%s' "$p"
}
# in_host HOST cmd... : run cmd in the host's network, mount, UTS and PID
# namespaces (nsenter forks the command into the PID namespace).
in_host() {
  local h=$1; shift
  nsenter -t "$(anchor_pid "$h")" -n -m -u -p -- "$@"
}
# outer_pid HOST INNER : the PID, as seen from the host, of the process whose
# PID inside HOST's PID namespace is INNER ("" when none).
outer_pid() {
  local a pidns p nspid
  a=$(anchor_pid "$1"); pidns=$(readlink "/proc/$a/ns/pid")
  for p in $(ip netns pids "$(ns "$1")" 2>/dev/null); do
    [[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" == "$pidns" ]] || continue
    nspid=$(awk '$1 == "NSpid:" { print $NF }' "/proc/$p/status" 2>/dev/null) || continue
    if [[ "$nspid" == "$2" ]]; then printf '%s' "$p"; return 0; fi
  done
  return 0
}
# hroot HOST : the host's filesystem view (its /run, its /etc/ha.d) from outside.
hroot() { printf '/proc/%s/root' "$(anchor_pid "$1")"; }

# spawn NAME HOST cmd... : start a long-running foreground daemon inside HOST,
# detached from our session, its host-side PID recorded in $PIDS/NAME.pid
# (exact PID: the shell writes its own PID and execs the daemon).
spawn() {
  local name=$1 h=$2; shift 2
  local inner="$PIDS/$name.inner" logf="$STATE/log/$name.log" p=""
  rm -f "$inner" "$PIDS/$name.pid"
  # setsid -f daemonizes inside the PID namespace: the daemon's parent becomes
  # the node's init (which reaps it), nsenter returns at once.
  nsenter -t "$(anchor_pid "$h")" -n -m -u -p -- \
    setsid -f sh -c 'echo $$ > "$0"; exec "$@"' "$inner" "$@" </dev/null >>"$logf" 2>&1
  wait_until "$(tx 5)" 0.05 test -s "$inner" || die "$name did not start (see $logf)"
  p=$(outer_pid "$h" "$(cat "$inner")")
  [[ -n "$p" ]] || die "$name: no host PID for inner PID $(cat "$inner")"
  printf '%s\n' "$p" >"$PIDS/$name.pid"
  rm -f "$inner"
}

# heartbeat_master HOST : host-side PID of Heartbeat's master control process,
# from the pid file in the node's private /run ("" when none or not running).
heartbeat_master() {
  local f p
  f="$(hroot "$1")/run/heartbeat.pid"
  [[ -s "$f" ]] || return 0
  p=$(outer_pid "$1" "$(tr -dc '0-9' <"$f")")
  [[ -n "$p" && "$(cat "/proc/$p/comm" 2>/dev/null)" == heartbeat ]] && printf '%s' "$p"
  return 0
}

# vip_holders : hosts (directors) whose eth0 holds the VIP, space separated.
vip_holders() {
  local h out=()
  for h in "${DIRECTORS[@]}"; do
    if ip -n "$(ns "$h")" -o -4 addr show dev eth0 2>/dev/null | grep -q " $VIP/"; then
      out+=("$h")
    fi
  done
  printf '%s' "${out[*]:-}"
}

# hb_timings : "keepalive warntime deadtime initdead" for LVSHA_HB_TIMINGS.
hb_timings() {
  case "$LVSHA_HB_TIMINGS" in
    fast) echo "1 3 5 10" ;;
    reference) echo "2 6 10 60" ;;
    file) echo "" ;;
    *) [[ "$LVSHA_HB_TIMINGS" =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]] \
         || die "LVSHA_HB_TIMINGS must be fast, reference, file or 'K W D I'"
       echo "$LVSHA_HB_TIMINGS" ;;
  esac
}
# hb_param HOST NAME : a value from the host's runtime ha.cf.
hb_param() {
  awk -v k="$2" '$1 == k { print $2; exit }' "$STATE/nodes/$1/ha.d/ha.cf"
}

# --- starting a host's processes (used by up.sh and by capture.sh's reboot) ---

is_director() { [[ " ${DIRECTORS[*]} " == *" $1 "* ]]; }
is_real() { [[ " ${REALS[*]} " == *" $1 "* ]]; }

# The anchor: PID 1 of a new PID namespace inside the host's network namespace,
# with a private mount + UTS namespace set up like a booted Debian host.
ANCHOR_SCRIPT='
set -e
h=$1 d=$2 role=$3 pidf=$4 ha=$5 lab=$6 repo=$7
# Record our host-side PID (the PPid of awk as the host /proc shows it), then
# mount the PID namespace'"'"'s own /proc.
awk '"'"'$1 == "PPid:" { print $2 }'"'"' /proc/self/status >"$pidf.tmp"
mount -t proc proc /proc
hostname "$h"
mount -t tmpfs -o mode=755 lvsha-run /run
mkdir -p /run/lock /run/sshd
chmod 1777 /run/lock
mount --bind "$d/log" /var/log
if [ "$role" = director ] && [ "$ha" = keepalived ]; then
  # keepalived: its config at its Debian path, a private /tmp (its dumps, the lab flag of the
  # tracked script), /run/dbus for the per-host system bus (org.keepalived.Vrrp1)
  mount --bind "$d/keepalived" /etc/keepalived
  mkdir -p /run/dbus /run/lvsha-outer-tmp
  mount --rbind /tmp /run/lvsha-outer-tmp
  mount --bind "$d/tmp" /tmp
  # the lab state and the repository stay where they were when they live under /tmp (the VM
  # tier: LVSHA_LAB_DIR=/tmp/lvsha-lab; a clone in /tmp): their top directory bound back
  for p in "$lab" "$repo"; do
    case "$p" in
      /tmp/?*) top=${p#/tmp/}; top=${top%%/*}
        [ -e "/tmp/$top" ] || mkdir "/tmp/$top"
        mountpoint -q "/tmp/$top" || mount --rbind "/run/lvsha-outer-tmp/$top" "/tmp/$top" ;;
    esac
  done
elif [ "$role" = director ] && [ "$ha" = pacemaker ]; then
  # Corosync + Pacemaker: their config, state and logs private to the node; a private /dev/shm
  # (libqb IPC ring buffers; its sockets are abstract, private to the network namespace)
  mount -t tmpfs -o mode=1777 lvsha-shm /dev/shm
  mkdir -p /run/resource-agents; chmod 1755 /run/resource-agents
  mount --bind "$d/corosync" /etc/corosync
  mount --bind "$d/lib-corosync" /var/lib/corosync
  mount --bind "$d/lib-pacemaker" /var/lib/pacemaker
  mount --bind "$d/ha.d" /etc/ha.d
  # the lab host names (crmsh checks that a node it acts on resolves and answers ping)
  mount --bind "$d/hosts" /etc/hosts
elif [ "$role" = director ]; then
  # what Debian'"'"'s tmpfiles.d (heartbeat, resource-agents) creates at boot
  mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm /run/resource-agents
  chown hacluster:haclient /run/heartbeat /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm
  chmod 750 /run/heartbeat /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/crm
  chmod 1755 /run/resource-agents
  mount --bind "$d/ha.d" /etc/ha.d
  mount --bind "$d/lib-heartbeat" /var/lib/heartbeat
fi
# a clean /root: SSH sessions must not run the lab host ~/.bashrc (a pyenv
# init there costs ~1 s per command on the host kernel and ~70 s under qemu TCG)
mkdir -p "$d/root"; mount --bind "$d/root" /root
# boot-time files of the node (real servers: sysctl.d, systemd/network), when prepared
[ -d "$d/boot/sysctl.d" ] && mount --bind "$d/boot/sysctl.d" /etc/sysctl.d
[ -d "$d/boot/systemd-network" ] && [ -d /etc/systemd/network ] && mount --bind "$d/boot/systemd-network" /etc/systemd/network
mv "$pidf.tmp" "$pidf"
# A minimal init: reap orphans (daemons that fork, like heartbeat), exit on TERM.
exec perl -e '"'"'$0 = "lvsha-init $ARGV[0]"; $SIG{TERM} = $SIG{INT} = sub { exit 0 };
  while (1) { sleep 1 if wait() == -1 }'"'"' "$h"
'
start_anchor() {
  local h=$1 role=host
  is_director "$h" && role=director
  rm -f "$PIDS/$h.anchor.pid"
  setsid ip netns exec "$(ns "$h")" unshare -m -u -p --fork --propagation private \
    sh -c "$ANCHOR_SCRIPT" anchor "$h" "$STATE/nodes/$h" "$role" "$PIDS/$h.anchor.pid" "$LVSHA_LAB_HA" "$LAB_DIR" "$(cd "$LAB_NETNS_DIR/../.." && pwd)" \
    </dev/null >>"$STATE/log/$h.anchor.log" 2>&1 &
  wait_until "$(tx 5)" 0.05 test -s "$PIDS/$h.anchor.pid" || die "anchor of $h did not start (see $STATE/log/$h.anchor.log)"
}

# set_arp_sysctls HOST ALL_IGNORE ALL_ANNOUNCE LO_IGNORE LO_ANNOUNCE (per netns)
set_arp_sysctls() {
  ip netns exec "$(ns "$1")" sysctl -q -w net.ipv4.conf.all.arp_ignore="$2" net.ipv4.conf.all.arp_announce="$3" \
    net.ipv4.conf.lo.arp_ignore="$4" net.ipv4.conf.lo.arp_announce="$5"
}

# start_httpd HOST [ADDR] : web server (real servers: their name; directors: the
# sorry server's maintenance page), on 0.0.0.0:80 by default. Directors too:
# ldirectord's fallback 127.0.0.1:80 is a DR (gate) destination, the packets
# keep the VIP as destination, so a sorry server on 127.0.0.1 only is never reached.
start_httpd() {
  local h=$1 addr=${2:-0.0.0.0}
  spawn "$h.httpd" "$h" busybox httpd -f -p "$addr:80" -h "$STATE/nodes/$h/www"
  wait_until "$(tx 5)" 0.05 in_host "$h" sh -c "ss -ltnH | grep -q ' $addr:80 '" || die "httpd on $h not listening"
}
stop_pidfile() {   # stop_pidfile NAME : TERM, bounded wait, KILL
  local p; p=$(pidfile_pid "$1")
  if pid_alive "$p"; then
    kill -TERM "$p" 2>/dev/null || true
    wait_until 5 0.05 bash -c "! kill -0 $p 2>/dev/null || grep -q '^State:.Z' /proc/$p/status" \
      || { kill -KILL "$p" 2>/dev/null || true; }
  fi
  rm -f "$PIDS/$1.pid"
}

start_services() {
  local h=$1
  if is_director "$h" || is_real "$h"; then
    start_httpd "$h"
    spawn "$h.sshd" "$h" /usr/sbin/sshd -D -e -f "$STATE/nodes/$h/sshd_config"
  fi
}

start_heartbeat() {
  local h=$1
  in_host "$h" setsid /usr/libexec/heartbeat/heartbeat </dev/null >>"$STATE/log/$h.heartbeat.log" 2>&1 \
    || die "heartbeat on $h failed to start (see $STATE/log/$h.heartbeat.log, nodes/$h/log/ha-log)"
  hb_master_ready() { [[ -n "$(heartbeat_master "$1")" ]]; }
  wait_until "$(tx 10)" 0.1 hb_master_ready "$h" || die "no heartbeat pid file on $h"
  echo "$(heartbeat_master "$h")" >"$PIDS/$h.heartbeat.pid"
}

# --- keepalived (LVSHA_LAB_HA=keepalived) ---------------------------------------------
KA_CONF=/etc/keepalived/keepalived.conf   # inside a director: bind mount of nodes/H/keepalived
KA_FLAG=/tmp/lvsha-lab-healthy            # the lab's tracked script: `test -e` of this file
KA_BUS=org.keepalived.Vrrp1
KA_VRID=${LVSHA_LAB_VRID:-51}             # lvsha generate --vrid (default 51)
KA_INSTANCE_PATH="/org/keepalived/Vrrp1/Instance/eth0/$KA_VRID/IPv4"

# ka_pidfile_pids HOST : host-side PIDs of the live processes named in keepalived's pid files
# (keepalived.pid: the parent; vrrp.pid, checkers.pid: its children), one per line.
ka_pidfile_pids() {
  local f p r; r=$(hroot "$1")
  for f in keepalived vrrp checkers; do
    [[ -s "$r/run/$f.pid" ]] || continue
    p=$(outer_pid "$1" "$(tr -dc '0-9' <"$r/run/$f.pid")")
    [[ -n "$p" && "$(cat "/proc/$p/comm" 2>/dev/null)" == keepalived ]] && pid_alive "$p" && echo "$p"
  done
  return 0
}
# ka_parent HOST : host-side PID of keepalived's parent process ("" when not running).
ka_parent() {
  local f p; f="$(hroot "$1")/run/keepalived.pid"
  [[ -s "$f" ]] || return 0
  p=$(outer_pid "$1" "$(tr -dc '0-9' <"$f")")
  [[ -n "$p" && "$(cat "/proc/$p/comm" 2>/dev/null)" == keepalived ]] && pid_alive "$p" && printf '%s' "$p"
  return 0
}
# ka_dbus HOST ARGS... : dbus-send on HOST's system bus, bounded.
ka_dbus() {
  local h=$1; shift
  in_host "$h" timeout 10 dbus-send --system --print-reply --reply-timeout=3000 "$@"
}
# ka_owned HOST : keepalived owns org.keepalived.Vrrp1 on HOST's bus.
ka_owned() {
  ka_dbus "$1" --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner "string:$KA_BUS" 2>/dev/null \
    | grep -q 'boolean true'
}
# ka_state HOST : the VRRP instance's state word over DBus (Master, Backup, Fault...; "" when no answer).
ka_state() {
  ka_dbus "$1" --dest="$KA_BUS" "$KA_INSTANCE_PATH" org.freedesktop.DBus.Properties.Get \
    string:org.keepalived.Vrrp1.Instance string:State 2>/dev/null | awk -F'"' '/string "/ { print $2; exit }'
  return 0
}
ka_state_is() { [[ "$(ka_state "$1")" == "$2" ]]; }

# ka_conf SRC IPVS : the lab's keepalived.conf from the generated one on stdout: global_defs gain
# enable_dbus and script security, the instance tracks the lab's flag file (weight -60: 150 ->
# 90 < 100, a failover), and without kernel IPVS (IPVS=0) the virtual_server blocks and
# lvs_sync_daemon go (keepalived exits on a virtual_server it cannot load).
ka_conf() {
  awk -v ipvs="$2" -v flag="$KA_FLAG" '
    ipvs == 0 && /^virtual_server[ \t]/ { skip = 1; depth = 0; h = $0; sub(/[ \t]*\{.*/, "", h); print "# " h ": removed by the lab (no IPVS in this kernel)" }
    skip { o = gsub(/\{/, "{"); c = gsub(/\}/, "}"); depth += o - c; if (depth <= 0 && (o || c)) skip = 0; next }
    ipvs == 0 && /^[ \t]*lvs_sync_daemon[ \t]/ { print "    # lvs_sync_daemon: removed by the lab (no IPVS in this kernel)"; next }
    /^global_defs[ \t]*\{/ { print; print "    enable_script_security"; print "    script_user root"; print "    enable_dbus"; next }
    /^vrrp_instance[ \t]/ {
      print "# lab only: lab/netns/keepalived.sh script-fail HOST removes the flag (priority 150 - 60 < 100)"
      print "vrrp_script chk_lvsha_lab {"
      print "    script \"/usr/bin/test -e " flag "\""
      print "    interval 1"; print "    weight -60"; print "    fall 1"; print "    rise 1"
      print "}"; print ""
      inst = 1
    }
    inst && /^\}/ { print "    track_script {"; print "        chk_lvsha_lab"; print "    }"; inst = 0 }
    { print }
  ' "$1"
}

# start_keepalived HOST : the host's system bus (once), then keepalived (VRRP only without
# IPVS); returns when its pid files name live processes.
start_keepalived() {
  local h=$1 opts=(-f "$KA_CONF" -n -l -D)
  ipvs_available || opts+=(-P)
  if ! pid_alive "$(pidfile_pid "$h.dbus")"; then
    in_host "$h" rm -f /run/dbus/system_bus_socket
    spawn "$h.dbus" "$h" dbus-daemon --system --nofork --nopidfile
    wait_until "$(tx 5)" 0.05 test -S "$(hroot "$h")/run/dbus/system_bus_socket" || die "no system bus on $h"
  fi
  spawn "$h.keepalived" "$h" keepalived "${opts[@]}"
  ka_started() { [[ -n "$(ka_parent "$1")" ]] && [[ -s "$(hroot "$1")/run/vrrp.pid" ]]; }
  wait_until "$(tx 10)" 0.05 ka_started "$h" || die "keepalived on $h did not write its pid files (see $STATE/log/$h.keepalived.log)"
}
# stop_keepalived HOST : graceful (TERM to the parent: it removes the VIP and its pid files), bounded.
stop_keepalived() {
  local h=$1 p; p=$(ka_parent "$h")
  KA_T_SIGNAL=$(now_ms)   # the moment of the fault, for failover times
  [[ -n "$p" ]] && kill -TERM "$p"
  ka_gone() { [[ -z "$(host_pids "$1" keepalived)" ]]; }
  wait_until 20 0.05 ka_gone "$h" || die "keepalived on $h did not stop within 20 s"
  rm -f "$PIDS/$h.keepalived.pid"
}
# crash_keepalived HOST : kill -9 of every process named in keepalived's pid files (they stay,
# stale, with the dumps; the VIP stays configured on eth0).
crash_keepalived() {
  local p; mapfile -t p < <(ka_pidfile_pids "$1")
  ((${#p[@]})) || die "keepalived is not running on $1"
  KA_T_SIGNAL=$(now_ms)
  kill -KILL "${p[@]}"
  ka_dead() { local x; for x in "$@"; do pid_alive "$x" && return 1; done; return 0; }
  wait_until 10 0.02 ka_dead "${p[@]}" || die "keepalived on $1 survives kill -9"
}
start_ha() { if ka_lab; then start_keepalived "$1"; elif pm_lab; then start_pacemaker "$1"; else start_heartbeat "$1"; fi; }

# --- Corosync + Pacemaker (LVSHA_LAB_HA=pacemaker) ---------------------------------------------
# Each director: corosync -f, then pacemakerd (both in the foreground, recorded by spawn), with
# the node's /etc/corosync, /var/lib/{corosync,pacemaker}, /etc/ha.d, /dev/shm (anchor script).
# Pacemaker's log: nodes/H/log/pacemaker/pacemaker.log; corosync's: nodes/H/log/corosync/.
PM_ENV=(env PCMK_logfacility=none PCMK_logfile=/var/log/pacemaker/pacemaker.log)
# pm_pid HOST NAME : host-side PID of the recorded NAME (corosync, pacemakerd) when alive.
pm_pid() { local p; p=$(pidfile_pid "$1.$2"); pid_alive "$p" && printf '%s' "$p"; return 0; }
start_pacemaker() {
  local h=$1
  spawn "$h.corosync" "$h" corosync -f
  cs_up() { in_host "$1" timeout 5 corosync-cfgtool -s >/dev/null 2>&1; }
  wait_until "$(tx 15)" 0.2 cs_up "$h" || die "corosync on $h does not answer corosync-cfgtool (see $STATE/log/$h.corosync.log)"
  spawn "$h.pacemakerd" "$h" "${PM_ENV[@]}" pacemakerd
}
# pm_xml HOST : crm_mon's XML on HOST (empty, and status 1, when Pacemaker does not answer).
pm_xml() { in_host "$1" timeout 20 crm_mon -1 --output-as=xml 2>/dev/null; }
# pm_summary HOST : crm_mon's XML on HOST digested, one fact a line:
#   dc NAME|none, quorum true|false, node NAME online=.. standby=.. unclean=.., rsc ID ROLE NODES...
pm_summary() {
  pm_xml "$1" | python3 -c '
import sys, xml.etree.ElementTree as ET
try: r = ET.fromstring(sys.stdin.read())
except Exception: sys.exit(1)
s = r.find("summary")
dc = s.find("current_dc") if s is not None else None
print("dc", dc.get("name") if dc is not None and dc.get("present") == "true" else "none")
print("quorum", dc.get("with_quorum") if dc is not None else "false")
for n in r.iter("node"):
    if n.get("type") is None: continue
    print("node", n.get("name"), " ".join(k + "=" + n.get(k, "?") for k in ("online", "standby", "unclean", "maintenance")))
res = r.find("resources")
for x in (res.iter("resource") if res is not None else []):
    print("rsc", x.get("id"), x.get("role"), *[n.get("name") for n in x.findall("node")])
'
}
# The lab's resources (pacemakerOf of lab/deployment.yaml): group lvs = vip, then ldirectord.
PM_GROUP=lvs
PM_RESOURCES=(vip ldirectord)
# pm_unready HOST : what HOST's Pacemaker says is not healthy, one item a line: a DC, quorum,
# both directors online (not standby, not unclean), every resource Started on frontal1 only.
pm_unready() {
  local h=$1 sum n r
  sum=$(pm_summary "$h") || { echo "pacemaker on $h: crm_mon gives no XML"; return 0; }
  grep -q '^dc none$' <<<"$sum" && echo "pacemaker on $h: no DC"
  grep -q '^quorum true$' <<<"$sum" || echo "pacemaker on $h: no quorum"
  for n in "${DIRECTORS[@]}"; do
    grep -q "^node $n online=true standby=false unclean=false maintenance=false$" <<<"$sum" \
      || echo "pacemaker on $h: node $n is not online ($(grep "^node $n " <<<"$sum" | cut -d' ' -f3- || true))"
  done
  for r in "${PM_RESOURCES[@]}"; do
    grep -q "^rsc $r Started frontal1$" <<<"$sum" \
      || echo "pacemaker on $h: $r is not Started on frontal1 alone ($(grep "^rsc $r " <<<"$sum" | cut -d' ' -f3- || true))"
  done
  return 0
}


# --- state and fault helpers (shared by capture.sh and the scenarios of `lvsha lab`) ---

nodestatus_is() {   # nodestatus_is HOST NODE WORD : HOST's Heartbeat reads NODE as WORD
  [[ "$(in_host "$1" timeout 5 cl_status nodestatus "$2" 2>/dev/null || true)" == "$3" ]]
}
holders_are() { [[ "$(vip_holders)" == "$*" ]]; }
# host_pids HOST COMM : host-side PIDs of HOST's processes named COMM.
host_pids() {
  local a pidns p
  a=$(anchor_pid "$1"); pidns=$(readlink "/proc/$a/ns/pid")
  for p in $(ip netns pids "$(ns "$1")"); do
    [[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" == "$pidns" ]] || continue
    [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == "$2" ]] && echo "$p"
  done
  return 0
}
stop_heartbeat() {   # graceful: TERM the master, wait for every heartbeat process
  local h=$1 m; m=$(heartbeat_master "$h")
  [[ -n "$m" ]] && kill -TERM "$m"
  hb_gone() { [[ -z "$(host_pids "$1" heartbeat)" ]]; }
  wait_until 20 0.1 hb_gone "$h" || die "heartbeat on $h did not stop within 20 s"
  rm -f "$PIDS/$h.heartbeat.pid"
}
# crash_host HOST : kill -9 every heartbeat process of HOST and unplug its switch
# port (a crashed director: its VIP stays configured but it is gone from the wire).
crash_host() {
  local hbp
  mapfile -t hbp < <(host_pids "$1" heartbeat)
  ((${#hbp[@]})) && kill -KILL "${hbp[@]}"
  ip -n "$SW_NS" link set "p-$1" down
}
# reboot_host HOST : like a power cycle: end its PID namespace (every process),
# reset eth0 to its boot address, plug it back, start its daemons again.
reboot_host() {
  local h=$1 a; a=$(anchor_pid "$h")
  kill -KILL "$a"
  ns_empty() { local p pidns=$2; for p in $(ip netns pids "$(ns "$1")"); do
      [[ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" == "$pidns" ]] && pid_alive "$p" && return 1; done; return 0; }
  wait_until 10 0.1 ns_empty "$h" "$(readlink "/proc/$a/ns/pid")" || die "$h processes survive its PID namespace"
  ip -n "$(ns "$h")" addr flush dev eth0
  ip -n "$(ns "$h")" addr add "${IP[$h]}/24" dev eth0
  # the IPVS table belongs to the network namespace, which outlives the "reboot"
  if ipvs_available; then ip netns exec "$(ns "$h")" ipvsadm -C; fi
  ip -n "$SW_NS" link set "p-$h" up
  start_anchor "$h"; start_services "$h"
  if is_director "$h"; then start_ha "$h"; start_sync "$h"; fi
  return 0
}
wait_peers_active() {   # wait_peers_active [SECONDS]
  both_active() { nodestatus_is frontal1 frontal2 active && nodestatus_is frontal2 frontal1 active \
    && [[ "$(in_host frontal1 cl_status hblinkstatus frontal2 eth0 2>/dev/null)" == up ]] \
    && [[ "$(in_host frontal2 cl_status hblinkstatus frontal1 eth0 2>/dev/null)" == up ]]; }
  wait_until "${1:-30}" 0.2 both_active || die "directors do not see each other active"
}

# lab_unready : what keeps the lab from being the healthy reference deployment, one item per
# line; prints nothing when it is healthy. Healthy = the VIP held exactly once, by frontal1 (the
# preferred director; auto_failback), both directors read each other active over eth0 (keepalived:
# org.keepalived.Vrrp1 owned on both buses, its instance Master on frontal1, Backup on frontal2;
# pacemaker: pm_unready on each director: a DC, quorum, both online, the group on frontal1), each real
# server's web server answers the client, and where the kernel has IPVS: ldirectord's service
# tcp VIP:80 in the holder's table with every real server at weight > 0, the master and backup
# sync daemons on both directors. (`lvsha lab up` waits for this; `lvsha doctor` is then OK.)
lab_unready() {
  local h peer st holders out want
  holders=$(vip_holders)
  case "$holders" in
    frontal1) ;;
    "") echo "VIP $VIP: held by no director" ;;
    *" "*) echo "VIP $VIP: held by $holders (more than one director)" ;;
    *) echo "VIP $VIP: held by $holders, not by the preferred director frontal1 (auto_failback)" ;;
  esac
  for h in "${DIRECTORS[@]}"; do
    if pm_lab; then pm_unready "$h"; continue; fi
    if ka_lab; then
      # keepalived: on the bus, MASTER on the preferred director, BACKUP on the other
      want=Backup; [[ $h == frontal1 ]] && want=Master
      if ! ka_owned "$h"; then echo "keepalived on $h: $KA_BUS not owned on its system bus"; continue; fi
      st=$(ka_state "$h")
      [[ $st == "$want" ]] || echo "keepalived on $h: VRRP instance ${st:-unknown} (DBus State), not $want"
      continue
    fi
    peer=frontal1; [[ $h == frontal1 ]] && peer=frontal2
    st=$(in_host "$h" timeout 20 cl_status nodestatus "$peer" 2>/dev/null) || true
    [[ $st == active ]] || echo "heartbeat on $h: peer $peer is ${st:-unknown} (cl_status nodestatus), not active"
    st=$(in_host "$h" timeout 20 cl_status hblinkstatus "$peer" eth0 2>/dev/null) || true
    [[ $st == up ]] || echo "heartbeat on $h: link to $peer over eth0 is ${st:-unknown}, not up"
  done
  for h in "${REALS[@]}"; do
    # curl, not busybox wget: busybox-static's wget segfaults under qemu TCG
    out=$(in_host client timeout 20 curl -s -m 10 "http://${IP[$h]}/" 2>/dev/null | head -c 100) || true
    [[ $out == "$h"* ]] || echo "real server $h: no answer from http://${IP[$h]}/"
  done
  if ipvs_available; then
    if [[ $holders != *" "* && -n $holders ]]; then
      out=$(in_host "$holders" timeout 20 ipvsadm -Ln -t "$VIP:80" 2>&1) || true
      if [[ $out != *"TCP  $VIP:80 "* ]]; then
        echo "IPVS on $holders: no service tcp:$VIP:80 yet (ldirectord has not loaded its table)"
      else
        for h in "${REALS[@]}"; do
          grep -Eq "^  -> ${IP[$h]//./\.}:80 +Route +[1-9]" <<<"$out" \
            || echo "IPVS on $holders: real server $h (${IP[$h]}:80) not live in tcp:$VIP:80"
        done
      fi
    fi
    for h in "${DIRECTORS[@]}"; do
      out=$(in_host "$h" timeout 20 ipvsadm -L --daemon 2>&1) || true
      if ka_lab; then
        # keepalived's lvs_sync_daemon: master on the MASTER, backup on the BACKUP
        want=backup; [[ $h == frontal1 ]] && want=master
        [[ $out == *"$want sync daemon"* ]] || echo "IPVS sync on $h: no $want sync daemon (keepalived lvs_sync_daemon)"
        continue
      fi
      for st in master backup; do
        [[ $out == *"$st sync daemon"* ]] || echo "IPVS sync on $h: no $st sync daemon"
      done
    done
  fi
  return 0
}
# wait_lab_ready SECONDS [MAX_ROUNDS] : poll lab_unready until it prints nothing, bounded in time
# and in rounds; logs what is still missing when it changes; on expiry prints it and fails.
wait_lab_ready() {
  local limit=$1 rounds=${2:-200} deadline i=0 left last=""
  deadline=$(( $(now_ms) + limit * 1000 ))
  while (( i < rounds )); do
    i=$((i + 1))
    left=$(lab_unready)
    [[ -z $left ]] && return 0
    [[ $left != "$last" ]] && log "not ready yet: ${left//$'\n'/; }"
    last=$left
    (( $(now_ms) < deadline )) || break
    sleep 1
  done
  log "the lab is not ready after ${limit} s or ${rounds} rounds (${i} done): ${left//$'\n'/; }"
  printf '%s\n' "$left"
  return 1
}

# ipvs_available : this kernel has IPVS (a director's namespace shows /proc/net/ip_vs,
# after a modprobe when it is a module). False on the host kernel of this project.
ipvs_available() {
  ip netns exec "$(ns frontal1)" test -e /proc/net/ip_vs 2>/dev/null && return 0
  modprobe -q ip_vs 2>/dev/null || return 1
  ip netns exec "$(ns frontal1)" test -e /proc/net/ip_vs 2>/dev/null
}
# start_sync HOST : the IPVS connection-sync daemons, master and backup on both
# directors (the seed's lvsstate). Kernel threads of the namespace: no PID to record.
start_sync() {
  ipvs_available || return 0
  ka_lab && return 0   # keepalived runs them itself (lvs_sync_daemon follows the VRRP state)
  local d
  for d in master backup; do
    # kernel threads of the network namespace: they survive a reboot_host (PID namespace)
    in_host "$1" ipvsadm -L --daemon 2>/dev/null | grep -q "^$d sync daemon" && continue
    in_host "$1" ipvsadm --start-daemon "$d" --syncid=1 --mcast-interface eth0 \
      || die "ipvsadm --start-daemon $d on $1 failed"
  done
}
# traffic N : N bounded HTTP requests from the client to the VIP (each ≤ 3 s);
# prints one line: how many answered and by whom.
traffic() {
  local n=${1:-10} i out ok=0; declare -A by=()
  (( n <= 200 )) || die "traffic: at most 200 requests"
  for ((i = 0; i < n; i++)); do
    # curl, not busybox wget: busybox-static's wget segfaults under qemu TCG
    out=$(in_host client timeout 5 curl -s -m 3 "http://$VIP/" 2>/dev/null | head -c 200 | tr -d '\n') || out=""
    if [[ -n "$out" ]]; then ok=$((ok + 1)); by[${out:0:40}]=$(( ${by[${out:0:40}]:-0} + 1 )); fi
  done
  local k s=""; for k in "${!by[@]}"; do s+=" [$k]=${by[$k]}"; done
  echo "traffic: $ok of $n requests answered;$s"
}
