#!/bin/sh
# Second stage of the lvsha lab VM, runs as PID 1 inside the host's userspace
# (overlay over the read-only 9p host root). Runs /share/run.sh with a bound,
# leaves its output in /share/out and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C LC_ALL=C
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/lock /run/netns /dev/pts /dev/shm; chmod 1777 /run/lock
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /var/log
mount -t tmpfs tmpfs /var/lock 2>/dev/null
# The repository comes as its own read-only share (tag `repo`), mounted at its host path:
# it may live under a directory the tmpfs mounts above hide (a clone in /tmp, say).
[ -f /share/env ] && . /share/env
if [ -n "${LVSHA_REPO:-}" ]; then
  mkdir -p "$LVSHA_REPO" 2>/dev/null
  mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose repo "$LVSHA_REPO" 2>/dev/null || true
fi
hostname lvsha-vm
ip link set lo up
depmod -a "$(cat /lvsha/kernel-release)" 2>/dev/null
mkdir -p /share/out
awk '{print $1}' /proc/uptime > /share/out/ready-uptime
T=$(cat /share/timeout 2>/dev/null || echo 300)
cd /share
timeout -k 5 "$T" /bin/bash /share/run.sh > /share/out/run.log 2>&1
echo $? > /share/out/rc
awk '{print $1}' /proc/uptime > /share/out/end-uptime
sync
echo o > /proc/sysrq-trigger
sleep 30
