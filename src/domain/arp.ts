import type { Deployment } from '../model/types';
import type { Interface } from '../parsers/ipAddr';
import { isIpv4 } from '../parsers/netconfig';

/*
 * The kernel's ARP rules for a direct-routing real server, shared by check_lvs_arp and the
 * exporter's arp collector: written once here.
 */

export interface ArpPort {
  port: number;
  protocol: 'tcp' | 'udp';
}

export interface ArpVip {
  address: string;
  /** Prefix of the VIP's subnet on the LAN (the directors' prefix, 24 in the reference). */
  prefix: number;
  ports: ArpPort[];
}

// --- the kernel's rules -----------------------------------------------------------------

/**
 * Does this effective arp_ignore keep the kernel from answering ARP for an address that
 * sits on lo? (net/ipv4/arp.c arp_ignore()): 1 and 2 require the address on the receiving
 * interface; 3 only refuses scope-host addresses (a VIP added as `scope global` is
 * answered); 4-7 are reserved and answer like 0; 8 never answers; above 8 answers.
 */
export function arpIgnoreSuppresses(value: number, vipScope: string): boolean {
  if (value === 1 || value === 2 || value === 8) return true;
  if (value === 3) return vipScope === 'host';
  return false;
}

/** arp_solicit(): only 2 always picks the interface's own address as ARP source; 0, 1
 * (the VIP is on the LAN's subnet) and any value above 2 (treated as 0) announce the VIP. */
export const arpAnnounceSafe = (value: number): boolean => value === 2;

const inSubnet = (addr: string, net: string, prefix: number): boolean => {
  if (!isIpv4(addr) || !isIpv4(net)) return false;
  const n = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Math.max(0, Math.min(32, prefix)));
  return Math.floor(n(addr) / size) === Math.floor(n(net) / size);
};

/**
 * Interfaces on which ARP requests for the VIP arrive: ARP-capable ones with an IPv4
 * address in the VIP's subnet. When none matches (unusual addressing), every ARP-capable
 * interface with an IPv4 address, since with arp_ignore=0 any of them answers.
 */
export function facingInterfaces(ifs: Interface[], vip: ArpVip): Interface[] {
  const arp = ifs.filter((i) => !i.noarp && i.addresses.some((a) => a.family === 'inet'));
  const facing = arp.filter((i) =>
    i.addresses.some((a) => a.family === 'inet' && (inSubnet(a.address, vip.address, vip.prefix) || inSubnet(vip.address, a.address, a.prefixlen))),
  );
  return facing.length > 0 ? facing : arp;
}

/** The value the kernel applies on an interface: max(all, interface); undefined when neither is known. */
export const maxOf = (a?: number, b?: number): number | undefined => (a === undefined && b === undefined ? undefined : Math.max(a ?? 0, b ?? 0));

/** The VIPs to check and their ports, from the options or the deployment. */
export function vipsFor(d: Deployment, vips?: string[], ports?: ArpPort[]): { vips: ArpVip[]; notes: string[] } {
  const notes: string[] = [];
  const addrs = vips ?? [...new Set([...d.vips.map((v) => v.address), ...d.services.flatMap((s) => (s.address ? [s.address] : []))])];
  const out = addrs.map((address): ArpVip => {
    const prefix = d.vips.find((v) => v.address === address)?.prefix ?? 24;
    let ps: ArpPort[] = ports ?? [];
    if (!ports) {
      for (const s of d.services.filter((x) => x.address === address && x.port !== undefined)) {
        if (s.protocol === 'tcp' || s.protocol === 'udp') ps.push({ port: s.port!, protocol: s.protocol });
        else notes.push(`${s.protocol} service ${address}:${s.port}: listening not checked`);
      }
      ps = ps.filter((p, i) => ps.findIndex((q) => q.port === p.port && q.protocol === p.protocol) === i);
      if (ps.length === 0) notes.push(`no tcp/udp service on ${address} in the deployment: listening not checked (use --port)`);
    }
    return { address, prefix, ports: ps };
  });
  return { vips: out, notes };
}

