// One verdict, three faces (issue 12): every check run as the plugin (exit code), by the
// exporter (lvsha_check_status{check}) and by doctor (row state), over every real captured
// state, must say the same thing about the same host at the same moment.
//
// Each case is a --root tree (the captured /proc, /etc...) plus replay scripts named like the
// real programs (ip, ss, ipvsadm, cl_status, uname) in a bin directory put first in PATH, so the
// three faces run with their default program names, as they would on the host.
// Needs dist/ (npx tsc -p tsconfig.json), like every test that runs bin/: the plugin face runs
// dist/, the other two run src/ in this process.
// Not here: the lab's live scenarios (namespaces/VM: test/e2e), and the exporter's vip verdict
// (it has none: check_lvs_vip is compared between the plugin and doctor only).
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { doctorRow } from '../src/doctor/command';
import { BACKEND_LABELS, ScrapeEnv } from '../src/exporter/collector';
import { ModuleName, moduleSpec } from '../src/exporter/modules';
import { scrape } from '../src/exporter/scrape';
import { loadDeployment } from '../src/model/load';
import { referenceDeployment } from '../src/model/reference';
import { Deployment } from '../src/model/types';
import { CheckName } from '../src/checks/registry';
import { LocalSource } from '../src/sources/local';
import { RootSource } from '../src/sources/root';
import { Source } from '../src/sources/source';
import { State } from '../src/runtime/state';
import { REAL, removeTempDirs, replayScript, tempDir } from './probes/replay';

const ROOT = join(__dirname, '..');
const IPVS = join(REAL, 'ipvs');

interface Case {
  check: CheckName;
  /** What the case is, for the failure message: `empty + ip healthy/frontal2`. */
  label: string;
  root: string;
  bin: string;
  /** Deployment file (--config); undefined = the embedded reference. */
  config?: string;
}

interface Faces {
  plugin: number;
  exporter: number;
  doctor: number;
}

/** Each test runs a few dozen cases, three faces each, one plugin process per case. */
const SLOW = 600_000;

const MODULE: Record<CheckName, ModuleName | undefined> = { ipvs: 'director', heartbeat: 'director', sync: 'director', sorry: 'director', arp: 'realserver', vip: undefined, keepalived: 'director', pacemaker: 'director' };

/** A script answering `"$*"` with a captured file (stdout+stderr verbatim, rc 0 as captured). */
function fileScript(path: string, byArgs: Record<string, string>): void {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const body = ['#!/bin/sh'];
  for (const [args, file] of Object.entries(byArgs)) body.push(`if [ "$*" = ${q(args)} ]; then cat ${q(file)}; exit 0; fi`);
  body.push('echo "replay: no capture for: $*" >&2', 'exit 13');
  writeFileSync(path, body.join('\n') + '\n');
  chmodSync(path, 0o755);
}

/** A --root tree with an IPVS state's /proc/net files, and a bin dir with its ipvsadm and `ip` of one director. */
function ipvsCase(state: string, ip: string | undefined, daemon?: string): { root: string; bin: string } {
  const root = tempDir();
  const bin = tempDir();
  mkdirSync(join(root, 'proc', 'net'), { recursive: true });
  for (const f of ['ip_vs', 'ip_vs_stats', 'ip_vs_conn', 'ip_vs_conn_sync']) {
    const src = join(IPVS, state, `proc-net-${f}.txt`);
    if (existsSync(src)) copyFileSync(src, join(root, 'proc', 'net', f));
  }
  const s = (f: string) => join(IPVS, state, f);
  fileScript(join(bin, 'ipvsadm'), {
    '-L --daemon': daemon ?? s('ipvsadm-L-daemon.txt'),
    '-Ln': s('ipvsadm-Ln.txt'),
    '-Ln --stats --exact': s('ipvsadm-Ln-stats-exact.txt'),
    '-Ln --rate --exact': s('ipvsadm-Ln-rate-exact.txt'),
  });
  if (ip) replayScript(join(bin, 'ip'), { byArgs: { '-j addr': [`ip/${ip}/addr`], '-j link': [`ip/${ip}/link`] } });
  return { root, bin };
}

const ipvsStates = readdirSync(IPVS).filter((s) => existsSync(join(IPVS, s, 'proc-net-ip_vs.txt'))).sort();

function exitCode(argv: string[], bin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    delete env.LVSHA_CONFIG;
    // Not spawnSync: the sorry cases' HTTP server answers from this process's event loop.
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
}

/** process.env.PATH with bin first while fn runs (the exporter and doctor spawn through LocalSource, in this process). */
async function withPath<T>(bin: string, fn: () => Promise<T>): Promise<T> {
  const old = process.env.PATH;
  process.env.PATH = `${bin}:${old}`;
  try {
    return await fn();
  } finally {
    process.env.PATH = old;
  }
}

const here = (root: string): Source => new RootSource(root, new LocalSource({ sudo: false }));
const isHere = (h?: string) => h === undefined || h === 'localhost' || h === '127.0.0.1' || h === '::1';
const noSsh = (h: string): never => {
  // Never leaves this machine: a check asking for another host gets an error, not a connection.
  throw new Error(`this test opens no SSH connection (asked for ${h})`);
};

async function exporterStatus(c: Case, d: Deployment): Promise<number> {
  const module = MODULE[c.check]!;
  const full = moduleSpec(module, undefined, { programs: {}, deployment: d });
  const spec = { collectors: full.collectors, checks: full.checks.filter((x) => x.name === c.check) };
  const src = here(c.root);
  const env: ScrapeEnv = {
    source: src,
    sourceFor: (h) => (isHere(h) ? src : noSsh(h!)),
    deployment: d,
    deadline: Date.now() + 10_000,
    programs: {},
    backendLabels: [...BACKEND_LABELS],
  };
  const reg = await scrape(spec, env);
  const text = await reg.metrics();
  const m = new RegExp(`^lvsha_check_status\\{check="${c.check}"\\} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`no lvsha_check_status for ${c.check} in:\n${text}`);
  return Number(m[1]);
}

/** Doctor's summary of the last case, for the failure message. */
let doctorSummary = '';
async function doctorState(c: Case, d: Deployment): Promise<number> {
  // The row of this host (no address: a director's 192.168.0.x would be -H over SSH).
  const row = await doctorRow(
    { check: c.check, host: 'here' },
    d,
    { isLocal: () => true, local: () => here(c.root), remote: noSsh },
    { timeout: 10, verbose: 0 },
  );
  doctorSummary = row.summary;
  return row.state;
}

async function faces(c: Case): Promise<Faces> {
  // The plugin's PATH is fixed at spawn: it runs while this process runs the other two faces.
  const plugin = exitCode([join(ROOT, 'bin', `check_lvs_${c.check}`), '--root', c.root, ...(c.config ? ['--config', c.config] : [])], c.bin);
  const d = c.config ? loadDeployment(c.config).deployment : referenceDeployment;
  // check_lvs_vip has no lvsha_check_status (the exporter exports the VIP's holders as metrics): -1 = not asked.
  const [exporter, doctor] = await withPath(c.bin, async () => [MODULE[c.check] ? await exporterStatus(c, d) : -1, await doctorState(c, d)]);
  return { plugin: await plugin, exporter, doctor };
}

/** Runs every case; returns each case's verdicts, and the cases whose faces disagree. */
async function runAll(cases: Case[]): Promise<{ seen: Record<string, Faces>; disagree: string[] }> {
  const seen: Record<string, Faces> = {};
  const disagree: string[] = [];
  for (const c of cases) {
    const f = await faces(c);
    seen[c.label] = f;
    if ((f.exporter !== -1 && f.plugin !== f.exporter) || f.plugin !== f.doctor) disagree.push(`${c.check} ${c.label}: plugin ${f.plugin}, exporter ${f.exporter}, doctor ${f.doctor} (${doctorSummary})`);
  }
  return { seen, disagree };
}

afterAll(removeTempDirs);

describe('the plugin, the exporter and doctor agree on every real captured state', () => {
  test('ipvs: every captured IPVS table, on the director holding the VIP (frontal1) and on the passive one (frontal2)', async () => {
    const cases: Case[] = [];
    for (const state of ipvsStates)
      for (const ip of ['healthy/frontal1', 'healthy/frontal2']) cases.push({ check: 'ipvs', label: `${state} + ip ${ip}`, ...ipvsCase(state, ip) });
    const { seen, disagree } = await runAll(cases);
    expect(disagree).toEqual([]);
    // The case the faces disagreed on before (issue 12): a healthy passive director is OK everywhere.
    expect(seen['empty + ip healthy/frontal2']).toEqual({ plugin: State.OK, exporter: State.OK, doctor: State.OK });
    // ...while the director holding the VIP with no table is CRITICAL everywhere.
    expect(seen['empty + ip healthy/frontal1']!.plugin).toBe(State.CRITICAL);
    expect(seen['reference + ip healthy/frontal1']!.plugin).toBe(State.OK);
    expect(seen['one-removed + ip healthy/frontal1']!.plugin).toBe(State.WARNING);
  }, SLOW);

  test('heartbeat: every captured node of every Heartbeat state', async () => {
    const cases: Case[] = [];
    const HB = join(REAL, 'heartbeat');
    for (const state of readdirSync(HB).sort())
      for (const node of readdirSync(join(HB, state)).sort()) {
        const root = tempDir();
        const bin = tempDir();
        // peer-stopping holds only what changed after the healthy captures of the same run.
        const dirs = [`heartbeat/${state}/${node}`, ...(state === 'peer-stopping' ? [`heartbeat/healthy/${node}`] : [])];
        replayScript(join(bin, 'cl_status'), { dirs });
        writeFileSync(join(bin, 'uname'), `#!/bin/sh\necho ${node}\n`);
        chmodSync(join(bin, 'uname'), 0o755);
        cases.push({ check: 'heartbeat', label: `${state}/${node}`, root, bin });
      }
    const { seen, disagree } = await runAll(cases);
    expect(disagree).toEqual([]);
    expect(seen['healthy/frontal1']!.plugin).toBe(State.OK);
    expect(seen['peer-dead/frontal2']!.plugin).not.toBe(State.OK);
    expect(Object.keys(seen).length).toBeGreaterThanOrEqual(10);
  }, SLOW);

  test('keepalived: every director of every keepalived state captured in the lab (its --root trees)', async () => {
    const KA = join(REAL, 'keepalived');
    const config = join(tempDir(), 'deployment.json');
    writeFileSync(config, JSON.stringify({ ...referenceDeployment, ha: 'keepalived' }));
    const cases: Case[] = [];
    for (const state of readdirSync(KA).filter((s) => !s.includes('.')).sort())
      for (const node of readdirSync(join(KA, state)).sort()) cases.push({ check: 'keepalived', label: `${state}/${node}`, root: join(KA, state, node), bin: tempDir(), config });
    const { seen, disagree } = await runAll(cases);
    expect(disagree).toEqual([]);
    const plugin = Object.fromEntries(Object.entries(seen).map(([k, f]) => [k, State[f.plugin]]));
    expect(plugin).toEqual({
      'healthy/frontal1': 'OK',
      'healthy/frontal2': 'OK',
      'master-killed/frontal1': 'CRITICAL', // stale pid file, stale MASTER dumps: never read as MASTER
      'master-killed/frontal2': 'WARNING', // MASTER on the other director: failed over
      'master-stopped/frontal1': 'CRITICAL',
      'master-stopped/frontal2': 'WARNING',
      'rejoined/frontal1': 'OK',
      'rejoined/frontal2': 'OK',
      'script-failed/frontal1': 'WARNING', // priority 90 of 150: the tracked script named
      'script-failed/frontal2': 'WARNING',
      'split-brain/frontal1': 'OK', // two MASTERs is check_lvs_vip's verdict (it sees both)
      'split-brain/frontal2': 'WARNING',
    });
    expect(seen['master-stopped/frontal1']).toEqual({ plugin: State.CRITICAL, exporter: State.CRITICAL, doctor: State.CRITICAL });
  }, SLOW);

  test('pacemaker: every director of every Pacemaker state captured in the lab (crm_mon and cibadmin replayed)', async () => {
    const PMD = join(REAL, 'pacemaker');
    const config = join(tempDir(), 'deployment.json');
    writeFileSync(config, JSON.stringify({ ...referenceDeployment, ha: 'pacemaker' }));
    const cases: Case[] = [];
    for (const state of readdirSync(PMD).filter((x) => !x.includes('.')).sort())
      for (const node of readdirSync(join(PMD, state)).sort()) {
        const dir = join(PMD, state, node);
        if (!existsSync(join(dir, 'crm_mon.xml'))) continue;
        // crm_mon's exit status as captured (capture.txt: "crm_mon.xml: `crm_mon ...` exit N")
        const rc = /^crm_mon\.xml: .* exit (\d+)$/m.exec(readFileSync(join(dir, 'capture.txt'), 'utf8'))?.[1] ?? '0';
        const bin = tempDir();
        writeFileSync(join(bin, 'crm_mon'), `#!/bin/sh\ncat '${join(dir, 'crm_mon.xml')}'\nexit ${rc}\n`);
        const cib = join(dir, 'constraints.xml');
        writeFileSync(join(bin, 'cibadmin'), `#!/bin/sh\ncat '${existsSync(cib) ? cib : join(dir, 'cib.xml')}'\n`);
        chmodSync(join(bin, 'crm_mon'), 0o755);
        chmodSync(join(bin, 'cibadmin'), 0o755);
        cases.push({ check: 'pacemaker', label: `${state}/${node}`, root: tempDir(), bin, config });
      }
    const { seen, disagree } = await runAll(cases);
    expect(disagree).toEqual([]);
    const plugin = Object.fromEntries(Object.entries(seen).map(([k, f]) => [k, State[f.plugin]]));
    expect(plugin).toEqual({
      'after-heal/frontal1': 'OK',
      'after-heal/frontal2': 'OK',
      'heal-multiple-active/frontal1': 'CRITICAL', // the merged partitions still run the group twice: split brain
      'heal-multiple-active/frontal2': 'CRITICAL',
      'healthy/frontal1': 'OK',
      'healthy/frontal2': 'OK',
      'ldirectord-killed/frontal1': 'WARNING', // fail-count 1, a failed monitor
      'ldirectord-killed/frontal2': 'WARNING',
      'node-crash/frontal1': 'CRITICAL', // crm_mon exit 102: nothing of the cluster runs
      'node-crash/frontal2': 'WARNING', // frontal1 OFFLINE: no failover target
      'split-brain/frontal1': 'WARNING', // each partition sees the other OFFLINE (the whole: check_lvs_vip)
      'split-brain/frontal2': 'WARNING',
      'standby/frontal1': 'WARNING', // the group off the preferred node while auto_failback is wanted
      'standby/frontal2': 'WARNING',
    });
    expect(seen['node-crash/frontal1']).toEqual({ plugin: State.CRITICAL, exporter: State.CRITICAL, doctor: State.CRITICAL });
  }, SLOW);

  test('sync: the sync-master and sync-backup tables, and every captured daemon state', async () => {
    const cases: Case[] = [];
    for (const state of ['sync-master', 'sync-backup', 'reference', 'empty']) cases.push({ check: 'sync', label: state, ...ipvsCase(state, 'healthy/frontal1') });
    for (const d of ['none', 'master', 'backup', 'both', 'stopped'])
      cases.push({ check: 'sync', label: `sync-master + daemons ${d}`, ...ipvsCase('sync-master', 'healthy/frontal1', join(IPVS, 'sync-daemon', `ipvsadm-L-daemon.${d}.txt`)) });
    const { seen, disagree } = await runAll(cases);
    expect(disagree).toEqual([]);
    // The reference deployment expects both daemons (mode both): only `both` is OK.
    expect(seen['sync-master + daemons both']!.plugin).toBe(State.OK);
    expect(seen['sync-master + daemons none']!.plugin).toBe(State.CRITICAL);
  }, SLOW);

  test('arp: every captured real server (sysctl tree x ip x ss)', async () => {
    const cases: Case[] = [];
    const hosts: [string, string[], string[]][] = [
      ['reel1', ['healthy'], ['listening-any']],
      ['reel2', ['healthy', 'real-without-vip'], ['listening-any', 'listening-vip', 'not-listening']],
    ];
    for (const sysctl of readdirSync(join(REAL, 'sysctl')).filter((s) => !s.endsWith('.meta')).sort())
      for (const [host, ips, sss] of hosts)
        for (const ip of ips)
          for (const ss of sss) {
            const root = tempDir();
            const bin = tempDir();
            cpSync(join(REAL, 'sysctl', sysctl, 'proc'), join(root, 'proc'), { recursive: true });
            replayScript(join(bin, 'ip'), { byArgs: { '-j addr': [`ip/${ip}/${host}/addr`], '-j link': [`ip/${ip}/${host}/link`] } });
            replayScript(join(bin, 'ss'), { byArgs: { '-ltnH': [`ss/${ss}/${host}/ltn`], '-lunH': [`ss/${ss}/${host}/lun`] } });
            cases.push({ check: 'arp', label: `${sysctl} ${host} ip ${ip} ss ${ss}`, root, bin });
          }
    const { seen, disagree } = await runAll(cases);
    expect(disagree).toEqual([]);
    const states = new Set(Object.values(seen).map((f) => f.plugin));
    // Not all one state: the captures hold good and broken ARP setups.
    expect(states.size).toBeGreaterThan(1);
  }, SLOW);

  test('vip (plugin and doctor; the exporter has no vip verdict): both directors on this host (127.0.0.1 and ::1), every captured director view', async () => {
    // Directors other than 127.0.0.1/::1 are reached over SSH: with both here, both see the
    // same replayed `ip`, so the captures give split brain (both hold the VIP) or no holder.
    const config = join(tempDir(), 'deployment.json');
    writeFileSync(
      config,
      JSON.stringify({
        ...referenceDeployment,
        directors: [
          { name: 'frontal1', address: '127.0.0.1', interface: 'eth0' },
          { name: 'frontal2', address: '::1', interface: 'eth0' },
        ],
      }),
    );
    const cases: Case[] = [];
    const IP = join(REAL, 'ip');
    for (const state of readdirSync(IP).sort())
      for (const host of readdirSync(join(IP, state)).filter((h) => h.startsWith('frontal')).sort()) {
        const bin = tempDir();
        replayScript(join(bin, 'ip'), { byArgs: { '-j addr': [`ip/${state}/${host}/addr`], '-j link': [`ip/${state}/${host}/link`] } });
        cases.push({ check: 'vip', label: `${state}/${host}`, root: tempDir(), bin, config });
      }
    const { seen, disagree } = await runAll(cases);
    expect(disagree).toEqual([]);
    expect(seen['healthy/frontal1']).toEqual({ plugin: State.CRITICAL, exporter: -1, doctor: State.CRITICAL });
    expect(Object.keys(seen).length).toBeGreaterThanOrEqual(6);
  }, SLOW);

  describe('sorry: a loopback page, engaged or not from the IPVS tables', () => {
    let server: Server;
    let port = 0;
    beforeAll(async () => {
      server = createServer((req, res) => {
        const ok = req.url === '/ok';
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/html' });
        res.end(ok ? '<h1>Sorry, back soon</h1>' : 'down');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    test('every IPVS state x a page that answers 200 or 503', async () => {
      const cases: Case[] = [];
      const dir = tempDir();
      for (const page of ['ok', 'down']) {
        const config = join(dir, `deployment-${page}.json`);
        writeFileSync(config, JSON.stringify({ ...referenceDeployment, sorry: { url: `http://127.0.0.1:${port}/${page}` } }));
        for (const state of ipvsStates) cases.push({ check: 'sorry', label: `${page} ${state}`, config, ...ipvsCase(state, undefined) });
      }
      const { seen, disagree } = await runAll(cases);
      expect(disagree).toEqual([]);
      expect(seen['ok reference']!.plugin).toBe(State.OK);
      // The fallback (127.0.0.1:80, the reference's) in service: engaged, WARNING by default.
      expect(seen['ok fallback']!.plugin).toBe(State.WARNING);
      expect(seen['down reference']!.plugin).toBe(State.CRITICAL);
    }, SLOW);
  });
});
