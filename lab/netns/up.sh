#!/usr/bin/env bash
# Build the reference deployment in network namespaces on the host kernel:
# switch lvsha-sw (bridge br0) + frontal1 frontal2 reel1 reel2 client mon.
# Directors run Heartbeat (VIP 192.168.0.3 on eth0:0) and a sorry server on
# 0.0.0.0:80 (and, where the kernel has IPVS, both sync daemons), or with
# LVSHA_LAB_HA=keepalived a dbus-daemon and keepalived (the keepalived.conf of
# `lvsha generate --stack keepalived`, see ka_conf in lib.sh); real servers hold the VIP on lo with arp_ignore/arp_announce
# and serve their own name on :80; the four servers run sshd on :22.
# Environment: LVSHA_LAB_DIR (state, default .lab/ in the repository), LVSHA_LAB_ETC
# (config tree, default lab/netns/etc), LVSHA_HB_TIMINGS (see lib.sh),
# LVSHA_LAB_LDIRECTORD=0 (strip ldirectord::www.cf from haresources; default 1:
# keep it: without IP_VS every ipvsadm call of ldirectord fails and is logged,
# but start, status and stop all return 0, so Heartbeat is not disturbed).
# LVSHA_LAB_HA=keepalived (default heartbeat): the directors' HA layer; keepalived.conf comes
# from $LVSHA_LAB_ETC/HOST/etc/keepalived/keepalived.conf, else from `lvsha generate --stack keepalived`.
# LVSHA_LAB_HA=pacemaker: Corosync + Pacemaker on the directors, with the files of `lvsha generate
# --stack pacemaker` (corosync.conf, authkey, ldirectord's www.cf; the crmsh script loaded once the
# cluster has a DC); stonith disabled (the generated configuration says why that is a risk).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
t0=$(now_ms)
LVSHA_LAB_HA=${LVSHA_LAB_HA_ENV:-heartbeat}   # from the environment only, not the last lab's
[[ $LVSHA_LAB_HA == heartbeat || $LVSHA_LAB_HA == keepalived || $LVSHA_LAB_HA == pacemaker ]] \
  || die "LVSHA_LAB_HA must be heartbeat, keepalived or pacemaker, not '$LVSHA_LAB_HA'"

"$LAB_NETNS_DIR/down.sh"
if ka_lab; then
  for c in keepalived dbus-daemon dbus-send; do command -v "$c" >/dev/null || die "$c not installed (keepalived, dbus)"; done
elif pm_lab; then
  for c in corosync pacemakerd crm_mon cibadmin crm corosync-cfgtool python3 ldirectord; do
    command -v "$c" >/dev/null || die "$c not installed (corosync, pacemaker, crmsh: scripts/install-lab-deps.sh)"
  done
  [[ -x /usr/lib/ocf/resource.d/heartbeat/IPaddr2 && -x /usr/lib/ocf/resource.d/heartbeat/ldirectord ]] || die "resource-agents not installed"
else
  [[ -x /usr/libexec/heartbeat/heartbeat ]] || die "heartbeat not installed"
fi
command -v busybox >/dev/null || die "busybox not installed"

mkdir -p "$PIDS" "$KEYS"
rm -rf "$STATE/nodes" "$STATE/log"
mkdir -p "$STATE/nodes" "$STATE/log"
printf '%s\n' "$LVSHA_LAB_HA" >"$STATE/ha"

# --- SSH keys: generated once, kept across runs --------------------------------
[[ -s "$KEYS/client_ed25519" ]] || ssh-keygen -q -t ed25519 -N '' -C lvsha-lab-client -f "$KEYS/client_ed25519"
cp "$KEYS/client_ed25519.pub" "$KEYS/authorized_keys"
: >"$KEYS/known_hosts.new"
for h in "${SSH_HOSTS[@]}"; do
  k="$KEYS/host_${h}_ed25519"
  [[ -s "$k" ]] || ssh-keygen -q -t ed25519 -N '' -C "lvsha-lab-$h" -f "$k"
  printf '%s %s\n' "${IP[$h]}" "$(cut -d' ' -f1,2 "$k.pub")" >>"$KEYS/known_hosts.new"
done
mv "$KEYS/known_hosts.new" "$KEYS/known_hosts"
chmod 600 "$KEYS"/*_ed25519

# --- L2: a bridge inside lvsha-sw, one veth per host --------------------------
ip netns add "$SW_NS"
ip -n "$SW_NS" link set lo up
ip -n "$SW_NS" link add br0 type bridge
ip -n "$SW_NS" link set br0 up
for h in "${HOSTS[@]}"; do
  n=$(ns "$h")
  ip netns add "$n"
  ip -n "$SW_NS" link add "p-$h" type veth peer name eth0 netns "$n"
  ip -n "$SW_NS" link set "p-$h" master br0 up
  ip -n "$n" link set lo up
  ip -n "$n" link set eth0 address "${MAC[$h]}"
  ip -n "$n" addr add "${IP[$h]}/24" dev eth0
  ip -n "$n" link set eth0 up
done

# --- per-host runtime trees ------------------------------------------------------
read -r -a TIM <<<"$(hb_timings)"
authsecret=$(head -c 32 /dev/urandom | sha1sum | cut -d' ' -f1)
for h in "${HOSTS[@]}"; do
  d="$STATE/nodes/$h"; mkdir -p "$d/log" "$d/www"
done
# keepalived: the generated keepalived.conf of each director, adapted by ka_conf (lib.sh)
KA_SRC=""
if ka_lab && [[ ! -f "$(etc_of frontal1)/keepalived/keepalived.conf" ]]; then
  KA_SRC="$STATE/generated-keepalived"
  rm -rf "$KA_SRC"
  node "$LAB_NETNS_DIR/../../bin/lvsha" generate --stack keepalived --config "$LAB_NETNS_DIR/../deployment.yaml" -o "$KA_SRC" --force >/dev/null \
    || die "lvsha generate --stack keepalived failed (is dist/ built?)"
fi
if ka_lab; then ipvs_available && KA_IPVS=1 || KA_IPVS=0; fi
for h in "${DIRECTORS[@]}"; do
  ka_lab || continue
  d="$STATE/nodes/$h"
  src="$(etc_of "$h")/keepalived/keepalived.conf"; [[ -n $KA_SRC ]] && src="$KA_SRC/$h/etc/keepalived/keepalived.conf"
  [[ -f "$src" ]] || die "missing $src"
  mkdir -p "$d/keepalived" "$d/tmp"; chmod 1777 "$d/tmp"
  ka_conf "$src" "$KA_IPVS" >"$d/keepalived/keepalived.conf"
  chmod 600 "$d/keepalived/keepalived.conf"
  # in the director's netns: keepalived -t wants the configured interfaces (eth0) to exist
  ip netns exec "$(ns "$h")" keepalived -t -f "$d/keepalived/keepalived.conf" >"$STATE/log/$h.keepalived-t.log" 2>&1 \
    || die "keepalived -t refuses $d/keepalived/keepalived.conf: $(tail -n 5 "$STATE/log/$h.keepalived-t.log" | tr '\n' ' ')"
  : >"$d/tmp/${KA_FLAG#/tmp/}"                      # the tracked script passes
  printf '<html><body><h1>%s: site under maintenance</h1></body></html>\n' "$h" >"$d/www/index.html"
done
# pacemaker: the generated tree (corosync.conf, authkey, ha.d/conf/www.cf, the crmsh script)
PM_SRC=""
if pm_lab; then
  if [[ -f "$(etc_of frontal1)/corosync/corosync.conf" ]]; then PM_SRC="$ETC_DIR"
  else
    PM_SRC="$STATE/generated-pacemaker"
    rm -rf "$PM_SRC"
    node "$LAB_NETNS_DIR/../../bin/lvsha" generate --stack pacemaker --config "$LAB_NETNS_DIR/../deployment.yaml" -o "$PM_SRC" --force >/dev/null \
      || die "lvsha generate --stack pacemaker failed (is dist/ built?)"
  fi
fi
for h in "${DIRECTORS[@]}"; do
  pm_lab || continue
  d="$STATE/nodes/$h"
  e="$PM_SRC/$h/etc"; [[ -d $e ]] || e="$PM_SRC/$h"
  for f in corosync/corosync.conf corosync/authkey lvsha/pacemaker.crm; do [[ -f "$e/$f" ]] || die "missing $e/$f"; done
  mkdir -p "$d/corosync" "$d/lib-corosync" "$d/log/pacemaker" "$d/log/corosync" "$d/log/crmsh" "$d/lvsha"
  cp "$e/corosync/corosync.conf" "$e/corosync/authkey" "$d/corosync/"
  chmod 400 "$d/corosync/authkey"
  cp "$e/lvsha/"* "$d/lvsha/"
  if [[ "${LVSHA_LAB_SLOW:-0}" == 1 ]]; then
    # Under qemu TCG a resource agent (bash, perl, dozens of forks) runs 10-30x slower than
    # natively: the generated operation timeouts (monitor 10-20 s, start/stop Pacemaker's 20 s
    # default) time out, the failed start bans the group from the node and no node takes the VIP.
    # The lab's copy scales them; the configuration is otherwise the generated one.
    sed -i -E 's/timeout=([0-9]+)s/timeout=\10s/g' "$d/lvsha/pacemaker.crm"
    printf 'op_defaults op-options: \\\n\ttimeout=300s\n' >>"$d/lvsha/pacemaker.crm"
  fi
  cp -a /var/lib/pacemaker "$d/lib-pacemaker"
  cp -a /etc/ha.d "$d/ha.d"
  [[ -d "$e/ha.d" ]] && cp -r "$e/ha.d/." "$d/ha.d/"
  chown hacluster:haclient "$d/log/pacemaker"; chmod 2770 "$d/log/pacemaker"
  { printf '127.0.0.1\tlocalhost\n'; for x in "${HOSTS[@]}"; do printf '%s\t%s\n' "${IP[$x]}" "$x"; done; } >"$d/hosts"
  # corosync's own check, in the director's netns (it wants a local address of the nodelist)
  # and with the node's /var/log (it opens the logfile: in the VM /var/log is an empty tmpfs)
  ip netns exec "$(ns "$h")" unshare -m sh -c 'mount --bind "$1" /etc/corosync && mount --bind "$2" /var/log && corosync -t' sh "$d/corosync" "$d/log" \
    >"$STATE/log/$h.corosync-t.log" 2>&1 || die "corosync -t refuses $d/corosync/corosync.conf: $(tail -n 5 "$STATE/log/$h.corosync-t.log" | tr '\n' ' ')"
  printf '<html><body><h1>%s: site under maintenance</h1></body></html>\n' "$h" >"$d/www/index.html"
done
for h in "${DIRECTORS[@]}"; do
  ka_lab && continue
  pm_lab && continue
  d="$STATE/nodes/$h"
  e=$(etc_of "$h")
  [[ -f "$e/ha.d/ha.cf" ]] || die "missing $e/ha.d/ha.cf"
  cp -a /etc/ha.d "$d/ha.d"                      # resource.d, rc.d, shellfuncs...
  cp -r "$e/ha.d/." "$d/ha.d/"                   # ha.cf, haresources, conf/www.cf
  if ((${#TIM[@]})); then
    sed -i -E "s/^(keepalive)[[:space:]].*/\1 ${TIM[0]}/; s/^(warntime)[[:space:]].*/\1 ${TIM[1]}/;
               s/^(deadtime)[[:space:]].*/\1 ${TIM[2]}/; s/^(initdead)[[:space:]].*/\1 ${TIM[3]}/" "$d/ha.d/ha.cf"
  fi
  if [[ "${LVSHA_LAB_LDIRECTORD:-1}" == 0 ]]; then
    sed -i -E 's/[[:space:]]+ldirectord::[^[:space:]]+//' "$d/ha.d/haresources"
  fi
  [[ -f "$d/ha.d/authkeys" ]] || printf 'auth 1\n1 sha1 %s\n' "$authsecret" >"$d/ha.d/authkeys"
  chmod 600 "$d/ha.d/authkeys"
  cp -a /var/lib/heartbeat "$d/lib-heartbeat"
  rm -f "$d/lib-heartbeat/hb_uuid"                  # the uuid must differ per node
  printf '<html><body><h1>%s: site under maintenance</h1></body></html>\n' "$h" >"$d/www/index.html"
done
for h in "${REALS[@]}"; do
  printf '%s\n' "$h" >"$STATE/nodes/$h/www/index.html"
  # Boot-time files from the tree (generated trees have them): the anchor binds
  # them over /etc/sysctl.d and /etc/systemd/network, so checks that read what
  # a reboot would restore see the deployment's files, not the lab host's.
  e=$(etc_of "$h")
  if [[ -d "$e/sysctl.d" ]]; then
    mkdir -p "$STATE/nodes/$h/boot/sysctl.d"
    cp -a /etc/sysctl.d/. "$STATE/nodes/$h/boot/sysctl.d/"; cp -r "$e/sysctl.d/." "$STATE/nodes/$h/boot/sysctl.d/"
  fi
  if [[ -d "$e/systemd/network" && -d /etc/systemd/network ]]; then
    mkdir -p "$STATE/nodes/$h/boot/systemd-network"
    cp -a /etc/systemd/network/. "$STATE/nodes/$h/boot/systemd-network/"; cp -r "$e/systemd/network/." "$STATE/nodes/$h/boot/systemd-network/"
  fi
done
for h in "${SSH_HOSTS[@]}"; do
  cat >"$STATE/nodes/$h/sshd_config" <<EOF
ListenAddress ${IP[$h]}:22
HostKey $KEYS/host_${h}_ed25519
AuthorizedKeysFile $KEYS/authorized_keys
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
X11Forwarding no
PrintMotd no
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
done

# --- hosts: anchors, real-server network config, daemons -----------------------
for h in "${HOSTS[@]}"; do start_anchor "$h"; done
for h in "${REALS[@]}"; do
  set_arp_sysctls "$h" 1 2 1 2
  ip -n "$(ns "$h")" addr add "$VIP/32" dev lo
done
for h in "${HOSTS[@]}"; do start_services "$h"; done

# --- IPVS sync daemons (only where the kernel has IPVS: the VM tier) -------------
if ipvs_available; then
  for h in "${DIRECTORS[@]}"; do start_sync "$h"; done
  if ka_lab; then log "IPVS: sync daemons left to keepalived (lvs_sync_daemon: master on the MASTER, backup on the BACKUP)"
  else log "IPVS: sync daemons master+backup (syncid 1, eth0) on ${DIRECTORS[*]}"; fi
else
  log "IPVS not available in this kernel: no sync daemons, ldirectord's ipvsadm calls fail"
fi

# --- the HA layer: Heartbeat or keepalived ---------------------------------------------
for h in "${DIRECTORS[@]}"; do start_ha "$h"; done
t_hb=$(now_ms)
log "$LVSHA_LAB_HA started on ${DIRECTORS[*]}"
if pm_lab; then
  # the resources, once: on frontal1 when its Pacemaker has a DC and quorum (wait_for_all:
  # both nodes have met)
  pm_dc() { pm_summary frontal1 2>/dev/null | grep -q '^quorum true$' && ! pm_summary frontal1 | grep -q '^dc none$'; }
  wait_until "$(tx 60)" 0.5 pm_dc || die "pacemaker on frontal1: no DC with quorum after $(tx 60) s (see nodes/frontal1/log/pacemaker/pacemaker.log)"
  log "pacemaker: DC elected with quorum $(( $(now_ms) - t_hb )) ms after start"
  # crmsh is Python: under TCG its start-up alone exceeds a minute (tx scales the bound)
  t_crm=$(now_ms)
  in_host frontal1 timeout "$(tx 60)" crm configure load update "$STATE/nodes/frontal1/lvsha/pacemaker.crm" >"$STATE/log/crm-load.log" 2>&1 \
    || die "crm configure load update failed (rc $?, $(( $(now_ms) - t_crm )) ms): $(tail -n 5 "$STATE/log/crm-load.log" | tr '\n' ' ')"
  log "pacemaker: configuration loaded (crm configure load update pacemaker.crm) in $(( $(now_ms) - t_crm )) ms"
fi

# --- checks: sshd reachable from mon -----------------------------------------------
# Bounds: 10 s per host on the host kernel; under qemu TCG (LVSHA_LAB_SLOW=1, set by the
# VM agent) an ssh login takes several seconds.
if [[ "${LVSHA_LAB_SLOW:-0}" == 1 ]]; then SSH_TRY=40 SSH_WAIT=120; else SSH_TRY=10 SSH_WAIT=10; fi
for h in "${SSH_HOSTS[@]}"; do
  ssh_ok() {
    timeout "$SSH_TRY" ip netns exec "$(ns mon)" ssh -i "$KEYS/client_ed25519" -o UserKnownHostsFile="$KEYS/known_hosts" \
      -o BatchMode=yes -o ConnectTimeout=3 "root@${IP[$1]}" true 2>>"$STATE/log/ssh-check.log" \
      || { echo "ssh to $1: rc $? after at most $SSH_TRY s" >>"$STATE/log/ssh-check.log"; return 1; }
  }
  wait_until "$SSH_WAIT" 0.2 ssh_ok "$h" || die "ssh from mon to $h (${IP[$h]}) fails (see $STATE/log/ssh-check.log)"
done
log "sshd ok on ${SSH_HOSTS[*]}"

# --- wait for the VIP ---------------------------------------------------------------
if ka_lab; then limit=30   # keepalived: MASTER after 3 adverts + skew (~3 s)
elif pm_lab; then limit=60
else
  initdead=$(hb_param frontal1 initdead); deadtime=$(hb_param frontal1 deadtime)
  limit=$(( initdead + deadtime + 30 ))
fi
# under TCG Heartbeat's resource scripts (IPaddr, ldirectord) take tens of seconds more
[[ "${LVSHA_LAB_SLOW:-0}" == 1 ]] && limit=$(( limit + 120 ))
has_holder() { [[ -n "$(vip_holders)" ]]; }
if wait_until "$limit" 0.1 has_holder; then
  t1=$(now_ms)
  log "VIP $VIP on [$(vip_holders)] $(( t1 - t_hb )) ms after $LVSHA_LAB_HA start, $(( t1 - t0 )) ms after up.sh start"
else
  for h in "${DIRECTORS[@]}"; do log "$h ha-log: $(tail -n 3 "$STATE/nodes/$h/log/ha-log" "$STATE/log/$h.keepalived.log" 2>/dev/null | tr '\n' ' ')"; done
  if pm_lab; then
    for h in "${DIRECTORS[@]}"; do
      log "$h crm_mon: $(in_host "$h" timeout "$(tx 20)" crm_mon -1 --include=failcounts 2>&1 | grep -vE '^ *$|^Cluster Summary|^Node List|^Full List' | head -n 20 | tr '\n' ' ')"
      log "$h pacemaker.log: $(grep -E 'error|Timed Out|timed out|failed' "$STATE/nodes/$h/log/pacemaker/pacemaker.log" 2>/dev/null | tail -n 6 | tr '\n' ' ')"
    done
  fi
  die "no director took $VIP within $limit s (see $STATE/nodes/*/log/ha-log)"
fi

# --- wait until the deployment is healthy, not merely started -------------------------
# (lab_unready in lib.sh: VIP once on frontal1, peers active, real servers answering, and
# with IPVS ldirectord's table loaded and the sync daemons running). Measured under TCG:
# ldirectord's table comes 30-60 s after the VIP.
if [[ "${LVSHA_LAB_SLOW:-0}" == 1 ]]; then READY_WAIT=300; else READY_WAIT=60; fi
t2=$(now_ms)
left=$(wait_lab_ready "$READY_WAIT") || die "not healthy after $READY_WAIT s: ${left//$'\n'/; }"
log "healthy $(( $(now_ms) - t2 )) ms after the VIP, $(( $(now_ms) - t0 )) ms after up.sh start"
# Under TCG, warm the guest's page cache (9p cache=loose) with what `lvsha doctor` loads on the
# monitoring host: measured, a cold `lvsha --version` 10.5 s, warm 7.2 s. Best effort, bounded.
if [[ "${LVSHA_LAB_SLOW:-0}" == 1 && -f "$LAB_NETNS_DIR/../../dist/cli.js" ]]; then
  t3=$(now_ms)
  in_host mon timeout 120 node -e 'const r = process.argv[1]; require(r + "/dist/cli"); for (const m of ["node-ssh", "prom-client"]) { try { require(require.resolve(m, { paths: [r] })); } catch {} }
    for (const f of require("fs").readdirSync(r + "/dist/checks")) if (f.endsWith(".js")) try { require(r + "/dist/checks/" + f); } catch {}' \
    "$(cd "$LAB_NETNS_DIR/../.." && pwd)" >/dev/null 2>&1 || true
  log "guest page cache warmed for doctor in $(( $(now_ms) - t3 )) ms"
fi
