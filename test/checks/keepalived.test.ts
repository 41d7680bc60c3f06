import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateKeepalived, KeepalivedCheckConfig, keepalivedCheck, keepalivedDefaults } from '../../src/checks/keepalived';
import type { KeepalivedStatus } from '../../src/probes/keepalived';
import { referenceDeployment } from '../../src/model/reference';
import { KeepalivedProbeOptions, probeKeepalived } from '../../src/probes/keepalived';
import { State } from '../../src/runtime/state';
import { RunOptions, RunResult, Source } from '../../src/sources/source';
import { describeSpawning } from './fast';

const DIR = join(__dirname, '..', 'fixtures', 'real', 'keepalived-pair');
const cap = (scenario: string, host: string, file: string) => readFileSync(join(DIR, scenario, host, file), 'utf8');
const STAT = (pid: number, comm = 'keepalived', st = 'S') => `${pid} (${comm}) ${st} 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n`;
const config: KeepalivedCheckConfig = keepalivedDefaults(referenceDeployment);

/**
 * A director as the probe sees it: files, and a keepalived that answers `kill -s 36|10` by
 * writing its dump (or not: `answers: false` is a hung daemon whose old dump stays).
 */
class FakeDirector implements Source {
  readonly host = 'frontal1';
  files = new Map<string, string>();
  mtimes = new Map<string, number>();
  calls: string[][] = [];
  constructor(
    private readonly scenario: string,
    private readonly node: string,
    private readonly o: { answers?: boolean; killError?: string; dbus?: RunResult } = {},
  ) {
    this.files.set('/run/keepalived.pid', '4242\n');
    this.files.set('/run/vrrp.pid', '4243\n');
    this.files.set('/proc/4242/stat', STAT(4242));
    this.files.set('/proc/4243/stat', STAT(4243));
    // An old dump is there from before: never to be read as the state.
    this.files.set('/tmp/keepalived.json', cap('healthy', 'frontal1', 'keepalived.json'));
    this.mtimes.set('/tmp/keepalived.json', 1);
  }
  async run(argv: readonly string[], _o?: RunOptions): Promise<RunResult> {
    this.calls.push([...argv]);
    const ok = (stdout = ''): RunResult => ({ stdout, stderr: '', code: 0, signal: null });
    if (argv[0] === 'stat') {
      const m = this.mtimes.get(argv[argv.length - 1]!);
      return m === undefined ? { stdout: '', stderr: 'No such file', code: 1, signal: null } : ok(`${m}.000000000\n`);
    }
    if (argv[0] === 'kill') {
      if (this.o.killError) return { stdout: '', stderr: this.o.killError, code: 1, signal: null };
      if (this.o.answers !== false) {
        const file = argv[2] === '36' ? 'keepalived.json' : 'keepalived.data';
        this.files.set(`/tmp/${file}`, cap(this.scenario, this.node, file));
        this.mtimes.set(`/tmp/${file}`, (this.mtimes.get(`/tmp/${file}`) ?? 0) + 10);
      }
      return ok();
    }
    if (argv[0] === 'cat') {
      const t = this.files.get(argv[argv.length - 1]!);
      return t === undefined ? { stdout: '', stderr: 'cat: No such file', code: 1, signal: null } : ok(t);
    }
    if (argv[0] === 'dbus-send') return this.o.dbus ?? ok(cap(this.scenario, this.node, 'dbus-state.txt'));
    throw new Error(`unexpected ${argv.join(' ')}`);
  }
  async readFile(p: string): Promise<string> {
    const t = this.files.get(p);
    if (t === undefined) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
    return t;
  }
  async listDir(): Promise<string[]> {
    return [];
  }
  async close(): Promise<void> {}
}

const opts = (o: Partial<KeepalivedProbeOptions> = {}): KeepalivedProbeOptions => ({
  method: 'json',
  pidFile: '/run/keepalived.pid',
  vrrpPidFile: '/run/vrrp.pid',
  dumpDir: '/tmp',
  kill: 'kill',
  stat: 'stat',
  dbusSend: 'dbus-send',
  instances: [{ name: 'VI_1', interface: 'eth0', vrid: 51 }],
  captured: false,
  deadline: Date.now() + 1500,
  ...o,
});

async function verdict(src: FakeDirector, o: Partial<KeepalivedProbeOptions> = {}, c: Partial<KeepalivedCheckConfig> = {}) {
  const status = await probeKeepalived(src, opts(o));
  return evaluateKeepalived({ status, host: c.node ?? 'frontal1', director: c.node, now: 1796037800 }, { ...config, ...c });
}

describe('check_lvs_keepalived: gather (json) → evaluate on real dumps', () => {
  test('healthy preferred MASTER: OK, names the director from its configured priority, perfdata', async () => {
    const r = await verdict(new FakeDirector('healthy', 'frontal1'));
    expect(r.state).toBe(State.OK);
    expect(r.summary).toBe('frontal1: VI_1 MASTER prio 150');
    expect(r.perf).toEqual(expect.arrayContaining([{ label: 'prio', value: 150, min: 0, max: 255 }, { label: 'prio_base', value: 150, min: 0, max: 255 }]));
  });
  test('healthy BACKUP (frontal2): OK', async () => {
    const r = await verdict(new FakeDirector('healthy', 'frontal2'));
    expect([r.state, r.summary]).toEqual([State.OK, 'frontal2: VI_1 BACKUP prio 100']);
  });
  test('tracked script failed: WARNING naming the script; the data dump is asked for only then', async () => {
    const src = new FakeDirector('script-failed', 'frontal1');
    const r = await verdict(src);
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toMatch(/VI_1 priority 90 of 150: chk_sorry BAD/);
    expect(src.calls.filter((c) => c[0] === 'kill').map((c) => c[2])).toEqual(['36', '10']);
    const healthy = new FakeDirector('healthy', 'frontal1');
    await verdict(healthy);
    expect(healthy.calls.filter((c) => c[0] === 'kill').map((c) => c[2])).toEqual(['36']);
  });
  test('the other director took over: WARNING on it (failed over from the preferred one)', async () => {
    const r = await verdict(new FakeDirector('script-failed', 'frontal2'));
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toMatch(/VI_1 is MASTER on frontal2: failed over from frontal1/);
  });
  test('nopreempt: either director may hold the VIP', async () => {
    const r = await verdict(new FakeDirector('script-failed', 'frontal2'), {}, { nopreempt: true });
    // the dump's own nopreempt (false) wins over the deployment's: keepalived's config is what runs
    expect(r.state).toBe(State.WARNING);
  });
  test('no pid file: CRITICAL not running (the stale MASTER dump is not read)', async () => {
    const src = new FakeDirector('healthy', 'frontal1');
    src.files.delete('/run/keepalived.pid');
    const r = await verdict(src);
    expect([r.state, r.summary]).toEqual([State.CRITICAL, 'keepalived is not running on frontal1']);
    expect(src.calls).toEqual([]);
  });
  test('stale pid file (process gone, or another program): CRITICAL, said so', async () => {
    const gone = new FakeDirector('healthy', 'frontal1');
    gone.files.delete('/proc/4242/stat');
    const r1 = await verdict(gone);
    expect(r1.state).toBe(State.CRITICAL);
    expect(r1.long).toContain('stale pid file /run/keepalived.pid: process 4242 is gone');
    const other = new FakeDirector('healthy', 'frontal1');
    other.files.set('/proc/4242/stat', STAT(4242, 'bash'));
    expect((await verdict(other)).long).toContain("stale pid file /run/keepalived.pid: process 4242 is 'bash', not keepalived");
  });
  test('VRRP child dead while the parent lives: CRITICAL', async () => {
    const src = new FakeDirector('healthy', 'frontal1');
    src.files.delete('/proc/4243/stat');
    const r = await verdict(src);
    expect(r.state).toBe(State.CRITICAL);
    expect(r.long?.[0]).toMatch(/VRRP process does not/);
  });
  test('SIGSTOPped daemon (state T): CRITICAL does not answer', async () => {
    const src = new FakeDirector('healthy', 'frontal1');
    src.files.set('/proc/4242/stat', STAT(4242, 'keepalived', 'T'));
    const r = await verdict(src);
    expect([r.state, r.summary]).toEqual([State.CRITICAL, 'keepalived on frontal1 does not answer']);
  });
  test('a daemon that does not write a new dump: CRITICAL, its old MASTER dump never trusted', async () => {
    const src = new FakeDirector('healthy', 'frontal1', { answers: false });
    const r = await verdict(src, { deadline: Date.now() + 600 });
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('keepalived on frontal1 does not answer');
    expect(r.long?.[0]).toMatch(/wrote no JSON dump after the signal/);
  });
  test('not allowed to signal: UNKNOWN saying how to fix it', async () => {
    const r = await verdict(new FakeDirector('healthy', 'frontal1', { killError: 'kill: (4242) - Operation not permitted' }));
    expect(r.state).toBe(State.UNKNOWN);
    expect(r.long?.[0]).toMatch(/run as root, with --sudo, or use --method dbus/);
  });
  test('captured tree (--root): no signal, the dump as captured', async () => {
    const src = new FakeDirector('healthy', 'frontal2');
    src.files.set('/tmp/keepalived.json', cap('healthy', 'frontal2', 'keepalived.json'));
    const r = await verdict(src, { captured: true });
    expect(r.state).toBe(State.OK);
    expect(src.calls).toEqual([]);
  });
  test('the configured instance is missing: CRITICAL', async () => {
    const r = await verdict(new FakeDirector('healthy', 'frontal1'), {}, { instance: 'VI_9' });
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toMatch(/no VRRP instance VI_9 \(VRID 51\)/);
  });
});

describe('check_lvs_keepalived --method dbus (real answers)', () => {
  test('MASTER and BACKUP: OK, no root needed (no kill, no dump read)', async () => {
    const src = new FakeDirector('healthy', 'frontal1');
    const r = await verdict(src, { method: 'dbus' }, { node: 'frontal1' });
    expect([r.state, r.summary]).toEqual([State.OK, 'frontal1: VI_1 MASTER']);
    expect(src.calls.map((c) => c[0])).toEqual(['dbus-send']);
    expect(src.calls[0]).toContain('/org/keepalived/Vrrp1/Instance/eth0/51/IPv4');
  });
  test('keepalived gone from the bus: CRITICAL not running', async () => {
    const dbus = { stdout: '', stderr: cap('master-stopped', 'frontal1', 'dbus-state.stderr'), code: 1, signal: null };
    const r = await verdict(new FakeDirector('healthy', 'frontal1', { dbus }), { method: 'dbus' });
    expect(r.state).toBe(State.CRITICAL);
    expect(r.summary).toBe('keepalived is not running on frontal1');
  });
  test('no system bus: UNKNOWN (the check cannot ask)', async () => {
    const dbus = { stdout: '', stderr: cap('master-killed', 'frontal1', 'dbus-nobus.stderr'), code: 1, signal: null };
    const r = await verdict(new FakeDirector('healthy', 'frontal1', { dbus }), { method: 'dbus' });
    expect(r.state).toBe(State.UNKNOWN);
  });
  test('failed over (frontal2 MASTER, told by --node): WARNING', async () => {
    const r = await verdict(new FakeDirector('script-failed', 'frontal2'), { method: 'dbus' }, { node: 'frontal2' });
    expect(r.state).toBe(State.WARNING);
  });
});

describe('which director: -H (name or address) or this host, else the configured priority', () => {
  const gatherOn = async (host: string, node?: string) => {
    const src = new FakeDirector('split-brain', 'frontal2');
    Object.defineProperty(src, 'host', { value: host });
    const c = { ...config, method: 'dbus' as const, node };
    const m = await keepalivedCheck.gather(c, { source: () => src, deadline: Date.now() + 2000, trace: () => {} } as never);
    return { m, r: keepalivedCheck.evaluate(m, c) };
  };
  test('-H 192.168.0.2 is frontal2: over DBus (no priority to tell), its MASTER is a failover WARNING', async () => {
    const { m, r } = await gatherOn('192.168.0.2');
    expect([m.director, m.host]).toEqual(['frontal2', 'frontal2']);
    expect(r.state).toBe(State.WARNING);
    expect(r.summary).toMatch(/VI_1 is MASTER on frontal2: failed over from frontal1/);
  });
  test('-H frontal2 by name, and --node, tell it too; an unknown host does not', async () => {
    expect((await gatherOn('frontal2')).m.director).toBe('frontal2');
    expect((await gatherOn('10.9.9.9', 'frontal2')).m.director).toBe('frontal2');
    const u = await gatherOn('10.9.9.9');
    expect([u.m.director, u.m.host, u.r.state]).toEqual([undefined, '10.9.9.9', State.OK]);
  });
});

describeSpawning('check_lvs_keepalived as a plugin (bin, --root tree)', () => {
  const root = mkdtempSync(join(tmpdir(), 'lvsha-ka-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  function tree(scenario: string, host: string, live: boolean): string {
    const d = join(root, `${scenario}-${host}`);
    for (const sub of ['run', 'tmp', 'proc/4242', 'proc/4243']) mkdirSync(join(d, sub), { recursive: true });
    writeFileSync(join(d, 'tmp/keepalived.json'), cap(scenario, host, 'keepalived.json'));
    writeFileSync(join(d, 'tmp/keepalived.data'), cap(scenario, host, 'keepalived.data'));
    if (live) {
      writeFileSync(join(d, 'run/keepalived.pid'), '4242\n');
      writeFileSync(join(d, 'run/vrrp.pid'), '4243\n');
      writeFileSync(join(d, 'proc/4242/stat'), STAT(4242));
      writeFileSync(join(d, 'proc/4243/stat'), STAT(4243));
    }
    return d;
  }
  const run = (...args: string[]) => spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'check_lvs_keepalived'), ...args], { encoding: 'utf8', timeout: 20000 });
  test('healthy BACKUP replays OK, exit 0, perfdata after |', () => {
    const r = run('--root', tree('healthy', 'frontal2', true));
    expect(r.stdout.split('\n')[0]).toMatch(/^LVS KEEPALIVED OK - frontal2: VI_1 BACKUP prio 100 \| prio=100;;;0;255 /);
    expect(r.status).toBe(0);
  });
  test('graceful stop: stale MASTER dumps but no pid file → CRITICAL, exit 2', () => {
    const r = run('--root', tree('master-stopped', 'frontal1', false));
    expect(r.stdout.split('\n')[0]).toMatch(/^LVS KEEPALIVED CRITICAL - keepalived is not running on /);
    expect(r.status).toBe(2);
  });
  test('the lab\'s own root trees: a failed tracked script is named; a killed keepalived is not running', () => {
    const LAB = join(__dirname, '..', 'fixtures', 'real', 'keepalived');
    const f = run('--root', join(LAB, 'script-failed', 'frontal1'));
    expect(f.stdout.split('\n')[0]).toMatch(/^LVS KEEPALIVED WARNING - VI_1 priority 90 of 150: chk_lvsha_lab BAD \| /);
    expect(f.status).toBe(1);
    const k = run('--root', join(LAB, 'master-killed', 'frontal1'));
    expect(k.stdout).toMatch(/^LVS KEEPALIVED CRITICAL - keepalived is not running on .*\n.*stale pid file \/run\/keepalived.pid: process \d+ is gone/);
    expect(k.status).toBe(2);
  });
  test('bad option value: UNKNOWN naming it', () => {
    const r = run('--method', 'snmp');
    expect(r.status).toBe(3);
    expect(r.stdout.split('\n')[0]).toMatch(/--method/);
  });
  test('defaults equal configure() of the commander defaults', () => {
    expect(keepalivedCheck.defaults(referenceDeployment)).toEqual(config);
  });
});

describe('evaluateKeepalived: the survivors of the first mutation run (DBus-style instances, no dump)', () => {
  const st = (o: Partial<KeepalivedStatus>): KeepalivedStatus => ({ daemon: 'running', method: 'dbus', detail: 'det', instances: [], missing: [], ...o });
  const ev = (o: Partial<KeepalivedStatus>, director?: string, c: Partial<KeepalivedCheckConfig> = {}) => evaluateKeepalived({ status: st(o), host: 'h1', director, now: 0 }, { ...config, ...c });
  test('daemon states: whole results', () => {
    expect(ev({ daemon: 'refused', detail: 'd' })).toEqual({ state: State.UNKNOWN, summary: 'keepalived runs on h1 but its state is not readable', long: ['d'] });
    expect(ev({ daemon: 'nobus', detail: 'd' })).toEqual({ state: State.UNKNOWN, summary: 'no DBus system bus on h1 (--method dbus)', long: ['d'] });
    expect(ev({ daemon: 'stopped', detail: 'd' })).toEqual({ state: State.CRITICAL, summary: 'keepalived is not running on h1', long: ['d'] });
    expect(ev({ daemon: 'hung', detail: 'd' })).toEqual({ state: State.CRITICAL, summary: 'keepalived on h1 does not answer', long: ['d'] });
  });
  test('one instance: no perfdata without a dump, the detail first in the long output, missing names listed', () => {
    const r = ev({ instances: [{ name: config.instance, state: 'BACKUP' }], missing: ['VI_9'] }, 'frontal2');
    expect(r).toEqual({ state: State.OK, summary: `frontal2: ${config.instance} BACKUP`, perf: [], long: ['det', 'not on DBus: VI_9'] });
  });
  test('the director: --node only when it is a configured one; else the host', () => {
    expect(ev({ instances: [{ name: config.instance, state: 'BACKUP' }] }, 'nobody').summary).toBe(`h1: ${config.instance} BACKUP`);
    expect(ev({ instances: [{ name: config.instance, state: 'BACKUP' }] }).summary).toBe(`h1: ${config.instance} BACKUP`);
    // The preferred director (highest priority) as BACKUP: WARNING only when it is known to be this one.
    const preferred = Object.keys(config.priorities).sort((a, b) => config.priorities[b]! - config.priorities[a]!)[0]!;
    expect(ev({ instances: [{ name: config.instance, state: 'BACKUP' }] }, preferred).state).toBe(State.WARNING);
    expect(ev({ instances: [{ name: config.instance, state: 'BACKUP' }] }, undefined).state).toBe(State.OK);
  });
  test('several instances: perfdata labels prefixed; none: said so; ours missing: CRITICAL', () => {
    expect(ev({ instances: [] })).toMatchObject({ state: State.CRITICAL, summary: `no VRRP instance ${config.instance} (VRID ${config.vrid}) in keepalived` });
    expect(ev({ instances: [] }).long).toEqual([`CRITICAL: no VRRP instance ${config.instance} (VRID ${config.vrid}) in keepalived`, 'det']);
    const two = ev({ instances: [{ name: config.instance, state: 'BACKUP' }, { name: 'VI_2', state: 'MASTER' }] }, 'frontal2');
    expect(two.summary).toBe(`frontal2: ${config.instance} BACKUP, VI_2 MASTER`);
  });
});

describe('evaluateKeepalived: the survivors of the second mutation run (a real json dump)', () => {
  test('two instances: each perfdata label carries its instance name; two directors at the dump priority: neither is assumed', async () => {
    const status = await probeKeepalived(new FakeDirector('healthy', 'frontal1'), opts());
    const own = status.instances.find((i) => i.name === config.instance)!;
    const one = evaluateKeepalived({ status, host: 'h1', now: 0 }, config);
    const labels = one.perf!.map((p) => p.label);
    expect(labels.length).toBeGreaterThan(0);
    const two = evaluateKeepalived({ status: { ...status, instances: [...status.instances, { ...own, name: 'VI_2' }] }, host: 'h1', now: 0 }, config);
    expect(two.perf!.map((p) => p.label)).toEqual([...labels.map((l) => `${config.instance}_${l}`), ...labels.map((l) => `VI_2_${l}`)]);
    const base = own.dump!.basePriority;
    expect(evaluateKeepalived({ status, host: 'h1', now: 0 }, { ...config, priorities: { frontal1: base, frontal2: base - 50 } }).summary).toMatch(/^frontal1: /);
    expect(evaluateKeepalived({ status, host: 'h1', now: 0 }, { ...config, priorities: { frontal1: base, frontal2: base } }).summary).toMatch(/^h1: /);
  });
});
