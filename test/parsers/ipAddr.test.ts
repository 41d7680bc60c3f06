import { basename } from 'node:path';
import { findAddress, Interface, parseIpAddr } from '../../src/parsers/ipAddr';
import { ParseError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';
import { capture, capturesUnder } from '../probes/replay';

const VIP = '192.168.0.3';
const addrs = capturesUnder('ip').filter((c) => basename(c) === 'addr');
const links = capturesUnder('ip').filter((c) => basename(c) === 'link');
const read = (rel: string) => parseIpAddr(capture(rel).stdout);
/** Directors/real servers holding the VIP, as `iface:label`, non-loopback only. */
const holds = (rel: string) =>
  findAddress(read(rel), VIP)
    .filter((h) => !h.iface.noarp)
    .map((h) => `${h.iface.name}:${h.addr.label}`);

describe('ip -j addr on real captures', () => {
  test('the lab captured ip -j addr and ip -j link', () => {
    expect(addrs.length).toBeGreaterThanOrEqual(4);
    expect(links.length).toBeGreaterThanOrEqual(4);
    for (const c of [...addrs, ...links]) expect(capture(c).rc).toBe(0);
  });

  test('healthy: frontal1 holds the VIP on eth0 as eth0:0, frontal2 does not', () => {
    expect(holds('ip/healthy/frontal1/addr')).toEqual(['eth0:eth0:0']);
    expect(holds('ip/healthy/frontal2/addr')).toEqual([]);
    const f1 = read('ip/healthy/frontal1/addr');
    const eth0 = f1.find((i) => i.name === 'eth0')!;
    expect(eth0.mac).toBe('02:1a:00:00:00:01');
    expect(eth0.flags).toContain('UP');
    expect(eth0.noarp).toBe(false);
    expect(eth0.addresses.find((a) => a.address === VIP)).toMatchObject({ family: 'inet', prefixlen: 24, label: 'eth0:0', scope: 'global' });
    expect(f1.find((i) => i.name === 'lo')!.noarp).toBe(true);
  });

  test('real servers hold the VIP on lo /32 only (loopback, never answers ARP)', () => {
    for (const r of ['reel1', 'reel2']) {
      const lo = findAddress(read(`ip/healthy/${r}/addr`), VIP);
      expect(lo).toHaveLength(1);
      expect(lo[0]!.iface.name).toBe('lo');
      expect(lo[0]!.iface.noarp).toBe(true);
      expect(lo[0]!.addr.prefixlen).toBe(32);
    }
    expect(findAddress(read('ip/real-without-vip/reel2/addr'), VIP)).toEqual([]);
  });

  test('split brain: both directors hold the VIP on eth0', () => {
    expect(holds('ip/split-brain/frontal1/addr')).toEqual(['eth0:eth0:0']);
    expect(holds('ip/split-brain/frontal2/addr')).toEqual(['eth0:eth0:0']);
  });

  test('peer dead / crashed / no holder', () => {
    expect(holds('ip/peer-dead/frontal2/addr')).toEqual(['eth0:eth0:0']);
    {
      // The crashed node keeps the VIP configured, but its eth0 has no carrier.
      const eth0 = read('ip/crashed/frontal1/addr').find((i) => i.name === 'eth0')!;
      expect(findAddress([eth0], VIP)).toHaveLength(1);
      expect(eth0.flags).toContain('NO-CARRIER');
    }
    expect(holds('ip/no-holder/frontal1/addr')).toEqual([]);
  });

  test('ip -j link: MACs, no addresses', () => {
    const l = read('ip/healthy/reel1/link');
    expect(l.find((i) => i.name === 'eth0')!.mac).toBe('02:1a:00:00:00:04');
    expect(l.every((i) => i.addresses.length === 0)).toBe(true);
  });
});

describe('ip -j addr edges', () => {
  test('not JSON, not an array, entries without ifname', () => {
    expect(() => parseIpAddr('1: lo: <LOOPBACK,UP>')).toThrow(ParseError);
    expect(() => parseIpAddr('{}')).toThrow(ParseError);
    expect(() => parseIpAddr('[1]')).toThrow(ParseError);
    expect(() => parseIpAddr('[{"ifindex":1}]')).toThrow(ParseError);
    expect(parseIpAddr('[]')).toEqual([]);
  });
});

describe('ip -j addr never crashes (property)', () => {
  test('10 000 malformed variants of the real captures: only ParseError', () => {
    const seeds = [...addrs, ...links].map((c) => capture(c).stdout);
    const r = fuzzParser(parseIpAddr, seeds, 10000);
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.accepted + r.rejected).toBe(10000);
  });
});

/** One line per interface: every field a check or collector reads. */
const summary = (i: Interface) =>
  `${i.index} ${i.name} ${i.linkType} ${i.operstate} ${i.mac ?? '-'} ${i.noarp ? 'noarp' : 'arp'} [${i.flags.join(',')}] ` +
  i.addresses.map((a) => `${a.family} ${a.address}/${a.prefixlen} ${a.label} ${a.scope}`).join('; ');

describe('ip -j addr: every parsed value of the real captures', () => {
  test('healthy frontal1: lo and eth0 with the VIP as eth0:0; IPv6 addresses take the interface name as label', () => {
    expect(read('ip/healthy/frontal1/addr').map(summary)).toEqual([
      '1 lo loopback UNKNOWN 00:00:00:00:00:00 noarp [LOOPBACK,UP,LOWER_UP] inet 127.0.0.1/8 lo host; inet6 ::1/128 lo host',
      '2 eth0 ether UP 02:1a:00:00:00:01 arp [BROADCAST,MULTICAST,UP,LOWER_UP] inet 192.168.0.1/24 eth0 global; inet 192.168.0.3/24 eth0:0 global; inet6 fe80::1a:ff:fe00:1/64 eth0 link',
    ]);
  });

  test('healthy reel1: the VIP /32 on lo; its ip -j link has the same interfaces without addresses', () => {
    expect(read('ip/healthy/reel1/addr').map(summary)).toEqual([
      '1 lo loopback UNKNOWN 00:00:00:00:00:00 noarp [LOOPBACK,UP,LOWER_UP] inet 127.0.0.1/8 lo host; inet 192.168.0.3/32 lo global; inet6 ::1/128 lo host',
      '2 eth0 ether UP 02:1a:00:00:00:04 arp [BROADCAST,MULTICAST,UP,LOWER_UP] inet 192.168.0.4/24 eth0 global; inet6 fe80::1a:ff:fe00:4/64 eth0 link',
    ]);
    expect(read('ip/healthy/reel1/link').map(summary)).toEqual([
      '1 lo loopback UNKNOWN 00:00:00:00:00:00 noarp [LOOPBACK,UP,LOWER_UP] ',
      '2 eth0 ether UP 02:1a:00:00:00:04 arp [BROADCAST,MULTICAST,UP,LOWER_UP] ',
    ]);
  });

  test('findAddress returns every holder with its address, in order', () => {
    const ifs = read('ip/healthy/frontal1/addr');
    expect(findAddress(ifs, '127.0.0.1').map((h) => `${h.iface.name} ${h.addr.label}`)).toEqual(['lo lo']);
    const two = parseIpAddr(JSON.stringify([
      { ifname: 'a', addr_info: [{ family: 'inet', local: '10.0.0.1' }, { family: 'inet', local: '10.0.0.1', label: 'a:1' }] },
      { ifname: 'b', addr_info: [{ family: 'inet', local: '10.0.0.2' }] },
    ]));
    expect(findAddress(two, '10.0.0.1').map((h) => h.addr.label)).toEqual(['a', 'a:1']);
    expect(findAddress(two, '10.0.0.3')).toEqual([]);
  });
});

// Synthetic edges (iproute2 always prints these fields; hand-written JSON for what the lab cannot produce).
describe('ip -j addr: defaults and rejections (synthetic)', () => {
  const one = (o: object) => parseIpAddr(JSON.stringify([o]))[0]!;

  test('missing fields take their documented defaults', () => {
    expect(one({ ifname: 'x' })).toEqual({ name: 'x', index: -1, flags: [], mac: undefined, linkType: '', operstate: '', noarp: false, addresses: [] });
    expect(one({ ifname: 'x', ifindex: '7', flags: 'UP', link_type: 5, operstate: 1, address: 3, addr_info: 'no' })).toEqual({
      name: 'x', index: -1, flags: [], mac: undefined, linkType: '', operstate: '', noarp: false, addresses: [],
    });
    expect(one({ ifname: 'x', addr_info: [{ family: 'inet', local: '10.0.0.1' }, { family: 'inet6', local: 'fe80::1' }] }).addresses).toEqual([
      { family: 'inet', address: '10.0.0.1', prefixlen: 32, label: 'x', scope: '' },
      { family: 'inet6', address: 'fe80::1', prefixlen: 128, label: 'x', scope: '' },
    ]);
  });

  test('a MAC in capitals is lower-cased; non-string flags are dropped', () => {
    expect(one({ ifname: 'x', address: '02:1A:00:00:00:0B', flags: ['UP', 3, null, 'LOWER_UP'] })).toMatchObject({ mac: '02:1a:00:00:00:0b', flags: ['UP', 'LOWER_UP'] });
  });

  test('noarp: the loopback link type, the LOOPBACK flag or the NOARP flag, each alone', () => {
    expect(one({ ifname: 'x', link_type: 'loopback' }).noarp).toBe(true);
    expect(one({ ifname: 'x', flags: ['LOOPBACK'] }).noarp).toBe(true);
    expect(one({ ifname: 'x', flags: ['NOARP', 'UP'], link_type: 'none' }).noarp).toBe(true);
    expect(one({ ifname: 'x', flags: ['UP'], link_type: 'ether' }).noarp).toBe(false);
  });

  test('addresses that are not objects, of another family or without a local address are skipped', () => {
    expect(
      one({ ifname: 'x', addr_info: [null, 3, 'a', { family: 'link', local: 'a' }, { family: 'inet' }, { family: 'inet6', local: 1 }, { local: '10.0.0.1' }, { family: 'inet', local: '10.0.0.9', prefixlen: 8, scope: 'host', label: 'x:9' }] })
        .addresses,
    ).toEqual([{ family: 'inet', address: '10.0.0.9', prefixlen: 8, label: 'x:9', scope: 'host' }]);
  });

  test('each rejection names its culprit', () => {
    const msg = (t: string) => {
      try {
        parseIpAddr(t);
      } catch (e) {
        expect(e).toBeInstanceOf(ParseError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(msg('1: lo:')).toMatch(/ip -j addr.*not JSON/);
    expect(msg('{"a":1}')).toMatch(/not a JSON array/);
    expect(msg('[{"ifname":"lo"},null]')).toMatch(/entry 1 is not an object/);
    expect(msg('[{"ifname":"lo"},"eth0"]')).toMatch(/entry 1 is not an object/);
    expect(msg('[{"ifname":"lo"},{"ifname":2}]')).toMatch(/entry 1 has no ifname/);
  });
});
