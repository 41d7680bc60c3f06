import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addressesFromCommand,
  baseInterface,
  isIpv4,
  matchesName,
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

// Synthetic edges, one rule each (admin-written files: the lab has none).
const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('netconfig: addresses and masks', () => {
  test('isIpv4, baseInterface, netmaskToPrefix at their bounds', () => {
    expect(isIpv4('255.255.255.255')).toBe(true);
    expect(isIpv4('0.0.0.0')).toBe(true);
    for (const a of ['256.0.0.1', '1.256.0.1', '1.1.256.1', '1.1.1.256', '1.1.1', '1.1.1.1.1', 'a.1.1.1', '1.1.1.1 ', '1234.1.1.1', ' 1.1.1.1']) expect([a, isIpv4(a)]).toEqual([a, false]);
    expect(baseInterface('lo:1')).toBe('lo');
    expect(baseInterface('eth0')).toBe('eth0');
    expect(netmaskToPrefix('32')).toBe(32);
    expect(netmaskToPrefix('0')).toBe(0);
    expect(netmaskToPrefix('33')).toBeUndefined();
    expect(netmaskToPrefix('123')).toBeUndefined();
    expect(netmaskToPrefix('x8')).toBeUndefined();
    expect(netmaskToPrefix('8x')).toBeUndefined();
    expect(netmaskToPrefix('128.0.0.0')).toBe(1);
    expect(netmaskToPrefix('255.255.255.254')).toBe(31);
    expect(netmaskToPrefix('255.255.254.0')).toBe(23);
    expect(netmaskToPrefix('0.255.255.255')).toBeUndefined();
    expect(netmaskToPrefix('255.255.255.1')).toBeUndefined();
  });
});

describe('netconfig: ifcfg rule by rule', () => {
  test('values: export, CRLF, comments, single quotes, lower-case keys, a trailing comment after a value', () => {
    expect(parseIfcfg('# c\r\n  export DEVICE=lo:5\r\nipaddr=10.0.0.1 # the VIP\nprefix=24\n')).toEqual([{ interface: 'lo:5', address: '10.0.0.1', prefixlen: 24, atBoot: true, how: 'IPADDR', line: 3 }]);
    expect(parseIfcfg("DEVICE='lo:6'\nIPADDR='10.0.0.1'\n")[0]).toMatchObject({ interface: 'lo:6', address: '10.0.0.1' });
    // Inside quotes a # is the value's (no comment): here a bad address.
    expect(() => parseIfcfg("DEVICE=lo\nIPADDR='10.0.0.1 # x'\n")).toThrow("bad address '10.0.0.1 # x'");
    expect(() => parseIfcfg('DEVICE=lo\nIPADDR=10.0.0.1#x\n')).toThrow("bad address '10.0.0.1#x'"); // no blank before #: not a comment
  });
  test('ONBOOT: no, false, 0, n in any case stop it at boot; anything else and missing keep it', () => {
    const boot = (v: string | undefined) => parseIfcfg(`DEVICE=lo:1\nIPADDR=10.0.0.1\n${v === undefined ? '' : `ONBOOT=${v}\n`}`)[0]!.atBoot;
    for (const v of ['no', 'NO', 'false', 'False', '0', 'n', 'N']) expect([v, boot(v)]).toEqual([v, false]);
    for (const v of [undefined, 'yes', 'y', '1', 'true', 'nope']) expect([v, boot(v)]).toEqual([v, true]);
  });
  test('the device: DEVICE, else the file name after ifcfg-, else nothing', () => {
    expect(parseIfcfg('IPADDR=10.0.0.1\n', 'ifcfg-lo:3')[0]!.interface).toBe('lo:3');
    expect(parseIfcfg('IPADDR=10.0.0.1\n', '/etc/sysconfig/network-scripts/ifcfg-eth1')[0]!.interface).toBe('eth1');
    expect(parseIfcfg('DEVICE=\nIPADDR=10.0.0.1\n', 'ifcfg-lo:4')[0]!.interface).toBe('lo:4');
    expect(parseIfcfg('IPADDR=10.0.0.1\n')).toEqual([]);
    expect(parseIfcfg('IPADDR=10.0.0.1\n', 'ifcfg-')).toEqual([]);
  });
  test('numbered addresses 0-9 in order, empty ones skipped, each with its own mask; default /32', () => {
    const r = parseIfcfg('DEVICE=lo\nIPADDR9=10.0.0.9\nIPADDR=10.0.0.1\nIPADDR0=\nIPADDR2=10.0.0.2/28\nPREFIX2=8\nIPADDR3=10.0.0.3\nNETMASK3=255.255.0.0\nIPADDR10=10.0.0.10\n');
    expect(r.map((a) => `${a.how} ${a.address}/${a.prefixlen} line ${a.line}`)).toEqual(['IPADDR 10.0.0.1/32 line 3', 'IPADDR2 10.0.0.2/28 line 5', 'IPADDR3 10.0.0.3/16 line 7', 'IPADDR9 10.0.0.9/32 line 2']);
    // PREFIX wins over NETMASK.
    expect(parseIfcfg('DEVICE=lo\nIPADDR=10.0.0.1\nPREFIX=30\nNETMASK=255.0.0.0\n')[0]!.prefixlen).toBe(30);
  });
  test('each rejection names its culprit and line', () => {
    expect(err(() => parseIfcfg('DEVICE=lo:1\n\nthis is junk\n'))).toBe("cannot parse ifcfg file: not a KEY=VALUE line: 'this is junk' (line 3)");
    expect(err(() => parseIfcfg('1DEVICE=lo\n'))).toMatch(/not a KEY=VALUE line/);
    expect(err(() => parseIfcfg('DEVICE=lo:1\nIPADDR="1.2.3.4\n'))).toBe('cannot parse ifcfg file: unbalanced quotes in IPADDR (line 2)');
    expect(err(() => parseIfcfg('IPADDR="\n'))).toBe('cannot parse ifcfg file: unbalanced quotes in IPADDR (line 1)');
    expect(err(() => parseIfcfg("IPADDR='\n"))).toBe('cannot parse ifcfg file: unbalanced quotes in IPADDR (line 1)');
    expect(err(() => parseIfcfg("IPADDR='1.2.3.4\"\n"))).toMatch(/unbalanced quotes/);
    expect(parseIfcfg('DEVICE=""\nIPADDR=""\n', 'ifcfg-lo')).toEqual([]);
    expect(err(() => parseIfcfg('DEVICE=lo:1\nIPADDR=1.2.3.4\nNETMASK=255.0.255.0\n'))).toBe('cannot parse ifcfg file: bad netmask/prefix for IPADDR (line 2)');
    expect(err(() => parseIfcfg('DEVICE=lo:1\nIPADDR1=1.2.3.4\nPREFIX1=40\n'))).toBe('cannot parse ifcfg file: bad netmask/prefix for IPADDR1 (line 2)');
    expect(err(() => parseIfcfg('DEVICE=lo:1\nIPADDR=1.2.3\n'))).toBe("cannot parse ifcfg file: bad address '1.2.3' in IPADDR (line 2)");
    expect(err(() => parseIfcfg('DEVICE=lo:1\nIPADDR=1.2.3.4/40\n'))).toMatch(/bad address '1.2.3.4\/40'/);
  });
});

describe('netconfig: interfaces(5) rule by rule', () => {
  test('continuations, comments, allow-*, mapping and non-inet stanzas, several address lines, lines numbered', () => {
    const r = parseInterfaces(
      [
        '# c',
        'allow-hotplug lo:1 \\',
        '  lo:2',
        'iface lo:1 inet static',
        '    address 10.0.0.1',
        '    netmask 255.255.255.0',
        '    address 10.0.0.2/30',
        '    address junk',
        '    pre-up ip -4 address add 10.0.0.3/31 dev lo label lo:7',
        '    up ifconfig lo:8 10.0.0.4 netmask 255.255.0.0 up',
        'iface lo:2 inet dhcp',
        '    address 10.0.0.5',
        'iface lo:3 inet6 static',
        '    address 10.0.0.6',
        'mapping eth0',
        '    address 10.0.0.7',
        'source-dir /etc/network/d',
        'source-directory /etc/network/e',
        'iface lo:4 inet static',
        '    address 10.0.0.8',
        '    post-up ip addr add 10.0.0.9 dev lo',
        'auto lo:9',
        '    address 10.0.0.10',
      ].join('\r\n'),
    );
    expect(r.auto).toEqual(['lo:1', 'lo:2', 'lo:9']);
    expect(r.sources).toEqual([{ kind: 'source-directory', path: '/etc/network/d' }, { kind: 'source-directory', path: '/etc/network/e' }]);
    expect(r.addresses.map((a) => `${a.interface} ${a.address}/${a.prefixlen} ${a.atBoot} ${a.how} ${a.line}`)).toEqual([
      'lo:1 10.0.0.1/24 true address 5',
      'lo:1 10.0.0.2/30 true address 7',
      'lo:7 10.0.0.3/31 true pre-up ip addr add 9',
      'lo:8 10.0.0.4/16 true up ifconfig 10',
      'lo:4 10.0.0.8/32 false address 20',
      'lo 10.0.0.9/32 false post-up ip addr add 21',
    ]);
    expect(parseInterfaces('source a b\n').sources).toEqual([{ kind: 'source', path: 'a b' }]);
    expect(parseInterfaces('iface lo inet static\n address 10.0.0.1\\').addresses[0]).toMatchObject({ address: '10.0.0.1', line: 2 });
  });
  test('each rejection names its culprit and line', () => {
    expect(err(() => parseInterfaces('\niface lo inet\n'))).toBe('cannot parse /etc/network/interfaces: iface needs NAME FAMILY METHOD (line 2)');
    for (const f of ['inet6', 'ipx', 'can']) expect(parseInterfaces(`iface x ${f} static\n`).addresses).toEqual([]);
    expect(err(() => parseInterfaces('iface lo:1 bogus static\n'))).toBe("cannot parse /etc/network/interfaces: unknown address family 'bogus' (line 1)");
    expect(err(() => parseInterfaces('\nsource-directory\n'))).toBe('cannot parse /etc/network/interfaces: source-directory needs a path (line 2)');
    expect(err(() => parseInterfaces('iface lo inet static\n  address\n'))).toBe('cannot parse /etc/network/interfaces: address without a value (line 2)');
    expect(err(() => parseInterfaces('iface lo inet static\n address 1.2.3.4\n netmask 255.0.255.0\n'))).toBe("cannot parse /etc/network/interfaces: bad netmask '255.0.255.0' for lo (line 2)");
    expect(err(() => parseInterfaces('iface lo inet static\n address 1.2.3\n'))).toBe("cannot parse /etc/network/interfaces: bad address '1.2.3' for lo (line 2)");
    expect(parseInterfaces('address 1.2.3\niface lo inet manual\n address 1.2.3\n').addresses).toEqual([]);
  });
  test('commands: ip and ifconfig forms, what they skip', () => {
    const c = (s: string) => addressesFromCommand(s).map((a) => `${a.interface} ${a.address}/${a.prefixlen} ${a.how}`);
    expect(c('ip addr add 10.0.0.1/24 dev lo; /bin/ip address add 10.0.0.2 dev lo label lo:2 || ip -4 ad add 10.0.0.3 dev lo:3')).toEqual([
      'lo 10.0.0.1/24 ip addr add',
      'lo:2 10.0.0.2/32 ip addr add',
      'lo:3 10.0.0.3/32 ip addr add',
    ]);
    expect(c('ip addr add 10.0.0.1 dev lo label')).toEqual(['lo 10.0.0.1/32 ip addr add']);
    for (const s of ['ip addr del 10.0.0.1 dev lo', 'ip addrs add 10.0.0.1 dev lo', 'ip link add 10.0.0.1 dev lo', 'ip addr add 10.0.0.1', 'ip addr add 10.0.0.1 dev', 'ip addr add x dev lo', 'xip addr add 10.0.0.1 dev lo', 'ip', ''])
      expect([s, c(s)]).toEqual([s, []]);
    expect(c('ifconfig eth0:1 10.0.0.1 netmask 255.255.255.0 up')).toEqual(['eth0:1 10.0.0.1/24 ifconfig']);
    expect(c('ifconfig eth0:1 10.0.0.1')).toEqual(['eth0:1 10.0.0.1/32 ifconfig']);
    expect(c('/sbin/ifconfig lo:1 10.0.0.1/30')).toEqual(['lo:1 10.0.0.1/30 ifconfig']);
    expect(c('ifconfig lo:1 10.0.0.1 netmask')).toEqual(['lo:1 10.0.0.1/8 ifconfig']);
    expect(c('ifconfig lo:1')).toEqual([]);
    expect(c('ifconfig lo:1 up')).toEqual([]);
  });
});

describe('netconfig: networkd rule by rule', () => {
  test('sections, comments, Name= reset, addresses named after the first plain name, classful defaults', () => {
    const u = parseNetworkUnit('; c\r\n# c\n[Match]\nName=eth0\nName=\nName=lo* !eth* lo\nHost=x\n[Network]\nAddress=10.0.0.1\nAddress=\nAddress=fe80::1/64\nDNS=1.1.1.1\n[Address]\nAddress=172.16.0.1\n[Address]\nAddress = 192.168.0.1\n[Route]\nAddress=200.0.0.1\n[Network]\nAddress=224.0.0.1\nAddress=127.0.0.255/31\n');
    expect(u.matchNames).toEqual(['lo*', '!eth*', 'lo']);
    expect(u.matchOther).toEqual({ Host: 'x' });
    expect(u.addresses.map((a) => `${a.interface} ${a.address}/${a.prefixlen} ${a.atBoot} ${a.how} ${a.line}`)).toEqual([
      'lo 10.0.0.1/8 true [Network] Address 9',
      'lo 172.16.0.1/16 true [Address] Address 14',
      'lo 192.168.0.1/24 true [Address] Address 16',
      'lo 224.0.0.1/32 true [Network] Address 20',
      'lo 127.0.0.255/31 true [Network] Address 21',
    ]);
    expect(parseNetworkUnit('[Match]\nName=l*\n[Network]\nAddress=10.0.0.1/32\n').addresses[0]!.interface).toBe('l*');
    expect(parseNetworkUnit('[Network]\nAddress=10.0.0.1/32\n').addresses[0]!.interface).toBe('');
    expect(parseNetworkUnit('[Match]\nName=!eth0\nName=lo\n[Network]\nAddress=10.0.0.1/32\n').addresses[0]!.interface).toBe('lo');
    expect(parseNetworkUnit('[Match]\nName=!eth0 lo\n').matchNames).toEqual(['!eth0', '!lo']);
    expect(parseNetworkUnit('[Match]\nName=lo?\n[Network]\nAddress=10.0.0.1/32\n').addresses[0]!.interface).toBe('lo?');
    expect(parseNetworkUnit('[Match]\nName=lo[0]\n[Network]\nAddress=10.0.0.1/32\n').addresses[0]!.interface).toBe('lo[0]');
  });
  test('does the unit select lo? names, negations, Type and hardware keys', () => {
    const m = (s: string) => unitMatchesLoopback(parseNetworkUnit(`[Match]\n${s}\n`));
    expect(m('Name=lo')).toBe(true);
    expect(m('Name=eth0')).toBe(false);
    expect(m('Name=eth0 lo')).toBe(true);
    expect(m('Name=!lo')).toBe(false);
    expect(m('Name=!eth0 !eth1')).toBe(true);
    // systemd (config_parse_match_strv, net_condition_test_strv): a leading `!` inverts the whole
    // line, and a `!` on a later word of that line is then a literal character of the glob.
    expect(m('Name=!eth0 l*')).toBe(false);
    expect(m('Name=!eth0 !l*')).toBe(true);
    expect(m('Name=!eth0\nName=lo')).toBe(true);
    expect(m('Name=lo !lo')).toBe(false);
    expect(m('Type=loopback ether')).toBe(true);
    expect(m('Type=ether')).toBe(false);
    expect(m('Type=loop*')).toBe(true);
    expect(m('Type=!ether !wlan')).toBe(true);
    expect(m('Type=!ether loopback')).toBe(false);
    expect(m('Type=!ether !loopback')).toBe(true);
    expect(m('Type=!ether\nType=loopback')).toBe(true);
    expect(m('Type=ether\nType=\nType=loopback')).toBe(true);
    for (const k of ['Host', 'Virtualization', 'KernelCommandLine', 'KernelVersion', 'Architecture', 'Firmware', 'Credential']) expect([k, m(`${k}=x`)]).toEqual([k, true]);
    expect(m('Driver=')).toBe(true);
    expect(m('Driver=e1000')).toBe(false);
    expect(m('Path=pci*')).toBe(false);
    expect(m('')).toBe(true);
    expect(unitMatchesLoopback(parseNetworkUnit('[Match]\nName=lo1\n'), 'lo1')).toBe(true);
  });
  test('matchesName: fnmatch globs, regex characters literal, a malformed class no match', () => {
    expect(matchesName('lo', 'lo')).toBe(true);
    expect(matchesName('lo', 'lo0')).toBe(false);
    expect(matchesName('lo', 'xlo')).toBe(false);
    expect(matchesName('l*', 'lo')).toBe(true);
    expect(matchesName('l?', 'lo')).toBe(true);
    expect(matchesName('l?', 'l')).toBe(false);
    expect(matchesName('l.', 'lo')).toBe(false);
    expect(matchesName('l.', 'l.')).toBe(true);
    expect(matchesName('a+', 'aa')).toBe(false);
    expect(matchesName('a+', 'a+')).toBe(true);
    expect(matchesName('(a|b)', 'a')).toBe(false);
    expect(matchesName('$^{}\\', '$^{}\\')).toBe(true);
    expect(matchesName('lo[0-9]', 'lo5')).toBe(true);
    expect(matchesName('lo[', 'lo[')).toBe(false);
    expect(matchesName('!lo', 'lo')).toBe(false);
    expect(matchesName('!lo', 'eth0')).toBe(true);
  });
  test('each rejection names its culprit and line', () => {
    expect(err(() => parseNetworkUnit('[Match]\n\njunk\n'))).toBe("cannot parse .network unit: not a Key=Value line: 'junk' (line 3)");
    expect(err(() => parseNetworkUnit('[Match]\n=lo\n'))).toMatch(/not a Key=Value line: '=lo'/);
    expect(err(() => parseNetworkUnit('[Match-1]\nName=lo\n'))).toBe("cannot parse .network unit: not a Key=Value line: '[Match-1]' (line 1)");
    expect(err(() => parseNetworkUnit('# c\nName=lo\n'))).toBe('cannot parse .network unit: assignment outside of a section (line 2)');
    expect(err(() => parseNetworkUnit('[Address]\n\nAddress=1.2.3.4/40\n'))).toBe("cannot parse .network unit: bad address '1.2.3.4/40' (line 3)");
    expect(parseNetworkUnit('[Address]\nAddress=1.2.3/24\n').addresses).toEqual([]);
  });
});

describe('netconfig: the survivors of the first mutation run', () => {
  test('masks: anchored digits, dotted masks must be addresses', () => {
    expect(netmaskToPrefix('x24')).toBeUndefined();
    expect(netmaskToPrefix('24x')).toBeUndefined();
    expect(netmaskToPrefix('255.255.255.255.255')).toBeUndefined();
  });
  test('ifcfg values: blanks around a value, a comment after blanks only, CR only at the end, export followed by blanks', () => {
    expect(parseIfcfg('DEVICE=lo\nIPADDR= 10.0.0.1\n')[0]!.address).toBe('10.0.0.1');
    expect(parseIfcfg("DEVICE=lo\nIPADDR=''\nIPADDR1=10.0.0.1\n").map((a) => a.how)).toEqual(['IPADDR1']);
    expect(parseIfcfg('DEVICE=lo\nIPADDR=10.0.0.1\t# c # d\n')[0]!.address).toBe('10.0.0.1');
    expect(parseIfcfg('DEVICE=lo\nIPADDR=10.0.0.1  #c\n')[0]!.address).toBe('10.0.0.1');
    expect(() => parseIfcfg('DEVICE=lo\nIPADDR=10.0.0.1 x\n')).toThrow("bad address '10.0.0.1 x'");
    expect(() => parseIfcfg('DEVICE=l\ro\n')).toThrow(ParseError);
    expect(parseIfcfg('export   DEVICE=lo:9\nIPADDR=10.0.0.1\n')[0]!.interface).toBe('lo:9');
    expect(parseIfcfg('DEVICE=lo\nIPADDR=10.0.0.1\nNETMASK=\n')[0]!.prefixlen).toBe(32);
    expect(parseIfcfg('IPADDR=10.0.0.1\n', 'x/ifcfg-lo:1/ifcfg-lo:2')[0]!.interface).toBe('lo:2');
    expect(parseIfcfg('IPADDR=10.0.0.1\n', 'my-ifcfg-lo')[0]!.interface).toBe('lo');
    expect(err(() => parseIfcfg(`DEVICE=lo\n${'x'.repeat(80)}\n`))).toBe(`cannot parse ifcfg file: not a KEY=VALUE line: '${'x'.repeat(60)}' (line 2)`);
    expect(err(() => parseIfcfg(`DEVICE=lo\nIPADDR=${'9'.repeat(50)}\n`))).toBe(`cannot parse ifcfg file: bad address '${'9'.repeat(40)}' in IPADDR (line 2)`);
  });
  test('continuations join as ifupdown joins them: no space added (real ifquery 0.8.41)', () => {
    const dir = join(__dirname, '..', 'fixtures', 'real', 'ifupdown', 'continuation');
    const q = readFileSync(join(dir, 'ifquery-lo1.txt'), 'utf8');
    // What ifupdown itself read: the address split after '/3' is a /32, the command split in 'dev' is 'dev lo'.
    expect(q).toContain('address: 192.168.0.3\n');
    expect(q).toContain('netmask: 255.255.255.255\n');
    expect(q).toContain('up: ip addr add 192.168.0.30/32 dev lo label lo:2\n');
    expect(q).toContain('up: echo a    b\n');
    const r = parseInterfaces(readFileSync(join(dir, 'interfaces'), 'utf8'));
    expect(r.addresses.map((a) => [a.interface, a.address, a.prefixlen, a.how, a.line])).toEqual([
      ['lo:1', '192.168.0.3', 32, 'address', 3],
      ['lo:2', '192.168.0.30', 32, 'post-up ip addr add', 5],
    ]);
    // A line that is only a backslash still continues, and the logical line keeps its first number.
    expect(parseInterfaces('iface lo inet static\n\\\n address 10.0.0.1\n').addresses.map((a) => [a.address, a.line])).toEqual([['10.0.0.1', 2]]);
  });
  test('Type= lines add to one list, an empty one resets it, and only [Match] counts', () => {
    const m = (s: string) => unitMatchesLoopback(parseNetworkUnit(`[Match]\n${s}\n`));
    expect(m('Type=loopback\nType=ether')).toBe(true); // 'loopback ether', not just the last line
    expect(m('Type=ether\nType=')).toBe(true); // reset: no Type= test left
    expect(parseNetworkUnit('[Match]\nType=loopback\nType=!ether wlan\n').matchOther.Type).toBe('loopback !ether !wlan');
    expect(parseNetworkUnit('[Match]\nType=ether\nType=\n').matchOther.Type).toBe('');
    expect(unitMatchesLoopback(parseNetworkUnit('[Network]\nType=ether\n[Match]\nName=lo\n'))).toBe(true);
    expect(parseNetworkUnit('[Match]\nName=!\n').matchNames).toEqual([]);
  });
  test('interfaces(5): blank and comment lines, continuation spacing, extra addresses not at boot without auto', () => {
    const r = parseInterfaces('iface lo inet static\n\n  # address 10.0.0.9\n  address 10.0.0.1\n  address 10.0.0.2\n  up ip addr add 10.0.0.3 \\\ndev lo\n');
    expect(r.addresses.map((a) => `${a.address} ${a.atBoot} ${a.line}`)).toEqual(['10.0.0.1 false 4', '10.0.0.2 false 5', '10.0.0.3 false 6']);
    expect(parseInterfaces('iface lo inet static\n address 10.0.0.1 # c#\n').addresses).toHaveLength(1);
    expect(parseInterfaces('mapping lo\n address 10.0.0.1\niface lo inet static\n').addresses).toEqual([]);
    expect(parseInterfaces('iface lo inet static\nmapping x\n address 10.0.0.1\n').addresses).toEqual([]);
    expect(parseInterfaces('iface lo inet static\n gateway 10.0.0.254\n address 10.0.0.1\n').addresses.map((a) => a.address)).toEqual(['10.0.0.1']);
    expect(parseInterfaces('iface lo inet static\n down ip addr add 10.0.0.5 dev lo\n').addresses).toEqual([]);
    expect(err(() => parseInterfaces(`iface lo ${'f'.repeat(30)} static\n`))).toBe(`cannot parse /etc/network/interfaces: unknown address family '${'f'.repeat(20)}' (line 1)`);
    expect(err(() => parseInterfaces(`iface lo inet static\n address 10.0.0.1\n netmask ${'1'.repeat(30)}\n`))).toBe(`cannot parse /etc/network/interfaces: bad netmask '${'1'.repeat(20)}' for lo (line 2)`);
    expect(err(() => parseInterfaces(`iface lo inet static\n address ${'a'.repeat(50)}\n`))).toBe(`cannot parse /etc/network/interfaces: bad address '${'a'.repeat(40)}' for lo (line 2)`);
  });
  test('commands: several blanks, version flags only as -N, ifconfig netmask only after netmask', () => {
    const c = (s: string) => addressesFromCommand(s).map((a) => `${a.interface} ${a.address}/${a.prefixlen}`);
    expect(c('ip  addr  add  10.0.0.1/24  dev  lo')).toEqual(['lo 10.0.0.1/24']);
    expect(c('ip -46 addr add 10.0.0.1 dev lo')).toEqual([]);
    expect(c('ip x-4 addr add 10.0.0.1 dev lo')).toEqual([]);
    expect(c('ip xa add 10.0.0.1 dev lo')).toEqual([]);
    expect(c('ip addresss add 10.0.0.1 dev lo')).toEqual([]);
    expect(c('ip adr add 10.0.0.1 dev lo')).toEqual([]);
    expect(c('ip addrss add 10.0.0.1 dev lo')).toEqual([]);
    expect(c('ip add add 10.0.0.1 dev lo')).toEqual(['lo 10.0.0.1/32']);
    expect(c('ip addre add 10.0.0.1 dev lo')).toEqual(['lo 10.0.0.1/32']);
    expect(c('ip addres add 10.0.0.1 dev lo')).toEqual(['lo 10.0.0.1/32']);
    expect(c('ip addr add')).toEqual([]);
    expect(c('xifconfig lo:1 10.0.0.1')).toEqual([]);
    expect(c('sbin/ifconfig lo:1 10.0.0.1')).toEqual(['lo:1 10.0.0.1/8']);
    expect(c('ifconfig eth0 netmask 10.0.0.1')).toEqual([]);
    expect(c('ifconfig eth0 10.0.0.1 255.255.0.0 netmask 255.255.255.0')).toEqual(['eth0 10.0.0.1/24']);
    expect(c('ifconfig eth0 10.0.0.1 up netmask')).toEqual(['eth0 10.0.0.1/32']);
  });
  test('networkd: classful bounds, CR at the end only, section lines whole, Name= only in [Match], blank Address= skipped', () => {
    const pfx = (a: string) => parseNetworkUnit(`[Network]\nAddress=${a}\n`).addresses.map((x) => x.prefixlen);
    expect([pfx('127.0.0.1'), pfx('128.0.0.1'), pfx('191.0.0.1'), pfx('192.0.0.1'), pfx('223.0.0.1'), pfx('224.0.0.1')]).toEqual([[8], [16], [16], [24], [24], [32]]);
    expect(pfx('fe80::1')).toEqual([]);
    expect(() => parseNetworkUnit('[Match]\nName=l\ro\n')).not.toThrow();
    expect(parseNetworkUnit('[Match]\r\nName=lo\r\n').matchNames).toEqual(['lo']);
    expect(err(() => parseNetworkUnit('[Match] x\nName=lo\n'))).toMatch(/not a Key=Value line/);
    expect(err(() => parseNetworkUnit('  [Match]  \n  Name=lo  \nx\n'))).toBe("cannot parse .network unit: not a Key=Value line: 'x' (line 3)");
    expect(err(() => parseNetworkUnit(`[Match]\n${'k'.repeat(80)}\n`))).toBe(`cannot parse .network unit: not a Key=Value line: '${'k'.repeat(60)}' (line 2)`);
    expect(err(() => parseNetworkUnit(`[Network]\nAddress=1.2.3.4/${'9'.repeat(50)}\n`))).toBe(`cannot parse .network unit: bad address '1.2.3.4/${'9'.repeat(32)}' (line 2)`);
    expect(parseNetworkUnit('[Network]\nName=eth0\n').matchNames).toEqual([]);
    expect(parseNetworkUnit('[Match]\nName=lo   eth0\n').matchNames).toEqual(['lo', 'eth0']);
    expect(parseNetworkUnit('[Network]\nAddress=\n').addresses).toEqual([]);
    expect(unitMatchesLoopback(parseNetworkUnit('[Match]\nName=lo!\n'))).toBe(false);
    expect(unitMatchesLoopback(parseNetworkUnit('[Match]\nType=ether   loopback\n'))).toBe(true);
    expect(unitMatchesLoopback(parseNetworkUnit('[Match]\nType=!ether loopback\n'))).toBe(false);
  });
});
