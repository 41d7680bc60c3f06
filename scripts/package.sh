#!/usr/bin/env bash
# npm run package: build/lvsha_<version>_all.deb (dpkg-deb, no debhelper: the package is one
# bundle plus files from packaging/). The bundle comes from `npm run build` (build/lvsha.js and
# its V8 code cache); man pages and bash completion are generated from the option definitions
# by src/man.ts (dist/man.js), so they say what --help says.
# Environment:
#   LVSHA_DEB_VERSION      package version (default: package.json's)
#   LVSHA_PACKAGE_OUT      directory for the .deb (default: build/)
#   LVSHA_PACKAGE_NO_BUILD=1  use the existing build/ and dist/ (tests build once, package twice)
# --rpm: also lvsha-<version>-1.noarch.rpm (rpmbuild, Debian's rpm package), same files in
# Red Hat's places (packaging/rpm/lvsha.spec.in).
# Prints the path of the .deb on its last line (with --rpm: the .deb, then the .rpm).
set -euo pipefail
umask 022
RPM=
[ "${1:-}" = --rpm ] && RPM=1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if [ -z "${LVSHA_PACKAGE_NO_BUILD:-}" ]; then
  npm run --silent build >&2
fi
for f in build/lvsha.js dist/man.js; do
  [ -f "$f" ] || { echo "package: $f is missing (npm run build)" >&2; exit 1; }
done

VERSION=${LVSHA_DEB_VERSION:-$(node -p "require('./package.json').version")}
if ! [[ $VERSION =~ ^[0-9][A-Za-z0-9.+~-]*$ ]]; then
  echo "package: '$VERSION' is not a Debian version" >&2
  exit 1
fi
OUT=${LVSHA_PACKAGE_OUT:-$ROOT/build}
MAINTAINER='lvsha maintainers <maintainers@users.noreply.r-seed-9021a3dc.example>'
# Reproducible dates in man pages and the changelog: the last commit's.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/lvsha-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
P=$STAGE/root
install -d -m 0755 "$P/DEBIAN" "$P/usr/lib/lvsha" "$P/usr/lib/nagios/plugins" "$P/usr/bin" \
  "$P/lib/systemd/system" "$P/etc/default" "$P/etc/lvsha" "$P/etc/sudoers.d" \
  "$P/usr/share/man/man1" "$P/usr/share/bash-completion/completions" "$P/usr/share/doc/lvsha" \
  "$P/usr/share/lintian/overrides"

# The bundle; check_lvs_* and lvsha are links to it (it dispatches on the name it runs as).
install -m 0755 build/lvsha.js "$P/usr/lib/lvsha/lvsha.js"
if [ -f build/lvsha.js.cache ]; then
  install -m 0644 build/lvsha.js.cache "$P/usr/lib/lvsha/lvsha.js.cache"
  # Both from the same build (another `npm run build` may have run meanwhile): same build id.
  id=$(sed -n '2s/.*single-file bundle, build \([0-9a-f]*\):.*/\1/p' "$P/usr/lib/lvsha/lvsha.js")
  cid=$(head -c 100 "$P/usr/lib/lvsha/lvsha.js.cache" | head -n1 | cut -d' ' -f2)
  if [ -z "$id" ] || [ "$id" != "$cid" ]; then
    echo "package: build/lvsha.js (build '$id') and build/lvsha.js.cache (build '$cid') differ: run npm run build again" >&2
    exit 1
  fi
fi
CHECKS=$(node -p "require('./dist/checks/registry').CHECK_NAMES.join(' ')")
for c in $CHECKS; do ln -s ../../lvsha/lvsha.js "$P/usr/lib/nagios/plugins/check_lvs_$c"; done
ln -s ../lib/lvsha/lvsha.js "$P/usr/bin/lvsha"

install -m 0644 packaging/lvsha-exporter.service "$P/lib/systemd/system/lvsha-exporter.service"
install -m 0644 packaging/lvsha-exporter.default "$P/etc/default/lvsha-exporter"
install -m 0440 packaging/sudoers "$P/etc/sudoers.d/lvsha"
# The deployment the service and the checks read: the embedded reference, as `lvsha generate` writes it.
GEN=$STAGE/generate
node build/lvsha.js generate --out "$GEN" >/dev/null 2>"$STAGE/generate.err" || { cat "$STAGE/generate.err" >&2; exit 1; }
install -m 0644 "$GEN/monitoring/etc/lvsha/deployment.json" "$P/etc/lvsha/deployment.json"

# Man pages and completion from the option definitions.
node dist/man.js "$STAGE/gen" >/dev/null
for f in "$STAGE"/gen/man1/*.1; do
  gzip -9n -c "$f" > "$P/usr/share/man/man1/$(basename "$f").gz"
done
install -m 0644 "$STAGE/gen/completion/lvsha" "$P/usr/share/bash-completion/completions/lvsha"
for c in $CHECKS; do ln -s lvsha "$P/usr/share/bash-completion/completions/check_lvs_$c"; done

install -m 0644 packaging/copyright "$P/usr/share/doc/lvsha/copyright"
{
  echo "lvsha ($VERSION) unstable; urgency=medium"
  echo
  echo "  * Built from the lvsha repository by scripts/package.sh; see its git log."
  echo
  echo " -- $MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$P/usr/share/doc/lvsha/changelog.gz"
install -m 0644 packaging/lintian-overrides "$P/usr/share/lintian/overrides/lvsha"

for s in postinst prerm postrm; do install -m 0755 "packaging/debian/$s" "$P/DEBIAN/$s"; done
install -m 0644 packaging/debian/conffiles "$P/DEBIAN/conffiles"
SIZE=$(du -sk --apparent-size --exclude=DEBIAN "$P" | cut -f1)
sed -e "s|@VERSION@|$VERSION|" -e "s|@MAINTAINER@|$MAINTAINER|" -e "s|@SIZE@|$SIZE|" packaging/debian/control.in > "$P/DEBIAN/control"
(cd "$P" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's| \./| |') > "$P/DEBIAN/md5sums"
chmod 0644 "$P/DEBIAN/md5sums"

mkdir -p "$OUT"
DEB=$OUT/lvsha_${VERSION}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$P" "$DEB" >&2
echo "$DEB"

[ -n "$RPM" ] || exit 0
# The RPM: the .deb's tree, moved to Red Hat's places.
command -v rpmbuild >/dev/null || { echo "package: --rpm needs rpmbuild (apt install rpm)" >&2; exit 1; }
R=$STAGE/rpmroot
cp -a "$P" "$R"
rm -rf "$R/DEBIAN" "$R/usr/share/lintian" "$R/usr/share/doc/lvsha/changelog.gz"
mkdir -p "$R/usr/lib64/nagios/plugins" "$R/usr/lib/systemd/system" "$R/etc/sysconfig" "$R/var/lib/lvsha"
rm -rf "$R/usr/lib/nagios"
for c in $CHECKS; do ln -s ../../../lib/lvsha/lvsha.js "$R/usr/lib64/nagios/plugins/check_lvs_$c"; done
sed 's|/etc/default/lvsha-exporter|/etc/sysconfig/lvsha-exporter|g' packaging/lvsha-exporter.service > "$R/usr/lib/systemd/system/lvsha-exporter.service"
rm -rf "$R/lib"
sed 's|/etc/default/lvsha-exporter|/etc/sysconfig/lvsha-exporter|g' packaging/lvsha-exporter.default > "$R/etc/sysconfig/lvsha-exporter"
rm -rf "$R/etc/default"
RPMV=${VERSION//-/_}
sed -e "s|@VERSION@|$RPMV|" -e "s|@TREE@|$R|" packaging/rpm/lvsha.spec.in > "$STAGE/lvsha.spec"
rpmbuild -bb --quiet --define "_topdir $STAGE/rpmbuild" --define "_rpmdir $OUT" --define '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm' \
  --define '__os_install_post %{nil}' --define 'source_date_epoch_from_changelog 0' --define "_buildhost lvsha" "$STAGE/lvsha.spec" >&2
echo "$OUT/lvsha-$RPMV-1.noarch.rpm"
