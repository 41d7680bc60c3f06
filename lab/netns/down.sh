#!/usr/bin/env bash
# Tear the namespace lab down. Idempotent: works when nothing is up and after
# an up.sh that was killed midway (it sweeps every process still inside an
# lvsha-* network namespace, by PID, then deletes the namespaces).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
t0=$(now_ms)

# lab_namespaces : our known names plus any lvsha-* left by an older run.
lab_namespaces() {
  { printf '%s\n' "$SW_NS"; for h in "${HOSTS[@]}"; do ns "$h"; echo; done
    ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NS_PREFIX" || true
  } | sort -u
}
ns_exists() { [[ -e "/run/netns/$1" ]]; }
# pids_in_lab : every PID whose network namespace is one of ours.
pids_in_lab() {
  local n
  for n in $(lab_namespaces); do
    ns_exists "$n" && ip netns pids "$n" 2>/dev/null || true
  done | sort -un
}
none_alive() { local p; for p in "$@"; do pid_alive "$p" && return 1; done; return 0; }
pid_in_lab() { local n; n=$(ip netns identify "$1" 2>/dev/null || true); [[ "$n" == "$NS_PREFIX"* ]]; }

# 1. Graceful HA stop first: Heartbeat (it releases the VIP, exits ~2 s after TERM),
# keepalived (its parent, as recorded by spawn) and pacemakerd (it stops the resources and its
# daemons; corosync goes with the rest below), whichever the lab ran.
hb=()
for h in "${DIRECTORS[@]}"; do
  for d in heartbeat keepalived pacemakerd; do
    p=$(pidfile_pid "$h.$d")
    if pid_alive "$p" && pid_in_lab "$p"; then hb+=("$p"); kill -TERM "$p" 2>/dev/null || true; fi
  done
done
if ((${#hb[@]})); then
  log "TERM HA daemons ${hb[*]}"
  wait_until 20 0.2 none_alive "${hb[@]}" || log "HA daemons still alive after 20 s, will KILL"
fi

# 2. Every recorded PID, then every process left in our namespaces: TERM, KILL.
recorded=()
if [[ -d "$PIDS" ]]; then
  for f in "$PIDS"/*.pid; do
    [[ -e "$f" ]] || continue
    p=$(tr -dc '0-9' <"$f")
    if pid_alive "$p" && pid_in_lab "$p"; then recorded+=("$p"); fi
  done
fi
mapfile -t swept < <(pids_in_lab)
all=("${recorded[@]}" "${swept[@]}")
if ((${#all[@]})); then
  log "TERM ${#all[@]} processes"
  kill -TERM "${all[@]}" 2>/dev/null || true
  if ! wait_until 5 0.1 none_alive "${all[@]}"; then
    mapfile -t left < <(for p in "${all[@]}"; do pid_alive "$p" && echo "$p"; done)
    log "KILL ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
    wait_until 5 0.1 none_alive "${left[@]}" || die "processes survive KILL: ${left[*]}"
  fi
fi
# Anything spawned between the sweep and the kills (a dying script's child)?
mapfile -t late < <(pids_in_lab)
if ((${#late[@]})); then
  log "KILL late ${late[*]}"; kill -KILL "${late[@]}" 2>/dev/null || true
  wait_until 5 0.1 none_alive "${late[@]}" || die "processes survive KILL: ${late[*]}"
fi

# 3. Namespaces. Mounts (tmpfs /run, bind mounts) were private to the hosts'
# mount namespaces and vanished with their last process; only the netns
# bind mounts under /run/netns remain, which `ip netns del` removes.
for n in $(lab_namespaces); do
  if ns_exists "$n"; then
    ip netns del "$n" 2>/dev/null || { umount "/run/netns/$n" 2>/dev/null || true; rm -f "/run/netns/$n"; }
  fi
done
rm -f "$PIDS"/*.pid "$STATE/ha" 2>/dev/null || true

left=$(ip netns list 2>/dev/null | grep -c "^$NS_PREFIX" || true)
[[ "$left" == 0 ]] || die "namespaces left: $(ip netns list | grep "^$NS_PREFIX" | tr '\n' ' ')"
log "down in $(( $(now_ms) - t0 )) ms"
