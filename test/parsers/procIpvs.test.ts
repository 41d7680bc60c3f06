import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseIpvsadmList } from '../../src/parsers/ipvsadm';
import {
  addressFamily,
  compareReals,
  endpoint,
  fastRealServer,
  IpvsRealServer,
  IpvsService,
  IpvsTable,
  normaliseAddress,
  parseProcIpvs,
  parseProcIpvsConn,
  parseProcIpvsStats,
  parseVersionLine,
  serviceKey,
  sortByKeys,
  sortTable,
} from '../../src/parsers/procIpvs';
import { applyHz, SOURCE_ONLY_FIELDS } from '../../src/probes/ipvs';
import { ParseError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';

const REAL = join(__dirname, '..', 'fixtures', 'real', 'ipvs');
const real = (scenario: string, file: string) => readFileSync(join(REAL, scenario, file), 'utf8');
const scenarios = readdirSync(REAL).filter((d) => existsSync(join(REAL, d, 'proc-net-ip_vs.txt')));

describe('parseProcIpvs on real /proc/net/ip_vs (kernel 6.1)', () => {
  test('reference: hex addresses, persistence in jiffies, reals sorted (the kernel lists them reversed)', () => {
    const t = parseProcIpvs(real('reference', 'proc-net-ip_vs.txt'));
    expect(t.version).toBe('1.2.1');
    expect(t.connTableSize).toBe(4096);
    expect(t.services).toHaveLength(1);
    const s = t.services[0]!;
    expect(s).toMatchObject({ protocol: 'tcp', family: 'inet', address: '192.168.0.3', port: 80, scheduler: 'wlc', persistent: true, persistentJiffies: 900000, persistenceNetmask: '255.255.255.255', onePacket: false });
    // jiffies are not seconds: nothing converts them until HZ is known
    expect(s.persistentSeconds).toBeUndefined();
    expect(applyHz(t, 250).services[0]!.persistentSeconds).toBe(3600);
    expect(s.realServers.map((r) => `${r.address}:${r.port} ${r.forwarding} ${r.weight} ${r.activeConns} ${r.inactiveConns}`)).toEqual([
      '192.168.0.4:80 route 1 0 10',
      '192.168.0.5:80 route 1 0 10',
    ]);
  });

  test('weight 0 and fallback', () => {
    const w = parseProcIpvs(real('weight0', 'proc-net-ip_vs.txt')).services[0]!;
    expect(w.realServers.find((r) => r.address === '192.168.0.5')!.weight).toBe(0);
    const f = parseProcIpvs(real('fallback', 'proc-net-ip_vs.txt')).services[0]!;
    expect(f.realServers).toHaveLength(1);
    expect(f.realServers[0]).toMatchObject({ address: '127.0.0.1', port: 80, forwarding: 'route', weight: 1 });
  });

  test('mixed: UDP ops, SCTP, masq/tunnel, FWM v4 and v6, IPv6 with a /64 persistence mask, empty service', () => {
    const t = parseProcIpvs(real('mixed', 'proc-net-ip_vs.txt'));
    const by = new Map(t.services.map((s) => [serviceKey(s), s]));
    expect(by.get('udp:192.168.0.3:53')!.onePacket).toBe(true);
    expect(by.get('sctp:192.168.0.3:3868')!.scheduler).toBe('sh');
    expect(by.get('tcp:192.168.0.3:443')!.realServers.map((r) => r.forwarding)).toEqual(['masq', 'masq']);
    expect(by.get('tcp:192.168.0.3:8080')).toMatchObject({ persistentJiffies: 150000, persistenceNetmask: '255.255.255.0' });
    expect(by.get('tcp:192.168.0.3:8080')!.realServers[0]!.forwarding).toBe('tunnel');
    // The kernel prints an IPv6 prefix length through ntohl: 64 reads 40000000.
    const v6 = by.get('tcp:[2001:db8::3]:80')!;
    expect(v6).toMatchObject({ family: 'inet6', address: '2001:db8::3', persistentJiffies: 75000, persistenceNetmask: '64' });
    expect(v6.onePacket).toBeUndefined(); // not printed for IPv6 services
    expect(v6.realServers.map((r) => r.address)).toEqual(['2001:db8::4', '2001:db8::5']);
    expect(by.get('fwm:5')!.realServers.map((r) => `${r.address}:${r.port} w${r.weight}`)).toEqual(['192.168.0.4:0 w3', '192.168.0.5:0 w1']);
    // /proc does not mark IPv6 fwmark services: inferred from their real servers.
    expect(by.get('fwm:6:ipv6')!.family).toBe('inet6');
    expect(by.get('tcp:192.168.0.6:80')!.realServers).toEqual([]);
    // sorted like ipvsadm: address services (v4, then v6) before fwmark ones
    expect(t.services.map(serviceKey).slice(-4)).toEqual(['tcp:[2001:db8::3]:80', 'udp:[2001:db8::3]:53', 'fwm:5', 'fwm:6:ipv6']);
  });

  test('empty table', () => {
    expect(parseProcIpvs(real('empty', 'proc-net-ip_vs.txt')).services).toEqual([]);
  });

  // Both probes → same model: /proc and `ipvsadm -Ln` captured one after the other from the same table.
  test.each(scenarios)('%s: /proc and ipvsadm -Ln give the same model (HZ 250)', (sc) => {
    const proc = applyHz(parseProcIpvs(real(sc, 'proc-net-ip_vs.txt')), 250);
    const list = parseIpvsadmList(real(sc, 'ipvsadm-Ln.txt'));
    if (list.kind !== 'table') throw new Error('not a table');
    const strip = (t: IpvsTable, other: IpvsTable) => {
      const c = structuredClone(t);
      c.services.forEach((s, i) => {
        for (const f of [...SOURCE_ONLY_FIELDS.proc, ...SOURCE_ONLY_FIELDS.ipvsadm]) delete (s as unknown as Record<string, unknown>)[f];
        // /proc never prints `ops` for IPv6 services
        if (other.services[i]?.onePacket === undefined) delete s.onePacket;
      });
      return c;
    };
    expect(strip(proc, proc)).toEqual(strip(list.table, proc));
    expect(proc.services.length).toBe(list.table.services.length);
  });
});

// IPv4 real server lines in the kernel's own layout are read in place (fast path); any other
// spelling goes through the general tokenizer. Both must give the same model, and the order
// the kernel lists real servers in must not matter.
describe('parseProcIpvs: kernel layout, other spellings and any real server order agree', () => {
  const isReal = (l: string) => l.startsWith('  -> ');
  /** Real server lines re-spaced with TABs: the general path reads them. */
  const tabbed = (text: string) =>
    text
      .split('\n')
      .map((l, i) => (i > 2 && isReal(l) ? `  -> ${l.slice(5).trim().split(/ +/).join('\t')}` : l))
      .join('\n');
  /** Each service's real server lines in another order (rotated, then reversed). */
  const reordered = (text: string) => {
    const out: string[] = [];
    let reals: string[] = [];
    const flush = () => {
      out.push(...[...reals.slice(1), ...reals.slice(0, 1)].reverse());
      reals = [];
    };
    text.split('\n').forEach((l, i) => {
      if (i > 2 && isReal(l)) reals.push(l);
      else {
        flush();
        out.push(l);
      }
    });
    flush();
    return out.join('\n');
  };
  test.each(scenarios)('%s', (sc) => {
    const text = real(sc, 'proc-net-ip_vs.txt');
    const model = parseProcIpvs(text);
    expect(parseProcIpvs(tabbed(text))).toEqual(model);
    expect(parseProcIpvs(reordered(text))).toEqual(model);
    expect(parseProcIpvs(tabbed(reordered(text)))).toEqual(model);
  });
  test('one service mixing both paths, with the same real server twice: both rows kept, same model either way', () => {
    const text = real('reference', 'proc-net-ip_vs.txt');
    const lines = text.split('\n');
    const i = lines.findIndex((l, n) => n > 2 && isReal(l));
    const mixed = [...lines.slice(0, i + 1), tabbed(['', '', '', lines[i]!].join('\n')).split('\n')[3]!, ...lines.slice(i + 1)].join('\n');
    const s = parseProcIpvs(mixed).services[0]!;
    expect(s.realServers).toHaveLength(3);
    expect(s.realServers.map((r) => r.address)).toEqual(['192.168.0.4', '192.168.0.5', '192.168.0.5'].sort());
    expect(parseProcIpvs(mixed.replace(/\t/g, ' '))).toEqual(parseProcIpvs(mixed));
  });
});

describe('parseProcIpvsStats (hex)', () => {
  // The rows of the capture read as hex, independently of the parser.
  const hexRow = (text: string, line: number) => text.split('\n')[line]!.trim().split(/\s+/).map((x) => parseInt(x, 16));
  test('reference totals and rates are hex', () => {
    const text = real('reference', 'proc-net-ip_vs_stats.txt');
    const s = parseProcIpvsStats(text);
    const [conns, inPackets, outPackets, inBytes, outBytes] = hexRow(text, 2);
    expect(s.stats).toEqual({ conns, inPackets, outPackets, inBytes, outBytes });
    const [cps, inPps, outPps, inBps, outBps] = hexRow(text, 5);
    expect(s.rates).toEqual({ cps, inPps, outPps, inBps, outBps });
    // 20 HTTP requests of ~395 bytes: in decimal these would be absurdly small
    expect(s.stats.inBytes).toBeGreaterThan(5000);
  });
  test('large counters: a 130 MiB upload (hex, > 1e8 bytes)', () => {
    const s = parseProcIpvsStats(real('large-counters', 'proc-net-ip_vs_stats.txt'));
    expect(s.stats.inBytes).toBeGreaterThan(130 * 1024 * 1024);
    expect(s.stats.inBytes).toBe(hexRow(real('large-counters', 'proc-net-ip_vs_stats.txt'), 2)[3]);
  });
  test('rejects decimal-looking junk and extra text', () => {
    expect(() => parseProcIpvsStats(real('empty', 'proc-net-ip_vs_stats.txt') + 'x\n')).toThrow(ParseError);
    expect(() => parseProcIpvsStats(real('empty', 'proc-net-ip_vs_stats.txt').replace('       0        0        0', '       G        0        0'))).toThrow(ParseError);
  });
});

describe('parseProcIpvsConn (ip_vs_conn and ip_vs_conn_sync)', () => {
  test('reference ip_vs_conn: 20 connections and 4 persistence templates (client port 0)', () => {
    const c = parseProcIpvsConn(real('reference', 'proc-net-ip_vs_conn.txt'));
    expect(c).toHaveLength(24);
    expect(c.filter((x) => x.template)).toHaveLength(4);
    for (const t of c.filter((x) => x.template)) expect(t).toMatchObject({ protocol: 'tcp', state: 'ASSURED', clientPort: 0, virtualAddress: '192.168.0.3', virtualPort: 80 });
    expect(new Set(c.filter((x) => x.template).map((x) => x.clientAddress))).toEqual(new Set(['192.168.0.10', '192.168.0.12', '192.168.0.13', '192.168.0.14']));
    const rows = real('reference', 'proc-net-ip_vs_conn.txt').split('\n');
    const i = rows.findIndex((l) => l.includes('FIN_WAIT'));
    const f = rows[i]!.trim().split(/\s+/);
    expect(c[i - 1]).toMatchObject({ clientPort: parseInt(f[2]!, 16), destAddress: f[5] === 'C0A80004' ? '192.168.0.4' : '192.168.0.5', destPort: 80, state: 'FIN_WAIT', expiresSeconds: Number(f[8]) });
    expect(c.every((x) => x.template || x.state === 'FIN_WAIT')).toBe(true);
    expect(c[0]!.origin).toBeUndefined();
  });
  test('conn_sync: Origin LOCAL on the master, SYNC on the backup', () => {
    const m = parseProcIpvsConn(real('sync-master', 'proc-net-ip_vs_conn_sync.txt'));
    expect(m.every((x) => x.origin === 'LOCAL')).toBe(true);
    const b = parseProcIpvsConn(real('sync-backup', 'proc-net-ip_vs_conn_sync.txt'));
    expect(b).toHaveLength(16);
    expect(b.every((x) => x.origin === 'SYNC')).toBe(true);
  });
  test('mixed: IPv6 and UDP rows, IPv6 persistence template with the masked client', () => {
    const c = parseProcIpvsConn(real('mixed', 'proc-net-ip_vs_conn_sync.txt'));
    expect(c.find((x) => x.protocol === 'udp' && x.clientAddress === '2001:db8::10')).toMatchObject({ state: 'UDP', virtualAddress: '2001:db8::3', virtualPort: 53 });
    expect(c.find((x) => x.template && x.clientAddress.includes(':'))!.clientAddress).toBe('2001:db8::');
  });
  test('empty tables', () => {
    expect(parseProcIpvsConn(real('empty', 'proc-net-ip_vs_conn.txt'))).toEqual([]);
    expect(parseProcIpvsConn(real('empty', 'proc-net-ip_vs_conn_sync.txt'))).toEqual([]);
  });
});

describe('malformed input', () => {
  test('clear ParseErrors', () => {
    expect(() => parseProcIpvs('')).toThrow(ParseError);
    expect(() => parseProcIpvs(real('reference', 'proc-net-ip_vs.txt').replace('Route', 'Bounce'))).toThrow(/unknown forwarding method 'Bounce'/);
    expect(() => parseProcIpvs(real('reference', 'proc-net-ip_vs.txt').replace('TCP ', 'XYZ '))).toThrow(/unknown protocol/);
    expect(() => parseProcIpvsConn(real('reference', 'proc-net-ip_vs_conn_sync.txt').replace('LOCAL', 'REMOTE'))).toThrow(/origin/);
  });
  test('normaliseAddress', () => {
    expect(normaliseAddress('2001:0db8:0000:0000:0000:0000:0000:0003')).toBe('2001:db8::3');
    expect(normaliseAddress('2001:db8:0:1:0:0:0:1')).toBe('2001:db8:0:1::1');
    expect(normaliseAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(normaliseAddress('::')).toBe('::');
    expect(normaliseAddress('192.168.0.3')).toBe('192.168.0.3');
    expect(normaliseAddress('300.1.1.1')).toBeUndefined();
  });

  const seeds = (file: string) => scenarios.map((s) => join(REAL, s, file)).filter(existsSync).map((p) => readFileSync(p, 'utf8'));
  test('fuzz parseProcIpvs: 10 000 malformed inputs, only ParseError', () => {
    const r = fuzzParser(parseProcIpvs, seeds('proc-net-ip_vs.txt'));
    expect(r.accepted + r.rejected).toBe(10000);
    expect(r.rejected).toBeGreaterThan(1000);
    expect(r.accepted).toBeGreaterThan(100);
  });
  test('fuzz parseProcIpvsStats', () => {
    const r = fuzzParser(parseProcIpvsStats, seeds('proc-net-ip_vs_stats.txt'), 10000, 7);
    expect(r.rejected).toBeGreaterThan(1000);
    expect(r.accepted).toBeGreaterThan(100);
  });
  test('fuzz parseProcIpvsConn (conn and conn_sync)', () => {
    const r = fuzzParser(parseProcIpvsConn, [...seeds('proc-net-ip_vs_conn.txt'), ...seeds('proc-net-ip_vs_conn_sync.txt')], 10000, 11);
    expect(r.rejected).toBeGreaterThan(1000);
    expect(r.accepted).toBeGreaterThan(100);
  });
});

const realLine = (r: IpvsRealServer) => `${r.address}:${r.port} ${r.forwarding} ${r.weight} ${r.activeConns} ${r.inactiveConns}`;
const svcLine = (s: IpvsService) =>
  `${serviceKey(s)} ${s.family} ${s.scheduler}${s.persistent ? ` persistent ${s.persistentJiffies} ${s.persistenceNetmask}` : ''} ops=${s.onePacket}: ` + s.realServers.map(realLine).join(', ');

describe('parseProcIpvs: every value of the mixed capture (read against the hex by hand)', () => {
  test('services in ipvsadm order, with every field a check or collector reads', () => {
    const t = parseProcIpvs(real('mixed', 'proc-net-ip_vs.txt'));
    expect([t.version, t.connTableSize]).toEqual(['1.2.1', 4096]);
    expect(t.services.map(svcLine)).toEqual([
      'tcp:192.168.0.3:21 inet lblc ops=false: 192.168.0.4:21 route 1 0 0',
      'tcp:192.168.0.3:25 inet mh ops=false: 192.168.0.4:25 route 1 0 0, 192.168.0.5:25 route 0 0 0',
      'tcp:192.168.0.3:80 inet wlc persistent 900000 255.255.255.255 ops=false: 192.168.0.4:80 route 1 0 0, 192.168.0.5:80 route 1 0 4',
      'tcp:192.168.0.3:110 inet nq ops=false: 192.168.0.4:110 route 1 0 0',
      'tcp:192.168.0.3:143 inet lblcr ops=false: 192.168.0.4:143 route 1 0 0',
      'tcp:192.168.0.3:443 inet rr ops=false: 192.168.0.4:443 masq 1 0 2, 192.168.0.5:443 masq 2 0 2',
      'tcp:192.168.0.3:587 inet ovf ops=false: 192.168.0.4:587 route 1 0 0',
      'tcp:192.168.0.3:993 inet dh ops=false: 192.168.0.4:993 route 1 0 0',
      'tcp:192.168.0.3:995 inet fo ops=false: 192.168.0.4:995 route 1 0 0, 192.168.0.5:995 route 5 0 0',
      'tcp:192.168.0.3:8080 inet sed persistent 150000 255.255.255.0 ops=false: 192.168.0.4:8080 tunnel 1 0 0, 192.168.0.5:8080 tunnel 1 0 0',
      'tcp:192.168.0.6:80 inet wlc ops=false: ',
      'udp:192.168.0.3:53 inet rr ops=true: 192.168.0.4:53 route 1 0 0, 192.168.0.5:53 route 1 0 0',
      'udp:192.168.0.3:5060 inet rr persistent 15000 255.255.255.255 ops=false: 192.168.0.4:5060 route 1 0 0',
      'sctp:192.168.0.3:3868 inet sh ops=false: 192.168.0.4:3868 route 1 0 0, 192.168.0.5:3868 route 1 0 0',
      'tcp:[2001:db8::3]:80 inet6 lc persistent 75000 64 ops=undefined: 2001:db8::4:80 route 1 0 0, 2001:db8::5:80 route 1 0 4',
      'udp:[2001:db8::3]:53 inet6 wrr ops=undefined: 2001:db8::5:53 route 2 0 1',
      'fwm:5 inet wrr ops=false: 192.168.0.4:0 route 3 0 3, 192.168.0.5:0 route 1 0 1',
      'fwm:6:ipv6 inet6 rr ops=false: 2001:db8::4:0 route 1 0 0',
    ]);
    const fwm = t.services.find((s) => s.protocol === 'fwm')!;
    expect([fwm.fwmark, fwm.address, fwm.port]).toEqual([5, undefined, undefined]);
  });
});

describe('parseProcIpvs: the fast path is the one taken on the kernel layout', () => {
  const kernelLines = (text: string) => text.split('\n').filter((l, i) => i > 2 && l.startsWith('  -> ') && !l.includes('['));
  /** The same line through the general path: TABs between fields, which the fast path never reads. */
  const general = (l: string) => {
    const head = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\nTCP  C0A80003:0050 wlc\n';
    return parseProcIpvs(head + `  -> ${l.slice(5).trim().split(/ +/).join('\t')}\n`).services[0]!.realServers[0]!;
  };
  test.each(scenarios)('%s: every IPv4 real server line read in place, as the general path reads it', (sc) => {
    for (const l of kernelLines(real(sc, 'proc-net-ip_vs.txt'))) {
      const keys: number[] = [];
      const fast = fastRealServer(l, 0, l.length, keys);
      expect(fast).toEqual(general(l));
      const [a, p] = l.slice(5, 18).split(':');
      expect(keys).toEqual([parseInt(a!, 16) * 65536 + parseInt(p!, 16)]);
    }
  });
  test('the kernel layout, field by field: what the fast path reads and what it leaves to the general path', () => {
    const fast = (l: string) => fastRealServer(`xx${l}yy`, 2, 2 + l.length, []);
    const ok = '  -> C0A80004:0050      Route   1      0          10        ';
    expect(fast(ok)).toEqual({ address: '192.168.0.4', port: 80, forwarding: 'route', weight: 1, activeConns: 0, inactiveConns: 10 });
    expect(fast('  -> c0a8000a:01bb Masq 65535 -1 999999999999999')).toEqual({ address: '192.168.0.10', port: 443, forwarding: 'masq', weight: 65535, activeConns: -1, inactiveConns: 999999999999999 });
    expect(fast('  -> FFFFFFFF:FFFF Tunnel 0 0 0')).toMatchObject({ address: '255.255.255.255', port: 65535, forwarding: 'tunnel' });
    expect(fast('  -> 7F000001:0000 Local 1 2 3')).toMatchObject({ address: '127.0.0.1', port: 0, forwarding: 'local', activeConns: 2, inactiveConns: 3 });
    expect(fast('  -> 09AF0000:09af Route 1 0 0')).toMatchObject({ address: '9.175.0.0', port: 2479 });
    // Anything else: undefined, the general path decides (same value or the same error).
    for (const l of [
      '  -> C0A80004:0050 Route 1 0', // too short
      ' -> C0A80004:0050      Route   1 0 0',
      '   > C0A80004:0050      Route   1 0 0',
      '  - C0A80004:0050      Route   1 0 0',
      '  ->C0A80004:0050      Route   1 0 0',
      '  -> C0A80004;0050      Route   1 0 0',
      '  -> C0A8000G:0050      Route   1 0 0',
      '  -> C0A8000g:0050      Route   1 0 0',
      '  -> C0A8000/:0050      Route   1 0 0',
      '  -> C0A8000@:0050      Route   1 0 0',
      '  -> C0A8000`:0050      Route   1 0 0',
      '  -> C0A80004:005:      Route   1 0 0',
      '  -> C0A80004:005G      Route   1 0 0',
      '  -> C0A80004:0050Route   1      0          0',
      '  -> C0A80004:0050\tRoute   1      0          0',
      '  -> C0A80004:0050      Routes  1      0          0',
      '  -> C0A80004:0050      Rout    1      0          0',
      '  -> C0A80004:0050      Masq2   1      0          0',
      '  -> C0A80004:0050      Mask    1      0          0',
      '  -> C0A80004:0050      Tunnal  1      0          0',
      '  -> C0A80004:0050      Lokal   1      0          0',
      '  -> C0A80004:0050      Route   -1     0          0',
      '  -> C0A80004:0050      Route   1x     0          0',
      '  -> C0A80004:0050      Route   1      -          0',
      '  -> C0A80004:0050      Route   1      0          1234567890123456',
      '  -> C0A80004:0050      Route   1      0          0 x',
      '  -> C0A80004:0050      Route   1      0',
      '  -> C0A80004:0050      Route   1 ',
      '  -> C0A80004:0050      Route   ',
      '  -> C0A80004:0050      Route   1      0          0\t',
    ])
      expect([l, fast(l)]).toEqual([l, undefined]);
    // Spaces after the last field are the kernel's own padding.
    expect(fast('  -> C0A80004:0050 Route 1 0 0     ')).toMatchObject({ inactiveConns: 0 });
  });
  test('real servers: sorted by the fast keys, a table in the kernel\'s reversed order is only reversed', () => {
    const a = ['a', 'b', 'c'];
    expect(sortByKeys(a, [1, 2, 3])).toBe(a);
    expect(a).toEqual(['a', 'b', 'c']);
    const d = ['c', 'b', 'a'];
    expect(sortByKeys(d, [3, 2, 1])).toBe(d);
    expect(d).toEqual(['a', 'b', 'c']);
    const m = ['b', 'c', 'a'];
    expect(sortByKeys(m, [2, 3, 1])).toEqual(['a', 'b', 'c']);
    expect(m).toEqual(['b', 'c', 'a']);
    // Equal keys: neither shortcut; stable.
    expect(sortByKeys(['x', 'y', 'z'], [2, 2, 1])).toEqual(['z', 'x', 'y']);
    expect(sortByKeys(['x', 'y', 'z'], [1, 2, 2])).toEqual(['x', 'y', 'z']);
    expect(sortByKeys(['x', 'y'], [5, 5])).toEqual(['x', 'y']);
    expect(sortByKeys(['p', 'q', 'r', 's'], [1, 3, 2, 4])).toEqual(['p', 'r', 'q', 's']);
    expect(sortByKeys(['p', 'q', 'r', 's'], [4, 2, 3, 1])).toEqual(['s', 'q', 'r', 'p']);
    expect(sortByKeys([], [])).toEqual([]);
  });
  test('keys order by address then port, across services', () => {
    const head = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n';
    const text = head + 'FWM  00000001 rr\n  -> C0A80004:0051 Route 1 0 0\n  -> C0A80005:0050 Route 1 0 0\n  -> C0A80004:0050 Route 1 0 0\n  -> 0A000001:FFFF Route 1 0 0\nFWM  00000002 rr\n  -> C0A80004:0050 Route 1 0 0\n';
    expect(parseProcIpvs(text).services.map((s) => s.realServers.map((r) => `${r.address}:${r.port}`).join(' '))).toEqual([
      '10.0.0.1:65535 192.168.0.4:80 192.168.0.4:81 192.168.0.5:80',
      '192.168.0.4:80',
    ]);
  });
});

describe('IPVS addresses, keys and order', () => {
  test('normaliseAddress: RFC 5952 (longest zero run, the first of equals, a single zero kept), IPv4 as is, the rest undefined', () => {
    expect(normaliseAddress('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(normaliseAddress('1:0:0:2:0:0:3:4')).toBe('1::2:0:0:3:4');
    expect(normaliseAddress('1:0:2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7');
    expect(normaliseAddress('0:0:1:2:3:4:5:6')).toBe('::1:2:3:4:5:6');
    expect(normaliseAddress('1:2:3:4:5:6:0:0')).toBe('1:2:3:4:5:6::');
    expect(normaliseAddress('::1')).toBe('::1');
    expect(normaliseAddress('FE80::ABCD:0:0:1')).toBe('fe80::abcd:0:0:1');
    expect(normaliseAddress('2001:DB8::')).toBe('2001:db8::');
    expect(normaliseAddress('10.0.0.1')).toBe('10.0.0.1');
    for (const a of ['', 'x', '::ffff:1.2.3.4', 'fe80::1%eth0', '1:2:3', '1.2.3', '12345::']) expect([a, normaliseAddress(a)]).toEqual([a, undefined]);
  });
  test('families, endpoints and keys', () => {
    expect(addressFamily('2001:db8::1')).toBe('inet6');
    expect(addressFamily('10.0.0.1')).toBe('inet');
    expect(endpoint('2001:db8::1', 80)).toBe('[2001:db8::1]:80');
    expect(endpoint('10.0.0.1', 0)).toBe('10.0.0.1:0');
    expect(serviceKey({ protocol: 'fwm', fwmark: 7, family: 'inet' })).toBe('fwm:7');
    expect(serviceKey({ protocol: 'fwm', fwmark: 7, family: 'inet6' })).toBe('fwm:7:ipv6');
    expect(serviceKey({ protocol: 'udp', address: '2001:db8::1', port: 53, family: 'inet6' })).toBe('udp:[2001:db8::1]:53');
  });
  test('sortTable: address services (IPv4, IPv6) then fwmarks (by mark, IPv4 first); then protocol, address bytes, port', () => {
    const svc = (protocol: IpvsService['protocol'], family: IpvsService['family'], rest: Partial<IpvsService>): IpvsService => ({ protocol, family, scheduler: 'rr', persistent: false, realServers: [], ...rest });
    const t = sortTable({
      services: [
        svc('fwm', 'inet6', { fwmark: 2 }),
        svc('fwm', 'inet', { fwmark: 2 }),
        svc('fwm', 'inet', { fwmark: 1 }),
        svc('tcp', 'inet6', { address: '2001:db8::10', port: 80 }),
        svc('tcp', 'inet6', { address: '2001:db8::9', port: 80 }),
        svc('sctp', 'inet', { address: '10.0.0.1', port: 1 }),
        svc('udp', 'inet', { address: '10.0.0.1', port: 1 }),
        svc('tcp', 'inet', { address: '10.0.0.2', port: 1 }),
        svc('tcp', 'inet', { address: '10.0.0.10', port: 1 }),
        svc('tcp', 'inet', { address: '10.0.0.2', port: 0 }),
        svc('tcp', 'inet', { address: '9.0.0.200', port: 5 }),
      ],
    });
    expect(t.services.map(serviceKey)).toEqual([
      'tcp:9.0.0.200:5',
      'tcp:10.0.0.2:0',
      'tcp:10.0.0.2:1',
      'tcp:10.0.0.10:1',
      'udp:10.0.0.1:1',
      'sctp:10.0.0.1:1',
      'tcp:[2001:db8::9]:80',
      'tcp:[2001:db8::10]:80',
      'fwm:1',
      'fwm:2',
      'fwm:2:ipv6',
    ]);
    const reals = (as: string[]) => as.map((a) => ({ address: a.slice(0, a.lastIndexOf(':')), port: Number(a.slice(a.lastIndexOf(':') + 1)), forwarding: 'route' as const, weight: 1, activeConns: 0, inactiveConns: 0 }));
    const one = sortTable({ services: [svc('tcp', 'inet', { address: '10.0.0.1', port: 80, realServers: reals(['2001:db8::1:0:1:80', '10.0.1.0:80', '10.0.0.255:81', '10.0.0.255:80', '2001:db8::ff:80', '2001:db8::1:0:0:80']) })] });
    expect(one.services[0]!.realServers.map((r) => `${r.address}:${r.port}`)).toEqual(['10.0.0.255:80', '10.0.0.255:81', '10.0.1.0:80', '2001:db8::ff:80', '2001:db8::1:0:0:80', '2001:db8::1:0:1:80']);
    expect(compareReals({ address: '10.0.0.1', port: 2 }, { address: '10.0.0.1', port: 1 })).toBeGreaterThan(0);
    expect(compareReals({ address: '10.0.0.1', port: 1 }, { address: '10.0.0.1', port: 1 })).toBe(0);
    expect(compareReals({ address: '2001:db8::1', port: 1 }, { address: '10.0.0.1', port: 1 })).toBeGreaterThan(0);
    expect(compareReals({ address: '::1', port: 1 }, { address: '::100', port: 1 })).toBeLessThan(0);
  });
});

describe('parseProcIpvs: each rejection, named with its line', () => {
  const ref = real('reference', 'proc-net-ip_vs.txt');
  const head = ref.split('\n').slice(0, 3).join('\n') + '\n';
  const bad = (text: string) => () => parseProcIpvs(text);
  test('version line and titles', () => {
    expect(parseVersionLine('IP Virtual Server version 1.2.10 (size=65536)   ', 'x')).toEqual({ version: '1.2.10', connTableSize: 65536 });
    for (const l of [undefined, '', 'IP Virtual Server version 1.2 (size=4096)', 'IP Virtual Server version 1.2.1 (size=)', 'xIP Virtual Server version 1.2.1 (size=4096)', 'IP Virtual Server version 1.2.1 (size=4096) x'])
      expect(() => parseVersionLine(l, 'what')).toThrow('cannot parse what: first line is not "IP Virtual Server version X.Y.Z (size=N)" (line 1)');
    expect(bad(ref.replace('Scheduler Flags', 'Scheduler'))).toThrow('cannot parse /proc/net/ip_vs: unexpected column titles (line 2)');
    expect(bad(ref.replace('InActConn', 'Inactive'))).toThrow('unexpected column titles (line 2)');
    expect(parseProcIpvs(ref.replace('Prot LocalAddress:Port Scheduler Flags', ' Prot  LocalAddress:Port   Scheduler Flags ')).services).toHaveLength(1);
  });
  test('table lines', () => {
    expect(bad(head + '  -> C0A80004:0050 Route 1 0 0\n')).toThrow('real server before any service (line 4)');
    expect(bad(head + 'TCP  C0A80003:0050 wlc\n\nTCP  C0A80003:0051 wlc\n')).toThrow('blank line inside the table (line 5)');
    expect(parseProcIpvs(head + 'TCP  C0A80003:0050 wlc\n\n  \n').services).toHaveLength(1);
    expect(bad(head + 'TCP  C0A80003:0050 wlc\n  -> C0A80004:0050\tRoute\t1\t0\n')).toThrow('real server line has 4 fields, expected 5 (line 5)');
    expect(bad(head + 'TCP  C0A80003:0050 wlc\n  -> C0A80004:0050\tBounce\t1\t0\t0\n')).toThrow("unknown forwarding method 'Bounce' (line 5)");
    expect(bad(head + 'TCP  C0A80003:0050 wlc\n  -> C0A80004:0050\tRoute\t-1\t0\t0\n')).toThrow("'-1' is not a number (line 5)");
    expect(bad(head + 'TCP  C0A80003:0050 wlc\n  -> C0A80004:0050\tRoute\t1\t0\t1234567890123456\n')).toThrow("'1234567890123456' is not a number (line 5)");
    expect(parseProcIpvs(head + 'TCP  C0A80003:0050 wlc\n  -> C0A80004:0050\tRoute\t1\t-3\t-4\n').services[0]!.realServers[0]).toMatchObject({ activeConns: -3, inactiveConns: -4 });
    expect(bad(head + 'TCP  C0A80003:0050 wlc\n   C0A80004:0050 Route 1 0 0\n')).toThrow('indented line is not a real server (line 5)');
    expect(bad(head + 'TCPX  C0A80003:0050 wlc\n')).toThrow("unknown protocol 'TCPX' (line 4)");
    expect(bad(head + 'TCP  C0A80003:0050\n')).toThrow('service line too short (line 4)');
    for (const s of ['Wlc', '1rr', 'w.c']) expect(bad(head + `TCP  C0A80003:0050 ${s}\n`)).toThrow(`'${s}' is not a scheduler name (line 4)`);
    expect(parseProcIpvs(head + 'TCP  C0A80003:0050 my_sched-2\n').services[0]!.scheduler).toBe('my_sched-2');
    expect(bad(head + 'FWM  0000005 rr\n')).toThrow("'0000005' is not a hex firewall mark (line 4)");
    expect(bad(head + 'FWM  0000000G rr\n')).toThrow("'0000000G' is not a hex firewall mark (line 4)");
    expect(parseProcIpvs(head + 'FWM  0000001f rr\n').services[0]!.fwmark).toBe(31);
    expect(bad(head + 'TCP  [2001:0db8:0000:0000:0000:0000:0000:0003]:0050 rr ops\n')).toThrow("'ops' on an IPv6 service line (line 4)");
    expect(bad(head + 'TCP  C0A80003:0050 rr sticky 1 FFFFFFFF\n')).toThrow("unexpected flags 'sticky 1 FFFFFFFF' (line 4)");
    expect(bad(head + 'TCP  C0A80003:0050 rr persistent 100\n')).toThrow("unexpected flags 'persistent 100' (line 4)");
    expect(bad(head + 'TCP  C0A80003:0050 rr persistent 100 FFFFFFFF x\n')).toThrow('unexpected flags');
    expect(bad(head + 'TCP  C0A80003:0050 rr persistent x FFFFFFFF\n')).toThrow("'x' is not a number (line 4)");
    expect(parseProcIpvs(head + 'TCP  C0A80003:0050 rr ops persistent 300 FFFFFF00\n').services[0]).toMatchObject({ onePacket: true, persistent: true, persistentJiffies: 300, persistenceNetmask: '255.255.255.0' });
  });
  test('addresses, ports and netmasks', () => {
    expect(bad(head + 'TCP  C0A80003:050 wlc\n')).toThrow("'C0A80003:050' is not ADDRESS:PORT (line 4)");
    expect(bad(head + 'TCP  C0A8003:0050 wlc\n')).toThrow('is not ADDRESS:PORT');
    expect(bad(head + 'TCP  [C0A80003]:0050 wlc\n')).toThrow("'[C0A80003]:0050': bracketed address is not IPv6 (line 4)");
    expect(bad(head + 'TCP  [2001:0db8:zz]:0050 wlc\n')).toThrow("'2001:0db8:zz' is not an address (line 4)");
    expect(bad(head + 'TCP  [::1]:0050 wlc\n  -> [nothex]:0050\tRoute\t1\t0\t0\n')).toThrow("'nothex' is not an address (line 5)");
    expect(parseProcIpvs(head + 'TCP  [::1]:0050 wlc\n').services[0]).toMatchObject({ address: '::1', port: 80, family: 'inet6' });
    expect(bad(head + 'TCP  C0A80003:0050 rr persistent 1 FFFFFFFFF\n')).toThrow("'FFFFFFFFF' is not a 32-bit hex number (line 0)");
    expect(bad(head + 'TCP  C0A80003:0050 rr persistent 1 FFFFFF0G\n')).toThrow("'FFFFFF0G' is not a 32-bit hex number");
    const v6 = (mask: string) => parseProcIpvs(head + `TCP  [::1]:0050 rr persistent 1 ${mask}\n`).services[0]!.persistenceNetmask;
    expect(v6('00000080')).toBe('128');
    expect(v6('00000000')).toBe('0');
    expect(v6('80000000')).toBe('128');
    expect(v6('40000000')).toBe('64');
    expect(() => v6('00000081')).toThrow("'00000081' is not an IPv6 prefix length");
    expect(() => v6('81000000')).toThrow('is not an IPv6 prefix length');
    expect(() => v6('40000001')).toThrow('is not an IPv6 prefix length');
    expect(() => v6('40010000')).toThrow('is not an IPv6 prefix length');
    expect(() => v6('40000100')).toThrow('is not an IPv6 prefix length');
    // An fwmark service with IPv6 real servers decodes its mask as a prefix length.
    expect(parseProcIpvs(head + 'FWM  00000001 rr persistent 1 40000000\n  -> [::1]:0000\tRoute\t1\t0\t0\n').services[0]).toMatchObject({ family: 'inet6', persistenceNetmask: '64' });
    expect(parseProcIpvs(head + 'FWM  00000001 rr persistent 1 FFFFFF00\n  -> 0A000001:0000 Route 1 0 0\n').services[0]).toMatchObject({ family: 'inet', persistenceNetmask: '255.255.255.0' });
  });
});

describe('parseProcIpvsStats and parseProcIpvsConn: each rejection', () => {
  const stats = real('reference', 'proc-net-ip_vs_stats.txt');
  const rows = stats.split('\n');
  const withRow = (i: number, l: string) => rows.map((r, n) => (n === i ? l : r)).join('\n');
  test('stats: each title line, five hex values per row, 64 bits at most, nothing after', () => {
    for (const i of [0, 1, 4]) expect(() => parseProcIpvsStats(withRow(i, 'x'))).toThrow(`cannot parse /proc/net/ip_vs_stats: unexpected layout (line ${i + 1})`);
    expect(() => parseProcIpvsStats(withRow(3, 'x'))).toThrow('unexpected layout (line 4)');
    expect(parseProcIpvsStats(withRow(3, '   '))).toEqual(parseProcIpvsStats(stats));
    expect(() => parseProcIpvsStats(withRow(2, '1 2 3 4'))).toThrow('expected 5 hex values (line 3)');
    expect(() => parseProcIpvsStats(withRow(5, '1 2 3 4 5 6'))).toThrow('expected 5 hex values (line 6)');
    expect(parseProcIpvsStats(withRow(2, ' A b FFFFFFFFFFFF 0 10 ')).stats).toEqual({ conns: 10, inPackets: 11, outPackets: 0xffffffffffff, inBytes: 0, outBytes: 16 });
    expect(parseProcIpvsStats(withRow(5, '1 2 3 4 5')).rates).toEqual({ cps: 1, inPps: 2, outPps: 3, inBps: 4, outBps: 5 });
    expect(() => parseProcIpvsStats(withRow(2, '1 2 3 4 10000000000000000'))).toThrow("'10000000000000000' is not a 64-bit hex number (line 3)");
    expect(() => parseProcIpvsStats(stats.trimEnd() + '\n\n0\n')).toThrow('trailing text (line 7)');
    expect(parseProcIpvsStats(stats.trimEnd() + '\n\n \n')).toEqual(parseProcIpvsStats(stats));
  });
  test('conn: titles, blank lines, field counts, protocol, ports, state, origin, persistence engine', () => {
    const title = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n';
    const sync = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Origin Expires\n';
    const row = 'TCP C0A8000A 9C40 C0A80003 0050 C0A80004 0050 ESTABLISHED     900';
    expect(parseProcIpvsConn(title + row + '\n')).toEqual([
      { protocol: 'tcp', clientAddress: '192.168.0.10', clientPort: 40000, virtualAddress: '192.168.0.3', virtualPort: 80, destAddress: '192.168.0.4', destPort: 80, state: 'ESTABLISHED', expiresSeconds: 900, template: false },
    ]);
    expect(parseProcIpvsConn(title + row + ' sip 6162 6364\n')[0]).toMatchObject({ peName: 'sip', peData: '6162 6364' });
    expect(() => parseProcIpvsConn(title + row + ' sip\n')).toThrow('10 fields (line 2)'); // a PE name without its data
    expect(parseProcIpvsConn(sync + row.replace('ESTABLISHED', 'ESTABLISHED SYNC') + '\n')[0]).toMatchObject({ origin: 'SYNC', expiresSeconds: 900, template: false });
    expect(parseProcIpvsConn(sync + row.replace(' 9C40 ', ' 0000 ').replace('ESTABLISHED', 'ASSURED LOCAL') + '\n')[0]).toMatchObject({ origin: 'LOCAL', template: true, clientPort: 0 });
    expect(() => parseProcIpvsConn('Pro FromIP\n')).toThrow('cannot parse /proc/net/ip_vs_conn: unexpected column titles (line 1)');
    expect(() => parseProcIpvsConn(title + row + '\n\n' + row + '\n')).toThrow('cannot parse /proc/net/ip_vs_conn: blank line (line 3)');
    expect(() => parseProcIpvsConn(sync + '\n' + row + ' LOCAL\n')).toThrow('cannot parse /proc/net/ip_vs_conn_sync: blank line (line 2)');
    expect(parseProcIpvsConn(title + row + '\n \n\n')).toHaveLength(1);
    expect(() => parseProcIpvsConn(title + 'TCP C0A8000A 9C40 C0A80003 0050 C0A80004 0050 ESTABLISHED\n')).toThrow('8 fields (line 2)');
    expect(() => parseProcIpvsConn(sync + row + '\n')).toThrow('cannot parse /proc/net/ip_vs_conn_sync: 9 fields (line 2)');
    expect(() => parseProcIpvsConn(sync + row + ' LOCAL x\n')).toThrow('11 fields (line 2)');
    expect(() => parseProcIpvsConn(title + row.replace('TCP', 'tcp') + '\n')).toThrow("'tcp' is not a protocol name (line 2)");
    expect(() => parseProcIpvsConn(title + row.replace('TCP', '1CP') + '\n')).toThrow('is not a protocol name');
    expect(parseProcIpvsConn(title + row.replace('TCP', 'IP_6') + '\n')[0]!.protocol).toBe('ip_6');
    expect(() => parseProcIpvsConn(title + row.replace('9C40', '9C4') + '\n')).toThrow("'9C4' is not a hex port (line 2)");
    expect(() => parseProcIpvsConn(title + row.replace('C0A80003 0050', 'C0A80003 005G') + '\n')).toThrow("'005G' is not a hex port");
    expect(() => parseProcIpvsConn(title + row.replace('C0A80004 0050', 'C0A80004 00500') + '\n')).toThrow("'00500' is not a hex port");
    expect(parseProcIpvsConn(title + row.replace('9C40', 'ffff') + '\n')[0]!.clientPort).toBe(65535);
    expect(() => parseProcIpvsConn(title + row.replace('ESTABLISHED', 'established') + '\n')).toThrow("'established' is not a state (line 2)");
    expect(() => parseProcIpvsConn(title + row.replace('ESTABLISHED', 'FIN-WAIT') + '\n')).toThrow('is not a state');
    expect(() => parseProcIpvsConn(title + row.replace('C0A8000A', 'C0A8000') + '\n')).toThrow("'C0A8000' is not an address (line 2)");
    expect(() => parseProcIpvsConn(title + row.replace('900', '9e2') + '\n')).toThrow("'9e2' is not a number (line 2)");
    expect(() => parseProcIpvsConn(sync + row.replace('ESTABLISHED', 'ESTABLISHED LOCAL').replace('900', '-1') + '\n')).toThrow("'-1' is not a number");
    expect(() => parseProcIpvsConn(sync + row.replace('ESTABLISHED', 'ESTABLISHED local') + '\n')).toThrow("origin 'local' is neither LOCAL nor SYNC (line 2)");
  });
});
