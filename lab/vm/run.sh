#!/usr/bin/env bash
# Boot the lab VM (qemu TCG, real kernel IPVS), run SCRIPT inside it as root with
# the host's userspace, copy the results out, and always stop qemu (by PID).
#
# Usage: lab/vm/run.sh [-o OUTDIR] [-t SECONDS] SCRIPT
#   SCRIPT   bash script run in the guest as /share/run.sh (cwd /share). It writes
#            results into /share/out/ ; $LVSHA_REPO is the repo path (read-only
#            in the guest, writes land in a tmpfs overlay and are lost).
#   -o DIR   where /share/out is copied (default: .lab/vm-out/<script name>)
#   -t SEC   guest-side time bound for SCRIPT (default 300); qemu itself is
#            killed SEC+60 s after start whatever happens.
# Prints a summary line; exit status is the script's, or 124 on timeout.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
T=300; OUT=
while getopts "o:t:" o; do
  case $o in o) OUT=$OPTARG ;; t) T=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
SCRIPT=${1:?usage: run.sh [-o OUTDIR] [-t SECONDS] SCRIPT}
[ -f "$SCRIPT" ] || { echo "run.sh: no such script: $SCRIPT" >&2; exit 2; }
[ -n "$OUT" ] || OUT=$REPO/.lab/vm-out/$(basename "$SCRIPT" .sh)

CACHE=$("$HERE/build.sh" 2>/dev/null | tail -1)   # idempotent, ~1.5 s when warm
mkdir -p "$REPO/.lab/vm-share"
SHARE=$(mktemp -d "$REPO/.lab/vm-share/run.XXXXXX")
QPID=
cleanup() {
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
    kill "$QPID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QPID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$QPID" 2>/dev/null || true
  fi
  rm -rf "$SHARE"
}
trap cleanup EXIT INT TERM

mkdir -p "$SHARE/out"
cp "$SCRIPT" "$SHARE/run.sh"
{ echo "export LVSHA_REPO=$REPO"; } > "$SHARE/env"
echo "$T" > "$SHARE/timeout"

t0=$(date +%s.%N)
qemu-system-x86_64 -accel tcg -nographic -m 1024 -smp 1 -nic none -no-reboot \
  -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initramfs.cpio.gz" \
  -append 'console=ttyS0 quiet loglevel=1 panic=-1' \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$SHARE,mount_tag=share,security_model=none,multidevs=remap" \
  -virtfs "local,path=$REPO,mount_tag=repo,security_model=none,readonly=on,multidevs=remap" \
  < /dev/null > "$SHARE/console.log" 2>&1 &
QPID=$!
HARD=$((T + 60)); timed_out=0
for _ in $(seq 1 $((HARD * 5))); do
  kill -0 "$QPID" 2>/dev/null || break
  sleep 0.2
done
if kill -0 "$QPID" 2>/dev/null; then
  timed_out=1
  echo "run.sh: qemu still running after ${HARD}s, killing pid $QPID" >&2
  kill "$QPID" 2>/dev/null || true; sleep 2; kill -9 "$QPID" 2>/dev/null || true
fi
wait "$QPID" 2>/dev/null || true
t1=$(date +%s.%N)

rm -rf "$OUT"; mkdir -p "$OUT"
cp -a "$SHARE/out/." "$OUT/"
cp "$SHARE/console.log" "$OUT/console.log"
rc=$(cat "$OUT/rc" 2>/dev/null || echo 124)
[ $timed_out = 1 ] && rc=124
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
echo "run.sh: $(basename "$SCRIPT") rc=$rc wall=${wall}s guest-ready=$(cat "$OUT/ready-uptime" 2>/dev/null || echo ?)s guest-end=$(cat "$OUT/end-uptime" 2>/dev/null || echo ?)s out=$OUT" >&2
exit "$rc"
