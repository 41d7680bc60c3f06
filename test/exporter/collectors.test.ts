import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BACKEND_LABELS, Collector, ScrapeEnv } from '../../src/exporter/collector';
import { collectorsFor } from '../../src/exporter/collectors';
import { arpCollector } from '../../src/exporter/collectors/arp';
import { heartbeatCollector } from '../../src/exporter/collectors/heartbeat';
import { ipvsCollector } from '../../src/exporter/collectors/ipvs';
import { sorryCollector } from '../../src/exporter/collectors/sorry';
import { syncCollector } from '../../src/exporter/collectors/sync';
import { vipCollector } from '../../src/exporter/collectors/vip';
import { renderChunks, renderRegistry } from '../../src/exporter/metrics';
import { scrape } from '../../src/exporter/scrape';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { LocalSource } from '../../src/sources/local';
import { MemoSource } from '../../src/sources/memo';
import { RootSource } from '../../src/sources/root';
import { freePort } from '../helpers/sshd';
import { get, Lab, LabOptions, lint, makeLab, ofMetric, series, sortedSamples } from './lab';

// Each collector on REAL captures: a --root tree from test/fixtures/real/ipvs/<scenario>
// and replay scripts printing real cl_status / ip / ipvsadm / ss output.

const labs: Lab[] = [];
afterAll(() => labs.forEach((l) => l.cleanup()));

function envFor(lab: Lab, extra: Partial<ScrapeEnv> = {}): ScrapeEnv {
  const src = new MemoSource(new RootSource(lab.root, new LocalSource()));
  return {
    source: src,
    sourceFor: () => src,
    deployment: referenceDeployment,
    deadline: Date.now() + 20000,
    programs: lab.programs,
    backendLabels: [...BACKEND_LABELS],
    ...extra,
  };
}

async function run(collectors: Collector[], o: LabOptions, extra: Partial<ScrapeEnv> = {}) {
  const lab = makeLab(o);
  labs.push(lab);
  const logs: string[] = [];
  const reg = await scrape({ collectors, checks: [] }, envFor(lab, extra), (m) => logs.push(m));
  const text = await renderRegistry(reg);
  // What the exporter serves (UTF-8 chunks) is the same text, byte for byte.
  const served = await renderChunks(reg);
  expect(Buffer.concat(served.chunks).toString('utf8')).toBe(text);
  expect(served.bytes).toBe(Buffer.byteLength(text));
  return { text, s: sortedSamples(text), logs, lab };
}


const B = (la: string, lp: number | string, ra: string, rp: number | string, proto: string, mark = '') => ({
  local_address: la,
  local_port: String(lp),
  remote_address: ra,
  remote_port: String(rp),
  proto,
  local_mark: mark,
});
const S = (la: string, lp: number | string, proto: string, mark = '') => ({ local_address: la, local_port: String(lp), proto, local_mark: mark });

describe('ipvs collector', () => {
  test('reference: both real servers, counters from ip_vs_stats (hex), no fallback', async () => {
    const { s, text } = await run([ipvsCollector], { ipvs: 'reference' });
    expect(s.get(series('lvsha_probe_success', { probe: 'ipvs' }))).toBe(1);
    for (const ra of ['192.168.0.4', '192.168.0.5']) {
      expect(s.get(series('lvsha_ipvs_backend_weight', B('192.168.0.3', 80, ra, 80, 'TCP')))).toBe(1);
      expect(s.get(series('lvsha_ipvs_backend_connections_active', B('192.168.0.3', 80, ra, 80, 'TCP')))).toBe(0);
      expect(s.get(series('lvsha_ipvs_backend_connections_inactive', B('192.168.0.3', 80, ra, 80, 'TCP')))).toBe(10);
    }
    // proc-net-ip_vs_stats.txt: `14 78 0 1EDC 0` in hex.
    expect(s.get('lvsha_ipvs_connections_total')).toBe(0x14);
    expect(s.get('lvsha_ipvs_incoming_packets_total')).toBe(0x78);
    expect(s.get('lvsha_ipvs_outgoing_packets_total')).toBe(0);
    expect(s.get('lvsha_ipvs_incoming_bytes_total')).toBe(0x1edc);
    expect(s.get('lvsha_ipvs_outgoing_bytes_total')).toBe(0);
    expect(text).toMatch(/^# TYPE lvsha_ipvs_connections_total counter$/m);
    expect(s.get(series('lvsha_ipvs_service_live_backends', S('192.168.0.3', 80, 'TCP')))).toBe(2);
    expect(s.get(series('lvsha_ipvs_service_backends', S('192.168.0.3', 80, 'TCP')))).toBe(2);
    expect(s.get(series('lvsha_ipvs_fallback_engaged', S('192.168.0.3', 80, 'TCP')))).toBe(0);
    // /proc has no per-service counters: none are invented.
    expect(text).not.toContain('lvsha_ipvs_service_connections_total');
    expect(text).not.toContain('lvsha_ipvs_backend_connections_total');
    lint(text);
  });

  test('fallback: only the deployment fallback 127.0.0.1:80 left → fallback_engaged 1, live 0', async () => {
    const { s, text } = await run([ipvsCollector], { ipvs: 'fallback' });
    expect(s.get(series('lvsha_ipvs_fallback_engaged', S('192.168.0.3', 80, 'TCP')))).toBe(1);
    expect(s.get(series('lvsha_ipvs_service_live_backends', S('192.168.0.3', 80, 'TCP')))).toBe(0);
    expect(s.get(series('lvsha_ipvs_service_backends', S('192.168.0.3', 80, 'TCP')))).toBe(0);
    // The fallback is still a backend of the table, with node_exporter's labels.
    expect(s.get(series('lvsha_ipvs_backend_weight', B('192.168.0.3', 80, '127.0.0.1', 80, 'TCP')))).toBe(1);
    expect(s.get(series('lvsha_ipvs_backend_connections_inactive', B('192.168.0.3', 80, '127.0.0.1', 80, 'TCP')))).toBe(4);
    expect(s.get('lvsha_ipvs_connections_total')).toBe(0x22);
    lint(text);
  });

  test('ldirectord-fallback scenario and a table without the deployment fallback', async () => {
    const { s } = await run([ipvsCollector], { ipvs: 'ldirectord-fallback' });
    expect(s.get(series('lvsha_ipvs_fallback_engaged', S('192.168.0.3', 80, 'TCP')))).toBe(1);
    // A deployment whose fallback is elsewhere: 127.0.0.1 is then a real server like any other.
    const other: Deployment = { ...referenceDeployment, services: referenceDeployment.services.map((v) => ({ ...v, fallback: { address: '10.9.9.9', port: 80 } })) };
    const r2 = await run([ipvsCollector], { ipvs: 'fallback' }, { deployment: other });
    expect(r2.s.get(series('lvsha_ipvs_fallback_engaged', S('192.168.0.3', 80, 'TCP')))).toBe(0);
    expect(r2.s.get(series('lvsha_ipvs_service_live_backends', S('192.168.0.3', 80, 'TCP')))).toBe(1);
  });

  test('mixed: FWM, IPv6 and SCTP services give distinct, correctly labelled series (no folding, no duplicates)', async () => {
    const { s, text } = await run([ipvsCollector], { ipvs: 'mixed' });
    // SCTP 192.168.0.3:3868 (0F1C) keeps its own service: node_exporter folds it into TCP :8080.
    for (const ra of ['192.168.0.4', '192.168.0.5']) expect(s.get(series('lvsha_ipvs_backend_weight', B('192.168.0.3', 3868, ra, 3868, 'SCTP')))).toBe(1);
    expect(ofMetric(s, 'lvsha_ipvs_backend_weight').filter((k) => k.includes('local_port="8080"') && k.includes('remote_port="3868"'))).toEqual([]);
    expect(s.get(series('lvsha_ipvs_service_live_backends', S('192.168.0.3', 3868, 'SCTP')))).toBe(2);
    // FWM 5 (IPv4 reals) and FWM 6 (IPv6 real): local_address "", local_port "0", mark as /proc prints it.
    expect(s.get(series('lvsha_ipvs_backend_weight', B('', 0, '192.168.0.4', 0, 'FWM', '00000005')))).toBe(3);
    expect(s.get(series('lvsha_ipvs_backend_weight', B('', 0, '192.168.0.5', 0, 'FWM', '00000005')))).toBe(1);
    expect(s.get(series('lvsha_ipvs_backend_connections_inactive', B('', 0, '192.168.0.4', 0, 'FWM', '00000005')))).toBe(3);
    expect(s.get(series('lvsha_ipvs_backend_weight', B('', 0, '2001:db8::4', 0, 'FWM', '00000006')))).toBe(1);
    // IPv6 in RFC 5952 form, like node_exporter.
    expect(s.get(series('lvsha_ipvs_backend_connections_inactive', B('2001:db8::3', 80, '2001:db8::5', 80, 'TCP')))).toBe(4);
    expect(s.get(series('lvsha_ipvs_backend_weight', B('2001:db8::3', 53, '2001:db8::5', 53, 'UDP')))).toBe(2);
    // The IPv4 UDP :53 service and the IPv6 one do not collide.
    expect(s.get(series('lvsha_ipvs_service_live_backends', S('192.168.0.3', 53, 'UDP')))).toBe(2);
    expect(s.get(series('lvsha_ipvs_service_live_backends', S('2001:db8::3', 53, 'UDP')))).toBe(1);
    // A service without real servers: no backend series, but the service is visible.
    expect(s.get(series('lvsha_ipvs_service_backends', S('192.168.0.6', 80, 'TCP')))).toBe(0);
    expect(ofMetric(s, 'lvsha_ipvs_backend_weight').filter((k) => k.includes('192.168.0.6'))).toEqual([]);
    // Weight 0 (mh :25 192.168.0.5) is not live.
    expect(s.get(series('lvsha_ipvs_backend_weight', B('192.168.0.3', 25, '192.168.0.5', 25, 'TCP')))).toBe(0);
    expect(s.get(series('lvsha_ipvs_service_live_backends', S('192.168.0.3', 25, 'TCP')))).toBe(1);
    // 26 real server rows in /proc/net/ip_vs: 26 distinct series per backend family, no duplicate lines.
    expect(ofMetric(s, 'lvsha_ipvs_backend_weight')).toHaveLength(26);
    expect(ofMetric(s, 'lvsha_ipvs_service_live_backends')).toHaveLength(18);
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(new Set(lines.map((l) => l.slice(0, l.lastIndexOf(' ')))).size).toBe(lines.length);
    lint(text);
  });

  test('series in label-value order as node_exporter writes them, not the kernel hash order (real mixed capture)', async () => {
    const { text } = await run([ipvsCollector], { ipvs: 'mixed' });
    const NAMES = ['local_address', 'local_mark', 'local_port', 'proto', 'remote_address', 'remote_port'];
    const keyOf = (line: string) => NAMES.map((n) => new RegExp(`[{,]${n}="([^"]*)"`).exec(line)?.[1] ?? '');
    const cmp = (a: string[], b: string[]) => {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
      return 0;
    };
    for (const family of ['lvsha_ipvs_backend_weight', 'lvsha_ipvs_backend_connections_inactive', 'lvsha_ipvs_service_backends']) {
      const keys = text.split('\n').filter((l) => l.startsWith(`${family}{`)).map(keyOf);
      expect(keys.length).toBeGreaterThan(15);
      expect(keys).toEqual([...keys].sort(cmp));
    }
    // The kernel listed 192.168.0.5 before .4 in :80, and :143 first: sorted, FWM (no address) first, then .4 before .5.
    const w = text.split('\n').filter((l) => l.startsWith('lvsha_ipvs_backend_weight{')).map(keyOf);
    expect(w[0]!.slice(0, 2)).toEqual(['', '00000005']);
    const p80 = w.filter((k) => k[0] === '192.168.0.3' && k[2] === '80').map((k) => k[4]);
    expect(p80).toEqual(['192.168.0.4', '192.168.0.5']);
  });

  test('--ipvs-backend-labels: dropped labels aggregate connections by sum; the weight is not emitted', async () => {
    const { s, text } = await run([ipvsCollector], { ipvs: 'mixed' }, { backendLabels: ['local_address', 'local_port', 'proto'] });
    expect(text).not.toContain('lvsha_ipvs_backend_weight');
    // 192.168.0.3:443 (Masq): inactive 2 + 2.
    expect(s.get(series('lvsha_ipvs_backend_connections_inactive', { local_address: '192.168.0.3', local_port: '443', proto: 'TCP' }))).toBe(4);
    // FWM 5: 3 + 1; FWM 6 separate (its own local_address "" / port "0" / FWM set is shared: summed).
    expect(s.get(series('lvsha_ipvs_backend_connections_inactive', { local_address: '', local_port: '0', proto: 'FWM' }))).toBe(4);
    expect(s.get(series('lvsha_ipvs_backend_connections_inactive', { local_address: '2001:db8::3', local_port: '80', proto: 'TCP' }))).toBe(4);
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(new Set(lines.map((l) => l.slice(0, l.lastIndexOf(' ')))).size).toBe(lines.length);
    // Service-level series keep the full service labels.
    expect(s.get(series('lvsha_ipvs_service_live_backends', S('', 0, 'FWM', '00000005')))).toBe(2);
    lint(text);
  });

  test('--ipvs-probe ipvsadm: per-service and per-backend counters from ipvsadm -Ln --stats --exact', async () => {
    const { s, text, lab } = await run([ipvsCollector], { ipvs: 'mixed' }, { ipvsProbe: 'ipvsadm' });
    expect(lab.calls('ipvsadm')).toEqual(expect.arrayContaining(['-Ln', '-Ln --stats --exact']));
    expect(s.get(series('lvsha_ipvs_service_connections_total', S('192.168.0.3', 443, 'TCP')))).toBe(4);
    expect(s.get(series('lvsha_ipvs_service_outgoing_bytes_total', S('192.168.0.3', 443, 'TCP')))).toBe(2132);
    expect(s.get(series('lvsha_ipvs_backend_incoming_bytes_total', B('192.168.0.3', 443, '192.168.0.4', 443, 'TCP')))).toBe(798);
    expect(s.get(series('lvsha_ipvs_backend_connections_total', B('192.168.0.3', 80, '192.168.0.5', 80, 'TCP')))).toBe(4);
    // Same table as /proc: same backend series.
    expect(s.get(series('lvsha_ipvs_backend_weight', B('', 0, '192.168.0.4', 0, 'FWM', '00000005')))).toBe(3);
    expect(s.get(series('lvsha_ipvs_backend_weight', B('192.168.0.3', 3868, '192.168.0.5', 3868, 'SCTP')))).toBe(1);
    // Totals still from /proc/net/ip_vs_stats.
    expect(s.get('lvsha_ipvs_connections_total')).toBe(20);
    expect(text).toMatch(/^# TYPE lvsha_ipvs_service_connections_total counter$/m);
    lint(text);
  });

  test('no IPVS in the kernel (no /proc/net/ip_vs): probe_success 0, a clear log line, the rest served', async () => {
    const { s, logs, text } = await run([ipvsCollector, vipCollector], { ipAddr: 'ip/healthy/frontal1/addr' });
    expect(s.get(series('lvsha_probe_success', { probe: 'ipvs' }))).toBe(0);
    expect(s.get(series('lvsha_probe_success', { probe: 'vip' }))).toBe(1);
    expect(logs.join('\n')).toMatch(/probe ipvs failed: IPVS not available in this kernel \(localhost: no \/proc\/net\/ip_vs\)/);
    expect(text).not.toContain('lvsha_ipvs_backend');
    lint(text);
  });

  test('one label set, one series: services sharing their labels, a real server listed twice, a long service', async () => {
    // HAND-WRITTEN table (not a capture: the lab's kernel lists no real server twice), in the
    // layout of test/fixtures/real/ipvs/mixed: FWM 7 twice (IPv4, then a service whose IPv6
    // real server makes it inet6) sharing local_address "" / local_port "0" / FWM / mark, with
    // 192.168.0.4 in both; TCP :81 with 40 rows, row 37 repeating row 0.
    const lab = makeLab({ ipvs: 'mixed' });
    labs.push(lab);
    const r4 = (hex: string, port: string, w: number, act: number, inact: number) => `  -> ${hex}:${port}      Route   ${String(w).padEnd(6)} ${String(act).padEnd(10)} ${String(inact).padEnd(10)}`;
    const long = Array.from({ length: 40 }, (_, k) => r4(`C0A801${(k % 37).toString(16).toUpperCase().padStart(2, '0')}`, '0051', 1 + (k % 3), k, 2 * k));
    const table = [
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port Forward Weight ActiveConn InActConn',
      'FWM  00000007 wlc  ',
      r4('C0A80004', '0000', 1, 1, 2),
      r4('C0A80005', '0000', 2, 0, 0),
      r4('C0A80004', '0000', 9, 9, 9),
      'FWM  00000007 rr  ',
      '  -> [2001:0db8:0000:0000:0000:0000:0000:0004]:0000      Route   1      0          0         ',
      r4('C0A80004', '0000', 5, 5, 5),
      'TCP  C0A80003:0051 wlc  ',
      ...long,
      '',
    ].join('\n');
    writeFileSync(join(lab.root, 'proc', 'net', 'ip_vs'), table);
    const src = new MemoSource(new RootSource(lab.root, new LocalSource()));
    const reg = await scrape({ collectors: [ipvsCollector], checks: [] }, { source: src, sourceFor: () => src, deployment: referenceDeployment, deadline: Date.now() + 20000, programs: {}, backendLabels: [...BACKEND_LABELS] });
    const text = await renderRegistry(reg);
    const s = sortedSamples(text);
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(new Set(lines.map((l) => l.slice(0, l.lastIndexOf(' ')))).size).toBe(lines.length);
    // The first row of a label set wins, in every backend family.
    expect(s.get(series('lvsha_ipvs_backend_weight', B('', 0, '192.168.0.4', 0, 'FWM', '00000007')))).toBe(1);
    expect(s.get(series('lvsha_ipvs_backend_connections_inactive', B('', 0, '192.168.0.4', 0, 'FWM', '00000007')))).toBe(2);
    expect(s.get(series('lvsha_ipvs_backend_weight', B('', 0, '2001:db8::4', 0, 'FWM', '00000007')))).toBe(1);
    expect(ofMetric(s, 'lvsha_ipvs_backend_weight').filter((k) => k.includes('00000007'))).toHaveLength(3);
    // Per service, repeated rows are not counted again: 2 + 1 real servers under the shared labels.
    expect(s.get(series('lvsha_ipvs_service_backends', S('', 0, 'FWM', '00000007')))).toBe(3);
    // 40 rows, 37 distinct real servers; the repeated ones keep their first row's values.
    expect(ofMetric(s, 'lvsha_ipvs_backend_connections_active').filter((k) => k.includes('local_port="81"'))).toHaveLength(37);
    expect(s.get(series('lvsha_ipvs_backend_connections_active', B('192.168.0.3', 81, '192.168.1.1', 81, 'TCP')))).toBe(1);
    expect(s.get(series('lvsha_ipvs_service_backends', S('192.168.0.3', 81, 'TCP')))).toBe(37);
    lint(text);
  });
});

describe('vip collector (local view only)', () => {
  test('healthy frontal1 holds 192.168.0.3 on eth0; frontal2 does not', async () => {
    const a = await run([vipCollector], { ipAddr: 'ip/healthy/frontal1/addr' });
    expect(a.s.get(series('lvsha_vip_held', { vip: '192.168.0.3', interface: 'eth0' }))).toBe(1);
    const b = await run([vipCollector], { ipAddr: 'ip/healthy/frontal2/addr' });
    expect(b.s.get(series('lvsha_vip_held', { vip: '192.168.0.3', interface: 'eth0' }))).toBe(0);
    lint(a.text);
    lint(b.text);
  });

  test('split brain: both directors report 1 (sum by vip = 2); a real server with the VIP on lo does not hold it', async () => {
    const f1 = await run([vipCollector], { ipAddr: 'ip/split-brain/frontal1/addr' });
    const f2 = await run([vipCollector], { ipAddr: 'ip/split-brain/frontal2/addr' });
    const sum = (x: Map<string, number>) => ofMetric(x, 'lvsha_vip_held').reduce((n, k) => n + x.get(k)!, 0);
    expect(sum(f1.s) + sum(f2.s)).toBe(2);
    const r = await run([vipCollector], { ipAddr: 'ip/healthy/reel1/addr' });
    expect(sum(r.s)).toBe(0);
  });
});

describe('heartbeat collector', () => {
  test('healthy: up, both nodes active, links, timings (lab ha.cf: keepalive 1, warntime 3, deadtime 5)', async () => {
    const { s, text } = await run([heartbeatCollector], { heartbeat: ['heartbeat/healthy/frontal1'] });
    expect(s.get('lvsha_heartbeat_up')).toBe(1);
    expect(s.get(series('lvsha_heartbeat_daemon_state', { state: 'running' }))).toBe(1);
    expect(s.get(series('lvsha_heartbeat_daemon_state', { state: 'stopped' }))).toBe(0);
    expect(s.get(series('lvsha_heartbeat_node_up', { node: 'frontal2', type: 'normal' }))).toBe(1);
    expect(s.get(series('lvsha_heartbeat_node_status', { node: 'frontal2', state: 'active' }))).toBe(1);
    expect(s.get(series('lvsha_heartbeat_node_status', { node: 'frontal2', state: 'dead' }))).toBe(0);
    expect(s.get(series('lvsha_heartbeat_link_up', { node: 'frontal2', link: 'eth0' }))).toBe(1);
    expect(s.get('lvsha_heartbeat_keepalive_seconds')).toBe(1);
    expect(s.get('lvsha_heartbeat_warntime_seconds')).toBe(3);
    expect(s.get('lvsha_heartbeat_deadtime_seconds')).toBe(5);
    lint(text);
  });

  test('peer dead (frontal2 after frontal1 crashed): node_up 0, its link dead', async () => {
    const { s } = await run([heartbeatCollector], { heartbeat: ['heartbeat/peer-dead/frontal2'] });
    expect(s.get('lvsha_heartbeat_up')).toBe(1);
    expect(s.get(series('lvsha_heartbeat_node_up', { node: 'frontal1', type: 'normal' }))).toBe(0);
    expect(s.get(series('lvsha_heartbeat_node_status', { node: 'frontal1', state: 'dead' }))).toBe(1);
    expect(s.get(series('lvsha_heartbeat_link_up', { node: 'frontal1', link: 'eth0' }))).toBe(0);
  });

  test('stopped: up 0, state stopped, no node series; the probe itself succeeded', async () => {
    const { s, text } = await run([heartbeatCollector], { heartbeat: ['heartbeat/stopped/frontal1'] });
    expect(s.get(series('lvsha_probe_success', { probe: 'heartbeat' }))).toBe(1);
    expect(s.get('lvsha_heartbeat_up')).toBe(0);
    expect(s.get(series('lvsha_heartbeat_daemon_state', { state: 'stopped' }))).toBe(1);
    expect(text).not.toContain('lvsha_heartbeat_node_up');
    lint(text);
  });

  test('cl_status missing: probe_success 0', async () => {
    const { s } = await run([heartbeatCollector], {}, { programs: { 'cl-status': '/nonexistent/cl_status' } });
    expect(s.get(series('lvsha_probe_success', { probe: 'heartbeat' }))).toBe(0);
  });
});

describe('sync collector', () => {
  test('both daemons (syncid 1) and the reference connection table (LOCAL)', async () => {
    const { s, text } = await run([syncCollector], { ipvs: 'reference', daemon: 'sync-daemon/ipvsadm-L-daemon.both.txt' });
    expect(s.get(series('lvsha_sync_daemon_running', { role: 'master' }))).toBe(1);
    expect(s.get(series('lvsha_sync_daemon_running', { role: 'backup' }))).toBe(1);
    expect(s.get(series('lvsha_sync_daemon_syncid', { role: 'master' }))).toBe(1);
    expect(s.get(series('lvsha_ipvs_sync_connections', { origin: 'LOCAL', state: 'FIN_WAIT' }))).toBe(20);
    expect(s.get(series('lvsha_ipvs_sync_connections', { origin: 'SYNC', state: 'ESTABLISHED' }))).toBe(0);
    expect(s.get(series('lvsha_ipvs_sync_templates', { origin: 'LOCAL' }))).toBe(4);
    lint(text);
  });

  test('sync-backup: only the backup daemon, every entry SYNC', async () => {
    const { s } = await run([syncCollector], { ipvs: 'sync-backup' });
    expect(s.get(series('lvsha_sync_daemon_running', { role: 'master' }))).toBe(0);
    expect(s.get(series('lvsha_sync_daemon_running', { role: 'backup' }))).toBe(1);
    expect(ofMetric(s, 'lvsha_sync_daemon_syncid')).toEqual([series('lvsha_sync_daemon_syncid', { role: 'backup' })]);
    expect(s.get(series('lvsha_ipvs_sync_connections', { origin: 'SYNC', state: 'FIN_WAIT' }))).toBe(12);
    expect(s.get(series('lvsha_ipvs_sync_templates', { origin: 'SYNC' }))).toBe(4);
    expect(s.get(series('lvsha_ipvs_sync_connections', { origin: 'LOCAL', state: 'ESTABLISHED' }))).toBe(0);
  });

  test('no daemon (empty -L --daemon): both roles 0', async () => {
    const { s } = await run([syncCollector], { ipvs: 'reference' });
    expect(s.get(series('lvsha_sync_daemon_running', { role: 'master' }))).toBe(0);
    expect(s.get(series('lvsha_sync_daemon_running', { role: 'backup' }))).toBe(0);
  });
});

describe('arp collector (realserver module)', () => {
  test('reel1 with arp_ignore=1 / arp_announce=2 on all and lo, VIP on lo, listening on *:80: no leak', async () => {
    const { s, text } = await run([arpCollector], { ipAddr: 'ip/healthy/reel1/addr', sysctl: 'sysctl/correct', ssTcp: 'ss/listening-any/reel1/ltn' });
    expect(s.get(series('lvsha_probe_success', { probe: 'arp' }))).toBe(1);
    expect(s.get(series('lvsha_arp_ignore', { interface: 'eth0' }))).toBe(1);
    expect(s.get(series('lvsha_arp_announce', { interface: 'eth0' }))).toBe(2);
    expect(s.get(series('lvsha_arp_vip_on_lo', { vip: '192.168.0.3' }))).toBe(1);
    expect(s.get(series('lvsha_arp_leak', { vip: '192.168.0.3' }))).toBe(0);
    expect(s.get(series('lvsha_service_listening', { vip: '192.168.0.3', port: '80', proto: 'tcp' }))).toBe(1);
    lint(text);
  });

  test('kernel defaults (0/0) with the VIP on lo: leak 1', async () => {
    const { s } = await run([arpCollector], { ipAddr: 'ip/healthy/reel1/addr', sysctl: 'sysctl/defaults', ssTcp: 'ss/listening-any/reel1/ltn' });
    expect(s.get(series('lvsha_arp_ignore', { interface: 'eth0' }))).toBe(0);
    expect(s.get(series('lvsha_arp_leak', { vip: '192.168.0.3' }))).toBe(1);
  });

  test('lo-only settings: effective value on eth0 is max(all, eth0) = 0: leak', async () => {
    const { s } = await run([arpCollector], { ipAddr: 'ip/healthy/reel1/addr', sysctl: 'sysctl/lo-only', ssTcp: 'ss/listening-any/reel1/ltn' });
    expect(s.get(series('lvsha_arp_leak', { vip: '192.168.0.3' }))).toBe(1);
  });

  test('a real server without the VIP: not on lo, no leak, and not listening when nothing is bound', async () => {
    const { s } = await run([arpCollector], { ipAddr: 'ip/real-without-vip/reel2/addr', sysctl: 'sysctl/correct', ssTcp: 'ss/not-listening/reel2/ltn' });
    expect(s.get(series('lvsha_arp_vip_on_lo', { vip: '192.168.0.3' }))).toBe(0);
    expect(s.get(series('lvsha_arp_leak', { vip: '192.168.0.3' }))).toBe(0);
    expect(s.get(series('lvsha_service_listening', { vip: '192.168.0.3', port: '80', proto: 'tcp' }))).toBe(0);
  });
});

describe('sorry collector', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/down') res.writeHead(503, { 'Content-Type': 'text/html' }).end('<h1>maintenance</h1>');
      else res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>Site en maintenance</h1>\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  test('a page on loopback: up 1, status 200, length, duration', async () => {
    const { s, text, logs } = await run([sorryCollector], {}, { target: `http://127.0.0.1:${port}/` });
    expect(logs).toEqual([]);
    expect(s.get('lvsha_sorry_up')).toBe(1);
    expect(s.get('lvsha_sorry_http_status_code')).toBe(200);
    expect(s.get('lvsha_sorry_content_length_bytes')).toBe(Buffer.byteLength('<h1>Site en maintenance</h1>\n'));
    expect(s.get('lvsha_sorry_duration_seconds')).toBeGreaterThan(0);
    expect(s.get(series('lvsha_sorry_failure', { kind: 'none' }))).toBe(1);
    lint(text);
  });

  test('503: up 0 with the status; refused: up 0, status 0, failure kind refused, probe still successful', async () => {
    const a = await run([sorryCollector], {}, { target: `http://127.0.0.1:${port}/down` });
    expect(a.s.get('lvsha_sorry_up')).toBe(0);
    expect(a.s.get('lvsha_sorry_http_status_code')).toBe(503);
    const closed = await freePort();
    const b = await run([sorryCollector], {}, { target: `http://127.0.0.1:${closed}/` });
    expect(b.s.get(series('lvsha_probe_success', { probe: 'sorry' }))).toBe(1);
    expect(b.s.get('lvsha_sorry_up')).toBe(0);
    expect(b.s.get('lvsha_sorry_http_status_code')).toBe(0);
    expect(b.s.get(series('lvsha_sorry_failure', { kind: 'refused' }))).toBe(1);
    expect(b.text).not.toContain('lvsha_sorry_content_length_bytes');
    lint(b.text);
  });
});

test('the registry: director = ipvs, vip, heartbeat, sync; realserver = arp; sorry = sorry', () => {
  expect(collectorsFor('director').map((c) => c.name)).toEqual(['ipvs', 'vip', 'heartbeat', 'sync']);
  expect(collectorsFor('realserver').map((c) => c.name)).toEqual(['arp']);
  expect(collectorsFor('sorry').map((c) => c.name)).toEqual(['sorry']);
});

// node_exporter is the reference for label names AND values: run Debian's
// prometheus-node-exporter on the same tree (loopback only) and compare.
const nodeExporter = '/usr/bin/prometheus-node-exporter';
(existsSync(nodeExporter) ? describe : describe.skip)('same series as node_exporter 1.5 (prefix renamed), except its SCTP folding', () => {
  test('mixed scenario', async () => {
    const lab = makeLab({ ipvs: 'mixed' });
    labs.push(lab);
    const port = await freePort();
    const child = spawn(nodeExporter, [`--path.procfs=${lab.root}/proc`, '--collector.disable-defaults', '--collector.ipvs', `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    try {
      let body = '';
      for (let i = 0; i < 50 && !body; i++) {
        await new Promise((r) => setTimeout(r, 100));
        body = await get(port, '/metrics', {}, 2000).then(
          (r) => r.body,
          () => '',
        );
      }
      const theirs = sortedSamples(body.replace(/^node_ipvs_/gm, 'lvsha_ipvs_'));
      const ours = sortedSamples((await run([ipvsCollector], { ipvs: 'mixed' })).text);
      const families = ['lvsha_ipvs_backend_weight', 'lvsha_ipvs_backend_connections_active', 'lvsha_ipvs_backend_connections_inactive'];
      // node_exporter lists the SCTP service's real servers under TCP :8080 (the service before it in /proc).
      const folded = (k: string) => k.includes('local_port="8080"') && k.includes('remote_port="3868"');
      const sctp = (k: string) => k.includes('proto="SCTP"');
      for (const f of families) {
        const t = ofMetric(theirs, f).filter((k) => !folded(k));
        const o = ofMetric(ours, f).filter((k) => !sctp(k));
        expect(o.sort()).toEqual(t.sort());
        for (const k of o) expect([k, ours.get(k)]).toEqual([k, theirs.get(k)]);
        expect(ofMetric(theirs, f).filter(folded)).toHaveLength(2); // the bug is still there in 1.5
      }
      for (const t of ['connections_total', 'incoming_packets_total', 'outgoing_packets_total', 'incoming_bytes_total', 'outgoing_bytes_total'])
        expect(ours.get(`lvsha_ipvs_${t}`)).toBe(theirs.get(`lvsha_ipvs_${t}`));
    } finally {
      child.kill('SIGTERM');
    }
  });
});
