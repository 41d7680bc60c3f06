#!/usr/bin/env bash
# Build the VM tier: a Debian 6.1 kernel (CONFIG_IP_VS=m) and a busybox-static
# initramfs that boots the *host's* userspace read-only over 9p (see lab/vm/README
# section in lab/README.md). Idempotent; everything is cached under
# ${LVSHA_CACHE:-/var/cache/lvsha}/vm, nothing goes into git.
#
# Usage: lab/vm/build.sh [--force]      prints the cache dir on success
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${LVSHA_CACHE:-/var/cache/lvsha}/vm
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

# Modules we want; dependencies are resolved from each .ko's `depends=` (the
# package has no modules.dep). Order here is only a preference: the resolver
# puts dependencies first.
WANT=(
  virtio_pci 9pnet_virtio 9p overlay
  crc32c_generic libcrc32c
  nf_conntrack nf_defrag_ipv4 nf_defrag_ipv6
  ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_dh ip_vs_sed ip_vs_nq
  ip_vs_lblc ip_vs_lblcr ip_vs_fo ip_vs_ovf ip_vs_mh
  ipv6 sctp
  llc stp bridge veth dummy
  ipip ip6_tunnel tunnel4 tunnel6
  nf_tables nft_compat xt_mark
  ip_vs_pe_sip
)

log() { echo "build.sh: $*" >&2; }

mkdir -p "$CACHE/deb"
t0=$(date +%s.%N)

# 1. kernel package: newest linux-image-6.1.0-N-amd64 with an install candidate.
PKG=${LVSHA_KERNEL_PKG:-}
if [ -z "$PKG" ]; then
  for p in $(apt-cache pkgnames linux-image-6.1 | grep -E '^linux-image-6\.1\.0-[0-9]+-amd64$' | sort -rV); do
    pol=$(apt-cache policy "$p")   # not piped into grep -q: SIGPIPE + pipefail
    case "$pol" in *"Candidate: (none)"*|"") ;; *) PKG=$p; break ;; esac
  done
fi
[ -n "$PKG" ] || { log "no linux-image-6.1.*-amd64 in apt cache (run apt-get update)"; exit 1; }
KREL=${PKG#linux-image-}
DEB=$(ls "$CACHE"/deb/"${PKG}"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$DEB" ]; then
  log "downloading $PKG"
  (cd "$CACHE/deb" && apt-get download -q "$PKG" >&2)
  DEB=$(ls "$CACHE"/deb/"${PKG}"_*.deb | head -1)
fi

KDIR=$CACHE/kernel-$KREL
if [ ! -f "$KDIR/.done" ] || [ $FORCE = 1 ]; then
  log "extracting $DEB"
  rm -rf "$KDIR"; mkdir -p "$KDIR"
  dpkg-deb -x "$DEB" "$KDIR"
  touch "$KDIR/.done"
fi
MODROOT=$KDIR/lib/modules/$KREL
[ -d "$MODROOT" ] || MODROOT=$KDIR/usr/lib/modules/$KREL
VMLINUZ=$KDIR/boot/vmlinuz-$KREL
CONFIG=$KDIR/boot/config-$KREL
[ -f "$VMLINUZ" ] || { log "no vmlinuz in $DEB"; exit 1; }

# 2. module dependency resolution (post-order DFS over depends=).
declare -A KO=() SEEN=()
while IFS= read -r f; do
  b=${f##*/}; b=${b%%.ko*}; b=${b//-/_}
  KO[$b]=$f
done < <(find "$MODROOT/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst')
ORDER=()
modinfo_depends() {  # $1 = path to .ko (possibly compressed)
  case "$1" in
    *.xz) xz -dc "$1" | strings -a | sed -n 's/^depends=//p' ;;
    *.zst) zstd -dc "$1" | strings -a | sed -n 's/^depends=//p' ;;
    *) strings -a "$1" | sed -n 's/^depends=//p' ;;
  esac
}
visit() {
  local m=${1//-/_}
  [ -n "${SEEN[$m]:-}" ] && return 0
  SEEN[$m]=1
  if [ -z "${KO[$m]:-}" ]; then
    # built in (=y) or absent: nothing to load
    if grep -q "/$m.ko$" "$MODROOT/modules.builtin" 2>/dev/null; then
      log "  $m: built in"
    else
      log "  $m: not available as a module (not configured?)"
    fi
    return 0
  fi
  local d
  for d in $(modinfo_depends "${KO[$m]}" | tr ',' ' '); do visit "$d"; done
  ORDER+=("$m")
}
for m in "${WANT[@]}"; do visit "$m"; done

# 3. initramfs: busybox-static + modules (uncompressed) + init.
STAMP=$(printf '%s\n' "$KREL" "${ORDER[@]}" | cat - "$HERE/init.sh" "$HERE/stage2.sh" /bin/busybox | sha256sum | cut -c1-16)
OUT=$CACHE/initramfs-$STAMP.cpio.gz
if [ ! -f "$OUT" ] || [ $FORCE = 1 ]; then
  log "building initramfs ($((${#ORDER[@]})) modules)"
  IR=$(mktemp -d "$CACHE/ir.XXXXXX")
  trap 'rm -rf "$IR"' EXIT
  mkdir -p "$IR"/{bin,proc,sys,dev,host,rw,newroot,share,lib/mod}
  cp /bin/busybox "$IR/bin/busybox"
  ln -s busybox "$IR/bin/sh"
  : > "$IR/modules.order"
  for m in "${ORDER[@]}"; do
    f=${KO[$m]}
    case "$f" in
      *.xz) xz -dc "$f" > "$IR/lib/mod/$m.ko" ;;
      *.zst) zstd -dc "$f" > "$IR/lib/mod/$m.ko" ;;
      *) cp "$f" "$IR/lib/mod/$m.ko" ;;
    esac
    echo "$m" >> "$IR/modules.order"
  done
  echo "$KREL" > "$IR/kernel-release"
  install -m 0755 "$HERE/init.sh" "$IR/init"
  install -m 0755 "$HERE/stage2.sh" "$IR/stage2.sh"
  (cd "$IR" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1) > "$OUT.tmp"
  mv "$OUT.tmp" "$OUT"
  rm -rf "$IR"; trap - EXIT
fi
ln -sfn "$(basename "$OUT")" "$CACHE/initramfs.cpio.gz"
ln -sfn "kernel-$KREL/boot/vmlinuz-$KREL" "$CACHE/vmlinuz"
printf '%s\n' "${ORDER[@]}" > "$CACHE/modules.order"
echo "$KREL" > "$CACHE/kernel-release"
t1=$(date +%s.%N)
log "kernel $KREL, ${#ORDER[@]} modules, $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
echo "$CACHE"
