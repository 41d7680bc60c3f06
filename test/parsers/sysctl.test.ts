import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bootValue,
  parseSysctlConf,
  parseSysctlValue,
  sysctlFileOrder,
  sysctlGlobMatch,
  sysctlKeyPath,
} from '../../src/parsers/sysctl';
import { ParseError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';
import { REAL } from '../probes/replay';

const SYN = join(__dirname, '..', 'fixtures', 'synthetic', 'sysctl');
const syn = (n: string) => readFileSync(join(SYN, n), 'utf8');
const tree = (state: string, iface: string, p: string) => readFileSync(join(REAL, 'sysctl', state, 'proc/sys/net/ipv4/conf', iface, p), 'utf8');
const STATES = ['correct', 'all-only', 'lo-only', 'defaults'];

describe('parseSysctlValue on /proc/sys trees captured from lab real servers', () => {
  test('the four states are there', () => {
    for (const s of STATES) expect(readdirSync(join(REAL, 'sysctl', s, 'proc/sys/net/ipv4/conf')).sort()).toEqual(['all', 'default', 'eth0', 'lo']);
  });

  test.each([
    ['correct', { all: [1, 2], lo: [1, 2], eth0: [0, 0], default: [0, 0] }],
    ['all-only', { all: [1, 2], lo: [0, 0], eth0: [0, 0], default: [0, 0] }],
    ['lo-only', { all: [0, 0], lo: [1, 2], eth0: [0, 0], default: [0, 0] }],
    ['defaults', { all: [0, 0], lo: [0, 0], eth0: [0, 0], default: [0, 0] }],
  ])('%s', (state, want) => {
    for (const [iface, [ig, an]] of Object.entries(want)) {
      expect(parseSysctlValue(tree(state, iface, 'arp_ignore'))).toBe(ig);
      expect(parseSysctlValue(tree(state, iface, 'arp_announce'))).toBe(an);
    }
  });

  test('junk is a ParseError naming the file', () => {
    expect(() => parseSysctlValue('', '/proc/sys/x')).toThrow(ParseError);
    expect(() => parseSysctlValue('1 2\n')).toThrow(/not an integer/);
    expect(() => parseSysctlValue('abc', '/proc/sys/net/ipv4/conf/all/arp_ignore')).toThrow(/arp_ignore/);
    expect(parseSysctlValue('-1\n')).toBe(-1);
  });
});

describe('sysctl.conf / sysctl.d files', () => {
  test('key names: the first separator decides (sysctl.d(5))', () => {
    expect(sysctlKeyPath('net.ipv4.conf.all.arp_ignore')).toBe('net/ipv4/conf/all/arp_ignore');
    expect(sysctlKeyPath('net/ipv4/conf/all/arp_ignore')).toBe('net/ipv4/conf/all/arp_ignore');
    expect(sysctlKeyPath('net.ipv4.conf.eth0/100.arp_ignore')).toBe('net/ipv4/conf/eth0.100/arp_ignore');
    expect(sysctlKeyPath('net/ipv4/conf/eth0.100/arp_ignore')).toBe('net/ipv4/conf/eth0.100/arp_ignore');
  });

  test('the article-style file', () => {
    const f = parseSysctlConf(syn('lvs-dr.conf'));
    expect(f.ignored).toEqual([]);
    expect(f.assignments.map((a) => [a.key, a.value])).toEqual([
      ['net/ipv4/conf/all/arp_ignore', '1'],
      ['net/ipv4/conf/all/arp_announce', '2'],
      ['net/ipv4/conf/lo/arp_ignore', '1'],
      ['net/ipv4/conf/lo/arp_announce', '2'],
    ]);
  });

  test('edges: comments, separators, -prefix, globs, exclusions, junk lines kept aside', () => {
    const f = parseSysctlConf(syn('edges.conf'));
    const byKey = Object.fromEntries(f.assignments.map((a) => [a.key, a]));
    expect(byKey['net/ipv4/conf/eth0.100/arp_ignore']!.value).toBe('1');
    expect(byKey['net/ipv4/conf/eth0.100/arp_announce']!.value).toBe('2');
    expect(byKey['net/ipv4/conf/all/arp_ignore']).toMatchObject({ value: '1', ignoreFailure: true, glob: false });
    expect(byKey['net/ipv4/conf/*/arp_announce']).toMatchObject({ value: '2', glob: true });
    expect(byKey['net/ipv4/conf/lo/arp_announce']).toMatchObject({ ignoreFailure: true });
    expect(byKey['net/ipv4/conf/lo/arp_announce']!.value).toBeUndefined();
    expect(byKey['kernel/domainname']!.value).toBe('example.com with spaces');
    expect(f.ignored.map((i) => i.text)).toEqual(['this line is not an assignment', '= 3']);
  });

  test('glob matching never crosses /', () => {
    expect(sysctlGlobMatch('net/ipv4/conf/*/arp_announce', 'net/ipv4/conf/eth0/arp_announce')).toBe(true);
    expect(sysctlGlobMatch('net/ipv4/conf/*/arp_announce', 'net/ipv4/conf/a/b/arp_announce')).toBe(false);
    expect(sysctlGlobMatch('net/ipv4/conf/eth[01]/arp_ignore', 'net/ipv4/conf/eth1/arp_ignore')).toBe(true);
    expect(sysctlGlobMatch('net/ipv4/conf/eth[!01]/arp_ignore', 'net/ipv4/conf/eth1/arp_ignore')).toBe(false);
    expect(sysctlGlobMatch('net/ipv4/conf/eth?/x', 'net/ipv4/conf/eth0/x')).toBe(true);
    expect(sysctlGlobMatch('a[', 'a[')).toBe(true);
  });

  test('boot value: last assignment wins; explicit beats glob in any order; -key excludes from globs', () => {
    const files = [
      { path: '/usr/lib/sysctl.d/10-a.conf', parsed: parseSysctlConf('net.ipv4.conf.*.arp_announce = 2\nnet.ipv4.conf.all.arp_ignore = 1\n') },
      { path: '/etc/sysctl.d/20-b.conf', parsed: parseSysctlConf('net.ipv4.conf.eth0.arp_announce = 0\n-net.ipv4.conf.lo.arp_announce\nnet.ipv4.conf.all.arp_ignore = 8\n') },
      { path: '/etc/sysctl.d/30-c.conf', parsed: parseSysctlConf('net.ipv4.conf.*.arp_announce = 1\n') },
    ];
    expect(bootValue(files, 'net/ipv4/conf/all/arp_ignore')).toEqual({ value: '8', path: '/etc/sysctl.d/20-b.conf', line: 3, glob: false });
    expect(bootValue(files, 'net/ipv4/conf/eth0/arp_announce')!.value).toBe('0'); // explicit, although a glob comes later
    expect(bootValue(files, 'net/ipv4/conf/eth1/arp_announce')).toMatchObject({ value: '1', glob: true });
    expect(bootValue(files, 'net/ipv4/conf/lo/arp_announce')).toBeUndefined();
    expect(bootValue(files, 'net/ipv4/conf/lo/arp_ignore')).toBeUndefined();
  });

  test('file order: /etc hides the same name in /run and /usr/lib, then by name; sysctl.conf last', () => {
    const order = sysctlFileOrder(
      {
        '/etc/sysctl.d': ['99-sysctl.conf', '50-x.conf', 'README', 'notes.txt'],
        '/run/sysctl.d': ['50-x.conf', '60-run.conf'],
        '/usr/lib/sysctl.d': ['10-vendor.conf', '50-x.conf', '99-protect-links.conf'],
        '/lib/sysctl.d': ['10-vendor.conf'],
      },
      true,
    );
    expect(order).toEqual([
      '/usr/lib/sysctl.d/10-vendor.conf',
      '/etc/sysctl.d/50-x.conf',
      '/run/sysctl.d/60-run.conf',
      '/usr/lib/sysctl.d/99-protect-links.conf',
      '/etc/sysctl.d/99-sysctl.conf',
      '/etc/sysctl.conf',
    ]);
    expect(sysctlFileOrder({}, false)).toEqual([]);
  });
});

describe('property: malformed input never crashes the parsers', () => {
  const proc = STATES.flatMap((s) => ['all', 'lo', 'eth0', 'default'].flatMap((i) => [tree(s, i, 'arp_ignore'), tree(s, i, 'arp_announce')]));
  test('parseSysctlValue (10 000 variants of real /proc/sys values)', () => {
    const r = fuzzParser((t) => parseSysctlValue(t), proc, 10000, 7);
    expect(r.accepted + r.rejected).toBe(10000);
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.accepted).toBeGreaterThan(0);
  });
  test('parseSysctlConf (10 000 variants): returns, never throws; every key is a path', () => {
    const seeds = [syn('lvs-dr.conf'), syn('edges.conf'), syn('lo-only.conf')];
    const r = fuzzParser(
      (t) => {
        const f = parseSysctlConf(t);
        for (const a of f.assignments) if (a.key.includes('=') || a.key === '') throw new Error(`bad key ${a.key}`);
        for (const a of f.assignments) bootValue([{ path: 'x', parsed: f }], a.key);
      },
      seeds,
      10000,
      11,
    );
    expect(r.accepted).toBe(10000);
  });
});

describe('sysctl: values, names, lines, globs and exclusions one by one', () => {
  test('a value: up to 10 digits and a sign; the culprit cut at 40 characters; the default what', () => {
    expect(parseSysctlValue('4294967295\n')).toBe(4294967295);
    expect(parseSysctlValue('-12')).toBe(-12);
    expect(() => parseSysctlValue('12345678901')).toThrow("cannot parse /proc/sys value: '12345678901' is not an integer");
    expect(() => parseSysctlValue('x'.repeat(50), 'f')).toThrow(`cannot parse f: '${'x'.repeat(40)}' is not an integer`);
  });
  test('a key name as a user writes it: blanks and leading slashes dropped', () => {
    expect(sysctlKeyPath('  net.ipv4.ip_forward  ')).toBe('net/ipv4/ip_forward');
    expect(sysctlKeyPath('//net/ipv4/ip_forward')).toBe('net/ipv4/ip_forward');
    expect(sysctlKeyPath('/net.ipv4.ip_forward')).toBe('net/ipv4/ip_forward');
    expect(sysctlKeyPath('kernel')).toBe('kernel');
  });
  test('each line kind, with its line number and flags', () => {
    const f = parseSysctlConf('net.ipv4.ip_forward\n- net.ipv4.conf.*.rp_filter\n-  kernel.x =  1 \r\n= 1\n/ = 1\nnet ipv4 = 1\n-a b\n-\n# c\n; c\n');
    expect(f.assignments).toEqual([
      { key: 'net/ipv4/conf/*/rp_filter', ignoreFailure: true, glob: true, line: 2 },
      { key: 'kernel/x', value: '1', ignoreFailure: true, glob: false, line: 3 },
    ]);
    expect(f.ignored).toEqual([
      { line: 1, text: 'net.ipv4.ip_forward' },
      { line: 4, text: '= 1' },
      { line: 5, text: '/ = 1' },
      { line: 6, text: 'net ipv4 = 1' },
      { line: 7, text: '-a b' },
      { line: 8, text: '-' },
    ]);
    expect(parseSysctlConf('kernel.x=1').assignments).toEqual([{ key: 'kernel/x', value: '1', ignoreFailure: false, glob: false, line: 1 }]);
  });
  test('globs: anchored at both ends, dots literal, classes, a bad class matches nothing', () => {
    expect(sysctlGlobMatch('net/*', 'xnet/a')).toBe(false);
    expect(sysctlGlobMatch('net/*', 'net/a/b')).toBe(false);
    expect(sysctlGlobMatch('net/ipv4/conf/eth0.100/*', 'net/ipv4/conf/eth0.100/arp_ignore')).toBe(true);
    expect(sysctlGlobMatch('net/ipv4/conf/eth0.100/*', 'net/ipv4/conf/eth0x100/arp_ignore')).toBe(false);
    expect(sysctlGlobMatch('eth[01]', 'eth1')).toBe(true);
    expect(sysctlGlobMatch('eth[01]', 'eth[01]')).toBe(false);
    expect(sysctlGlobMatch('[!a]', '!')).toBe(true);
    expect(sysctlGlobMatch('x]/[ab]', 'x]/a')).toBe(true);
    expect(sysctlGlobMatch('[z-a]', 'b')).toBe(false);
    expect(sysctlGlobMatch('a[\\x]', 'a\\')).toBe(true); // a backslash inside a class is a backslash
  });
  test('boot value: another explicit key does not exclude; a -glob excludes what it matches', () => {
    const files = [
      { path: '/etc/sysctl.d/10.conf', parsed: parseSysctlConf('net.ipv4.conf.*.arp_announce = 2\nnet.ipv4.conf.eth0.arp_ignore = 1\n-net.ipv4.conf.lo.arp_ignore\n') },
      { path: '/etc/sysctl.d/20.conf', parsed: parseSysctlConf('-net.ipv4.conf.l*.arp_announce\n') },
    ];
    expect(bootValue(files, 'net/ipv4/conf/eth1/arp_announce')).toEqual({ value: '2', path: '/etc/sysctl.d/10.conf', line: 1, glob: true });
    expect(bootValue(files, 'net/ipv4/conf/lo/arp_announce')).toBeUndefined();
  });
});
