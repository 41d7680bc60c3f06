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

const svcLine = (s: IpvsTable['services'][number]) =>
  `${serviceKey(s)} ${s.family} ${s.scheduler}${s.schedulerFlags ? ` (${s.schedulerFlags.join(',')})` : ''}${s.persistent ? ` persistent ${s.persistentSeconds} ${s.persistenceNetmask}` : ''}${s.persistenceEngine ? ` pe ${s.persistenceEngine}` : ''} ops=${s.onePacket}: ` +
  s.realServers.map((r) => `${r.address}:${r.port} ${r.forwarding} ${r.weight} ${r.activeConns} ${r.inactiveConns}`).join(', ');

describe('parseIpvsadmList: every value of the mixed capture', () => {
  test('-Ln: services in ipvsadm order with flags, masks, pe, ops and every real server', () => {
    const t = table(parseIpvsadmList(real('mixed', 'ipvsadm-Ln.txt')));
    expect([t.version, t.connTableSize]).toEqual(['1.2.1', 4096]);
    expect(t.services.map(svcLine)).toEqual([
      'tcp:192.168.0.3:21 inet lblc ops=false: 192.168.0.4:21 route 1 0 0',
      'tcp:192.168.0.3:25 inet mh (mh-port) ops=false: 192.168.0.4:25 route 1 0 0, 192.168.0.5:25 route 0 0 0',
      'tcp:192.168.0.3:80 inet wlc persistent 3600 255.255.255.255 ops=false: 192.168.0.4:80 route 1 0 0, 192.168.0.5:80 route 1 0 4',
      'tcp:192.168.0.3:110 inet nq ops=false: 192.168.0.4:110 route 1 0 0',
      'tcp:192.168.0.3:143 inet lblcr ops=false: 192.168.0.4:143 route 1 0 0',
      'tcp:192.168.0.3:443 inet rr ops=false: 192.168.0.4:443 masq 1 0 2, 192.168.0.5:443 masq 2 0 2',
      'tcp:192.168.0.3:587 inet ovf ops=false: 192.168.0.4:587 route 1 0 0',
      'tcp:192.168.0.3:993 inet dh ops=false: 192.168.0.4:993 route 1 0 0',
      'tcp:192.168.0.3:995 inet fo ops=false: 192.168.0.4:995 route 1 0 0, 192.168.0.5:995 route 5 0 0',
      'tcp:192.168.0.3:8080 inet sed persistent 600 255.255.255.0 ops=false: 192.168.0.4:8080 tunnel 1 0 0, 192.168.0.5:8080 tunnel 1 0 0',
      'tcp:192.168.0.6:80 inet wlc ops=false: ',
      'udp:192.168.0.3:53 inet rr ops=true: 192.168.0.4:53 route 1 0 0, 192.168.0.5:53 route 1 0 0',
      'udp:192.168.0.3:5060 inet rr persistent 60 255.255.255.255 pe sip ops=false: 192.168.0.4:5060 route 1 0 0',
      'sctp:192.168.0.3:3868 inet sh (sh-fallback,sh-port) ops=false: 192.168.0.4:3868 route 1 0 0, 192.168.0.5:3868 route 1 0 0',
      'tcp:[2001:db8::3]:80 inet6 lc persistent 300 64 ops=false: 2001:db8::4:80 route 1 0 0, 2001:db8::5:80 route 1 0 4',
      'udp:[2001:db8::3]:53 inet6 wrr ops=false: 2001:db8::5:53 route 2 0 1',
      'fwm:5 inet wrr ops=false: 192.168.0.4:0 route 3 0 3, 192.168.0.5:0 route 1 0 1',
      'fwm:6:ipv6 inet6 rr ops=false: 2001:db8::4:0 route 1 0 0',
    ]);
    expect(table(parseIpvsadmList(real('mixed', 'ipvsadm-Ln-tun-info.txt')))).toEqual(t);
  });
  test('--stats and --rate: the five counters of each service and real server, in order', () => {
    const text = real('mixed', 'ipvsadm-Ln-stats.txt');
    const s = parseIpvsadmList(text);
    if (s.kind !== 'stats') throw new Error('not stats');
    expect([s.version, s.connTableSize]).toEqual(['1.2.1', 4096]);
    // The capture's own numbers, read independently of the parser.
    const rows = text.split('\n').slice(3).filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/));
    const flat = s.services.flatMap((x) => [x.counters, ...x.reals.map((r) => r.counters)]);
    expect(flat).toEqual(rows.map((r) => r.slice(-5).map(Number)));
    expect(s.services.flatMap((x) => [x.key, ...x.reals.map((r) => `${r.address}:${r.port}`)])).toHaveLength(rows.length);
    expect(s.services[0]).toMatchObject({ key: 'tcp:192.168.0.3:21', approximate: false, reals: [{ address: '192.168.0.4', port: 21, approximate: false }] });
    const r = parseIpvsadmList(real('mixed', 'ipvsadm-Ln-rate.txt'));
    expect(r.kind).toBe('rate');
  });
});

describe('parseIpvsadmList: rule by rule (synthetic lines on the real titles)', () => {
  const head = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
  const statsHead = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\n';
  const rateHead = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port\n';
  const tunHead = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  const one = (text: string) => table(parseIpvsadmList(text)).services[0]!;
  const err = (text: string) => () => parseIpvsadmList(text);
  test('titles: each listing, without the version line, and what is refused', () => {
    expect(parseIpvsadmList(head.split('\n').slice(1).join('\n') + 'TCP  10.0.0.1:80 rr\n')).toEqual({ kind: 'table', table: { services: [expect.objectContaining({ address: '10.0.0.1' })] } });
    expect(parseIpvsadmList(statsHead).kind).toBe('stats');
    expect(parseIpvsadmList(rateHead).kind).toBe('rate');
    expect(parseIpvsadmList(statsHead.split('\n').slice(1).join('\n'))).toEqual({ kind: 'stats', services: [] });
    expect(err(head.replace('Forward Weight', 'Forward Weight Extra'))).toThrow('cannot parse ipvsadm -Ln: unexpected column titles (supported: -Ln, --stats, --rate, --exact, --tun-info) (line 2)');
    expect(err(statsHead.replace('  -> RemoteAddress:Port', '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn'))).toThrow('unexpected column titles');
    expect(err(statsHead.replace('  -> RemoteAddress:Port', '-> Remote'))).toThrow('unexpected column titles');
    expect(err('IP Virtual Server version 1.2.1 (size=4096)\n')).toThrow('unexpected column titles');
    expect(err('IP Virtual Server\n' + head.split('\n').slice(1).join('\n'))).toThrow('first line is not');
  });
  test('--tun-info: one more field, read past', () => {
    expect(one(tunHead + 'TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80 Tunnel ipip 1 2 3\n').realServers[0]).toEqual({ address: '10.0.0.2', port: 80, forwarding: 'tunnel', weight: 1, activeConns: 2, inactiveConns: 3 });
    expect(err(tunHead + 'TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80 Tunnel 1 2 3\n')).toThrow('real server line has 5 fields, expected 6 (line 5)');
    expect(err(head + 'TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80 Tunnel ipip 1 2 3\n')).toThrow('real server line has 6 fields, expected 5 (line 5)');
  });
  test('table lines', () => {
    expect(err(head + 'TCP  10.0.0.1:80 rr\n\nTCP  10.0.0.1:81 rr\n')).toThrow('blank line inside the table (line 5)');
    expect(table(parseIpvsadmList(head + 'TCP  10.0.0.1:80 rr\n \n\n')).services).toHaveLength(1);
    expect(err(head + ' TCP  10.0.0.1:80 rr\n')).toThrow('indented line is not a real server (line 4)');
    expect(err(head + '  -> 10.0.0.2:80 Route 1 0 0\n')).toThrow('real server before any service (line 4)');
    expect(err(head + 'TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80 Bounce 1 0 0\n')).toThrow("unknown forwarding method 'Bounce' (line 5)");
    expect(err(head + 'TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80 Route -1 0 0\n')).toThrow("'-1' is not a number (line 5)");
    expect(err(head + 'TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80 Route 1 0 1234567890123456\n')).toThrow("'1234567890123456' is not a number");
    expect(one(head + 'TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80 Local 0 -1 -2\n').realServers[0]).toMatchObject({ forwarding: 'local', weight: 0, activeConns: -1, inactiveConns: -2 });
    expect(err(head + 'TCPX 10.0.0.1:80 rr\n')).toThrow("unknown protocol 'TCPX' (line 4)");
    expect(err(head + 'TCP  10.0.0.1:80\n')).toThrow("'' is not a scheduler name (line 4)");
    expect(err(head + 'TCP  10.0.0.1:80 RR\n')).toThrow("'RR' is not a scheduler name");
    expect(err(head + 'TCP  10.0.0.1:80 1rr\n')).toThrow("'1rr' is not a scheduler name");
    expect(one(head + 'TCP  10.0.0.1:80 my_s-1\n').scheduler).toBe('my_s-1');
    expect(err(head + 'TCP  10.0.0.1:80 wlc!\n')).toThrow("'wlc!' is not a scheduler name (line 4)");
  });
  test('addresses and ports', () => {
    expect(one(head + 'TCP  [2001:DB8::0:3]:65535 rr\n')).toMatchObject({ address: '2001:db8::3', port: 65535, family: 'inet6' });
    for (const a of ['10.0.0.1', '10.0.0.1:', 'x:80', 'www.example.org:80', '[10.0.0.1]:80', '2001:db8::3:80', '[2001:db8::3]:', '10.0.0.1:123456', '10.0.0.300:80', ' 10.0.0.1:80'.trim() + 'x'])
      expect(err(head + `TCP  ${a} rr\n`)).toThrow(`'${a}' is not a numeric ADDRESS:PORT (run ipvsadm with -n) (line 4)`);
    expect(err(head + 'TCP  10.0.0.1:65536 rr\n')).toThrow('port 65536 out of range (line 4)');
    expect(err(head + 'TCP\n')).toThrow("'' is not a numeric ADDRESS:PORT");
    // Both forms anchored at each end: text before or after a well-formed ADDRESS:PORT.
    for (const a of ['x[::1]:80', '[::1]:80x', '1192.168.0.3:80', 'x10.0.0.1:80'])
      expect(err(head + `TCP  ${a} rr\n`)).toThrow(`'${a}' is not a numeric ADDRESS:PORT (run ipvsadm with -n) (line 4)`);
  });
  test('firewall marks', () => {
    expect(one(head + 'FWM  4294967295 rr\n')).toMatchObject({ fwmark: 4294967295, family: 'inet' });
    expect(one(head + 'FWM  6 IPv6 rr\n')).toMatchObject({ fwmark: 6, family: 'inet6', scheduler: 'rr' });
    expect(err(head + 'FWM  4294967296 rr\n')).toThrow('firewall mark 4294967296 out of range (line 4)');
    expect(err(head + 'FWM  0x5 rr\n')).toThrow("'0x5' is not a number (line 4)");
    expect(err(head + 'FWM\n')).toThrow("'' is not a number");
  });
  test('flags: scheduler flags, persistent, mask, pe, ops, in any order; each bad word named', () => {
    expect(one(head + 'TCP  10.0.0.1:80 sh (sh-port,sh_x1) ops persistent 10 mask 255.255.0.0 pe sip\n')).toMatchObject({
      schedulerFlags: ['sh-port', 'sh_x1'], onePacket: true, persistent: true, persistentSeconds: 10, persistenceNetmask: '255.255.0.0', persistenceEngine: 'sip',
    });
    expect(one(head + 'TCP  [::1]:80 rr persistent 5\n')).toMatchObject({ persistentSeconds: 5, persistenceNetmask: '128' });
    expect(one(head + 'TCP  [::1]:80 rr persistent 5 mask 064\n').persistenceNetmask).toBe('64');
    expect(one(head + 'TCP  [::1]:80 rr persistent 5 mask 128\n').persistenceNetmask).toBe('128');
    expect(one(head + 'TCP  10.0.0.1:80 rr\n')).toEqual({ protocol: 'tcp', family: 'inet', address: '10.0.0.1', port: 80, scheduler: 'rr', persistent: false, onePacket: false, realServers: [] });
    expect(err(head + 'TCP  10.0.0.1:80 sh (Sh-port)\n')).toThrow("bad scheduler flags '(Sh-port)' (line 4)");
    expect(err(head + 'TCP  10.0.0.1:80 sh (sh-port\n')).toThrow("bad scheduler flags '(sh-port'");
    expect(err(head + 'TCP  10.0.0.1:80 sh ((sh-port)\n')).toThrow("bad scheduler flags '((sh-port)' (line 4)");
    expect(err(head + 'TCP  10.0.0.1:80 sh (sh-port)x\n')).toThrow("bad scheduler flags '(sh-port)x' (line 4)");
    expect(err(head + 'TCP  10.0.0.1:80 sh (sh-port) (x)\n')).toThrow("unexpected word '(x)' on a service line (line 4)");
    expect(err(head + 'TCP  10.0.0.1:80 rr persistent\n')).toThrow("'' is not a number (line 4)");
    expect(err(head + 'TCP  10.0.0.1:80 rr persistent 5 persistent 6\n')).toThrow("unexpected word 'persistent'");
    expect(err(head + 'TCP  10.0.0.1:80 rr mask 255.0.0.0\n')).toThrow("unexpected word 'mask'");
    for (const m of ['', '24', '255.255.255', '256.0.0.0', '255.255.255.0x', '255.255.255.000']) expect(err(head + `TCP  10.0.0.1:80 rr persistent 5 mask ${m}\n`)).toThrow(`bad persistence mask '${m}' (line 4)`);
    for (const m of ['129', '1000', 'x', '255.0.0.0', '-12', '1e2', '64.5']) expect(err(head + `TCP  [::1]:80 rr persistent 5 mask ${m}\n`)).toThrow(`bad persistence mask '${m}'`);
    expect(err(head + 'TCP  10.0.0.1:80 rr pe\n')).toThrow("unexpected word 'pe'");
    expect(err(head + 'TCP  10.0.0.1:80 rr pe SIP\n')).toThrow("unexpected word 'pe'");
    expect(err(head + 'TCP  10.0.0.1:80 rr pe Sip\n')).toThrow("unexpected word 'pe' on a service line (line 4)");
    expect(err(head + 'TCP  10.0.0.1:80 rr pe sip!\n')).toThrow("unexpected word 'pe' on a service line (line 4)");
    expect(err(head + 'TCP  10.0.0.1:80 rr sticky\n')).toThrow("unexpected word 'sticky' on a service line (line 4)");
  });
  test('counter listings: five counters, K/M/G/T as lower bounds, each rejection', () => {
    const s = parseIpvsadmList(statsHead + 'TCP  10.0.0.1:80 1 2K 3M 4G 5T\n  -> 10.0.0.2:80 6 7 8 9 10\n  -> 10.0.0.3:80 0 0 0 0 1K\nFWM  6 IPv6 1 2 3 4 5\n');
    if (s.kind !== 'stats') throw new Error('not stats');
    expect(s.services).toEqual([
      {
        key: 'tcp:10.0.0.1:80', counters: [1, 2e3, 3e6, 4e9, 5e12], approximate: true,
        reals: [{ address: '10.0.0.2', port: 80, counters: [6, 7, 8, 9, 10], approximate: false }, { address: '10.0.0.3', port: 80, counters: [0, 0, 0, 0, 1000], approximate: true }],
      },
      { key: 'fwm:6:ipv6', counters: [1, 2, 3, 4, 5], approximate: false, reals: [] },
    ]);
    expect(err(statsHead + '  -> 10.0.0.2:80 1 2 3 4 5\n')).toThrow('real server before any service (line 4)');
    expect(err(statsHead + 'TCP  10.0.0.1:80 1 2 3 4 5\n  -> 10.0.0.2:80 1 2 3 4\n')).toThrow('real server line has 4 counters, expected 5 (line 5)');
    expect(err(statsHead + 'TCP  10.0.0.1:80 1 2 3 4\n')).toThrow('service line has 4 counters, expected 5 (line 4)');
    expect(err(statsHead + 'FWM  6 IPv6 1 2 3 4 5 6\n')).toThrow('service line has 6 counters, expected 5 (line 4)');
    for (const c of ['1k', '1KK', '-1', 'x', '1.5K', '123456789012345678901']) expect(err(statsHead + `TCP  10.0.0.1:80 1 2 3 4 ${c}\n`)).toThrow(`'${c}' is not a counter (line 4)`);
  });
  test('mergeCounters: by service key and real server; a table passes through; missing ones left alone', () => {
    const t = () => table(parseIpvsadmList(head + 'TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80 Route 1 0 0\n  -> 10.0.0.3:80 Route 1 0 0\nTCP  10.0.0.1:81 rr\n'));
    const stats = parseIpvsadmList(statsHead + 'TCP  10.0.0.1:80 1 2 3 4 5K\n  -> 10.0.0.2:80 6 7 8 9 10\n  -> 10.0.0.2:81 1 1 1 1 1\n');
    const m = mergeCounters(t(), stats);
    expect(m.services[0]!.stats).toEqual({ conns: 1, inPackets: 2, outPackets: 3, inBytes: 4, outBytes: 5000, approximate: true });
    expect(m.services[0]!.realServers.map((r) => r.stats)).toEqual([{ conns: 6, inPackets: 7, outPackets: 8, inBytes: 9, outBytes: 10 }, undefined]);
    expect(m.services[0]!.rates).toBeUndefined();
    expect(m.services[1]!.stats).toBeUndefined();
    const rate = parseIpvsadmList(rateHead + 'TCP  10.0.0.1:80 1 2 3 4 5\n  -> 10.0.0.3:80 6 7 8 9 10M\n');
    const r = mergeCounters(t(), rate);
    expect(r.services[0]!.rates).toEqual({ cps: 1, inPps: 2, outPps: 3, inBps: 4, outBps: 5 });
    expect(r.services[0]!.stats).toBeUndefined();
    expect(r.services[0]!.realServers.map((x) => x.rates)).toEqual([undefined, { cps: 6, inPps: 7, outPps: 8, inBps: 9, outBps: 10e6, approximate: true }]);
    expect(r.services[0]!.realServers[1]!.stats).toBeUndefined();
    // Two real servers on one address, told apart by their port.
    const ports = table(parseIpvsadmList(head + 'TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80 Route 1 0 0\n  -> 10.0.0.2:81 Route 1 0 0\n'));
    mergeCounters(ports, parseIpvsadmList(statsHead + 'TCP  10.0.0.1:80 1 2 3 4 5\n  -> 10.0.0.2:81 6 7 8 9 10\n  -> 10.0.0.2:80 1 1 1 1 1\n'));
    expect(ports.services[0]!.realServers.map((x) => [x.port, x.stats?.conns])).toEqual([[80, 1], [81, 6]]);
    const plain = t();
    expect(mergeCounters(plain, parseIpvsadmList(head))).toBe(plain);
    expect(plain.services[0]!.stats).toBeUndefined();
  });
});

describe('parseIpvsadmDaemon: rule by rule', () => {
  const err = (text: string) => () => parseIpvsadmDaemon(text);
  test('fields, limits, order-free, blank lines', () => {
    expect(parseIpvsadmDaemon('\n  backup sync daemon (ttl=255, syncid=255, mcast=lo, port=65535, maxlen=65535, group=FF02::1)  \n\n')).toEqual([
      { role: 'backup', interface: 'lo', syncid: 255, maxlen: 65535, group: 'ff02::1', port: 65535, ttl: 255 },
    ]);
    // toStrictEqual: the fields the line does not print are absent, not set to undefined.
    expect(parseIpvsadmDaemon('master sync daemon (mcast=eth0, syncid=0)\n')).toStrictEqual([{ role: 'master', interface: 'eth0', syncid: 0 }]);
  });
  test('each rejection named with its line', () => {
    expect(err('\nsync daemon running\n')).toThrow("cannot parse ipvsadm -L --daemon: unexpected line 'sync daemon running' (line 2)");
    expect(err('master sync daemon (mcast=eth0, syncid=1) x\n')).toThrow('unexpected line');
    expect(err('x master sync daemon (mcast=eth0, syncid=1)\n')).toThrow("unexpected line 'x master sync daemon (mcast=eth0, syncid=1)' (line 1)");
    const long = `backup sync daemon ${'y'.repeat(80)}`;
    expect(err(long)).toThrow(`unexpected line '${long.slice(0, 60)}' (line 1)`);
    expect(err(long)).not.toThrow(long);
    expect(err('slave sync daemon (mcast=eth0, syncid=1)\n')).toThrow('unexpected line');
    expect(err('master sync daemon (mcast=eth0,syncid=1)\n')).toThrow("bad field 'mcast=eth0,syncid=1' (line 1)");
    expect(err('master sync daemon (mcast=eth0, syncid=1, syncid=2)\n')).toThrow("bad field 'syncid=2'");
    expect(err('master sync daemon (mcast=eth0, syncid=1, Ttl=1)\n')).toThrow("bad field 'Ttl=1'");
    expect(err('master sync daemon (mcast=eth 0, syncid=1)\n')).toThrow("bad field 'mcast=eth 0'");
    expect(err('master sync daemon (mcast=, syncid=1)\n')).toThrow("bad field 'mcast='");
    expect(err('master sync daemon (mcast=eth0)\n')).toThrow('mcast= and syncid= are required (line 1)');
    expect(err('master sync daemon (syncid=1)\n')).toThrow('mcast= and syncid= are required');
    expect(err('master sync daemon (mcast=eth0, syncid=256)\n')).toThrow('syncid=256 is not a number (line 1)');
    expect(err('master sync daemon (mcast=eth0, syncid=x)\n')).toThrow('syncid=x is not a number');
    expect(err('master sync daemon (mcast=eth0, syncid=-1)\n')).toThrow('syncid=-1 is not a number (line 1)');
    expect(err('master sync daemon (mcast=eth0, syncid=1x)\n')).toThrow('syncid=1x is not a number (line 1)');
    expect(err('master sync daemon (mcast=eth0, syncid=1, maxlen=65536)\n')).toThrow('maxlen=65536 is not a number');
    expect(err('master sync daemon (mcast=eth0, syncid=1, port=65536)\n')).toThrow('port=65536 is not a number');
    expect(err('master sync daemon (mcast=eth0, syncid=1, ttl=256)\n')).toThrow('ttl=256 is not a number');
    expect(err('master sync daemon (mcast=eth0, syncid=1, ttl=12345678901)\n')).toThrow('ttl=12345678901 is not a number');
    expect(err('master sync daemon (mcast=eth0, syncid=1, group=224.0.0)\n')).toThrow('group=224.0.0 is not an address (line 1)');
  });
});
