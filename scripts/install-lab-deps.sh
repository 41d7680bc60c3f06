#!/usr/bin/env bash
# Installs what the lab (lvsha lab, npm run demo, test/e2e) needs and is missing, nothing
# else. Idempotent: when every package is there it does not touch apt at all.
# Debian 12. `heartbeat` alone takes ~27 s; pacemaker, corosync and crmsh (the Pacemaker lab). Needs root.
set -euo pipefail
PKGS=(heartbeat keepalived pacemaker pacemaker-cli-utils corosync crmsh dbus ldirectord ipvsadm iputils-arping nftables tcpdump qemu-system-x86 busybox-static
      openssh-server openssh-client curl perl util-linux iproute2 procps kmod binutils)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
# The VM tier downloads (never installs) a linux-image-6.1 package: apt lists must know it.
need_lists=0
names=$(apt-cache pkgnames linux-image-6.1 2>/dev/null || true)   # not piped into grep -q: SIGPIPE + pipefail
if ! grep -qE '^linux-image-6\.1\.0-[0-9]+-amd64$' <<<"$names"; then need_lists=1; fi
if ((${#missing[@]} == 0 && need_lists == 0)); then
  echo "install-lab-deps: everything is installed"; exit 0
fi
[[ $(id -u) == 0 ]] || { echo "install-lab-deps: run as root (missing: ${missing[*]:-apt lists})" >&2; exit 1; }
t0=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if ((${#missing[@]})); then
  echo "install-lab-deps: installing ${missing[*]}"
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "install-lab-deps: done in $(( $(date +%s) - t0 )) s"
