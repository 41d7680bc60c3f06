// Mutation testing (issue #19): what procIpvs.ts' surviving mutants showed untested. The fast
// paths proven taken on the real captures (a counter: the general path gives the same model),
// and each remaining edge on a real capture with one field edited (hand-made lines inline,
// each an edge the lab's kernel does not print).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  cachedBytes,
  compareReals,
  compareServices,
  fastRealServer,
  IpvsService,
  parseProcIpvs,
  parseProcIpvsConn,
  parseProcIpvsStats,
  parseVersionLine,
  procIpvsFastPaths,
  serviceKey,
  sortByKeys,
  sortTable,
} from '../../src/parsers/procIpvs';

const REAL = join(__dirname, '..', 'fixtures', 'real', 'ipvs');
const real = (scenario: string, file: string) => readFileSync(join(REAL, scenario, file), 'utf8');
const scenarios = readdirSync(REAL).filter((d) => existsSync(join(REAL, d, 'proc-net-ip_vs.txt')));
const HEAD = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n';

/** What the text says, counted without the parser: kernel-layout IPv4 real server lines, and services all of whose real servers are such lines. */
function expectedFastPaths(text: string) {
  const lines = text.split('\n').slice(3);
  const kernelLine = (l: string) => /^  -> [0-9A-F]{8}:[0-9A-F]{4} +(Route|Masq|Tunnel|Local) +\d+ +-?\d+ +-?\d+ *$/.test(l);
  let realServers = 0;
  let keyedSorts = 0;
  let allFast: boolean | undefined;
  for (const l of lines) {
    if (l.startsWith('  -> ')) {
      if (kernelLine(l)) realServers++;
      else allFast = false;
    } else if (l.trim() !== '') {
      if (allFast) keyedSorts++;
      allFast = true;
    }
  }
  if (allFast) keyedSorts++;
  return { realServers, keyedSorts };
}

const parseCounting = (text: string) => {
  procIpvsFastPaths.realServers = 0;
  procIpvsFastPaths.keyedSorts = 0;
  const t = parseProcIpvs(text);
  return { table: t, paths: { ...procIpvsFastPaths } };
};

describe('parseProcIpvs: the fast paths are taken on the real captures', () => {
  test('the counters start at zero (first test of the file: nothing has parsed yet)', () => {
    expect(procIpvsFastPaths).toEqual({ realServers: 0, keyedSorts: 0 });
  });
  test.each(scenarios)('%s: every kernel-layout IPv4 real server read in place, every such service ordered by its keys', (sc) => {
    const text = real(sc, 'proc-net-ip_vs.txt');
    const { table, paths } = parseCounting(text);
    const want = expectedFastPaths(text);
    expect(paths).toEqual(want);
    expect(want.keyedSorts).toBe(table.services.filter((s) => !s.realServers.some((r) => r.address.includes(':'))).length);
  });
  test('mixed capture: its 22 IPv4 real servers in place, 15 of 18 services ordered by keys (not the three with IPv6 real servers)', () => {
    expect(parseCounting(real('mixed', 'proc-net-ip_vs.txt')).paths).toEqual({ realServers: 22, keyedSorts: 15 });
  });
  test('real server lines in another spelling (TABs): none in place, only the empty service keyed, same model', () => {
    const text = real('mixed', 'proc-net-ip_vs.txt');
    const tabbed = text.split('\n').map((l, i) => (i > 2 && l.startsWith('  -> ') ? `  -> ${l.slice(5).trim().split(/ +/).join('\t')}` : l)).join('\n');
    const r = parseCounting(tabbed);
    expect(r.paths).toEqual({ realServers: 0, keyedSorts: 1 });
    expect(r.table).toEqual(parseCounting(text).table);
  });
  test('one general line drops only its own service from the keyed sort; fast lines after it still read in place', () => {
    const text = HEAD + 'TCP  C0A80003:0050 wlc\n  -> C0A80005:0050 Route 1 0 0\n  -> C0A80004:0050\tRoute\t1\t0\t0\n  -> C0A80006:0050 Route 1 0 0\nTCP  C0A80003:0051 wlc\n  -> C0A80005:0051 Route 1 0 0\n  -> C0A80004:0051 Route 1 0 0\n';
    const r = parseCounting(text);
    expect(r.paths).toEqual({ realServers: 4, keyedSorts: 1 });
    expect(r.table.services.map((s) => s.realServers.map((x) => `${x.address}:${x.port}`).join(' '))).toEqual(['192.168.0.4:80 192.168.0.5:80 192.168.0.6:80', '192.168.0.4:81 192.168.0.5:81']);
  });
  test('a table without its last newline (a source that trims) reads the same', () => {
    for (const sc of scenarios) {
      const text = real(sc, 'proc-net-ip_vs.txt');
      expect([sc, parseProcIpvs(text.replace(/\n+$/, ''))]).toEqual([sc, parseProcIpvs(text)]);
    }
  });
});

describe('sorting: shortcuts taken, the order they keep', () => {
  test('sortByKeys: keys already in order, equal ones included, are returned as they are', () => {
    for (const keys of [[1, 2, 2], [5, 5], [1, 1, 3]]) {
      const items = keys.map((k, i) => `${k}.${i}`);
      expect(sortByKeys(items, keys)).toBe(items);
    }
    // Equal keys out of order: a stable sort, neither shortcut.
    expect(sortByKeys(['x', 'y', 'z'], [2, 1, 1])).toEqual(['y', 'z', 'x']);
    expect(sortByKeys(['w', 'x', 'y', 'z'], [3, 1, 3, 1])).toEqual(['x', 'z', 'w', 'y']);
  });
  test('the address cache answers from its cache', () => {
    const key = cachedBytes();
    const a = key('2001:db8::4');
    expect(a).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
    expect(key('2001:db8::4')).toBe(a);
    expect(key('192.168.0.4')).toEqual([192, 168, 0, 4]);
  });
  test('IPv4 before IPv6 whatever their first bytes; IPv6 in any spelling', () => {
    expect(compareReals({ address: '::1', port: 1 }, { address: '10.0.0.1', port: 1 })).toBeGreaterThan(0);
    expect(compareReals({ address: '10.0.0.1', port: 1 }, { address: '::1', port: 1 })).toBeLessThan(0);
    expect(compareReals({ address: '2001:db8::1', port: 1 }, { address: '192.168.0.1', port: 1 })).toBeGreaterThan(0);
    expect(compareReals({ address: '2001:DB8:0:0:0:0:0:2', port: 1 }, { address: '2001:db8::10', port: 1 })).toBeLessThan(0);
    expect(compareReals({ address: '1:0:2:3:4:5:6:7', port: 1 }, { address: '1::2:3:4:5:6', port: 1 })).toBeGreaterThan(0);
  });
  test('compareServices orders the mixed capture as the parser does, from any order', () => {
    const parsed = parseProcIpvs(real('mixed', 'proc-net-ip_vs.txt')).services;
    const keys = parsed.map(serviceKey);
    expect([...parsed].reverse().sort(compareServices).map(serviceKey)).toEqual(keys);
    expect([...parsed.slice(7), ...parsed.slice(0, 7)].sort(compareServices).map(serviceKey)).toEqual(keys);
  });
  test('two fwmark services of one mark: IPv4 first, in either order', () => {
    const svc = (family: IpvsService['family']): IpvsService => ({ protocol: 'fwm', family, fwmark: 3, scheduler: 'rr', persistent: false, realServers: [] });
    expect(sortTable({ services: [svc('inet6'), svc('inet')] }).services.map(serviceKey)).toEqual(['fwm:3', 'fwm:3:ipv6']);
    expect(sortTable({ services: [svc('inet'), svc('inet6')] }).services.map(serviceKey)).toEqual(['fwm:3', 'fwm:3:ipv6']);
    expect(compareServices(svc('inet'), svc('inet6'))).toBeLessThan(0);
    expect(compareServices(svc('inet6'), svc('inet'))).toBeGreaterThan(0);
    expect(compareServices(svc('inet'), svc('inet'))).toBe(0);
  });
});

describe('fastRealServer: its bounds', () => {
  const line = '  -> C0A80004:0050      Route   1      0          10        ';
  test('each character of the header that is not the address is checked on its own', () => {
    for (const i of [0, 1, 2, 3, 4, 13]) {
      const l = line.slice(0, i) + 'x' + line.slice(i + 1);
      expect([l, fastRealServer(l, 0, l.length, [])]).toEqual([l, undefined]);
    }
  });
  test('reads nothing past `to`, even spaces', () => {
    const l = '  -> C0A80004:0050 Route 1 0 7';
    expect(fastRealServer(`${l}  x`, 0, l.length, [])).toMatchObject({ address: '192.168.0.4', inactiveConns: 7 });
    expect(fastRealServer(`${l}  x`, 0, l.length + 2, [])).toMatchObject({ inactiveConns: 7 });
    expect(fastRealServer(`${l}  x`, 0, l.length + 3, [])).toBeUndefined();
  });
  test('negative connection counts (the kernel prints them signed) stay on the fast path', () => {
    const keys: number[] = [];
    expect(fastRealServer('  -> C0A80004:0050 Route 1 -2 -4', 0, 32, keys)).toEqual({ address: '192.168.0.4', port: 80, forwarding: 'route', weight: 1, activeConns: -2, inactiveConns: -4 });
    expect(keys).toEqual([0xc0a80004 * 65536 + 80]);
    expect(fastRealServer('  -> C0A80004:0050 Route 1 0 0', 0, 30, undefined)).toMatchObject({ weight: 1 });
  });
});

describe('parseProcIpvs: edges of the general path', () => {
  const ref = real('reference', 'proc-net-ip_vs.txt');
  test('version numbers of more than one digit', () => {
    expect(parseVersionLine('IP Virtual Server version 10.20.3 (size=1048576)', 'x')).toEqual({ version: '10.20.3', connTableSize: 1048576 });
  });
  test('a line of spaces: inside the table an error, at its end nothing', () => {
    expect(() => parseProcIpvs(HEAD + 'TCP  C0A80003:0050 wlc\n   \nTCP  C0A80003:0051 wlc\n')).toThrow('blank line inside the table (line 5)');
    expect(parseProcIpvs(ref + '   \n')).toEqual(parseProcIpvs(ref));
  });
  test('Local forwarding on the general path', () => {
    expect(parseProcIpvs(HEAD + 'TCP  C0A80003:0050 wlc\n  -> 7F000001:0050\tLocal\t1\t0\t0\n').services[0]!.realServers[0]).toMatchObject({ address: '127.0.0.1', forwarding: 'local' });
  });
  test('ADDRESS:PORT and firewall marks are whole tokens', () => {
    for (const ap of ['[::1]:00500', 'x[::1]:0050', 'AC0A80003:0050', 'C0A80003:00500'])
      expect(() => parseProcIpvs(HEAD + `TCP  ${ap} wlc\n`)).toThrow(`'${ap}' is not ADDRESS:PORT (line 4)`);
    for (const m of ['000000051', 'G00000005']) expect(() => parseProcIpvs(HEAD + `FWM  ${m} rr\n`)).toThrow(`'${m}' is not a hex firewall mark (line 4)`);
  });
  test('family: an address service keeps its own; an fwmark service is IPv6 when a real server is', () => {
    const v6real = '  -> [2001:0db8:0000:0000:0000:0000:0000:0004]:0050\tTunnel\t1\t0\t0\n';
    expect(parseProcIpvs(HEAD + 'TCP  C0A80003:0050 wlc persistent 10 FFFFFF00\n' + v6real).services[0]).toMatchObject({ family: 'inet', persistenceNetmask: '255.255.255.0' });
    expect(parseProcIpvs(HEAD + 'FWM  00000001 rr\n  -> C0A80004:0000 Tunnel 1 0 0\n' + v6real.replace(':0050', ':0000')).services[0]!.family).toBe('inet6');
  });
});

describe('parseProcIpvsStats and parseProcIpvsConn: edges', () => {
  test('stats: a text cut short names the first missing line', () => {
    const lines = real('reference', 'proc-net-ip_vs_stats.txt').split('\n');
    expect(() => parseProcIpvsStats(lines.slice(0, 3).join('\n'))).toThrow('unexpected layout (line 5)');
    expect(() => parseProcIpvsStats(lines.slice(0, 5).join('\n'))).toThrow('expected 5 hex values (line 6)');
  });
  const title = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n';
  const row = 'TCP C0A8000A 9C40 C0A80003 0050 C0A80004 0050 ESTABLISHED     900';
  test('conn: an address is hex, never a dotted quad', () => {
    expect(() => parseProcIpvsConn(title + row.replace('C0A8000A', '192.168.0.10') + '\n')).toThrow("'192.168.0.10' is not an address (line 2)");
  });
  test('conn: spaces after a row, a persistence engine with one data word, a protocol name with a tail', () => {
    const rows = real('reference', 'proc-net-ip_vs_conn.txt').split('\n');
    const padded = rows.map((l, i) => (i > 0 && l !== '' ? l + '  ' : l)).join('\n');
    expect(parseProcIpvsConn(padded)).toEqual(parseProcIpvsConn(rows.join('\n')));
    expect(parseProcIpvsConn(title + row + ' sip 6162\n')[0]).toMatchObject({ peName: 'sip', peData: '6162', expiresSeconds: 900 });
    expect(() => parseProcIpvsConn(title + row.replace('TCP', 'TCP-6') + '\n')).toThrow("'TCP-6' is not a protocol name (line 2)");
  });
});
