import { ParseError } from '../runtime/errors';

/** One address of `ip -j addr`. */
export interface IfAddress {
  family: 'inet' | 'inet6';
  address: string;
  prefixlen: number;
  /** `eth0:0` for an alias, else the interface name (IPv6 has no labels). */
  label: string;
  scope: string;
}

export interface Interface {
  name: string;
  index: number;
  flags: string[];
  /** MAC address (`00:00:00:00:00:00` on lo). */
  mac?: string;
  linkType: string;
  operstate: string;
  /** The kernel never answers ARP on this interface (lo, NOARP flag). */
  noarp: boolean;
  addresses: IfAddress[];
}

function fail(msg: string): never {
  throw new ParseError('ip -j addr', msg);
}

/** Parses `ip -j addr` (also `ip -j link`, which has no addr_info) from iproute2. */
export function parseIpAddr(text: string): Interface[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail('not JSON');
  }
  if (!Array.isArray(raw)) fail('not a JSON array');
  return raw.map((o: unknown, i): Interface => {
    if (typeof o !== 'object' || o === null) fail(`entry ${i} is not an object`);
    const r = o as Record<string, unknown>;
    if (typeof r.ifname !== 'string') fail(`entry ${i} has no ifname`);
    const flags = Array.isArray(r.flags) ? r.flags.filter((f): f is string => typeof f === 'string') : [];
    const linkType = typeof r.link_type === 'string' ? r.link_type : '';
    const infos = Array.isArray(r.addr_info) ? r.addr_info : [];
    const addresses: IfAddress[] = [];
    for (const a of infos) {
      if (typeof a !== 'object' || a === null) continue;
      const x = a as Record<string, unknown>;
      if ((x.family !== 'inet' && x.family !== 'inet6') || typeof x.local !== 'string') continue;
      addresses.push({
        family: x.family,
        address: x.local,
        prefixlen: typeof x.prefixlen === 'number' ? x.prefixlen : x.family === 'inet' ? 32 : 128,
        label: typeof x.label === 'string' ? x.label : r.ifname,
        scope: typeof x.scope === 'string' ? x.scope : '',
      });
    }
    return {
      name: r.ifname,
      index: typeof r.ifindex === 'number' ? r.ifindex : -1,
      flags,
      mac: typeof r.address === 'string' ? r.address.toLowerCase() : undefined,
      linkType,
      operstate: typeof r.operstate === 'string' ? r.operstate : '',
      noarp: linkType === 'loopback' || flags.includes('LOOPBACK') || flags.includes('NOARP'),
      addresses,
    };
  });
}

/** Interfaces (with the matching address) that hold `address`. */
export function findAddress(ifs: Interface[], address: string): { iface: Interface; addr: IfAddress }[] {
  const out: { iface: Interface; addr: IfAddress }[] = [];
  for (const iface of ifs) for (const addr of iface.addresses) if (addr.address === address) out.push({ iface, addr });
  return out;
}
