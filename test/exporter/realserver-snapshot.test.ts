import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arpDefaults, gatherArp } from '../../src/checks/arp';
import { BACKEND_LABELS, ScrapeEnv } from '../../src/exporter/collector';
import { renderRegistry } from '../../src/exporter/metrics';
import { moduleSpec } from '../../src/exporter/modules';
import { scrape } from '../../src/exporter/scrape';
import { referenceDeployment } from '../../src/model/reference';
import { SnapshotPlan, SnapshotSource, parseSnapshot, realserverPlan, snapshotArgv } from '../../src/probes/realserverSnapshot';
import { ParseError } from '../../src/runtime/errors';
import { LocalSource } from '../../src/sources/local';
import { MemoSource } from '../../src/sources/memo';
import { parseReadBatch, readAnswerError, readBatchArgv } from '../../src/sources/readBatch';
import { RunOptions, RunResult, Source } from '../../src/sources/source';
import { makeLab, Lab } from './lab';

// The realserver /probe over SSH takes one snapshot (one remote command) and answers the
// probes from it. These tests run the snapshot's script and the SSH source's read batch with
// this machine's sh, on its real /proc/sys and /etc and on the replayed `ip`/`ss` captures:
// what the probes get must be the same either way; and a peer's forged output must be refused.

/** What SshSource does for reads (readBatch.ts's script, one run per read here), minus SSH. */
class BatchSource implements Source {
  readonly host = 'batch';
  constructor(private readonly inner: Source) {}
  run(argv: readonly string[], ro?: RunOptions): Promise<RunResult> {
    return this.inner.run(argv, ro);
  }
  private async one(kind: 'f' | 'd', path: string) {
    const b = '0123456789abcdef0123';
    const r = await this.inner.run(readBatchArgv(b, [{ kind, path }]));
    return parseReadBatch(r.stdout, b, 1)[0]!;
  }
  async readFile(path: string): Promise<string> {
    const a = await this.one('f', path);
    if (!a.ok) throw readAnswerError(path, this.host, a);
    return a.text;
  }
  async listDir(path: string): Promise<string[]> {
    const a = await this.one('d', path);
    return a.ok ? a.text.split('\n').filter((l) => l !== '').sort() : [];
  }
  async close(): Promise<void> {}
}

/** Counts what reaches the real source. */
class Counting implements Source {
  readonly host = 'batch';
  runs: string[][] = [];
  reads = 0;
  constructor(private readonly inner: Source) {}
  run(argv: readonly string[], ro?: RunOptions): Promise<RunResult> {
    this.runs.push([...argv]);
    return this.inner.run(argv, ro);
  }
  readFile(path: string): Promise<string> {
    this.reads++;
    return this.inner.readFile(path);
  }
  listDir(path: string): Promise<string[]> {
    this.reads++;
    return this.inner.listDir(path);
  }
  async close(): Promise<void> {}
}

/** A peer that prints `out` for the snapshot (and fails anything else). */
const forged = (out: (b: string) => string, code = 0): Source => ({
  host: 'reel1',
  async run(argv) {
    if (argv[3] !== 'lvsha-snapshot') throw new Error(`not the snapshot: ${argv.join(' ')}`);
    return { stdout: out(argv[4]!), stderr: '', code, signal: null };
  },
  readFile: async () => {
    throw new Error('no read expected');
  },
  listDir: async () => [],
  close: async () => {},
});

const B = 'feedfacefeedface0123';
const NL = '\n';

describe('realserver snapshot: the same answers as the read batch, in one command', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = makeLab({ ipAddr: 'ip/healthy/reel1/addr', ssTcp: 'ss/listening-any/reel1/ltn' });
  });
  afterAll(() => lab.cleanup());

  const plan = () => realserverPlan(referenceDeployment, lab.programs);

  test("check_lvs_arp's gather on this machine (its /proc/sys, sysctl.d, networkd units) and the replayed ip/ss: the same model; one command, no other read", async () => {
    const config = { ...arpDefaults(referenceDeployment), ip: lab.programs.ip!, ss: lab.programs.ss! };
    const env = (src: Source) => ({ source: () => src, deadline: Date.now() + 20000, signal: new AbortController().signal, trace: () => {} });
    const before = await gatherArp(config, env(new MemoSource(new BatchSource(new LocalSource()))));
    const counting = new Counting(new LocalSource());
    const after = await gatherArp(config, env(new SnapshotSource(new MemoSource(counting), plan())));
    expect(after).toEqual(before);
    // What the model holds came from real files here, not from empty answers.
    expect(before.boot!.files.length).toBeGreaterThan(0);
    expect(Object.keys(before.sysctl)).toEqual(expect.arrayContaining(['all', 'lo']));
    expect(before.sysctl.all!.arp_ignore).toBeDefined();
    expect(counting.runs.map((a) => a[3])).toEqual(['lvsha-snapshot']);
    expect(counting.reads).toBe(0);
  }, 30000);

  test('/probe?module=realserver (collector and check): the same exposition text and verdict', async () => {
    const spec = moduleSpec('realserver', 'reel1', { programs: lab.programs, deployment: referenceDeployment });
    const render = async (src: Source) => {
      const env: ScrapeEnv = {
        source: src,
        sourceFor: () => src,
        deployment: referenceDeployment,
        deadline: Date.now() + 20000,
        programs: lab.programs,
        backendLabels: [...BACKEND_LABELS],
      };
      return (await renderRegistry(await scrape(spec, env))).replace(/^lvsha_probe_duration_seconds.*$/gm, '');
    };
    const before = await render(new MemoSource(new BatchSource(new LocalSource())));
    const after = await render(new SnapshotSource(new MemoSource(new LocalSource()), plan()));
    expect(after).toBe(before);
    expect(before).toContain('lvsha_probe_success{probe="arp"} 1');
    expect(before).toContain('lvsha_arp_vip_on_lo{vip="192.168.0.3"} 1');
  }, 30000);

  test('edges of the directories: dot files, a name with a newline, a dangling link, an unreadable file, no last newline, a name shadowed by an earlier directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvsha-snap-'));
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      mkdirSync(a);
      mkdirSync(b);
      writeFileSync(join(a, '10-x.conf'), 'net.ipv4.conf.all.arp_ignore = 1\nno newline at the end');
      writeFileSync(join(a, '.hidden.conf'), 'k = 1\n');
      writeFileSync(join(a, 'bad\nname.conf'), 'k = 2\n');
      writeFileSync(join(a, 'locked.conf'), 'k = 3\n');
      chmodSync(join(a, 'locked.conf'), 0o000);
      symlinkSync('/nonexistent/target', join(a, 'dangling.conf'));
      writeFileSync(join(a, 'other.txt'), 'not matched\n');
      writeFileSync(join(b, '10-x.conf'), 'shadowed\n');
      writeFileSync(join(b, '20-y.conf'), '');
      const p: SnapshotPlan = { commands: [], files: [join(dir, 'missing'), a], dirs: [{ dir: a, pattern: '*.conf' }, { dir: b, pattern: '*.conf' }, { dir: join(dir, 'none'), pattern: '*' }] };
      const counting = new Counting(new LocalSource());
      const snap = new SnapshotSource(counting, p);
      const batch = new BatchSource(new LocalSource());
      const paths = [
        ...['10-x.conf', '.hidden.conf', 'bad\nname.conf', 'locked.conf', 'dangling.conf', 'other.txt', 'absent.conf'].map((n) => join(a, n)),
        ...['10-x.conf', '20-y.conf'].map((n) => join(b, n)),
        join(dir, 'missing'),
        a,
        join(dir, 'none', 'x'),
      ];
      const outcome = async (s: Source, path: string) => s.readFile(path).then((t) => `ok ${t}`, (e: NodeJS.ErrnoException) => `error ${e.code}`);
      for (const path of paths) expect([path, await outcome(snap, path)]).toEqual([path, await outcome(batch, path)]);
      for (const d of [a, b, join(dir, 'none')]) expect(await snap.listDir(d)).toEqual(await batch.listDir(d));
      // Root reads a mode-000 file: both say so the same way; the answers above are the point.
      expect(await outcome(snap, join(a, '10-x.conf'))).toBe('ok net.ipv4.conf.all.arp_ignore = 1\nno newline at the end');
      // Only names it could not answer went to the real source: the dot file, the newline name, other.txt, b's shadowed name.
      expect(counting.runs.filter((r) => r[3] === 'lvsha-snapshot')).toHaveLength(1);
      expect(counting.reads).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);
});

describe('realserver snapshot: what a peer prints is checked against what was asked', () => {
  const plan: SnapshotPlan = {
    commands: [['ip', '-j', 'addr']],
    files: ['/etc/sysctl.conf'],
    dirs: [{ dir: '/etc/sysctl.d', pattern: '*.conf' }],
    sysctl: { dir: '/proc/sys/net/ipv4/conf', leaves: ['arp_ignore', 'arp_announce'] },
  };
  const rec = (b: string, head: string, body: string, trailer = '0 -') => `${b} ${head}${NL}${body}${NL}${b} ${trailer}${NL}`;
  const good = (b: string) =>
    rec(b, 'x 0', '[]\n') +
    rec(b, 'f /etc/sysctl.conf', 'net.ipv4.conf.all.arp_ignore = 1\n') +
    rec(b, 'd /etc/sysctl.d', '10-arp.conf') +
    rec(b, 'f /etc/sysctl.d/10-arp.conf', 'net.ipv4.conf.lo.arp_ignore = 1\n') +
    rec(b, 's /proc/sys/net/ipv4/conf', '/proc/sys/net/ipv4/conf/all/arp_ignore:1\n/proc/sys/net/ipv4/conf/all/arp_announce:2\n');

  test('the well-formed output parses (the baseline of the cases below)', () => {
    const s = parseSnapshot(good(B), B, plan);
    expect(s.runs[0]).toEqual({ rc: 0, stdout: '[]\n' });
    expect(s.dirs.get('/etc/sysctl.d')).toEqual(['10-arp.conf']);
    expect(s.files.get('/etc/sysctl.d/10-arp.conf')).toEqual({ ok: true, text: 'net.ipv4.conf.lo.arp_ignore = 1\n' });
    expect(s.sysctl!.values.get('/proc/sys/net/ipv4/conf/all/arp_announce')).toBe('2\n');
  });

  const cases: [string, (b: string) => string, RegExp][] = [
    ['a missing end delimiter', (b) => good(b).replace(`${NL}${b} 0 -${NL}${b} f /etc/sysctl.conf`, `${NL}${b} f /etc/sysctl.conf`), /no delimiter|not asked|malformed|not terminated|twice/],
    ['a forged delimiter with another boundary', (b) => good(b).replace(`${b} f /etc/sysctl.conf`, `${'0'.repeat(20)} f /etc/sysctl.conf`), /no delimiter/],
    ['a record not asked for (a file outside the plan)', (b) => good(b) + rec(b, 'f /etc/shadow', 'root:x:0:0\n'), /not asked for/],
    ['a file in a listed directory the listing did not name', (b) => good(b) + rec(b, 'f /etc/sysctl.d/99-evil.conf', 'x = 1\n'), /not asked for/],
    ['a record twice', (b) => good(b) + rec(b, 'f /etc/sysctl.conf', 'net.ipv4.conf.all.arp_ignore = 0\n'), /twice/],
    ['a command record that was not asked for', (b) => good(b) + rec(b, 'x 7', 'boo\n'), /no command 7/],
    ['a missing record', (b) => good(b).replace(rec(b, 'x 0', '[]\n'), ''), /no record for ip -j addr/],
    ['a sysctl line for another key', (b) => good(b).replace('all/arp_announce:2', 'all/rp_filter:2'), /not one asked for/],
    ['bytes after the last record', (b) => `${good(b)}junk`, /no delimiter/],
    ['a malformed trailer', (b) => good(b).replace(`${b} 0 -${NL}${b} d`, `${b} 0 owned${NL}${b} d`), /malformed trailer/],
    ['output cut short', (b) => good(b).slice(0, -30), /not terminated|cut short/],
  ];
  test.each(cases)('%s: a ParseError naming the snapshot', (_what, out, why) => {
    let err: unknown;
    try {
      parseSnapshot(out(B), B, plan);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as Error).message).toMatch(/^cannot parse realserver snapshot: /);
    expect((err as Error).message).toMatch(why);
  });

  // Files read together (one wc -c, one cat): exact bytes or, when anything does not add up,
  // no answer (the probes read that file from the host, as before).
  const plan2: SnapshotPlan = { commands: [], files: ['/etc/a', '/etc/b c'], dirs: [] };
  const together = (b: string, sizes: string, bytes: string, rc = '0 -') => rec(b, 'l -', '/etc/a\n/etc/b c\n') + rec(b, 'w -', sizes, rc) + rec(b, 'c -', bytes);
  test('files read together: each one exact (no last newline, a multi-byte character)', () => {
    const s = parseSnapshot(together(B, '      2 /etc/a\n 7 /etc/b c\n9 total\n', 'x\nd\u00e9 end'), B, plan2);
    expect(s.files.get('/etc/a')).toEqual({ ok: true, text: 'x\n' });
    expect(s.files.get('/etc/b c')).toEqual({ ok: true, text: 'd\u00e9 end' });
  });
  test.each([
    ['sizes that do not add up (a file changed between wc and cat)', (b: string) => together(b, '2 /etc/a\n6 /etc/b c\n8 total\n', 'x\nd\u00e9 end')],
    ['a size line naming another file', (b: string) => together(b, '2 /etc/a\n7 /etc/shadow\n9 total\n', 'x\nd\u00e9 end')],
    ['wc failed', (b: string) => together(b, '2 /etc/a\n7 /etc/b c\n9 total\n', 'x\nd\u00e9 end', '1 -')],
    ['a size cutting a character', (b: string) => together(b, '4 /etc/a\n5 /etc/b c\n9 total\n', 'x\nd\u00e9 end')],
    ['no total line', (b: string) => together(b, '2 /etc/a\n7 /etc/b c\n', 'x\nd\u00e9 end')],
  ])('%s: those files are not answered from the snapshot (read from the host instead)', async (_what, out) => {
    expect(parseSnapshot(out(B), B, plan2).files.size).toBe(0);
    const host = new Counting({ ...forged(out), readFile: async (p: string) => `host ${p}` } as Source);
    const snap = new SnapshotSource({ ...forged(out), readFile: (p: string) => host.readFile(p) } as Source, plan2, () => B);
    expect(await snap.readFile('/etc/b c')).toBe('host /etc/b c');
    expect(host.reads).toBe(1);
  });
  test.each([
    ['a file read together that was not asked for', (b: string) => rec(b, 'l -', '/etc/a\n/etc/shadow\n') + rec(b, 'w -', '') + rec(b, 'c -', ''), /file \/etc\/shadow was not asked for/],
    ['a file both alone and together', (b: string) => rec(b, 'f /etc/a', 'x\n') + together(b, '2 /etc/a\n7 /etc/b c\n9 total\n', 'x\nd\u00e9 end'), /twice/],
    ['a list without sizes', (b: string) => rec(b, 'l -', '/etc/a\n/etc/b c\n') + rec(b, 'c -', ''), /no record for the sizes/],
    ['sizes without a list', (b: string) => rec(b, 'f /etc/a', '') + rec(b, 'f /etc/b c', '') + rec(b, 'w -', '0 /etc/a\n'), /no list/],
    ['a list with an argument', (b: string) => rec(b, 'l x', '/etc/a\n'), /malformed header/],
  ])('%s: a ParseError', (_what, out, why) => {
    expect(() => parseSnapshot(out(B), B, plan2)).toThrow(ParseError);
    expect(() => parseSnapshot(out(B), B, plan2)).toThrow(why);
  });

  test('more records than any plan asks for: refused without building them all', () => {
    // Every record valid: a listing of 5 000 names, then a file record for each.
    const names = Array.from({ length: 5000 }, (_, i) => `n${i}.conf`);
    const flood = (b: string) =>
      good(b).replace(rec(b, 'd /etc/sysctl.d', '10-arp.conf') + rec(b, 'f /etc/sysctl.d/10-arp.conf', 'net.ipv4.conf.lo.arp_ignore = 1\n'), rec(b, 'd /etc/sysctl.d', names.join('\n')) + names.map((n) => rec(b, `f /etc/sysctl.d/${n}`, '')).join(''));
    expect(flood(B)).not.toBe(good(B));
    expect(() => parseSnapshot(flood(B), B, plan)).toThrow(/more than 4096 records/);
  });

  test('a forged snapshot over /probe: the arp probe fails (probe_success 0) and the check says UNKNOWN, not a verdict on forged data', async () => {
    const p = realserverPlan(referenceDeployment);
    const src = new SnapshotSource(forged((b) => rec(b, 'x 0', '[]\n') + rec(b, 'f /etc/shadow', 'x')), p);
    const spec = moduleSpec('realserver', 'reel1', { programs: {}, deployment: referenceDeployment });
    const env: ScrapeEnv = { source: src, sourceFor: () => src, deployment: referenceDeployment, deadline: Date.now() + 5000, programs: {}, backendLabels: [...BACKEND_LABELS] };
    const logs: string[] = [];
    const text = await renderRegistry(await scrape(spec, env, (m) => logs.push(m)));
    expect(text).toContain('lvsha_probe_success{probe="arp"} 0');
    expect(text).toContain('lvsha_check_status{check="arp"} 3');
    expect(logs.join('\n')).toMatch(/realserver snapshot: record 2: file \/etc\/shadow was not asked for/);
  });

  test('the argv: the script is a constant, paths and programs travel as words', () => {
    const argv = snapshotArgv(B, { commands: [["/opt/i p'", '-j', 'addr']], files: ['/etc/a b'], dirs: [{ dir: '/d' }], sysctl: undefined });
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv.slice(3)).toEqual(['lvsha-snapshot', B, 'x2', '0', "/opt/i p'", '-j', 'addr', 'f', '/etc/a b', 'd', '/d']);
    expect(argv[2]).not.toContain('/etc/a b');
  });
});
