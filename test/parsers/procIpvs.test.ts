import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseIpvsadmList } from '../../src/parsers/ipvsadm';
import { IpvsTable, normaliseAddress, parseProcIpvs, parseProcIpvsConn, parseProcIpvsStats, serviceKey } from '../../src/parsers/procIpvs';
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
