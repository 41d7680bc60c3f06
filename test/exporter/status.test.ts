/**
 * The status page (/status, /status?format=json): its gather on the lab's real captures
 * (test/exporter/status-replay.ts), the in-memory history (events, sparkline points, bounds),
 * the HTML (escaping, no script, refresh), and the HTTP side: auth applies, GET/HEAD only,
 * bounded work under a flood. Exporters run in-process on 127.0.0.1:0; nothing leaves loopback
 * (the other director is either not read or read through a replay source standing for SSH).
 */
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gatherStatus } from '../../src/exporter/status/gather';
import { diff, StatusHistory } from '../../src/exporter/status/history';
import { renderStatusHtml } from '../../src/exporter/status/html';
import type { StatusSnapshot } from '../../src/exporter/status/model';
import { webConfigFrom } from '../../src/exporter/webConfig';
import { referenceDeployment } from '../../src/model/reference';
import { LocalSource } from '../../src/sources/local';
import { MemoSource } from '../../src/sources/memo';
import { RootSource } from '../../src/sources/root';
import type { RunOptions, RunResult, Source } from '../../src/sources/source';
import { waitFor } from '../clients/harness';
import { get } from './lab';
import { directorReplay, DirectorReplay, Phase, PHASES, statusExporter } from './status-replay';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require('bcryptjs') as typeof import('bcryptjs');

const replays: DirectorReplay[] = [];
afterAll(() => replays.forEach((r) => r.cleanup()));
const replay = (p: Phase) => {
  const r = directorReplay(p);
  replays.push(r);
  return r;
};

/** A director's --root tree with its replayed programs in place of the real ones (what an SSH source to it would answer). */
class ReplayedDirector implements Source {
  private readonly inner: Source;
  constructor(
    readonly host: string,
    private readonly r: DirectorReplay,
    private readonly extra: Record<string, string> = {},
  ) {
    this.inner = new MemoSource(new RootSource(r.root, new LocalSource({ sudo: false })));
  }
  run(argv: readonly string[], o?: RunOptions): Promise<RunResult> {
    const prog = this.extra[argv[0]!] ?? (argv[0] === 'ip' ? this.r.programs.ip : argv[0] === 'cl_status' ? this.r.programs['cl-status'] : argv[0] === 'ipvsadm' ? this.r.programs.ipvsadm : argv[0]);
    return this.inner.run([prog!, ...argv.slice(1)], o);
  }
  readFile(p: string): Promise<string> {
    return this.inner.readFile(p);
  }
  listDir(p: string): Promise<string[]> {
    return this.inner.listDir(p);
  }
  async close(): Promise<void> {}
}

/** Both directors: frontal1 here, frontal2 as an SSH source would reach it (by address). */
async function gatherPair(p1: Phase, p2: Phase, o: { refuse?: boolean } = {}): Promise<StatusSnapshot> {
  const f1 = new ReplayedDirector('localhost', replay(p1));
  const f2 = new ReplayedDirector('192.168.0.2', replay(p2));
  const asked: string[] = [];
  const s = await gatherStatus({
    deployment: structuredClone(referenceDeployment),
    programs: {},
    deadline: Date.now() + 20_000,
    sourceFor: (h) => {
      asked.push(h ?? '');
      if (h === undefined) return f1;
      if (h === '192.168.0.2') return f2;
      throw new Error(`no source for ${h}`);
    },
    self: 'frontal1',
    peers: true,
    refusal: (a) => (o.refuse ? `${a} is not allowed` : undefined),
  });
  expect(asked.every((h) => h === '' || h === '192.168.0.2')).toBe(true);
  return s;
}

describe('gather on the lab\'s real captures', () => {
  test('frontal1 with reel2 taken out by ldirectord: holder, real server states, checks, sync, HA view', async () => {
    const e = statusExporter(replay(PHASES.frontal1OneDown), 'frontal1');
    const { port } = await e.listen();
    try {
      const r = await get(port, '/status?format=json');
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      const s = JSON.parse(r.body) as StatusSnapshot & { history: { since: number; events: unknown[] } };
      expect(s.self).toBe('frontal1');
      expect(s.vips).toEqual([{ address: '192.168.0.3', holders: ['frontal1'], how: 'read' }]);
      const [f1, f2] = s.directors;
      expect(f1!.ha.value!.nodes).toEqual([
        { name: 'frontal2', status: 'active', local: false },
        { name: 'frontal1', status: 'active', local: true },
      ]);
      expect(f1!.sync.value).toMatchObject({ daemons: [{ role: 'master', syncid: 1 }, { role: 'backup', syncid: 1 }], local: 6, sync: 0 });
      expect(f2).toMatchObject({ name: 'frontal2', read: 'not-read' });
      // /proc/net/ip_vs_stats' rate row (Conns/s 0 in this capture).
      expect(f1!.ipvs.value).toEqual({ services: 1, cps: 0 });
      const svc = s.services[0]!;
      expect(svc).toMatchObject({ key: 'tcp:192.168.0.3:80', label: 'TCP 192.168.0.3:80', director: 'frontal1', live: 1, total: 2, fallbackEngaged: false, connections: 4 });
      expect(svc.realServers).toEqual([
        { address: '192.168.0.4', port: 80, name: 'reel1', weight: 1, active: 0, inactive: 4, state: 'live', fallback: false },
        { address: '192.168.0.5', port: 80, name: 'reel2', state: 'failed', fallback: false },
      ]);
      // The checks' verdicts as lvsha_check_status has them (heartbeat told its node: OK).
      expect(Object.fromEntries(f1!.checks.map((c) => [c.check, c.state]))).toMatchObject({ ipvs: 1, heartbeat: 0, sync: 0 });
      expect(f1!.checks.find((c) => c.check === 'ipvs')!.summary).toBe('1 of 2 real servers live: 192.168.0.5:80 removed from the table (failed check, quiescent=no)');
      expect(s.history.events).toEqual([]);
    } finally {
      await e.close();
    }
  });

  test('the other director read through its source (SSH in the exporter): both read, split brain seen; refused by the allow list: not read', async () => {
    const both = await gatherPair(PHASES.frontal1Healthy, PHASES.frontal2Healthy);
    expect(both.directors.map((d) => [d.name, d.read, d.vips.value])).toEqual([
      ['frontal1', 'local', { '192.168.0.3': true }],
      ['frontal2', 'ssh', { '192.168.0.3': false }],
    ]);
    expect(both.vips).toEqual([{ address: '192.168.0.3', holders: ['frontal1'], how: 'read' }]);
    expect(both.directors[1]!.checks.map((c) => c.check)).toEqual(['ipvs', 'heartbeat', 'sync', 'sorry']);

    const split = await gatherPair({ ...PHASES.frontal1Healthy, ip: 'ip/split-brain/frontal1', heartbeat: 'heartbeat/split-brain/frontal1' }, { ...PHASES.frontal2Healthy, ip: 'ip/split-brain/frontal2', heartbeat: 'heartbeat/split-brain/frontal2' });
    expect(split.vips[0]!.holders).toEqual(['frontal1', 'frontal2']);
    expect(renderStatusHtml(split, new StatusHistory(), { refresh: 10 })).toContain('SPLIT BRAIN: frontal1 + frontal2');

    const refused = await gatherPair(PHASES.frontal1Healthy, PHASES.frontal2Healthy, { refuse: true });
    expect(refused.directors[1]).toMatchObject({ read: 'not-read', note: 'not read: 192.168.0.2 is not allowed' });
  });
});

test('Pacemaker: its view of both nodes and where the VIP resource runs (holder of a director not read), the crashed node offline', async () => {
  const views: string[] = [];
  for (const scenario of ['healthy', 'node-crash']) {
    const r = replay(scenario === 'healthy' ? PHASES.frontal2Healthy : PHASES.frontal2Takeover);
    const crm = join(r.dir, 'crm_mon');
    writeFileSync(crm, `#!/bin/sh\ncat '${join(__dirname, '..', 'fixtures', 'real', 'pacemaker', scenario, 'frontal2', 'crm_mon.xml')}'\n`);
    chmodSync(crm, 0o755);
    const f2 = new ReplayedDirector('localhost', r, { crm_mon: crm });
    const s = await gatherStatus({
      deployment: { ...structuredClone(referenceDeployment), ha: 'pacemaker' },
      programs: { cibadmin: '' },
      deadline: Date.now() + 20_000,
      sourceFor: () => f2,
      self: 'frontal2',
      peers: false,
      refusal: () => undefined,
    });
    const ha = s.directors[1]!.ha;
    expect(ha.error).toBeUndefined();
    views.push(`${scenario}: ${s.vips.map((v) => `${v.address}=${v.holders.join('+')} (${v.how})`).join()} | ${ha.value!.nodes.map((n) => `${n.name} ${n.status}${n.holdsVip ? ' vip' : ''}`).join(', ')}`);
  }
  expect(views).toEqual(['healthy: 192.168.0.3=frontal1 (ha) | frontal1 online vip, frontal2 online', expect.stringMatching(/^node-crash: 192\.168\.0\.3=frontal2 \(read\) \| frontal1 offline, frontal2 online vip$/)]);
});

test('keepalived: this director\'s VRRP state; BACKUP here and the other director not read: the holder per the HA layer', async () => {
  const r = replay(PHASES.frontal2Healthy);
  const ka = join(__dirname, '..', 'fixtures', 'real', 'keepalived-pair', 'healthy', 'frontal2');
  mkdirSync(join(r.root, 'tmp'));
  mkdirSync(join(r.root, 'run'));
  for (const f of ['keepalived.json', 'keepalived.data']) copyFileSync(join(ka, f), join(r.root, 'tmp', f));
  writeFileSync(join(r.root, 'run', 'keepalived.pid'), '4242\n');
  writeFileSync(join(r.root, 'run', 'vrrp.pid'), '4243\n');
  for (const pid of [4242, 4243]) {
    mkdirSync(join(r.root, 'proc', String(pid)), { recursive: true });
    writeFileSync(join(r.root, 'proc', String(pid), 'stat'), `${pid} (keepalived) S 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n`);
  }
  // A RootSource: the keepalived probe reads a captured tree's dumps as they are (no signal).
  const src = new RootSource(r.root, new LocalSource({ sudo: false }));
  const s = await gatherStatus({
    deployment: { ...structuredClone(referenceDeployment), ha: 'keepalived' },
    programs: { ip: r.programs.ip!, ipvsadm: r.programs.ipvsadm! },
    deadline: Date.now() + 20_000,
    sourceFor: () => src,
    self: 'frontal2',
    peers: false,
    refusal: () => undefined,
  });
  const ha = s.directors[1]!.ha;
  expect(ha.error).toBeUndefined();
  expect(ha.value).toMatchObject({ layer: 'keepalived', daemon: 'running', nodes: [{ name: 'frontal2 VI_1', status: 'BACKUP', local: true }] });
  expect(s.vips).toEqual([{ address: '192.168.0.3', holders: ['frontal1'], how: 'ha' }]);
  expect(s.directors[1]!.checks.map((c) => c.check)).toEqual(['ipvs', 'keepalived', 'sync', 'sorry']);
});

describe('history', () => {
  test('events between real gathers: VIP moved, real servers failed, fallback engaged, sync daemon stopped, Heartbeat sees the peer dead', async () => {
    const r = replay(PHASES.frontal2Healthy);
    const e = statusExporter(r, 'frontal2');
    const page = e.statusPage();
    // No caching between the phases of this test (the exporter's page keeps 2 s).
    (page as unknown as { o: { minIntervalMs: number } }).o.minIntervalMs = 0;
    const json = async () => JSON.parse((await page.answer('json')).text) as StatusSnapshot & { history: { events: { kind: string; severity: string; text: string }[]; series: Record<string, { live: number; connections: number }[]> } };
    try {
      let s = await json();
      expect(s.vips[0]).toEqual({ address: '192.168.0.3', holders: ['frontal1'], how: 'ha' });
      expect(s.services[0]!.realServers.map((x) => x.state)).toEqual(['unknown', 'unknown']);
      r.set(PHASES.frontal2Takeover);
      s = await json();
      expect(s.history.events.filter((x) => x.kind === 'vip' || x.kind === 'ha')).toEqual([
        { at: s.at, kind: 'vip', severity: 'warning', text: 'VIP 192.168.0.3 moved from frontal1 to frontal2' },
        { at: s.at, kind: 'ha', severity: 'critical', text: 'heartbeat on frontal2 sees frontal1 dead (was active)' },
      ].reverse());
      // Unknown (holder not read) → live is no event.
      expect(s.history.events.filter((x) => x.kind === 'realserver')).toEqual([]);
      r.set({ ...PHASES.frontal2Fallback, daemon: 'ipvs/sync-daemon/ipvsadm-L-daemon.backup.txt' });
      s = await json();
      const texts = s.history.events.map((x) => x.text);
      expect(texts).toEqual(
        expect.arrayContaining([
          'real server reel1 192.168.0.4:80 of TCP 192.168.0.3:80 removed from the table (failed)',
          'real server reel2 192.168.0.5:80 of TCP 192.168.0.3:80 removed from the table (failed)',
          'fallback engaged for TCP 192.168.0.3:80: every real server is down',
          'master sync daemon stopped on frontal2',
        ]),
      );
      r.set(PHASES.frontal2Takeover);
      s = await json();
      expect(s.history.events.slice(0, 6).map((x) => x.text)).toEqual(
        expect.arrayContaining(['fallback cleared for TCP 192.168.0.3:80', 'master sync daemon started on frontal2', 'real server reel1 192.168.0.4:80 of TCP 192.168.0.3:80 back (was failed)']),
      );
      expect(s.history.series['tcp:192.168.0.3:80']!.map((p) => p.live)).toEqual([0, 2, 0, 2]);
    } finally {
      await e.close();
    }
  });

  test('--status-sample: gathers in the background, so the timeline holds what happened before anyone asked', async () => {
    const r = replay(PHASES.frontal1Healthy);
    const e = statusExporter(r, 'frontal1', { statusSample: 0.05 });
    await e.listen();
    try {
      const page = e.statusPage();
      (page as unknown as { o: { minIntervalMs: number } }).o.minIntervalMs = 0;
      // Bounded waits on the gather count, no request made.
      const gathers = (n: number) => waitFor(`${n} gathers`, () => (page.gathers >= n ? true : undefined), 10_000, 20);
      await gathers(2);
      r.set(PHASES.frontal1OneDown);
      const after = page.gathers;
      await gathers(after + 2);
      const s = JSON.parse((await page.answer('json')).text) as { history: { events: { text: string }[] } };
      expect(s.history.events.map((x) => x.text)).toContain('real server reel2 192.168.0.5:80 of TCP 192.168.0.3:80 removed from the table (failed)');
    } finally {
      await e.close();
    }
  });

  test('bounded by count and by age', () => {
    const base = (at: number, holder: string): StatusSnapshot => ({
      deployment: 'd',
      version: 'v',
      haLayer: 'heartbeat',
      startedAt: at,
      at,
      vips: [{ address: '10.0.0.1', holders: [holder], how: 'read' }],
      directors: [],
      services: [{ key: 'k', label: 'TCP k', realServers: [], live: 1, total: 1, fallbackEngaged: false, connections: 3 }],
    });
    const h = new StatusHistory({ maxEvents: 5, maxPoints: 7, maxAgeMs: 60_000 }, 0);
    for (let i = 0; i < 100; i++) h.record(base(i * 100, i % 2 ? 'a' : 'b'));
    expect(h.size).toEqual({ events: 5, points: 7 });
    expect(h.timeline()[0]!.text).toBe('VIP 10.0.0.1 moved from b to a');
    // An hour later, only the newest gather's point is left.
    h.record(base(10_000 + 61_000, 'b'));
    expect(h.size).toEqual({ events: 1, points: 1 });
    // Services beyond maxServices are not followed.
    const many = new StatusHistory({ maxServices: 3 });
    const s = base(1, 'a');
    s.services = Array.from({ length: 50 }, (_, i) => ({ ...s.services[0]!, key: `k${i}` }));
    many.record(s);
    expect(many.size.points).toBe(3);
    expect(diff(base(1, 'a'), base(2, 'a'))).toEqual([]);
  });
});

describe('HTML', () => {
  test('hostile strings are escaped (summary with <script>, host names), the page has no script and refreshes itself', async () => {
    const s = await gatherPair(PHASES.frontal1OneDown, PHASES.frontal2Healthy);
    const evil = '<script>alert(1)</script>"\'&';
    s.deployment = evil;
    s.directors[0]!.checks[0]!.summary = evil;
    s.directors[1]!.name = `<img src=x onerror=alert(1)>`;
    s.directors[1]!.ha = { at: 1, error: evil };
    s.services[0]!.realServers[0]!.name = evil;
    s.services[0]!.label = evil;
    const h = new StatusHistory();
    h.record({ ...s, vips: [{ ...s.vips[0]!, holders: [evil] }] });
    h.record({ ...s, vips: [{ ...s.vips[0]!, holders: ['<b>x</b>'] }], at: s.at + 1 });
    const html = renderStatusHtml(s, h, { refresh: 7 });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;&#38;');
    expect(html).toContain('VIP 192.168.0.3 moved from &#60;script&#62;');
    expect(html).toContain('<meta http-equiv="refresh" content="7">');
    // The holder and the failed real server are marked for the eye, not only in a table.
    expect(html).toMatch(/<div class="tile crit" data-rs="192\.168\.0\.5:80" data-state="failed"><div class="st">FAILED</);
    expect(html).toMatch(/class="card director holder" data-director="frontal1" data-holder="yes"/);
  });
});

describe('HTTP', () => {
  test('the landing page links to /status; POST refused; unknown format 400; HEAD answers', async () => {
    const e = statusExporter(replay(PHASES.frontal1Healthy), 'frontal1');
    const { port } = await e.listen();
    try {
      expect((await get(port, '/')).body).toContain('<a href="status"><b>Status page</b></a>');
      const html = await get(port, '/status');
      expect([html.status, html.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
      expect((await get(port, '/status?format=xml')).status).toBe(400);
      const method = (m: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path: '/status', method: m, agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
      expect(await method('POST')).toBe(405);
      expect(await method('DELETE')).toBe(405);
      expect(await method('HEAD')).toBe(200);
    } finally {
      await e.close();
    }
  });

  test('basic auth applies to /status and its JSON', async () => {
    const hash = bcrypt.hashSync('s3cret', 4);
    const web = webConfigFrom({ basic_auth_users: { prom: hash } }, 'web.yml');
    const e = statusExporter(replay(PHASES.frontal1Healthy), 'frontal1', { web });
    const { port } = await e.listen();
    // The cache interval out of the way (a loaded machine may take 2 s between requests): the count is about auth only.
    (e.statusPage() as unknown as { o: { minIntervalMs: number } }).o.minIntervalMs = 3_600_000;
    try {
      for (const path of ['/status', '/status?format=json']) {
        expect((await get(port, path)).status).toBe(401);
        expect((await get(port, path, { Authorization: `Basic ${Buffer.from('prom:wrong').toString('base64')}` })).status).toBe(401);
        expect((await get(port, path, { Authorization: `Basic ${Buffer.from('prom:s3cret').toString('base64')}` })).status).toBe(200);
      }
      // Refused requests gather nothing.
      expect(e.statusPage().gathers).toBe(1);
    } finally {
      await e.close();
    }
  });

  test('a flood of /status: one gather per interval, every answer the same state', async () => {
    const r = replay(PHASES.frontal1OneDown);
    const e = statusExporter(r, 'frontal1');
    const { port } = await e.listen();
    // No timing in the assertion: the interval is made longer than the test (the default 2 s
    // could pass between requests on a loaded machine); the single flight and the cache are what is counted.
    (e.statusPage() as unknown as { o: { minIntervalMs: number } }).o.minIntervalMs = 3_600_000;
    try {
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => get(port, i % 2 ? '/status' : '/status?format=json')));
      expect(answers.map((a) => a.status)).toEqual(Array(60).fill(200));
      // And sequential ones right after, inside the interval.
      for (let i = 0; i < 20; i++) expect((await get(port, '/status?format=json')).status).toBe(200);
      expect(e.statusPage().gathers).toBe(1);
      expect(new Set(answers.filter((_, i) => i % 2 === 0).map((a) => a.body)).size).toBe(1);
    } finally {
      await e.close();
    }
  });
});

// The command line as installed (dist/): its /status options refused at start, naming the culprit.
const BIN = join(__dirname, '..', '..', 'bin', 'lvsha');
(existsSync(join(__dirname, '..', '..', 'dist', 'exporter', 'status', 'page.js')) ? test : test.skip)('lvsha exporter (CLI): bad --node, --status-refresh and --status-sample refused at start, one line', () => {
  const cases: [string[], RegExp][] = [
    [['--node', '<frontal9>'], /^lvsha: --node '<frontal9>' is not a director of the deployment \(frontal1, frontal2\)$/],
    [['--status-refresh', '0'], /--status-refresh '0' is not a positive number/],
    [['--status-refresh', 'soon'], /--status-refresh 'soon' is not a positive number/],
    [['--status-refresh', '99999'], /--status-refresh '99999' is above 3600 s/],
    [['--status-sample', '-1'], /--status-sample '-1' is not a non-negative number/],
    [['--status-sample', '86400'], /--status-sample '86400' is above 3600 s/],
  ];
  for (const [args, re] of cases) {
    const r = spawnSync(process.execPath, [BIN, 'exporter', '--listen', '127.0.0.1:0', ...args], { encoding: 'utf8', timeout: 20_000 });
    // lvsha's usage errors exit 2 (src/cli.ts), as the other exporter options.
    expect([args.join(' '), r.status]).toEqual([args.join(' '), 2]);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(re)]);
  }
});
