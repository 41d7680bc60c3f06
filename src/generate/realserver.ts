/**
 * Direct routing on the real servers: the VIP on lo as a /32 (so they accept packets sent
 * to it) and ARP sysctls so they never answer ARP for it (only the director may). The VIP
 * is written in three boot formats: Red Hat ifcfg (the article), Debian ifupdown and
 * systemd-networkd — install the one the distribution uses.
 */
import { Deployment } from '../model/types';
import { GeneratedFile, MODE_CONFIG, header, isV6, lines, realHostsOf, drVipsOf } from './common';

export const SYSCTL_PATH = '/etc/sysctl.d/90-lvs-dr.conf';
export const DEBIAN_PATH = '/etc/network/interfaces.d/lvs-vip';
export const NETWORKD_PATH = '/etc/systemd/network/10-lvs-vip.network';

export function sysctlConf(d: Deployment, host: string): string {
  return lines(
    header(d, `${SYSCTL_PATH} on ${host}: a direct-routing real server never answers ARP for the VIP.`).trimEnd(),
    '# arp_ignore=1: answer only for addresses of the interface the request came in on (the VIP is on lo).',
    '# arp_announce=2: never use the VIP as the source of our own ARP requests.',
    '# The kernel uses the larger of `all` and the interface value.',
    'net.ipv4.conf.all.arp_ignore = 1',
    'net.ipv4.conf.all.arp_announce = 2',
    'net.ipv4.conf.lo.arp_ignore = 1',
    'net.ipv4.conf.lo.arp_announce = 2',
  );
}

/** The article's /etc/sysconfig/network-scripts/ifcfg-lo:N (IPv4 only: initscripts' aliases are). */
export function ifcfgLo(d: Deployment, host: string, vip: string, n: number): string {
  return lines(
    header(d, `/etc/sysconfig/network-scripts/ifcfg-lo:${n} on ${host}: the VIP on lo for direct routing (Red Hat).`).trimEnd(),
    `DEVICE=lo:${n}`,
    `IPADDR=${vip}`,
    'NETMASK=255.255.255.255',
    `NETWORK=${vip}`,
    'ONBOOT=yes',
    'ARP=no',
  );
}

export function debianInterfaces(d: Deployment, host: string, vips: string[]): string {
  return lines(
    header(d, `${DEBIAN_PATH} on ${host}: the VIP on lo for direct routing (Debian ifupdown).`).trimEnd(),
    '# Needs `source /etc/network/interfaces.d/*` in /etc/network/interfaces (Debian\'s default).',
    ...vips
      .filter((v) => !isV6(v))
      .flatMap((v, i) => ['', `auto lo:${i + 1}`, `iface lo:${i + 1} inet static`, `    address ${v}`, '    netmask 255.255.255.255']),
    ...vips.filter(isV6).flatMap((v) => ['', 'iface lo inet6 static', `    address ${v}/128`]),
  );
}

export function networkdUnit(d: Deployment, host: string, vips: string[]): string {
  return lines(
    header(d, `${NETWORKD_PATH} on ${host}: the VIP on lo for direct routing (systemd-networkd).`).trimEnd(),
    '# Always with an explicit prefix: networkd gives a bare address its classful mask (/24).',
    '[Match]',
    'Name=lo',
    '',
    '[Network]',
    ...vips.map((v) => `Address=${v}/${isV6(v) ? 128 : 32}`),
  );
}

export function realServerFiles(d: Deployment): GeneratedFile[] {
  const out: GeneratedFile[] = [];
  for (const h of realHostsOf(d)) {
    const vips = drVipsOf(d, h.address);
    if (vips.length === 0) continue; // NAT or tunnel only: nothing to configure here
    const f = (path: string, content: string) => out.push({ host: h.name, path, mode: MODE_CONFIG, content });
    f(SYSCTL_PATH, sysctlConf(d, h.name));
    vips.filter((v) => !isV6(v)).forEach((v, i) => f(`/etc/sysconfig/network-scripts/ifcfg-lo:${i + 1}`, ifcfgLo(d, h.name, v, i + 1)));
    f(DEBIAN_PATH, debianInterfaces(d, h.name, vips));
    f(NETWORKD_PATH, networkdUnit(d, h.name, vips));
  }
  return out;
}
