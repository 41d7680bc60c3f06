import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IpvsadmList, mergeCounters, parseIpvsadmDaemon, parseIpvsadmList } from '../../src/parsers/ipvsadm';
import { IpvsTable, serviceKey } from '../../src/parsers/procIpvs';
import { ParseError } from '../../src/runtime/errors';
import { fuzzParser } from '../helpers/fuzz';

const REAL = join(__dirname, '..', 'fixtures', 'real', 'ipvs');
const SYN = join(__dirname, '..', 'fixtures', 'synthetic', 'ipvs');
const real = (scenario: string, file: string) => readFileSync(join(REAL, scenario, file), 'utf8');
const scenarios = readdirSync(REAL).filter((d) => existsSync(join(REAL, d, 'ipvsadm-Ln.txt')));

const table = (l: IpvsadmList): IpvsTable => {
  if (l.kind !== 'table') throw new Error(`expected a table, got ${l.kind}`);
  return l.table;
};

describe('parseIpvsadmList on real ipvsadm 1.31 output', () => {
  test('reference -Ln: persistence already in seconds, trailing spaces ignored', () => {
    const t = table(parseIpvsadmList(real('reference', 'ipvsadm-Ln.txt')));
    expect(t.version).toBe('1.2.1');
    expect(t.services).toHaveLength(1);
    expect(t.services[0]).toMatchObject({ protocol: 'tcp', address: '192.168.0.3', port: 80, scheduler: 'wlc', persistent: true, persistentSeconds: 3600, persistenceNetmask: '255.255.255.255' });
    expect(t.services[0]!.persistentJiffies).toBeUndefined();
    expect(t.services[0]!.realServers.map((r) => `${r.address}:${r.port} ${r.forwarding} w${r.weight}`)).toEqual(['192.168.0.4:80 route w1', '192.168.0.5:80 route w1']);
  });

  test('-Ln -t SERVICE prints no version line', () => {
    const t = table(parseIpvsadmList(real('reference', 'ipvsadm-Ln-t-service.txt')));
    expect(t.version).toBeUndefined();
    expect(t.services.map(serviceKey)).toEqual(['tcp:192.168.0.3:80']);
  });

  test('mixed: scheduler flags, mask, pe sip, ops, FWM IPv6, IPv6 mask 64', () => {
    const t = table(parseIpvsadmList(real('mixed', 'ipvsadm-Ln.txt')));
    const by = new Map(t.services.map((s) => [serviceKey(s), s]));
    expect(by.get('tcp:192.168.0.3:25')!.schedulerFlags).toEqual(['mh-port']);
    expect(by.get('sctp:192.168.0.3:3868')!.schedulerFlags).toEqual(['sh-fallback', 'sh-port']);
    expect(by.get('tcp:192.168.0.3:8080')).toMatchObject({ persistentSeconds: 600, persistenceNetmask: '255.255.255.0' });
    expect(by.get('udp:192.168.0.3:5060')).toMatchObject({ persistentSeconds: 60, persistenceEngine: 'sip' });
    expect(by.get('udp:192.168.0.3:53')!.onePacket).toBe(true);
    expect(by.get('tcp:[2001:db8::3]:80')).toMatchObject({ family: 'inet6', persistentSeconds: 300, persistenceNetmask: '64' });
    expect(by.get('fwm:6:ipv6')).toMatchObject({ fwmark: 6, family: 'inet6' });
    expect(by.get('fwm:5')!.realServers.map((r) => r.weight)).toEqual([3, 1]);
    expect(by.get('tcp:192.168.0.3:25')!.realServers.find((r) => r.address === '192.168.0.5')!.weight).toBe(0);
  });

  test('--tun-info and --exact listings give the same table as -Ln', () => {
    const plain = table(parseIpvsadmList(real('mixed', 'ipvsadm-Ln.txt')));
    expect(table(parseIpvsadmList(real('mixed', 'ipvsadm-Ln-tun-info.txt')))).toEqual(plain);
    expect(table(parseIpvsadmList(real('mixed', 'ipvsadm-Ln-exact.txt')))).toEqual(plain);
  });

  test('--stats: decimal, K above 1e8 unless --exact; merged into the table', () => {
    const abbreviated = parseIpvsadmList(real('large-counters', 'ipvsadm-Ln-stats.txt'));
    const exact = parseIpvsadmList(real('large-counters', 'ipvsadm-Ln-stats-exact.txt'));
    if (abbreviated.kind !== 'stats' || exact.kind !== 'stats') throw new Error('not stats');
    const a9 = abbreviated.services.find((s) => s.key === 'tcp:192.168.0.3:9')!;
    const e9 = exact.services.find((s) => s.key === 'tcp:192.168.0.3:9')!;
    expect(a9.approximate).toBe(true);
    expect(e9.approximate).toBe(false);
    expect(e9.counters[3]).toBeGreaterThan(1e8);
    // 136489K = floor(136489288 / 1000): a lower bound within 1000
    expect(a9.counters[3]).toBe(Math.floor(e9.counters[3]! / 1000) * 1000);
    const t = mergeCounters(table(parseIpvsadmList(real('large-counters', 'ipvsadm-Ln.txt'))), exact);
    const s9 = t.services.find((s) => serviceKey(s) === 'tcp:192.168.0.3:9')!;
    expect(s9.stats).toEqual({ conns: e9.counters[0], inPackets: e9.counters[1], outPackets: e9.counters[2], inBytes: e9.counters[3], outBytes: e9.counters[4] });
    expect(s9.realServers[0]!.stats!.inBytes).toBe(e9.reals[0]!.counters[3]);
  });

  test('--rate merged; FWM IPv6 rows in counter listings', () => {
    const r = parseIpvsadmList(real('mixed', 'ipvsadm-Ln-rate.txt'));
    expect(r.kind).toBe('rate');
    const t = mergeCounters(table(parseIpvsadmList(real('mixed', 'ipvsadm-Ln.txt'))), r);
    expect(t.services.every((s) => s.rates !== undefined)).toBe(true);
    const s = parseIpvsadmList(real('mixed', 'ipvsadm-Ln-stats.txt'));
    if (s.kind !== 'stats') throw new Error('not stats');
    expect(s.services.map((x) => x.key)).toContain('fwm:6:ipv6');
  });

  test('unsupported listings are refused clearly', () => {
    expect(() => parseIpvsadmList(real('mixed', 'ipvsadm-Ln-thresholds.txt'))).toThrow(/unexpected column titles/);
    expect(() => parseIpvsadmList(real('mixed', 'ipvsadm-Lnc.txt'))).toThrow(ParseError);
    expect(() => parseIpvsadmList('')).toThrow(ParseError);
  });

  test.each(scenarios)('%s: every listing parses', (sc) => {
    for (const f of ['ipvsadm-Ln.txt', 'ipvsadm-Ln-exact.txt', 'ipvsadm-Ln-stats.txt', 'ipvsadm-Ln-stats-exact.txt', 'ipvsadm-Ln-rate.txt', 'ipvsadm-Ln-rate-exact.txt', 'ipvsadm-Ln-tun-info.txt'])
      if (existsSync(join(REAL, sc, f))) expect(() => parseIpvsadmList(real(sc, f))).not.toThrow();
  });
});

describe('parseIpvsadmDaemon', () => {
  const d = (f: string) => readFileSync(join(REAL, 'sync-daemon', f), 'utf8');
  test('1.31 long form, master, backup, both', () => {
    expect(parseIpvsadmDaemon(d('ipvsadm-L-daemon.master.txt'))).toEqual([
      { role: 'master', interface: 'eth0', syncid: 1, maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
    ]);
    expect(parseIpvsadmDaemon(d('ipvsadm-L-daemon.backup.txt')).map((x) => x.role)).toEqual(['backup']);
    expect(parseIpvsadmDaemon(d('ipvsadm-L-daemon.both.txt')).map((x) => x.role)).toEqual(['master', 'backup']);
  });
  test('no daemon: empty output', () => {
    expect(parseIpvsadmDaemon(d('ipvsadm-L-daemon.none.txt'))).toEqual([]);
    expect(parseIpvsadmDaemon(d('ipvsadm-L-daemon.stopped.txt'))).toEqual([]);
  });
  test('older short form (hand-written)', () => {
    expect(parseIpvsadmDaemon(readFileSync(join(SYN, 'ipvsadm-L-daemon.old-format.txt'), 'utf8'))).toEqual([
      { role: 'master', interface: 'eth0', syncid: 1 },
      { role: 'backup', interface: 'eth0', syncid: 1 },
    ]);
  });
  test('malformed', () => {
    expect(() => parseIpvsadmDaemon('master sync daemon (syncid=1)\n')).toThrow(/mcast= and syncid=/);
    expect(() => parseIpvsadmDaemon('sync daemon running\n')).toThrow(ParseError);
    expect(() => parseIpvsadmDaemon('master sync daemon (mcast=eth0, syncid=300)\n')).toThrow(ParseError);
  });
  test('fuzz: 10 000 malformed inputs, only ParseError', () => {
    const seeds = ['master', 'backup', 'both'].map((x) => d(`ipvsadm-L-daemon.${x}.txt`));
    seeds.push(readFileSync(join(SYN, 'ipvsadm-L-daemon.old-format.txt'), 'utf8'));
    const r = fuzzParser(parseIpvsadmDaemon, seeds, 10000, 5);
    expect(r.rejected).toBeGreaterThan(1000);
    expect(r.accepted).toBeGreaterThan(100);
  });
});

test('fuzz parseIpvsadmList: 10 000 malformed inputs over -Ln, --stats, --rate, --tun-info', () => {
  const seeds = ['ipvsadm-Ln.txt', 'ipvsadm-Ln-stats.txt', 'ipvsadm-Ln-rate.txt', 'ipvsadm-Ln-tun-info.txt'].flatMap((f) =>
    ['reference', 'mixed', 'large-counters', 'fallback'].map((sc) => real(sc, f)),
  );
  const r = fuzzParser(parseIpvsadmList, seeds, 10000, 3);
  expect(r.rejected).toBeGreaterThan(1000);
  expect(r.accepted).toBeGreaterThan(100);
});
