/**
 * Issue 13, class 6 (and generate's part of class 5): nothing written where it should not be.
 * Before: `--deployment-path /../frontal1/etc/ha.d/authkeys` replaced frontal1's authkeys with the
 * deployment JSON (mode 0644); a refusal met halfway had already written the files before it
 * (20 of 29); `--out /proc/x` spun at 100 % CPU (Node's recursive mkdir under /proc);
 * `--config /abs/path/ha.d` was refused ("not a usable deployment name").
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planFiles } from '../../src/generate/plan';
import { referenceDeployment } from '../../src/model/reference';
import { gen, testOptions, tmp } from './helpers';

const ROOT = join(__dirname, '..', '..');
const dirs: string[] = [];
const newDir = (what: string) => {
  const d = tmp(what);
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const KEY = 'a-fixed-test-key-0123456789';

describe('--deployment-path cannot leave --out nor land on another generated file', () => {
  test.each([
    '/../frontal1/etc/ha.d/authkeys',
    '/etc/lvsha/../../../frontal1/etc/ha.d/authkeys',
    '/./etc/lvsha/deployment.json',
    '//etc/lvsha/deployment.json',
    '/etc/lvsha/',
    'etc/lvsha/deployment.json',
  ])('%s: refused, nothing written', async (p) => {
    const out = newDir('out');
    const g = await gen({ out, authKey: KEY, deploymentPath: p });
    expect(g.code).toBe(2);
    expect(g.err).toEqual([`refused: --deployment-path '${p}' is not a plain absolute path (letters, digits, . _ - and /, no '.' or '..' segments)`]);
    expect(walk(out)).toEqual([]);
  });

  test('the path of another monitoring file: refused, nothing written', async () => {
    const out = newDir('out');
    const g = await gen({ out, authKey: KEY, deploymentPath: '/etc/prometheus/lvsha.yml' });
    expect(g.code).toBe(2);
    expect(g.err).toEqual(['refused: --deployment-path /etc/prometheus/lvsha.yml is the path of another generated file']);
    expect(walk(out)).toEqual([]);
  });

  test('authkeys written by an earlier run stays as it was (0600, its key) with --force too', async () => {
    const out = newDir('out');
    expect((await gen({ out, authKey: KEY })).code).toBe(0);
    const authkeys = join(out, 'frontal1', 'etc', 'ha.d', 'authkeys');
    const before = readFileSync(authkeys, 'utf8');
    const g = await gen({ out, authKey: KEY, force: true, deploymentPath: '/../frontal1/etc/ha.d/authkeys' });
    expect(g.code).toBe(2);
    expect(readFileSync(authkeys, 'utf8')).toBe(before);
    expect(statSync(authkeys).mode & 0o777).toBe(0o600);
  });
});

describe('a refusal writes nothing: every file is planned and checked first', () => {
  test('a file where a host folder must be: refused before any file is written', async () => {
    const out = newDir('out');
    const files = planFiles(referenceDeployment, testOptions()).files;
    // The last host in the plan's order: every other host's files would come first.
    const last = files[files.length - 1]!.host;
    writeFileSync(join(out, last), 'in the way\n');
    const g = await gen({ out, authKey: KEY });
    expect(g.code).toBe(2);
    expect(g.err).toContain(`error: ${join(out, last)} is not a directory`);
    expect(g.err.at(-1)).toBe(`refused: nothing written in ${out}`);
    expect(walk(out)).toEqual([join(out, last)]);
  });

  test('an existing file of the last host, without --force: nothing written for the others', async () => {
    const out = newDir('out');
    const files = planFiles(referenceDeployment, testOptions()).files;
    const f = files[files.length - 1]!;
    const p = join(out, f.host, f.path);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, 'hand-made\n');
    const g = await gen({ out, authKey: KEY });
    expect(g.code).toBe(2);
    expect(walk(out)).toEqual([p]);
  });

  test('a folder that cannot be made: exit 3 with one line, no file and no folder left', async () => {
    const out = newDir('out');
    const files = planFiles(referenceDeployment, testOptions()).files;
    const last = files[files.length - 1]!.host;
    mkdirSync(join(out, last));
    // A read-only folder for the last host: root ignores modes, so make it immutable to all.
    const ro = spawnSync('chattr', ['+i', join(out, last)]);
    if (ro.status !== 0) return; // no chattr here (the plan-time refusals above still hold)
    try {
      const g = await gen({ out, authKey: KEY });
      expect(g.code).toBe(3);
      expect(g.err).toHaveLength(1);
      expect(g.err[0]).toMatch(new RegExp(`^error: nothing written in ${out}: `));
      expect(walk(out)).toEqual([]);
      expect(readdirSync(out)).toEqual([last]);
    } finally {
      spawnSync('chattr', ['-i', join(out, last)]);
    }
  });
});

describe('--out under /proc fails at once (was: 100 % CPU, never ending)', () => {
  test.each(['/proc/x', '/proc/self/lvsha-out', '/sys/lvsha-out'])('%s', (out) => {
    // A child process, so that a regression hangs it and not jest: the spawn's own bound kills it.
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'lvsha'), 'generate', '--out', out], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^lvsha generate: error: nothing written in ${out}: .*(ENOENT|EACCES|EPERM|EROFS)`));
  });
});

describe('--config with an absolute path to an ha.d directory', () => {
  test('works like the relative one (the deployment is named after the folder)', async () => {
    const etc = join(newDir('etc'), 'etc');
    cpSync(join(ROOT, 'test', 'fixtures', 'native', 'seed-etc'), etc, { recursive: true });
    const g = await gen({ config: join(etc, 'ha.d'), dryRun: true, allowWeakAuth: true, authKey: KEY });
    expect(g.err.filter((l) => l.startsWith('error') || l.startsWith('refused'))).toEqual([]);
    expect(g.code).toBe(0);
    expect(g.out.at(-1)).toMatch(/^dry run: \d+ files for deployment 'ha\.d', nothing written$/);
  });
});
