#!/usr/bin/env bash
# Debian packages the tests and the lab use. Idempotent: installs only what is missing.
set -euo pipefail
# sshd for the SSH source tests; the real programs that must accept the generated files
# (promtool, keepalived, ldirectord, nagios4, icinga2, apache2, nginx, visudo); the .deb's
# build and proof (dpkg-dev, lintian, debootstrap, man-db: test/packaging/deb.test.ts; rpm: the .rpm);
# strace: test/hostile/doctor-netns.test.ts proves no connect() leaves 127/8; chromium: the status
# page in a real browser (test/clients/status-browser.test.ts, playwright-core, never `playwright install`).
PKGS=(openssh-server openssh-client sudo iproute2 procps util-linux systemd monitoring-plugins-basic prometheus keepalived ldirectord nagios4 icinga2 apache2 nginx dpkg-dev lintian debootstrap man-db strace rpm chromium)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
