#!/usr/bin/env bash
# Re-capture the real IPVS fixtures: boots the lab VM, runs lab/vm/capture.sh in it
# and replaces test/fixtures/real/ipvs/ with what it produced (only if it succeeded).
# Takes about 4 minutes (qemu TCG). Usage: lab/vm/refresh-fixtures.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$REPO/.lab/vm-out/capture
"$HERE/run.sh" -t 600 -o "$OUT" "$HERE/capture.sh"
[ -f "$OUT/ipvs/README.md" ] || { echo "refresh-fixtures: no capture produced, fixtures untouched" >&2; exit 1; }
rm -rf "$REPO/test/fixtures/real/ipvs"
cp -a "$OUT/ipvs" "$REPO/test/fixtures/real/ipvs"
echo "refresh-fixtures: test/fixtures/real/ipvs replaced ($(find "$REPO/test/fixtures/real/ipvs" -type f | wc -l) files); log: $OUT/run.log" >&2
