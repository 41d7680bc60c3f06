import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareSync, evaluateSync, syncCheck, SyncConfig, SyncObservation, SyncPolicy } from '../../src/checks/sync';
import { parseIpAddr } from '../../src/parsers/ipAddr';
import { capture } from '../probes/replay';
import { parseIpvsadmDaemon } from '../../src/parsers/ipvsadm';
import { parseProcIpvsConn } from '../../src/parsers/procIpvs';
import { countConnSync } from '../../src/probes/sync';
import { State } from '../../src/runtime/state';
import { describeSpawning } from './fast';

const ROOT = join(__dirname, '..', '..');
const REAL = join(ROOT, 'test', 'fixtures', 'real', 'ipvs');
const SYN = join(ROOT, 'test', 'fixtures', 'synthetic', 'ipvs');
const daemons = (f: string) => parseIpvsadmDaemon(readFileSync(join(REAL, 'sync-daemon', `ipvsadm-L-daemon.${f}.txt`), 'utf8'));
const conns = (sc: string, f = 'proc-net-ip_vs_conn_sync.txt') => parseProcIpvsConn(readFileSync(join(REAL, sc, f), 'utf8'));
const syn = (f: string) => readFileSync(join(SYN, f), 'utf8');

const both: SyncPolicy = { mode: 'both', syncid: 1, interface: 'eth0', minRatio: 0.5, minConns: 10 };
const follow: SyncPolicy = { ...both, mode: 'follow-role' };
const obs = (o: Partial<SyncObservation>): SyncObservation => ({ host: 'frontal1', daemons: [], counts: countConnSync(conns('sync-master')), ...o });

describe('evaluateSync', () => {
  test("mode both (the seed's lvsstate): master and backup on each director", () => {
    const r = evaluateSync(obs({ daemons: daemons('both') }), both);
    expect(r.state).toBe(State.OK);
    expect(r.summary).toBe('master and backup sync daemons (syncid 1, eth0), 12 local, 0 synced connections');
    expect(r.perf).toEqual([
      { label: 'conns_local', value: 12, min: 0 },
      { label: 'conns_sync', value: 0, min: 0 },
    ]);
    expect(r.long!.join('\n')).toContain('master sync daemon: mcast=eth0 syncid=1 maxlen=1472 group=224.0.0.81 port=8848 ttl=1');
    const m = evaluateSync(obs({ daemons: daemons('master') }), both);
    expect(m.state).toBe(State.CRITICAL);
    expect(m.summary).toBe('backup sync daemon not running on frontal1');
    expect(evaluateSync(obs({ daemons: daemons('none') }), both).summary).toBe('master sync daemon not running on frontal1; backup sync daemon not running on frontal1');
  });

  test('mode follow-role: master on the active director, backup on the passive', () => {
    expect(evaluateSync(obs({ daemons: daemons('master'), role: 'active' }), follow).state).toBe(State.OK);
    const b = evaluateSync(obs({ host: 'frontal2', daemons: daemons('backup'), role: 'passive', counts: countConnSync(conns('sync-backup')) }), follow);
    expect(b.state).toBe(State.OK);
    expect(b.summary).toBe('backup sync daemon (syncid 1, eth0), 0 local, 12 synced connections');
    const wrong = evaluateSync(obs({ daemons: daemons('backup'), role: 'active' }), follow);
    expect(wrong.state).toBe(State.CRITICAL);
    expect(wrong.summary).toBe('master sync daemon not running on frontal1 (this director is active); unexpected backup sync daemon on the active director frontal1');
  });

  test('syncid different: CRITICAL; syncid 0: WARNING unconfigured; other interface: WARNING', () => {
    expect(evaluateSync(obs({ daemons: daemons('both') }), { ...both, syncid: 2 }).summary).toBe(
      'master sync daemon has syncid 1, expected 2; backup sync daemon has syncid 1, expected 2',
    );
    const zero = parseIpvsadmDaemon(syn('ipvsadm-L-daemon.syncid0-eth1.txt'));
    const c = evaluateSync(obs({ daemons: zero, role: 'active' }), follow);
    expect(c.state).toBe(State.CRITICAL);
    expect(c.summary).toBe('master sync daemon has syncid 0 (unconfigured), expected 1; master sync daemon on eth1, expected eth0');
    const w = evaluateSync(obs({ daemons: zero, role: 'active' }), { ...follow, syncid: 0, interface: 'eth1' });
    expect(w.state).toBe(State.WARNING);
    expect(w.summary).toBe('master sync daemon has syncid 0 (unconfigured)');
    // older ipvsadm's short form
    expect(evaluateSync(obs({ daemons: parseIpvsadmDaemon(syn('ipvsadm-L-daemon.old-format.txt')) }), both).state).toBe(State.OK);
  });

  test('--peer: real master/backup pair, then a lagging backup (hand-written ESTABLISHED rows)', () => {
    // The lab's requests were short: no ESTABLISHED entry, so no ratio to judge.
    const real = compareSync(conns('sync-master'), conns('sync-backup'), 'frontal1', 'frontal2');
    expect(real).toEqual({ masterHost: 'frontal1', backupHost: 'frontal2', masterEstablished: 0, synced: 0 });
    // ...but every LOCAL connection of the master is there as SYNC on the backup:
    const keys = new Set(conns('sync-backup').map((c) => `${c.clientAddress}:${c.clientPort}`));
    expect(conns('sync-master').every((c) => keys.has(`${c.clientAddress}:${c.clientPort}`))).toBe(true);

    const master = parseProcIpvsConn(syn('conn-sync.master-established.txt'));
    const lag = compareSync(master, parseProcIpvsConn(syn('conn-sync.backup-lagging.txt')), 'frontal1', 'frontal2');
    expect(lag).toMatchObject({ masterEstablished: 12, synced: 3 });
    const r = evaluateSync(obs({ daemons: daemons('both'), role: 'active', comparison: lag }), both);
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toBe('sync lagging: 3 of 12 connections on frontal2');
    expect(r.perf![2]).toMatchObject({ label: 'ratio', value: 0.25, min: 0, max: 1 });
    // below --min-conns the ratio is not judged
    expect(evaluateSync(obs({ daemons: daemons('both'), comparison: lag }), { ...both, minConns: 20 }).state).toBe(State.OK);
    expect(evaluateSync(obs({ daemons: daemons('both'), comparison: lag }), { ...both, minRatio: 0.2 }).state).toBe(State.OK);
    const full = compareSync(master, master.map((c) => ({ ...c, origin: 'SYNC' as const })), 'frontal1', 'frontal2');
    expect(evaluateSync(obs({ daemons: daemons('both'), comparison: full }), both).summary).toBe(
      'master and backup sync daemons (syncid 1, eth0), 12 local, 0 synced connections, 12 of 12 on frontal2',
    );
  });

  test('counts per origin and state; templates apart', () => {
    const c = countConnSync(conns('sync-backup'));
    expect(c).toMatchObject({ local: 0, sync: 12, templates: 4 });
    expect(c.byOriginState).toEqual({ 'SYNC FIN_WAIT': 12 });
  });
});

describeSpawning('bin/check_lvs_sync end to end on captured outputs', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const bin = join(ROOT, 'bin', 'check_lvs_sync');
  const env = { ...process.env };
  delete env.LVSHA_CONFIG;
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30000, env });
    return { code: r.status, out: r.stdout };
  };
  const setup = (sc: string, daemonFile: string, node: string) => {
    const d = mkdtempSync(join(tmpdir(), 'lvsha-sync-'));
    dirs.push(d);
    mkdirSync(join(d, 'proc', 'net'), { recursive: true });
    copyFileSync(join(REAL, sc, 'proc-net-ip_vs_conn_sync.txt'), join(d, 'proc', 'net', 'ip_vs_conn_sync'));
    const script = (name: string, file: string) => {
      writeFileSync(join(d, name), `#!/bin/sh\ncat '${file}'\n`);
      chmodSync(join(d, name), 0o755);
      return join(d, name);
    };
    return {
      d,
      ipvsadm: script('ipvsadm.sh', join(REAL, 'sync-daemon', daemonFile)),
      ip: script('ip.sh', join(ROOT, 'test', 'fixtures', 'real', 'ip', 'healthy', node, 'addr.stdout')),
    };
  };

  test('master director, mode both, backup missing: CRITICAL', () => {
    const s = setup('sync-master', 'ipvsadm-L-daemon.master.txt', 'frontal1');
    const r = run(['--root', s.d, '--ipvsadm', s.ipvsadm, '-H', 'localhost']);
    expect(r.code).toBe(2);
    expect(r.out.split('\n')[0]).toBe('LVS SYNC CRITICAL - backup sync daemon not running on localhost | conns_local=12;;;0 conns_sync=0;;;0');
  });

  test('follow-role: frontal1 holds the VIP (real ip -j addr) and runs the master', () => {
    const s = setup('sync-master', 'ipvsadm-L-daemon.master.txt', 'frontal1');
    const r = run(['--root', s.d, '--ipvsadm', s.ipvsadm, '--ip', s.ip, '--mode', 'follow-role', '-H', 'localhost']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('LVS SYNC OK - master sync daemon (syncid 1, eth0), 12 local, 0 synced connections | conns_local=12;;;0 conns_sync=0;;;0');
  });

  test('follow-role: frontal2 is passive and runs the backup', () => {
    const s = setup('sync-backup', 'ipvsadm-L-daemon.backup.txt', 'frontal2');
    const r = run(['--root', s.d, '--ipvsadm', s.ipvsadm, '--ip', s.ip, '--mode', 'follow-role', '-H', 'localhost', '--syncid', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('role: localhost is the passive director');
  });

  test('no daemon at all, --syncid 2: CRITICAL; bad --syncid UNKNOWN; no IPVS CRITICAL', () => {
    const s = setup('empty', 'ipvsadm-L-daemon.none.txt', 'frontal1');
    expect(run(['--root', s.d, '--ipvsadm', s.ipvsadm, '--syncid', '2']).code).toBe(2);
    expect(run(['--root', s.d, '--ipvsadm', s.ipvsadm, '--syncid', '999']).code).toBe(3);
    const e = mkdtempSync(join(tmpdir(), 'lvsha-sync-'));
    dirs.push(e);
    const r = run(['--root', e, '--ipvsadm', s.ipvsadm]);
    expect(r.code).toBe(2);
    expect(r.out.split('\n')[0]).toMatch(/^LVS SYNC CRITICAL - IPVS not available in this kernel/);
  });
});

describe('evaluateSync: whole results, every branch', () => {
  const d = (role: 'master' | 'backup', extra: Partial<{ interface: string; syncid: number; maxlen: number; group: string; port: number; ttl: number }> = {}) => ({ role, interface: 'eth0', syncid: 1, ...extra });
  const counts = { local: 3, sync: 2, templates: 1, byOriginState: { 'SYNC FIN_WAIT': 2, 'LOCAL ESTABLISHED': 3 } };
  test('both daemons, a comparison, a note, the role: summary, perfdata and long output', () => {
    const r = evaluateSync(
      { host: 'frontal1', daemons: [d('master', { maxlen: 1472, group: '224.0.0.81', port: 8848, ttl: 1 }), d('backup')], role: 'active', counts, note: 'a note', comparison: { masterHost: 'frontal1', backupHost: 'frontal2', masterEstablished: 20, synced: 15 } },
      both,
    );
    expect(r).toEqual({
      state: State.OK,
      summary: 'master and backup sync daemons (syncid 1, eth0), 3 local, 2 synced connections, 15 of 20 on frontal2',
      perf: [
        { label: 'conns_local', value: 3, min: 0 },
        { label: 'conns_sync', value: 2, min: 0 },
        { label: 'ratio', value: 0.75, warn: expect.objectContaining({ text: '0.5:' }), min: 0, max: 1 },
      ],
      long: [
        'OK: master sync daemon (syncid 1, eth0)',
        'OK: backup sync daemon (syncid 1, eth0)',
        'OK: synced: 15 of 20 connections on frontal2',
        'master sync daemon: mcast=eth0 syncid=1 maxlen=1472 group=224.0.0.81 port=8848 ttl=1',
        'backup sync daemon: mcast=eth0 syncid=1',
        'connections on frontal1: 3 LOCAL, 2 SYNC, 1 persistence templates',
        'a note',
        '  LOCAL ESTABLISHED: 3',
        '  SYNC FIN_WAIT: 2',
        'role: frontal1 is the active director (VIP ownership)',
      ],
    });
  });
  test('the ratio at its bounds; too few connections; none at all', () => {
    const cmp = (masterEstablished: number, synced: number) => ({ masterHost: 'm', backupHost: 'b', masterEstablished, synced });
    const run = (c: ReturnType<typeof cmp>, p = both) => evaluateSync({ host: 'frontal1', daemons: [d('master'), d('backup')], counts, comparison: c }, p);
    expect(run(cmp(10, 5))).toMatchObject({ state: State.OK });
    expect(run(cmp(10, 4))).toMatchObject({ state: State.WARNING, summary: 'sync lagging: 4 of 10 connections on b' });
    expect(run(cmp(9, 0))).toMatchObject({ state: State.OK });
    expect(run(cmp(9, 0)).long).toContain('OK: 0 of 9 connections on b (fewer than 10 on m: ratio not judged)');
    expect(run(cmp(0, 0)).perf![2]).toMatchObject({ label: 'ratio', value: 1 });
    expect(run(cmp(3, 1)).perf![2]).toMatchObject({ value: 0.333 });
    expect(run(cmp(0, 0), { ...both, minConns: 0 })).toMatchObject({ state: State.OK });
  });
  test('daemons one by one: missing, syncid 0 or other, other interface, unexpected role; per-role syncids', () => {
    const ev = (daemons: ReturnType<typeof d>[], p: SyncPolicy = follow, role: 'active' | 'passive' | 'unknown' = 'active') =>
      evaluateSync({ host: 'h', daemons, counts, role: role === 'unknown' ? undefined : role }, p);
    expect(ev([])).toMatchObject({ state: State.CRITICAL, summary: 'master sync daemon not running on h (this director is active)' });
    expect(ev([], follow, 'unknown')).toMatchObject({ state: State.CRITICAL, summary: 'backup sync daemon not running on h (this director is passive)' });
    expect(ev([d('master', { syncid: 0 })])).toMatchObject({ state: State.CRITICAL, summary: 'master sync daemon has syncid 0 (unconfigured), expected 1' });
    expect(ev([d('master', { syncid: 3 })])).toMatchObject({ state: State.CRITICAL, summary: 'master sync daemon has syncid 3, expected 1' });
    expect(ev([d('master', { syncid: 0 })], { ...follow, syncid: 0 })).toMatchObject({ state: State.WARNING, summary: 'master sync daemon has syncid 0 (unconfigured)' });
    expect(ev([d('master', { interface: 'eth1' })])).toMatchObject({ state: State.WARNING, summary: 'master sync daemon on eth1, expected eth0' });
    expect(ev([d('master'), d('backup')])).toMatchObject({ state: State.WARNING, summary: 'unexpected backup sync daemon on the active director h' });
    expect(ev([d('master'), d('backup')], follow, 'unknown')).toMatchObject({ state: State.WARNING, summary: 'unexpected master sync daemon on the passive director h' });
    expect(ev([d('master', { syncid: 1 }), d('backup', { syncid: 2 })], { ...both, masterSyncid: 1, backupSyncid: 2 })).toMatchObject({
      state: State.OK,
      summary: 'master and backup sync daemons (syncid 1/2, eth0), 3 local, 2 synced connections',
    });
    expect(ev([d('backup', { syncid: 2 })], { ...follow, backupSyncid: 2 }, 'passive')).toMatchObject({ state: State.OK, summary: 'backup sync daemon (syncid 2, eth0), 3 local, 2 synced connections' });
    expect(ev([d('master', { syncid: 2 })], { ...follow, backupSyncid: 2 })).toMatchObject({ state: State.CRITICAL, summary: 'master sync daemon has syncid 2, expected 1' });
  });
});

describe('evaluateSync and the check\'s evaluate: the survivors of the first mutation run', () => {
  const d = (role: 'master' | 'backup', extra: Partial<{ interface: string; syncid: number }> = {}) => ({ role, interface: 'eth0', syncid: 1, ...extra });
  const counts = { local: 0, sync: 0, templates: 0, byOriginState: {} };
  test('a daemon with a finding has no OK line; no note, no role: no such lines', () => {
    for (const bad of [d('master', { syncid: 2 }), d('master', { syncid: 0 }), d('master', { interface: 'eth1' })]) {
      const r = evaluateSync({ host: 'h', daemons: [bad], counts, role: 'active' }, { ...follow, syncid: bad.syncid === 0 ? 0 : 1 });
      expect(r.long!.filter((l) => l.startsWith('OK:'))).toEqual([]);
    }
    expect(evaluateSync({ host: 'h', daemons: [d('master'), d('backup')], counts }, both).long).toEqual([
      'OK: master sync daemon (syncid 1, eth0)',
      'OK: backup sync daemon (syncid 1, eth0)',
      'master sync daemon: mcast=eth0 syncid=1',
      'backup sync daemon: mcast=eth0 syncid=1',
      'connections on h: 0 LOCAL, 0 SYNC, 0 persistence templates',
    ]);
  });
  test('exactly --min-conns connections are judged; only running daemons are named in the summary', () => {
    const r = evaluateSync({ host: 'h', daemons: [d('master'), d('backup')], counts, comparison: { masterHost: 'm', backupHost: 'b', masterEstablished: 10, synced: 10 } }, both);
    expect(r.long).toContain('OK: synced: 10 of 10 connections on b');
    const one = evaluateSync({ host: 'h', daemons: [d('master')], counts }, both);
    expect(one.long).toContain('CRITICAL: backup sync daemon not running on h');
    const twice = evaluateSync({ host: 'h', daemons: [d('master'), d('master', { interface: 'eth1' })], counts }, both);
    expect(twice.summary).toBe('backup sync daemon not running on h');
    expect(evaluateSync({ host: 'h', daemons: [d('master')], counts: { ...counts, local: 1 } }, { ...both, mode: 'follow-role' }).summary).toBe('backup sync daemon not running on h (this director is passive); unexpected master sync daemon on the passive director h');
  });
  test('the check: no IPVS, VIP ownership from the addresses, the comparison from the right side', () => {
    const cfg = { ...both, mode: 'follow-role', ipvsadm: 'ipvsadm', ip: 'ip', vips: ['192.168.0.3'], peer: 'frontal2' } as SyncConfig;
    const f1 = parseIpAddr(capture('ip/healthy/frontal1/addr').stdout);
    const f2 = parseIpAddr(capture('ip/healthy/frontal2/addr').stdout);
    const est = (client: string, origin: 'LOCAL' | 'SYNC') => ({ protocol: 'tcp', clientAddress: client, clientPort: 1000, virtualAddress: '192.168.0.3', virtualPort: 80, destAddress: '192.168.0.4', destPort: 80, state: 'ESTABLISHED', expiresSeconds: 900, origin, template: false });
    const mine = [est('10.0.0.1', 'LOCAL'), est('10.0.0.2', 'LOCAL')];
    const theirs = [est('10.0.0.1', 'SYNC')];
    expect(syncCheck.evaluate({ host: 'frontal1', unavailable: 'no IPVS here', daemons: [], conns: [] }, cfg)).toEqual({ state: State.CRITICAL, summary: 'no IPVS here' });
    const active = syncCheck.evaluate({ host: 'frontal1', daemons: [d('master')], conns: mine, interfaces: f1, peerConns: theirs }, cfg);
    expect(active.summary).toBe('master sync daemon (syncid 1, eth0), 2 local, 0 synced connections, 1 of 2 on frontal2');
    expect(active.long).toContain('role: frontal1 is the active director (VIP ownership)');
    const passive = syncCheck.evaluate({ host: 'frontal2', daemons: [d('backup')], conns: theirs, interfaces: f2, peerConns: mine }, cfg);
    expect(passive.summary).toBe('backup sync daemon (syncid 1, eth0), 0 local, 1 synced connections, 1 of 2 on frontal2');
    expect(passive.long).toContain('role: frontal2 is the passive director (VIP ownership)');
    expect(syncCheck.evaluate({ host: 'frontal1', daemons: [d('master')], conns: mine, interfaces: f1 }, cfg).summary).toBe('master sync daemon (syncid 1, eth0), 2 local, 0 synced connections');
    // two VIPs, this director holds one of them: active
    const twoVips = syncCheck.evaluate({ host: 'frontal1', daemons: [d('master')], conns: mine, interfaces: f1 }, { ...cfg, vips: ['192.168.0.30', '192.168.0.3'] });
    expect(twoVips.long).toContain('role: frontal1 is the active director (VIP ownership)');
    expect(syncCheck.evaluate({ host: 'frontal1', daemons: [d('master'), d('backup')], conns: mine, peerConns: theirs }, { ...cfg, mode: 'both', peer: undefined }).summary).toBe(
      'master and backup sync daemons (syncid 1, eth0), 2 local, 0 synced connections',
    );
  });
});
