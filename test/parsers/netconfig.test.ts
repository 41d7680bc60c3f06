import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addressesFromCommand,
  netmaskToPrefix,
  parseIfcfg,
  parseInterfaces,
  parseNetworkUnit,
  unitMatchesLoopback,
} from '../../src/parsers/netconfig';
import { ParseError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';

// Admin-written configuration files: the lab has none, so these are synthetic (README-arp-sorry.md).
const SYN = join(__dirname, '..', 'fixtures', 'synthetic', 'netconfig');
const syn = (n: string) => readFileSync(join(SYN, n), 'utf8');

describe('Red Hat ifcfg', () => {
  test("the article's ifcfg-lo:1", () => {
    expect(parseIfcfg(syn('ifcfg-lo:1'), 'ifcfg-lo:1')).toEqual([
      { interface: 'lo:1', address: '192.168.0.3', prefixlen: 32, atBoot: true, how: 'IPADDR', line: 2 },
    ]);
  });
  test('quotes, PREFIX, numbered addresses, ONBOOT=no, device from the file name', () => {
    const r = parseIfcfg('IPADDR="192.168.0.3"\nPREFIX=32\nIPADDR1=\'192.168.0.30\'\nNETMASK1=255.255.255.0\nONBOOT=no # off\n', '/x/ifcfg-lo:2');
    expect(r.map((a) => [a.interface, a.address, a.prefixlen, a.atBoot])).toEqual([
      ['lo:2', '192.168.0.3', 32, false],
      ['lo:2', '192.168.0.30', 24, false],
    ]);
  });
  test('errors', () => {
    expect(() => parseIfcfg('DEVICE=lo:1\nthis is junk\n')).toThrow(ParseError);
    expect(() => parseIfcfg('DEVICE=lo:1\nIPADDR="1.2.3.4\n')).toThrow(/quotes/);
    expect(() => parseIfcfg('DEVICE=lo:1\nIPADDR=1.2.3.4\nNETMASK=255.0.255.0\n')).toThrow(/netmask/);
    expect(() => parseIfcfg('DEVICE=lo:1\nIPADDR=1.2.3\n')).toThrow(/bad address/);
    expect(parseIfcfg('# nothing\n')).toEqual([]);
  });
  test('netmasks', () => {
    expect(netmaskToPrefix('255.255.255.255')).toBe(32);
    expect(netmaskToPrefix('255.255.255.0')).toBe(24);
    expect(netmaskToPrefix('0.0.0.0')).toBe(0);
    expect(netmaskToPrefix('24')).toBe(24);
    expect(netmaskToPrefix('255.0.255.0')).toBeUndefined();
    expect(netmaskToPrefix('300.0.0.0')).toBeUndefined();
  });
});

describe('Debian interfaces(5)', () => {
  test('auto lo:1 static /32, source line, post-up commands with a continuation', () => {
    const r = parseInterfaces(syn('interfaces'));
    expect(r.sources).toEqual([{ kind: 'source', path: '/etc/network/interfaces.d/*' }]);
    expect(r.auto).toEqual(['lo', 'lo:1', 'eth0']);
    expect(r.addresses.map((a) => [a.interface, a.address, a.prefixlen, a.atBoot, a.how])).toEqual([
      ['lo:1', '192.168.0.3', 32, true, 'address'],
      ['eth0', '192.168.0.5', 24, true, 'address'],
      ['lo:2', '192.168.0.30', 32, true, 'post-up ip addr add'],
      ['lo:3', '192.168.0.31', 32, true, 'post-up ifconfig'],
    ]);
  });
  test('a stanza without auto is not raised at boot; `up ip addr add` on lo counts with its prefix', () => {
    const r = parseInterfaces(syn('interfaces-noauto'));
    expect(r.addresses.map((a) => [a.interface, a.address, a.prefixlen, a.atBoot])).toEqual([
      ['lo', '192.168.0.3', 24, true],
      ['lo:1', '192.168.0.3', 32, false],
    ]);
  });
  test('commands', () => {
    expect(addressesFromCommand('/sbin/ip addr add 10.0.0.1/32 dev lo')).toEqual([{ interface: 'lo', address: '10.0.0.1', prefixlen: 32, how: 'ip addr add' }]);
    expect(addressesFromCommand('ip a add 10.0.0.1 dev lo && true')[0]!.prefixlen).toBe(32);
    expect(addressesFromCommand('ip route add 10.0.0.0/8 dev lo')).toEqual([]);
    expect(addressesFromCommand('ifconfig lo:0 10.0.0.1')[0]!.prefixlen).toBe(8);
  });
  test('errors', () => {
    expect(() => parseInterfaces('iface lo\n')).toThrow(ParseError);
    expect(() => parseInterfaces('iface lo:1 inet static\n address 1.2.3\n')).toThrow(/bad address/);
    expect(() => parseInterfaces('iface lo:1 bogus static\n')).toThrow(/family/);
    expect(() => parseInterfaces('source\n')).toThrow(/path/);
  });
});

describe('systemd-networkd .network', () => {
  test('[Match] Name=lo with [Address] Address=VIP/32', () => {
    const u = parseNetworkUnit(syn('lo.network'));
    expect(u.matchNames).toEqual(['lo']);
    expect(unitMatchesLoopback(u)).toBe(true);
    expect(u.addresses.map((a) => [a.interface, a.address, a.prefixlen, a.how])).toEqual([
      ['lo', '127.0.0.1', 8, '[Network] Address'],
      ['lo', '192.168.0.3', 32, '[Address] Address'],
    ]);
  });
  test('Address= without a prefix is classful (/24 for 192.x), IPv6 skipped', () => {
    const u = parseNetworkUnit(syn('classful.network'));
    expect(u.addresses.map((a) => [a.address, a.prefixlen])).toEqual([['192.168.0.3', 24]]);
  });
  test('an Ethernet-only unit does not apply to lo; negations and globs', () => {
    expect(unitMatchesLoopback(parseNetworkUnit(syn('eth.network')))).toBe(false);
    expect(unitMatchesLoopback(parseNetworkUnit('[Match]\nName=!eth*\n'))).toBe(true);
    expect(unitMatchesLoopback(parseNetworkUnit('[Match]\nName=l?\nType=loopback\n'))).toBe(true);
    expect(unitMatchesLoopback(parseNetworkUnit('[Match]\nType=!loopback\n'))).toBe(false);
    expect(unitMatchesLoopback(parseNetworkUnit('[Match]\nMACAddress=00:11:22:33:44:55\n'))).toBe(false);
  });
  test('errors', () => {
    expect(() => parseNetworkUnit('Name=lo\n')).toThrow(/outside/);
    expect(() => parseNetworkUnit('[Match]\njunk\n')).toThrow(ParseError);
    expect(() => parseNetworkUnit('[Address]\nAddress=1.2.3.4/40\n')).toThrow(/bad address/);
  });
});

describe('property: 10 000 malformed variants each, no crash', () => {
  test('parseIfcfg', () => {
    const r = fuzzParser((t) => parseIfcfg(t, 'ifcfg-lo:1'), [syn('ifcfg-lo:1')], 10000, 5);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.rejected).toBeGreaterThan(0);
  });
  test('parseInterfaces', () => {
    const r = fuzzParser(parseInterfaces, [syn('interfaces'), syn('interfaces-noauto')], 10000, 6);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.rejected).toBeGreaterThan(0);
  });
  test('parseNetworkUnit', () => {
    const r = fuzzParser((t) => unitMatchesLoopback(parseNetworkUnit(t)), [syn('lo.network'), syn('classful.network'), syn('eth.network')], 10000, 8);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.rejected).toBeGreaterThan(0);
  });
});
