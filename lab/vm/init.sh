#!/bin/busybox sh
# PID 1 of the lvsha lab VM (runs from the initramfs built by lab/vm/build.sh).
# Loads the modules, mounts the host root read-only over 9p with a tmpfs overlay,
# mounts the writable share, moves /proc /sys /dev and switch_roots into stage2.
/bin/busybox mkdir -p /usr/bin /sbin /usr/sbin /tmp
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "lvsha-init: $*"; echo o > /proc/sysrq-trigger; sleep 5; }
for m in $(cat /modules.order); do
  insmod /lib/mod/$m.ko 2>/tmp/insmod.err || echo "lvsha-init: insmod $m failed: $(cat /tmp/insmod.err)"
done
# cache=loose: the guest keeps what it read in its page cache. The default (no cache) sends every
# open, stat and read over 9p: `lvsha --version` took 15-22 s per run under TCG, mostly
# module loading. The host root is read-only here and does not change under a lab run.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /host || fail "cannot mount hostroot"
mount -t tmpfs -o size=512m,mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /newroot || fail "cannot mount overlay"
mkdir -p /newroot/share /newroot/lvsha
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share /newroot/share || fail "cannot mount share"
cp /stage2.sh /modules.order /kernel-release /newroot/lvsha/
# the modules, so that modprobe/ipvsadm find them (depmod runs in stage2)
KREL=$(cat /kernel-release)
mkdir -p /newroot/lib/modules/$KREL/extra
cp /lib/mod/*.ko /newroot/lib/modules/$KREL/extra/
for d in proc sys dev; do mkdir -p /newroot/$d; mount --move /$d /newroot/$d; done
# switch_root, not chroot: the overlay must become the mount namespace's root, or
# setns() (nsenter -m, used by the namespace lab) lands in the initramfs instead.
exec switch_root /newroot /bin/sh /lvsha/stage2.sh
