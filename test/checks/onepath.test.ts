// Issue 12's correctness fixes, each on real captures or on labelled peer-shaped fixtures
// (test/fixtures/synthetic/onepath/README.md says where each comes from), and the rule
// that keeps the three faces on one path: a plugin run without options builds exactly the
// config the exporter and doctor start from.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { heartbeatCheck } from '../../src/checks/heartbeat';
import { evaluateIpvs, IpvsConfig, ipvsCheck, parseServiceSpec, WantedService } from '../../src/checks/ipvs';
import { CHECK_NAMES, loadCheck } from '../../src/checks/registry';
import { syncCheck, SyncConfig } from '../../src/checks/sync';
import { referenceDeployment } from '../../src/model/reference';
import { Deployment } from '../../src/model/types';
import { parseIpvsadmDaemon } from '../../src/parsers/ipvsadm';
import { parseProcIpvs } from '../../src/parsers/procIpvs';
import { probeHeartbeat } from '../../src/probes/heartbeat';
import { applyHz, IpvsSnapshot } from '../../src/probes/ipvs';
import { GatherEnv, runCheck } from '../../src/runtime/check';
import { Perf, stableLabels } from '../../src/runtime/perfdata';
import { buildCommand, CheckDef, ConfigureContext } from '../../src/runtime/plugin';
import { State } from '../../src/runtime/state';
import { RootSource } from '../../src/sources/root';
import { Source } from '../../src/sources/source';
import { capture, clStatusSource, REAL, removeTempDirs, ReplaySource, tempDir } from '../probes/replay';

const SYN = join(__dirname, '..', 'fixtures', 'synthetic', 'onepath');
const syn = (f: string) => readFileSync(join(SYN, f), 'utf8');
/** Relative to test/fixtures/real, as clStatusSource and capture() take it. */
const SYN_FROM_REAL = join('..', 'synthetic', 'onepath');

afterAll(removeTempDirs);

/** A check's config as the plugin builds it from argv (commander, then configure). */
function configure<C>(def: CheckDef<C, unknown, never>, argv: string[], d: Deployment = referenceDeployment): C {
  const opts = buildCommand(def as unknown as CheckDef).parse(argv, { from: 'user' }).opts();
  const ctx: ConfigureContext = { deployment: () => d, trace: () => {} };
  return def.configure(opts as never, ctx);
}

function gatherEnv(src: Source, trace: string[] = []): GatherEnv {
  return { source: () => src, deadline: Date.now() + 10_000, signal: new AbortController().signal, trace: (_l, m) => trace.push(m) };
}

const unique19 = (labels: string[]) => new Set(labels.map((l) => l.slice(0, 19))).size === labels.length;

describe('perfdata labels are identities: two real servers sharing a last octet, services added', () => {
  const snap: IpvsSnapshot = { table: applyHz(parseProcIpvs(syn('proc-net-ip_vs.shared-last-octet.txt')), 250), source: 'proc' };
  const labels = (keys: string[]) => evaluateIpvs(snap, keys.map((key): WantedService => ({ key })), { drained: [] }).perf!.map((p) => p.label);
  // Inside the tests, not at collection: a call in a describe body is "static" coverage for
  // Stryker, and every mutant it reaches then runs the whole of test/checks (issue #19).
  const www0 = () => labels(['tcp:192.168.0.3:80']);

  test('10.0.1.21 and 10.0.2.21 behind one service: both addresses named, no positional label, unique in 19 characters', () => {
    const www = www0();
    expect(www.filter((l) => l.endsWith('_rs10_0_1_21_80_act'))).toHaveLength(1);
    expect(www.filter((l) => l.endsWith('_rs10_0_2_21_80_act'))).toHaveLength(1);
    for (const l of www) {
      expect(l).toMatch(/t3_80_/); // the service's own tag
      expect(l).not.toMatch(/(^|_)p\d+_/); // the old positional form (p19_s3_rs10_0_1)
      expect(l).toMatch(/^[A-Za-z0-9_]+$/);
    }
    expect(unique19(www)).toBe(true);
  });

  test('adding a service (before or after it) leaves the first service labels as they were', () => {
    const www = www0();
    for (const keys of [
      ['tcp:192.168.0.3:80', 'tcp:192.168.0.3:443'],
      ['tcp:192.168.0.3:443', 'tcp:192.168.0.3:80'],
    ]) {
      const both = labels(keys);
      expect(both).toEqual(expect.arrayContaining(www));
      expect(both.length).toBe(2 * www.length);
      expect(unique19(both)).toBe(true);
    }
  });

  // Known limit, on purpose: within RRD's 19 characters a label cannot hold two full IPv4
  // addresses and a metric, so tags are short (last address group and port) and only two
  // services (or real servers) that share the short form are widened to their full address.
  // A third, unrelated service keeps its labels; the two that clash are renamed once.
  test('a clash of short tags widens only the clashing services, never a third one', () => {
    const three = labels(['tcp:192.168.0.3:80', 'tcp:192.168.1.3:80', 'tcp:192.168.0.3:443']);
    const https = labels(['tcp:192.168.0.3:443']);
    expect(three).toEqual(expect.arrayContaining(https));
    expect(three).toEqual(expect.arrayContaining(['t192_168_0_3_80_live', 't192_168_1_3_80_live']));
    expect(three.some((l) => l.startsWith('t3_80_'))).toBe(false);
    expect(unique19(three)).toBe(true);
  });

  test('stableLabels: untouched without a clash; a clash in 19 characters gets a tag of the label own text', () => {
    const p = (label: string): Perf => ({ label, value: 1 });
    const plain = [p('t3_80_live'), p('t3_80_rs4_80_act')];
    expect(stableLabels(plain)).toBe(plain);
    const a = 't3_80_rs10_0_1_21_80_act';
    const b = 't3_80_rs10_0_1_21_80_inact';
    const out = stableLabels([p(a), p(b), p('t3_80_live')]).map((x) => x.label);
    expect(out[2]).toBe('t3_80_live');
    expect(out[0]).toMatch(new RegExp(`^h[0-9a-f]{6}_${a}$`));
    expect(out[1]).toMatch(new RegExp(`^h[0-9a-f]{6}_${b}$`));
    expect(unique19(out)).toBe(true);
    // The tag is the label's own: the same whatever else clashes with it, wherever it stands.
    const again = stableLabels([p('t3_80_rs10_0_1_21_80_w'), p(b), p(a)]).map((x) => x.label);
    expect(again[2]).toBe(out[0]);
    expect(again[1]).toBe(out[1]);
    expect(again.join(' ')).not.toMatch(/(^|_)p\d+_/);
  });
});

describe('--service tcp:VIP:0: a persistent all-ports service', () => {
  test('accepted, and selects the port-0 service of a /proc/net/ip_vs table', async () => {
    expect(parseServiceSpec('tcp:10.0.0.9:0')).toBe('tcp:10.0.0.9:0');
    const root = tempDir();
    mkdirSync(join(root, 'proc', 'net'), { recursive: true });
    copyFileSync(join(SYN, 'proc-net-ip_vs.port0-persistent.txt'), join(root, 'proc', 'net', 'ip_vs'));
    const src = new RootSource(root, new ReplaySource('localhost', () => undefined));
    const c = configure<IpvsConfig>(ipvsCheck as never, ['--service', 'tcp:10.0.0.9:0', '--hz', '250']);
    expect(c.keys).toEqual(['tcp:10.0.0.9:0']);
    const r = await runCheck(ipvsCheck, c, gatherEnv(src));
    expect(r.summary).toBe('tcp:10.0.0.9:0: 2 of 2 real servers live');
    expect(r.state).toBe(State.OK);
    expect(r.long!.join('\n')).toContain('persistent 600 s');
  });
});

describe('cl_status listhblinks naming a link twice', () => {
  test('counted once: 1/1 links up (real healthy captures, the peer link line duplicated)', async () => {
    const dirs = [join(SYN_FROM_REAL, 'heartbeat-dup-link', 'frontal1'), 'heartbeat/healthy/frontal1'];
    // The overlay really lists eth0 twice: the count below is the probe's doing.
    expect(capture(`${dirs[0]}/listhblinks-frontal2`).stdout.match(/eth0/g)).toHaveLength(2);
    const s = await probeHeartbeat(clStatusSource('frontal1', dirs));
    expect(s.nodes.find((n) => n.name === 'frontal2')!.links).toEqual([{ name: 'eth0', status: 'up' }]);
    const r = heartbeatCheck.evaluate({ status: s, host: 'frontal1', seconds: 0 }, heartbeatCheck.defaults(referenceDeployment));
    expect(r.state).toBe(State.OK);
    expect(r.summary).toContain('1/1 links up');
    expect(r.perf!.find((p) => p.label === 'links_total')!.value).toBe(1);
  });
});

describe('sync daemons with a syncid per role (master 1, backup 2)', () => {
  const daemons = parseIpvsadmDaemon(syn('ipvsadm-L-daemon.master1-backup2.txt'));
  const model = { host: 'frontal1', daemons, conns: [] };

  test('options --master-syncid 1 --backup-syncid 2: OK; swapped: CRITICAL naming each role', () => {
    const ok = syncCheck.evaluate(model, configure<SyncConfig>(syncCheck as never, ['--master-syncid', '1', '--backup-syncid', '2']));
    expect(ok.state).toBe(State.OK);
    expect(ok.summary).toContain('syncid 1/2');
    const swapped = syncCheck.evaluate(model, configure<SyncConfig>(syncCheck as never, ['--master-syncid', '2', '--backup-syncid', '1']));
    expect(swapped.state).toBe(State.CRITICAL);
    expect(swapped.summary).toContain('master sync daemon has syncid 1, expected 2');
    expect(swapped.summary).toContain('backup sync daemon has syncid 2, expected 1');
    // One syncid for both (the old only way) cannot express it.
    expect(syncCheck.evaluate(model, configure<SyncConfig>(syncCheck as never, ['--syncid', '1'])).state).toBe(State.CRITICAL);
  });

  test('the deployment says it (sync.masterSyncid/backupSyncid): the same verdicts from defaults and from configure', () => {
    const d = (m: number, b: number): Deployment => ({ ...referenceDeployment, sync: { ...referenceDeployment.sync, masterSyncid: m, backupSyncid: b } });
    expect(syncCheck.evaluate(model, syncCheck.defaults(d(1, 2))).state).toBe(State.OK);
    expect(syncCheck.evaluate(model, configure<SyncConfig>(syncCheck as never, [], d(1, 2))).state).toBe(State.OK);
    const swapped = syncCheck.evaluate(model, syncCheck.defaults(d(2, 1)));
    expect(swapped.state).toBe(State.CRITICAL);
    expect(swapped.summary).toMatch(/^master sync daemon has syncid 1, expected 2/);
  });
});

describe('--probe ipvsadm --stats whose --stats call fails', () => {
  test('the table is still judged; the failure is in -v output', async () => {
    const dir = 'ipvs/reference';
    const src = new ReplaySource('localhost', (argv) => {
      const args = argv.slice(1).join(' ');
      if (args === '-Ln') return { stdout: readFileSync(join(REAL, dir, 'ipvsadm-Ln.txt'), 'utf8'), stderr: '', code: 0, signal: null };
      if (args === '-Ln --stats --exact') return { stdout: '', stderr: 'Memory allocation problem\n', code: 1, signal: null };
      return undefined;
    });
    const trace: string[] = [];
    const c = configure<IpvsConfig>(ipvsCheck as never, ['--probe', 'ipvsadm', '--stats']);
    const m = await ipvsCheck.gather(c, gatherEnv(src, trace));
    expect(m.snapshot!.warnings).toEqual([expect.stringContaining('ipvsadm -Ln --stats failed, counters left out')]);
    expect(trace.join('\n')).toContain('ipvsadm -Ln --stats failed');
    const r = ipvsCheck.evaluate(m, c);
    expect(r.state).toBe(State.OK);
    expect(r.summary).toBe('tcp:192.168.0.3:80: 2 of 2 real servers live');
    expect(src.runs.map((a) => a.slice(1).join(' '))).toEqual(['-Ln', '-Ln --stats --exact']);
  });
});

describe('a tree with /proc/net/ip_vs but no /proc/net/ip_vs_conn_sync', () => {
  const run = async (files: string[]) => {
    const root = tempDir();
    mkdirSync(join(root, 'proc', 'net'), { recursive: true });
    for (const f of files) copyFileSync(join(REAL, 'ipvs', 'sync-master', `proc-net-${f}.txt`), join(root, 'proc', 'net', f));
    const both = readFileSync(join(REAL, 'ipvs', 'sync-daemon', 'ipvsadm-L-daemon.both.txt'), 'utf8');
    const src = new RootSource(root, new ReplaySource('localhost', (argv) => (argv.slice(1).join(' ') === '-L --daemon' ? { stdout: both, stderr: '', code: 0, signal: null } : undefined)));
    return runCheck(syncCheck, configure<SyncConfig>(syncCheck as never, []), gatherEnv(src));
  };

  test('is not "IPVS not available": the daemons are judged, the missing file noted', async () => {
    for (const files of [['ip_vs', 'ip_vs_conn'], ['ip_vs']]) {
      const r = await run(files);
      expect(r.summary).not.toMatch(/IPVS not available/);
      expect(r.state).toBe(State.OK);
      expect(r.summary).toMatch(/^master and backup sync daemons \(syncid 1, eth0\)/);
      expect(r.long!.join('\n')).toMatch(/no \/proc\/net\/ip_vs_conn_sync/);
    }
  });

  test('...while a tree with no IPVS file at all still is (CRITICAL)', async () => {
    const r = await run([]);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toMatch(/IPVS not available/);
  });
});

describe('one path: a plugin run without options builds the config the exporter and doctor start from', () => {
  const other: Deployment = {
    ...referenceDeployment,
    name: 'other',
    sync: { syncid: 7, interface: 'eth1', mode: 'follow-role', masterSyncid: 1, backupSyncid: 2 },
    sorry: { url: 'http://127.0.0.1:8080/sorry.html' },
    heartbeat: { ...referenceDeployment.heartbeat, media: 'bcast' },
  };
  for (const name of CHECK_NAMES)
    test(`${name}: configure(commander defaults) equals defaults(deployment)`, () => {
      const def = loadCheck(name);
      for (const d of [referenceDeployment, other]) {
        const fromArgv = configure(def, [], d);
        expect(fromArgv).toEqual(def.defaults(d));
      }
    });
});
