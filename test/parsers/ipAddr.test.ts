import { basename } from 'node:path';
import { findAddress, parseIpAddr } from '../../src/parsers/ipAddr';
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
