import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateIpvs, evaluateIpvsCheck, ipvsDefaults, IpvsPolicy, parseServiceSpec, selectServices, WantedService } from '../../src/checks/ipvs';
import { referenceDeployment } from '../../src/model/reference';
import { VirtualService } from '../../src/model/types';
import { mergeCounters, parseIpvsadmList } from '../../src/parsers/ipvsadm';
import { parseIpAddr } from '../../src/parsers/ipAddr';
import { parseProcIpvs, parseProcIpvsStats } from '../../src/parsers/procIpvs';
import { applyHz, IpvsSnapshot } from '../../src/probes/ipvs';
import { UsageError } from '../../src/runtime/errors';
import { parseRange } from '../../src/runtime/range';
import { State } from '../../src/runtime/state';
import { capture } from '../probes/replay';
import { describeSpawning } from './fast';

const ROOT = join(__dirname, '..', '..');
const REAL = join(ROOT, 'test', 'fixtures', 'real', 'ipvs');
const real = (sc: string, f: string) => readFileSync(join(REAL, sc, f), 'utf8');

const www = referenceDeployment.services[0]!;
const snap = (sc: string, hz = 250): IpvsSnapshot => ({ table: applyHz(parseProcIpvs(real(sc, 'proc-net-ip_vs.txt')), hz), source: 'proc' });
const policy = (p: Partial<IpvsPolicy> = {}): IpvsPolicy => ({ drained: [], ...p });
const ref = (config: Partial<VirtualService> = {}): WantedService[] => [{ key: 'tcp:192.168.0.3:80', config: { ...www, ...config } }];
const first = (sc: string, p: Partial<IpvsPolicy> = {}, w = ref()) => evaluateIpvs(snap(sc), w, policy(p));

describe('evaluateIpvs on real tables, reference deployment', () => {
  test('reference: OK, 2 of 2 live, perfdata per real server', () => {
    const r = first('reference');
    expect(r.state).toBe(State.OK);
    expect(r.summary).toBe('tcp:192.168.0.3:80: 2 of 2 real servers live');
    expect(r.perf!.map((p) => p.label)).toEqual(['t3_80_live', 't3_80_rs4_80_act', 't3_80_rs4_80_inact', 't3_80_rs4_80_w', 't3_80_rs5_80_act', 't3_80_rs5_80_inact', 't3_80_rs5_80_w']);
    expect(r.perf![0]).toMatchObject({ value: 2, min: 0, max: 2 });
  });

  test('one real removed (quiescent=no): WARNING naming it and why', () => {
    const r = first('one-removed');
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toBe('1 of 2 real servers live: 192.168.0.5:80 removed from the table (failed check, quiescent=no)');
  });

  test('ldirectord itself removed reel2 and then added the fallback (real ldirectord run)', () => {
    expect(first('ldirectord-one-down').summary).toBe('1 of 2 real servers live: 192.168.0.5:80 removed from the table (failed check, quiescent=no)');
    const f = first('ldirectord-fallback');
    expect(f.state).toBe(State.CRITICAL);
    expect(f.summary).toBe('all real servers down, sorry server serving 192.168.0.3:80');
    expect(first('ldirectord-up').state).toBe(State.OK);
  });

  test('weight 0: after a failed check (quiescent=yes), by hand, or drained on purpose', () => {
    expect(first('weight0', {}, ref({ quiescent: true })).summary).toBe('1 of 2 real servers live: 192.168.0.5:80 weight 0 after a failed check (quiescent=yes)');
    const byHand = first('weight0');
    expect(byHand.state).toBe(State.WARNING);
    expect(byHand.summary).toBe('1 of 2 real servers live: 192.168.0.5:80 weight 0 (by hand? --drained if on purpose)');
    // drained with --drained (address or address:port): OK, reported
    for (const d of ['192.168.0.5', '192.168.0.5:80']) {
      const r = first('weight0', { drained: [d] });
      expect(r.state).toBe(State.OK);
      expect(r.summary).toBe('tcp:192.168.0.3:80: 1 of 2 real servers live');
      expect(r.long!.join('\n')).toContain('drained on purpose: 192.168.0.5:80 drained (weight 0)');
    }
    // drained in the deployment (configured weight 0)
    const cfg = ref({ realServers: [www.realServers[0]!, { ...www.realServers[1]!, weight: 0 }] });
    expect(first('weight0', {}, cfg).state).toBe(State.OK);
    // ...but drained leaving too few live servers still alerts through the thresholds
    expect(first('weight0', { drained: ['192.168.0.5'], warningPercent: parseRange('100:') }).state).toBe(State.WARNING);
    expect(first('weight0', { drained: ['192.168.0.5'], warning: parseRange('2:') }).state).toBe(State.WARNING);
  });

  test('fallback only: CRITICAL, sorry server named', () => {
    const r = first('fallback');
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('all real servers down, sorry server serving 192.168.0.3:80');
    expect(r.long!.join('\n')).toContain('192.168.0.4:80 removed from the table');
  });

  test('service missing: CRITICAL; empty table hints at the passive director', () => {
    const r = first('empty');
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('tcp:192.168.0.3:80 not in the IPVS table (table empty: passive director, or ldirectord not running?)');
    const m = evaluateIpvs(snap('mixed'), [{ key: 'tcp:192.168.0.3:81' }], policy());
    expect(m.summary).toBe('tcp:192.168.0.3:81 not in the IPVS table');
  });

  test('-w/-c as counts and --warning-percent/--critical-percent', () => {
    expect(first('one-removed', { warning: parseRange('1:') }).state).toBe(State.OK);
    expect(first('one-removed', { critical: parseRange('2:') }).state).toBe(State.CRITICAL);
    expect(first('one-removed', { warning: parseRange('1:'), criticalPercent: parseRange('60:') }).state).toBe(State.CRITICAL);
    expect(first('one-removed', { warning: parseRange('1:'), warningPercent: parseRange('50:') }).state).toBe(State.OK);
    expect(first('reference', { warning: parseRange('3:') }).state).toBe(State.WARNING);
    const r = first('one-removed', { warning: parseRange('1:'), critical: parseRange('1:') });
    expect(r.perf![0]).toMatchObject({ label: 't3_80_live', value: 1 });
    expect(r.perf![0]!.warn).toMatchObject({ text: '1:' });
  });

  test('drift from the deployment: each difference named, WARNING', () => {
    const cfg = ref({
      scheduler: 'rr',
      persistent: 600,
      realServers: [{ address: '192.168.0.4', port: 80, weight: 2, forwarding: 'gate' }, { address: '192.168.0.9', port: 80, weight: 1, forwarding: 'gate' }],
    });
    const r = first('reference', {}, cfg);
    expect(r.state).toBe(State.WARNING);
    for (const t of [
      '192.168.0.4:80 weight 1, configured 2',
      '1 of 2 real servers live: 192.168.0.9:80 removed from the table',
      '192.168.0.5:80 in the table but not configured',
      'scheduler wlc, configured rr',
      'persistent 3600 s, configured 600 s',
    ])
      expect(r.summary).toContain(t);
    expect(first('mixed', {}, [{ key: 'tcp:192.168.0.3:443', config: { ...www, address: '192.168.0.3', port: 443, scheduler: 'rr', persistent: undefined, realServers: [
      { address: '192.168.0.4', port: 443, weight: 1, forwarding: 'gate' },
      { address: '192.168.0.5', port: 443, weight: 2, forwarding: 'masq' },
    ] } }]).summary).toBe('192.168.0.4:443 forwarding Masq, configured Route');
  });

  test('persistence drift names the HZ used when it came from /proc jiffies', () => {
    const r = evaluateIpvs(snap('reference', 1000), ref(), policy({ hz: { hz: 1000, origin: '--hz' } }));
    expect(r.summary).toBe('persistent 900 s, configured 3600 s (HZ 1000: --hz)');
  });

  test('--all on the mixed table: every service, labels unique in 19 characters', () => {
    const s = snap('mixed');
    const wanted = selectServices(s, referenceDeployment.services, [], true);
    expect(wanted).toHaveLength(18);
    const r = evaluateIpvs(s, wanted, policy());
    // 192.168.0.5:25 weight 0 (no description: cannot tell), 192.168.0.6:80 has no real server
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toContain('tcp:192.168.0.6:80: no real server and no fallback');
    expect(r.summary).toContain('tcp:192.168.0.3:25: 1 of 2 real servers live: 192.168.0.5:25 weight 0 (failed check or drained: --drained to tell)');
    const labels = r.perf!.map((p) => p.label.slice(0, 19));
    expect(new Set(labels).size).toBe(labels.length);
    // labels from each object's identity, never its position: protocol, last address group, port
    expect(labels).toContain('t3_80_live');
    expect(labels).toContain('t3_80_rs5_80_inact');
    expect(labels).toContain('tv6_3_80_rs5_80_ina');
    expect(labels).toContain('f5_rs4_0_w');
    expect(labels.some((l) => /^p\d+_/.test(l))).toBe(false);
    // the reference service keeps its drift checks under --all
    expect(r.summary).not.toContain('tcp:192.168.0.3:80');
  });

  test('IPv6 and fwmark services through --service', () => {
    const s = snap('mixed');
    const wanted = selectServices(s, [], ['tcp:[2001:0db8::3]:80', 'fwm:5', 'fwm:6:ipv6', 'udp:192.168.0.3:53'], false);
    expect(wanted.map((w) => w.key)).toEqual(['tcp:[2001:db8::3]:80', 'fwm:5', 'fwm:6:ipv6', 'udp:192.168.0.3:53']);
    const r = evaluateIpvs(s, wanted, policy());
    expect(r.state).toBe(State.OK);
    expect(r.summary).toBe('4 services, 7 of 7 real servers live');
    expect(r.perf!.map((p) => p.label)).toContain('tv6_3_80_rs5_80_inact');
    expect(r.perf!.map((p) => p.label)).toContain('f5_rs4_0_w');
  });

  test('rates from ipvsadm --rate become per-service perfdata', () => {
    const t = parseIpvsadmList(real('large-counters', 'ipvsadm-Ln.txt'));
    if (t.kind !== 'table') throw new Error();
    mergeCounters(t.table, parseIpvsadmList(real('large-counters', 'ipvsadm-Ln-rate-exact.txt')));
    mergeCounters(t.table, parseIpvsadmList(real('large-counters', 'ipvsadm-Ln-stats-exact.txt')));
    const r = evaluateIpvs({ table: t.table, source: 'ipvsadm' }, [{ key: 'tcp:192.168.0.3:9' }], policy());
    const labels = r.perf!.map((p) => p.label);
    expect(labels).toEqual(expect.arrayContaining(['t3_9_cps', 't3_9_inbps', 't3_9_outbps', 't3_9_conns']));
    expect(r.perf!.find((p) => p.label === 't3_9_conns')).toMatchObject({ uom: 'c', value: 1 });
  });

  test('all configured reals drained: nothing serves, CRITICAL', () => {
    // both named drained while .4 still has weight 1: nothing alarming
    expect(first('weight0', { drained: ['192.168.0.4', '192.168.0.5'] }, ref()).state).toBe(State.OK);
    const cfg = ref({ realServers: www.realServers.map((r) => ({ ...r, weight: 0 })) });
    const t = snap('weight0');
    t.table.services[0]!.realServers.forEach((r) => (r.weight = 0));
    expect(evaluateIpvs(t, cfg, policy()).state).toBe(State.CRITICAL);
  });

  test('--service syntax errors are UsageErrors', () => {
    for (const bad of ['tcp:192.168.0.3', 'http:1.2.3.4:80', 'tcp:[192.168.0.3]:80', 'tcp:1.2.3.4:65536', 'fwm:0', 'tcp:2001:db8::3:80'])
      expect(() => parseServiceSpec(bad)).toThrow(UsageError);
    expect(parseServiceSpec('TCP:192.168.0.3:80')).toBe('tcp:192.168.0.3:80');
  });
});

describe('evaluateIpvs: whole results (summary, long output, perfdata) on the real tables', () => {
  const rs = (tag: string, act: number, inact: number, w: number) => [
    { label: `t3_80_${tag}_act`, value: act, min: 0 },
    { label: `t3_80_${tag}_inact`, value: inact, min: 0 },
    { label: `t3_80_${tag}_w`, value: w, min: 0 },
  ];
  const live = (value: number, max = 2) => ({ label: 't3_80_live', value, warn: parseRange('2:'), crit: parseRange('1:'), min: 0, max });
  test('reference: OK, the table in long output, live count with its default thresholds', () => {
    expect(first('reference')).toEqual({
      state: State.OK,
      summary: 'tcp:192.168.0.3:80: 2 of 2 real servers live',
      long: [
        'OK: 2 of 2 real servers live',
        'tcp:192.168.0.3:80 wlc persistent 3600 s: 2 in the table',
        '  192.168.0.4:80 Route weight 1 active 0 inactive 10',
        '  192.168.0.5:80 Route weight 1 active 0 inactive 10',
      ],
      perf: [live(2), ...rs('rs4_80', 0, 10, 1), ...rs('rs5_80', 0, 10, 1)],
    });
  });
  test('fallback: CRITICAL naming the service, the removed reals in long output', () => {
    expect(first('fallback')).toEqual({
      state: State.CRITICAL,
      summary: 'all real servers down, sorry server serving 192.168.0.3:80',
      long: [
        'CRITICAL: all real servers down, sorry server serving 192.168.0.3:80',
        'tcp:192.168.0.3:80 wlc persistent 3600 s: 1 in the table',
        '  127.0.0.1:80 Route weight 1 active 0 inactive 4',
        '  192.168.0.4:80 removed from the table (failed check, quiescent=no), 192.168.0.5:80 removed from the table (failed check, quiescent=no)',
      ],
      perf: [live(0), ...rs('rs1_80', 0, 4, 1)],
    });
  });
  test('weight 0 by hand: WARNING; service missing from an empty table: CRITICAL, a live count of 0 and nothing else', () => {
    expect(first('weight0')).toEqual({
      state: State.WARNING,
      summary: '1 of 2 real servers live: 192.168.0.5:80 weight 0 (by hand? --drained if on purpose)',
      long: [
        'WARNING: 1 of 2 real servers live: 192.168.0.5:80 weight 0 (by hand? --drained if on purpose)',
        'tcp:192.168.0.3:80 wlc persistent 3600 s: 2 in the table',
        '  192.168.0.4:80 Route weight 1 active 0 inactive 14',
        '  192.168.0.5:80 Route weight 0 active 0 inactive 14',
      ],
      perf: [live(1), ...rs('rs4_80', 0, 14, 1), ...rs('rs5_80', 0, 14, 0)],
    });
    expect(first('empty')).toEqual({
      state: State.CRITICAL,
      summary: 'tcp:192.168.0.3:80 not in the IPVS table (table empty: passive director, or ldirectord not running?)',
      long: ['CRITICAL: tcp:192.168.0.3:80 not in the IPVS table (table empty: passive director, or ldirectord not running?)'],
      perf: [{ label: 't3_80_live', value: 0, min: 0 }],
    });
  });
});

describe('evaluateIpvsCheck: no IPVS, the passive director, HZ from /proc only', () => {
  const c = ipvsDefaults(referenceDeployment);
  const ifs = (who: string) => parseIpAddr(capture(`ip/healthy/${who}/addr`).stdout);
  const missing = 'tcp:192.168.0.3:80 not in the IPVS table (table empty: passive director, or ldirectord not running?)';
  test('no IPVS: CRITICAL with the probe\'s reason, or a plain one', () => {
    expect(evaluateIpvsCheck({ unavailable: 'IPVS not available in this kernel (frontal1: no /proc/net/ip_vs)' }, c)).toEqual({ state: State.CRITICAL, summary: 'IPVS not available in this kernel (frontal1: no /proc/net/ip_vs)' });
    expect(evaluateIpvsCheck({}, c)).toEqual({ state: State.CRITICAL, summary: 'IPVS not available' });
  });
  test('empty table where the VIP is not held (frontal2, or only on a NOARP lo): OK; held, unknown, --role active or --all: judged', () => {
    expect(evaluateIpvsCheck({ snapshot: snap('empty'), interfaces: ifs('frontal2') }, c)).toEqual({
      state: State.OK,
      summary: 'passive director: 192.168.0.3 not held here, no IPVS service expected',
      long: ['tcp:192.168.0.3:80 absent from the table; use --role active where the table must always be loaded'],
      perf: [{ label: 'services', value: 0, min: 0 }],
    });
    expect(evaluateIpvsCheck({ snapshot: snap('empty'), interfaces: ifs('reel2') }, c).state).toBe(State.OK);
    expect(evaluateIpvsCheck({ snapshot: snap('empty'), interfaces: ifs('frontal1') }, c).summary).toBe(missing);
    expect(evaluateIpvsCheck({ snapshot: snap('empty') }, c).summary).toBe(missing);
    expect(evaluateIpvsCheck({ snapshot: snap('empty'), interfaces: ifs('frontal2') }, { ...c, role: 'active' }).summary).toBe(missing);
    // --all takes the table's services: an empty table leaves none, though the deployment has one
    expect(evaluateIpvsCheck({ snapshot: snap('empty'), interfaces: ifs('frontal2') }, { ...c, all: true })).toEqual({
      state: State.UNKNOWN,
      summary: 'no service to check: --all and the IPVS table is empty',
    });
    // a service in the table: no passive-director shortcut, whatever the interfaces say
    expect(evaluateIpvsCheck({ snapshot: snap('reference'), interfaces: ifs('frontal2') }, c).summary).toBe('tcp:192.168.0.3:80: 2 of 2 real servers live');
    // one wanted service in the table, another not: judged, not passive
    expect(evaluateIpvsCheck({ snapshot: snap('reference'), interfaces: ifs('frontal2') }, { ...c, keys: ['tcp:192.168.0.3:80', 'tcp:192.168.0.3:81'] }).summary).toBe('tcp:192.168.0.3:81 not in the IPVS table');
    // a wanted service with no VIP (a mark outside the deployment): judged
    expect(evaluateIpvsCheck({ snapshot: snap('empty'), interfaces: ifs('frontal2') }, { ...c, keys: ['fwm:9'] }).summary).toBe('fwm:9 not in the IPVS table (table empty: passive director, or ldirectord not running?)');
    // two services, two VIPs: both named
    const two = { ...c, services: [www, { ...www, name: 'www2', address: '192.168.0.30' }] };
    expect(evaluateIpvsCheck({ snapshot: snap('empty'), interfaces: ifs('frontal2') }, two)).toEqual({
      state: State.OK,
      summary: 'passive director: 192.168.0.3, 192.168.0.30 not held here, no IPVS service expected',
      long: ['tcp:192.168.0.3:80, tcp:192.168.0.30:80 absent from the table; use --role active where the table must always be loaded'],
      perf: [{ label: 'services', value: 0, min: 0 }],
    });
  });
  test('the HZ note goes with /proc jiffies only (--probe proc), not with ipvsadm\'s seconds', () => {
    const hz = { hz: 1000, origin: '--hz' };
    expect(evaluateIpvsCheck({ snapshot: snap('reference', 1000), hz }, c).summary).toBe('persistent 900 s, configured 3600 s (HZ 1000: --hz)');
    expect(evaluateIpvsCheck({ snapshot: snap('reference', 1000), hz }, { ...c, probe: 'ipvsadm' }).summary).toBe('persistent 900 s, configured 3600 s');
  });
});

describe('evaluateIpvs: each verdict of a service', () => {
  test('nothing to check: UNKNOWN, saying whether the table is empty', () => {
    expect(evaluateIpvs(snap('reference'), [], policy())).toEqual({ state: State.UNKNOWN, summary: 'no service to check (give --service or --all)' });
    expect(evaluateIpvs(snap('empty'), [], policy())).toEqual({ state: State.UNKNOWN, summary: 'no service to check: the deployment has none and the IPVS table is empty' });
    expect(evaluateIpvs(snap('empty'), [], { ...policy(), all: true })).toEqual({ state: State.UNKNOWN, summary: 'no service to check: --all and the IPVS table is empty' });
    expect(evaluateIpvs(snap('reference'), [], { ...policy(), all: true }).summary).toBe('no service to check (give --service or --all)');
  });
  test('configured weight 0 but live: WARNING naming it', () => {
    const r = first('reference', {}, ref({ realServers: [www.realServers[0]!, { ...www.realServers[1]!, weight: 0 }] }));
    expect([r.state, r.summary]).toEqual([State.WARNING, '192.168.0.5:80 weight 1, configured 0 (drained)']);
    expect(r.long!.slice(0, 2)).toEqual(['WARNING: 192.168.0.5:80 weight 1, configured 0 (drained)', 'OK: 2 of 2 real servers live']);
  });
  test('drained and gone from the table: OK, the warning threshold lowered to what is expected', () => {
    const r = first('one-removed', { drained: ['192.168.0.5'] });
    expect(r.state).toBe(State.OK);
    expect(r.summary).toBe('tcp:192.168.0.3:80: 1 of 2 real servers live');
    expect(r.long).toEqual([
      'OK: 1 of 2 real servers live: 192.168.0.5:80 drained (not in the table)',
      'tcp:192.168.0.3:80 wlc persistent 3600 s: 1 in the table',
      '  192.168.0.4:80 Route weight 1 active 0 inactive 16',
      '  drained on purpose: 192.168.0.5:80 drained (not in the table)',
    ]);
    expect(r.perf![0]).toEqual({ label: 't3_80_live', value: 1, warn: parseRange('1:'), crit: parseRange('1:'), min: 0, max: 2 });
  });
  test('gone from the table with quiescent=yes: "missing" (ldirectord would have kept it at weight 0)', () => {
    expect(first('one-removed', {}, ref({ quiescent: true })).summary).toBe('1 of 2 real servers live: 192.168.0.5:80 missing from the table');
  });
  test('persistence drift: not persistent, persistent but not configured, another netmask', () => {
    const https = [{ key: 'tcp:192.168.0.3:443', config: { ...www, port: 443, persistent: 600 } }];
    expect(evaluateIpvs(snap('mixed'), https, policy()).summary).toMatch(/; scheduler rr, configured wlc; not persistent, configured 600 s$/);
    expect(first('reference', {}, ref({ persistent: undefined })).summary).toBe('persistent in the table, not configured');
    expect(first('reference', {}, ref({ persistentNetmask: '255.255.255.0' })).summary).toBe('persistence netmask 255.255.255.255, configured 255.255.255.0');
  });
  test('persistence in jiffies when HZ was not applied; namespace totals from /proc/net/ip_vs_stats', () => {
    const raw: IpvsSnapshot = { table: parseProcIpvs(real('reference', 'proc-net-ip_vs.txt')), source: 'proc' };
    expect(evaluateIpvs(raw, ref(), policy()).long![1]).toBe('tcp:192.168.0.3:80 wlc persistent 900000 jiffies: 2 in the table');
    const totals = parseProcIpvsStats(real('reference', 'proc-net-ip_vs_stats.txt'));
    const perf = (p: Partial<IpvsPolicy>) => evaluateIpvs({ ...snap('reference'), totals }, ref(), policy(p)).perf!.filter((x) => x.label.startsWith('total_'));
    expect(perf({ stats: true, rate: true })).toEqual([
      { label: 'total_cps', value: 1, min: 0 },
      { label: 'total_inbps', value: 540, min: 0 },
      { label: 'total_outbps', value: 0, min: 0 },
      { label: 'total_conns', value: 20, uom: 'c', min: 0 },
    ]);
    expect(perf({ rate: true }).map((x) => x.label)).toEqual(['total_cps', 'total_inbps', 'total_outbps']);
    expect(perf({ stats: true }).map((x) => x.label)).toEqual(['total_conns']);
    expect(perf({})).toEqual([]);
  });
  test('threshold boundaries: 1 of 2 live is 50 %; a percent range alerts below its start only; WARNING by percent under a quiet critical one', () => {
    const st = (p: Partial<IpvsPolicy>) => first('one-removed', { warning: parseRange('1:'), ...p }).state;
    expect(st({ criticalPercent: parseRange('50:') })).toBe(State.OK);
    expect(st({ criticalPercent: parseRange('51:') })).toBe(State.CRITICAL);
    expect(st({ warningPercent: parseRange('50:') })).toBe(State.OK);
    expect(st({ warningPercent: parseRange('51:') })).toBe(State.WARNING);
    expect(st({ criticalPercent: parseRange('50:'), warningPercent: parseRange('51:') })).toBe(State.WARNING);
    expect(st({ warning: parseRange('1:'), critical: parseRange('1:') })).toBe(State.OK);
    expect(st({ warning: parseRange('2:'), critical: parseRange('1:') })).toBe(State.WARNING);
    expect(st({ critical: parseRange('2:') })).toBe(State.CRITICAL);
    // a count threshold beats the WARNING default: CRITICAL wins over a WARNING percent
    expect(st({ critical: parseRange('2:'), warningPercent: parseRange('51:') })).toBe(State.CRITICAL);
  });
  test('the survivors of the first full mutation run: drained names, fallbacks, details, joins', () => {
    // --drained of another real server drains nothing here
    expect(first('weight0', { drained: ['192.168.0.4:81', '192.168.0.9'] }).summary).toBe('1 of 2 real servers live: 192.168.0.5:80 weight 0 (by hand? --drained if on purpose)');
    // drained on purpose, but too few live: WARNING, and no "drained on purpose" line
    const few = first('weight0', { drained: ['192.168.0.5'], warning: parseRange('2:') });
    expect(few.long!.join('\n')).not.toContain('drained on purpose');
    // without a description the fallback (loopback) is neither configured nor live
    const bare = evaluateIpvs(snap('fallback'), [{ key: 'tcp:192.168.0.3:80' }], policy());
    expect([bare.state, bare.summary]).toEqual([State.CRITICAL, 'all real servers down, sorry server serving 192.168.0.3:80']);
    expect(bare.perf![0]).toEqual({ label: 't3_80_live', value: 0, crit: parseRange('1:'), min: 0, max: 0 });
    // every real at weight 0 and no fallback: not "sorry server serving"; both named in the summary
    const zero = snap('weight0');
    zero.table.services[0]!.realServers.forEach((r) => (r.weight = 0));
    expect(evaluateIpvs(zero, ref(), policy()).summary).toBe('0 of 2 real servers live: 192.168.0.4:80 weight 0 (by hand? --drained if on purpose), 192.168.0.5:80 weight 0 (by hand? --drained if on purpose)');
    // ...both drained in the description, thresholds that allow 0: OK, both listed as drained on purpose
    const allDrained = evaluateIpvs(zero, ref({ realServers: www.realServers.map((r) => ({ ...r, weight: 0 })) }), policy({ critical: parseRange('0:') }));
    expect(allDrained.state).toBe(State.OK);
    expect(allDrained.long!.slice(-1)).toEqual(['  drained on purpose: 192.168.0.4:80 drained (weight 0), 192.168.0.5:80 drained (weight 0)']);
    // a fallback at weight 0 is not serving
    const f0 = snap('fallback');
    f0.table.services[0]!.realServers[0]!.weight = 0;
    expect(evaluateIpvs(f0, ref(), policy()).summary).toBe('0 of 2 real servers live: 192.168.0.4:80 removed from the table (failed check, quiescent=no), 192.168.0.5:80 removed from the table (failed check, quiescent=no)');
    // the fallback serving beside a live real server: the live count leads, details in the summary
    const beside = snap('one-removed');
    beside.table.services[0]!.realServers.push({ ...snap('fallback').table.services[0]!.realServers[0]! });
    expect(evaluateIpvs(beside, ref(), policy()).summary).toBe('1 of 2 real servers live: 192.168.0.5:80 removed from the table (failed check, quiescent=no)');
    // only the fallback, but thresholds that allow it: OK, and the details stay in the summary
    const allowed = first('fallback', { critical: parseRange('0:'), warning: parseRange('0:') });
    expect([allowed.state, allowed.summary]).toEqual([State.OK, 'tcp:192.168.0.3:80: 0 of 2 real servers live']);
    expect(allowed.long![0]).toBe('OK: all real servers down, sorry server serving 192.168.0.3:80: 192.168.0.4:80 removed from the table (failed check, quiescent=no), 192.168.0.5:80 removed from the table (failed check, quiescent=no)');
  });
  test('IPv6: addresses of the description normalised, the netmask a prefix length (128 by default, /64 given)', () => {
    const v6 = (persistentNetmask?: string): WantedService[] => [{
      key: 'tcp:[2001:db8::3]:80',
      config: { ...www, address: '2001:0db8::3', scheduler: 'lc', persistent: 300, persistentNetmask, fallback: undefined, realServers: [
        { address: '2001:0DB8:0:0::4', port: 80, weight: 1, forwarding: 'gate' },
        { address: '2001:db8::5', port: 80, weight: 1, forwarding: 'gate' },
      ] },
    }];
    const r = evaluateIpvs(snap('mixed'), v6(), policy());
    expect([r.state, r.summary]).toEqual([State.WARNING, 'persistence netmask 64, configured 128']);
    expect(evaluateIpvs(snap('mixed'), v6('/64'), policy()).summary).toBe('tcp:[2001:db8::3]:80: 2 of 2 real servers live');
    expect(evaluateIpvs(snap('mixed'), v6('64'), policy()).state).toBe(State.OK);
  });
  test('a persistent service with a /24 netmask: only "not configured" when the description has no persistence', () => {
    const t = snap('reference');
    t.table.services[0]!.persistenceNetmask = '255.255.255.0';
    expect(evaluateIpvs(t, ref({ persistent: undefined }), policy()).summary).toBe('persistent in the table, not configured');
    expect(evaluateIpvs(t, ref(), policy()).summary).toBe('persistence netmask 255.255.255.0, configured 255.255.255.255');
  });
  test('a persistent service whose table gives no netmask: no netmask drift', () => {
    const t = snap('reference');
    delete t.table.services[0]!.persistenceNetmask;
    expect(evaluateIpvs(t, ref(), policy()).state).toBe(State.OK);
  });
  test('ipvsadm\'s table (seconds, no /32 mask printed): no HZ note even with one, no netmask drift', () => {
    const t = parseIpvsadmList(real('reference', 'ipvsadm-Ln.txt'));
    if (t.kind !== 'table') throw new Error('not a table');
    const adm: IpvsSnapshot = { table: t.table, source: 'ipvsadm' };
    expect(evaluateIpvs(adm, ref(), policy({ hz: { hz: 1000, origin: '--hz' } })).state).toBe(State.OK);
    expect(evaluateIpvs(adm, ref({ persistent: 600 }), policy({ hz: { hz: 1000, origin: '--hz' } })).summary).toBe('persistent 3600 s, configured 600 s');
  });
  test('fwmark: real servers named by the table port (a NAT fwmark real with a port), missing ones by port 0', () => {
    const t = snap('mixed');
    const f5 = t.table.services.find((s) => s.fwmark === 5)!;
    f5.realServers.forEach((r) => (r.port = 8080));
    const cfg = { ...www, protocol: 'fwm' as const, address: undefined, port: undefined, fwmark: 5, scheduler: 'wrr', persistent: undefined, fallback: undefined, realServers: [
      { address: '192.168.0.4', port: 80, weight: 1, forwarding: 'gate' as const },
      { address: '192.168.0.5', port: 80, weight: 1, forwarding: 'gate' as const },
      { address: '192.168.0.9', port: 80, weight: 1, forwarding: 'gate' as const },
    ] };
    const r = evaluateIpvs(t, [{ key: 'fwm:5', config: cfg }], policy());
    expect(r.long!.slice(0, 2)).toEqual(['WARNING: 2 of 3 real servers live: 192.168.0.9:0 removed from the table (failed check, quiescent=no)', 'WARNING: 192.168.0.4:8080 weight 3, configured 1']);
    // the fallback of a fwmark service is named by its mark
    const fb = snap('mixed');
    const s5 = fb.table.services.find((s) => s.fwmark === 5)!;
    s5.realServers = [{ ...s5.realServers[0]!, address: '127.0.0.1' }];
    expect(evaluateIpvs(fb, [{ key: 'fwm:5' }], policy()).summary).toBe('all real servers down, sorry server serving fwm:5');
  });
  test('a service with no real server: CRITICAL, no fallback either', () => {
    expect(evaluateIpvs(snap('mixed'), [{ key: 'tcp:192.168.0.6:80' }], policy())).toEqual({
      state: State.CRITICAL,
      summary: 'no real server and no fallback',
      long: ['CRITICAL: no real server and no fallback', 'tcp:192.168.0.6:80 wlc: 0 in the table'],
      perf: [{ label: 't6_80_live', value: 0, crit: parseRange('1:'), min: 0, max: 0 }],
    });
  });
});

// ----------------------------------------------------------------- end to end (dist/, bin/)

describeSpawning('bin/check_lvs_ipvs end to end: --root and --probe ipvsadm agree on the same kernel state', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const bin = join(ROOT, 'bin', 'check_lvs_ipvs');
  const env = { ...process.env, LVSHA_CONFIG: '' };
  delete (env as Record<string, string | undefined>).LVSHA_CONFIG;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30000, env });
    return { code: r.status, out: r.stdout };
  };
  const tree = (sc: string) => {
    const d = mkdtempSync(join(tmpdir(), 'lvsha-ipvs-'));
    dirs.push(d);
    mkdirSync(join(d, 'proc', 'net'), { recursive: true });
    copyFileSync(join(REAL, sc, 'proc-net-ip_vs.txt'), join(d, 'proc', 'net', 'ip_vs'));
    copyFileSync(join(REAL, sc, 'proc-net-ip_vs_stats.txt'), join(d, 'proc', 'net', 'ip_vs_stats'));
    // a two-line replay of the captured `ipvsadm -Ln` (and --rate for the rate run)
    const replay = join(d, 'replay.sh');
    writeFileSync(replay, `#!/bin/sh\ncase "$*" in *--rate*) cat '${join(REAL, sc, 'ipvsadm-Ln-rate-exact.txt')}';; *) cat '${join(REAL, sc, 'ipvsadm-Ln.txt')}';; esac\n`);
    chmodSync(replay, 0o755);
    return { d, replay };
  };

  test.each([
    ['reference', 0, 'LVS IPVS OK - tcp:192.168.0.3:80: 2 of 2 real servers live'],
    ['weight0', 1, 'LVS IPVS WARNING - 1 of 2 real servers live: 192.168.0.5:80 weight 0 (by hand? --drained if on purpose)'],
    ['one-removed', 1, 'LVS IPVS WARNING - 1 of 2 real servers live: 192.168.0.5:80 removed from the table (failed check, quiescent=no)'],
    ['fallback', 2, 'LVS IPVS CRITICAL - all real servers down, sorry server serving 192.168.0.3:80'],
    ['ldirectord-fallback', 2, 'LVS IPVS CRITICAL - all real servers down, sorry server serving 192.168.0.3:80'],
    ['empty', 2, 'LVS IPVS CRITICAL - tcp:192.168.0.3:80 not in the IPVS table (table empty: passive director, or ldirectord not running?)', ['--role', 'active']],
    ['mixed', 0, 'LVS IPVS OK - tcp:192.168.0.3:80: 2 of 2 real servers live'],
  ] as [string, number, string, string[]?][])('%s', (sc, code, text, extra = []) => {
    const { d, replay } = tree(sc);
    const proc = run(['--root', d, ...extra]);
    const adm = run(['--probe', 'ipvsadm', '--ipvsadm', replay, ...extra]);
    const line = (o: string) => o.split('\n')[0]!;
    expect(proc.code).toBe(code);
    expect(line(proc.out).split(' | ')[0]).toBe(text);
    expect(adm.code).toBe(proc.code);
    expect(line(adm.out)).toBe(line(proc.out));
  });

  test('-v states the HZ used; --hz overrides it', () => {
    const { d } = tree('reference');
    expect(run(['--root', d, '-v']).out).toContain('HZ 250 (assumed: no readable kernel config, use --hz)');
    mkdirSync(join(d, 'proc', 'sys', 'kernel'), { recursive: true });
    mkdirSync(join(d, 'boot'));
    writeFileSync(join(d, 'proc', 'sys', 'kernel', 'osrelease'), '6.1.0-56-amd64\n');
    writeFileSync(join(d, 'boot', 'config-6.1.0-56-amd64'), 'CONFIG_HZ_1000=y\nCONFIG_HZ=1000\n');
    const r = run(['--root', d, '-v']);
    expect(r.out).toContain('HZ 1000 (CONFIG_HZ=1000 in /boot/config-6.1.0-56-amd64)');
    expect(r.out.split('\n')[0]).toContain('persistent 900 s, configured 3600 s');
    expect(run(['--root', d, '--hz', '250']).code).toBe(0);
  });

  test('--rate: per-service rates (ipvsadm) vs namespace totals (/proc)', () => {
    const { d, replay } = tree('reference');
    expect(run(['--probe', 'ipvsadm', '--ipvsadm', replay, '--rate']).out.split('\n')[0]).toMatch(/ t3_80_cps=\d+;;;0 t3_80_inbps=\d+;;;0 t3_80_outbps=\d+;;;0/);
    expect(run(['--root', d, '--rate']).out.split('\n')[0]).toMatch(/ total_cps=\d+;;;0 total_inbps=\d+;;;0 total_outbps=\d+;;;0$/);
  });

  test('empty table: OK on the passive director, CRITICAL where the VIP is held (--role auto)', () => {
    const { d } = tree('empty');
    const ipReplay = (who: string) => {
      const f = join(d, `ip-${who}.sh`);
      writeFileSync(f, `#!/bin/sh\ncat '${join(ROOT, 'test', 'fixtures', 'real', 'ip', 'healthy', who, 'addr.stdout')}'\n`);
      chmodSync(f, 0o755);
      return f;
    };
    const passive = run(['--root', d, '--ip', ipReplay('frontal2')]);
    expect(passive.code).toBe(0);
    expect(passive.out.split('\n')[0]).toBe('LVS IPVS OK - passive director: 192.168.0.3 not held here, no IPVS service expected | services=0;;;0');
    const active = run(['--root', d, '--ip', ipReplay('frontal1')]);
    expect(active.code).toBe(2);
    expect(active.out.split('\n')[0]).toMatch(/^LVS IPVS CRITICAL - tcp:192\.168\.0\.3:80 not in the IPVS table/);
  });

  test('no /proc/net/ip_vs: CRITICAL, IPVS not available', () => {
    const d = mkdtempSync(join(tmpdir(), 'lvsha-ipvs-'));
    dirs.push(d);
    const r = run(['--root', d]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('LVS IPVS CRITICAL - IPVS not available in this kernel (localhost: no /proc/net/ip_vs)\n');
  });

  test('ipvsadm without kernel IPVS (message measured on the host): CRITICAL; other failures UNKNOWN', () => {
    const d = mkdtempSync(join(tmpdir(), 'lvsha-ipvs-'));
    dirs.push(d);
    const noIpvs = join(d, 'noipvs.sh');
    writeFileSync(noIpvs, "#!/bin/sh\necho \"Can't initialize ipvs: Protocol not available\" >&2\necho 'Are you sure that IP Virtual Server is built in the kernel or as module?' >&2\nexit 2\n");
    chmodSync(noIpvs, 0o755);
    const r = run(['--probe', 'ipvsadm', '--ipvsadm', noIpvs]);
    expect(r.code).toBe(2);
    expect(r.out.split('\n')[0]).toBe('LVS IPVS CRITICAL - IPVS not available in this kernel (localhost: ipvsadm: Protocol not available)');
    const missing = run(['--probe', 'ipvsadm', '--ipvsadm', join(d, 'nope')]);
    expect(missing.code).toBe(3);
    expect(run(['--service', 'tcp:nope']).code).toBe(3);
  });

  test('--help documents the threshold syntax', () => {
    const h = run(['--help']);
    expect(h.code).toBe(3);
    expect(h.out).toContain('--warning-percent');
    expect(h.out).toContain('ranges of counts');
  });
});
