#!/bin/bash
# Guest side of `lvsha lab up --tier vm` (runs as /share/run.sh under stage2.sh, as
# root, in the VM with real kernel IPVS). Builds the SAME namespace lab as the host
# tier (lab/netns/up.sh: Heartbeat + ldirectord on the directors, now driving the
# real IPVS table, both sync daemons, sorry servers, real servers, sshd), then
# serves a command queue on the writable 9p share until /share/stop appears or the
# lifetime ends (stage2 also bounds this script with `timeout`):
#   host writes  /share/queue/N.timeout, then N.sh (atomically: N.sh.tmp → N.sh)
#   guest runs   timeout -k 5 T bash N.sh  (cwd = repo)  → N.out, N.err, then N.rc
# No network between host and guest: qemu runs with -nic none.
set -u
. /share/env
REPO=${LVSHA_REPO:?}
Q=/share/queue
LIFETIME=$(cat /share/timeout 2>/dev/null || echo 3600)
mkdir -p "$Q"
status() { printf '%s\n' "$*" >/share/status.tmp; mv /share/status.tmp /share/status; }
uptime_s() { awk '{print int($1)}' /proc/uptime; }
status booting
# devtmpfs has no /dev/fd: bash process substitution (<(...)) needs it
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
cd "$REPO" || { status "failed: no $REPO in the guest"; exit 1; }
[ -n "${LVSHA_LAB_ETC:-}" ] && export LVSHA_LAB_ETC
export LVSHA_LAB_DIR=${LVSHA_LAB_DIR:-/tmp/lvsha-lab}   # guest tmpfs, not the host's .lab
export LVSHA_LAB_SLOW=1     # qemu TCG: longer bounds in up.sh
t0=$(date +%s%3N)
if lab/netns/up.sh >/share/up.log 2>&1; then
  status "up $(( $(date +%s%3N) - t0 ))"
else
  rc=$?; status "failed: lab/netns/up.sh rc=$rc (see up.log)"
fi
end=$(( $(uptime_s) + LIFETIME - 30 ))
while [ ! -e /share/stop ] && [ "$(uptime_s)" -lt "$end" ]; do
  for f in "$Q"/*.sh; do
    [ -e "$f" ] || break
    n=${f%.sh}
    [ -e "$n.rc" ] || [ -e "$n.taken" ] && continue
    : >"$n.taken"
    T=$(cat "$n.timeout" 2>/dev/null || echo 60)
    timeout -k 5 "$T" bash "$f" >"$n.out" 2>"$n.err" </dev/null
    echo $? >"$n.rc.tmp"; mv "$n.rc.tmp" "$n.rc"
  done
  sleep 0.2
done
lab/netns/down.sh >/share/down.log 2>&1
status down
