/**
 * Every generated file of the reference deployment against its golden copy
 * (test/fixtures/golden/reference/STACK/HOST/PATH; modes in STACK/MODES).
 * After an intended change: LVSHA_UPDATE_GOLDEN=1 npx jest test/generate/golden, then review the diff.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Stack } from '../../src/generate/common';
import { planFiles } from '../../src/generate/plan';
import { referenceDeployment } from '../../src/model/reference';
import { testOptions } from './helpers';

const GOLDEN = join(__dirname, '..', 'fixtures', 'golden', 'reference');
const update = process.env.LVSHA_UPDATE_GOLDEN === '1';

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

const heartbeatPlan = planFiles(referenceDeployment, testOptions()).files;
const key = (f: { host: string; path: string }) => `${f.host}${f.path}`;

/**
 * heartbeat: every file. keepalived, pacemaker: only the files that differ from the heartbeat
 * stack's (keepalived.conf; corosync.conf, the CIB; monitoring without Heartbeat); the others
 * must be byte-identical.
 */
describe.each<Stack>(['heartbeat', 'keepalived', 'pacemaker'])('golden files of the reference deployment (%s)', (stack) => {
  const root = join(GOLDEN, stack);
  const all = planFiles(referenceDeployment, testOptions({ stack })).files;
  const same = new Map(heartbeatPlan.map((f) => [key(f), f]));
  const files = stack === 'heartbeat' ? all : all.filter((f) => same.get(key(f))?.content !== f.content || same.get(key(f))?.mode !== f.mode);
  if (stack !== 'heartbeat')
    test('the files shared with the heartbeat stack are identical', () => {
      const shared = all.filter((f) => !files.includes(f));
      expect(shared.length).toBeGreaterThan(10);
      for (const f of shared) expect(f.content).toBe(same.get(key(f))!.content);
    });
  const modes = files.map((f) => `${f.mode.toString(8).padStart(4, '0')} ${f.host}${f.path}`).join('\n') + '\n';

  if (update) {
    rmSync(root, { recursive: true, force: true });
    for (const f of files) {
      const p = join(root, f.host, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content);
    }
    writeFileSync(join(root, 'MODES'), modes);
  }

  test('the same set of files, with the same modes', () => {
    const golden = listFiles(root)
      .map((p) => `/${relative(root, p)}`)
      .filter((p) => p !== '/MODES')
      .sort();
    expect(files.map((f) => `/${f.host}${f.path}`).sort()).toEqual(golden);
    expect(modes).toBe(readFileSync(join(root, 'MODES'), 'utf8'));
  });

  test.each(files.map((f) => [`${f.host}${f.path}`, f] as const))('%s', (_name, f) => {
    expect(f.content).toBe(readFileSync(join(root, f.host, f.path), 'utf8'));
  });
});

test('the modes the brief asks for', () => {
  const { files } = planFiles(referenceDeployment, testOptions());
  const mode = (path: string) => files.find((f) => f.host === 'frontal1' && f.path === path)?.mode;
  expect(mode('/etc/ha.d/authkeys')).toBe(0o600);
  expect(mode('/etc/sudoers.d/lvsha')).toBe(0o440);
  expect(mode('/etc/init.d/lvsstate')).toBe(0o755);
  expect(mode('/etc/ha.d/ha.cf')).toBe(0o644);
  const others = files.filter((f) => !['/etc/ha.d/authkeys', '/etc/sudoers.d/lvsha', '/etc/init.d/lvsstate'].includes(f.path));
  expect(new Set(others.map((f) => f.mode))).toEqual(new Set([0o644]));
});

test('what the article asks for is in the files', () => {
  const { files } = planFiles(referenceDeployment, testOptions());
  const get = (host: string, path: string) => files.find((f) => f.host === host && f.path === path)!.content;
  expect(get('frontal1', '/etc/ha.d/ha.cf')).toMatch(/^ucast\s+eth0 192\.168\.0\.2$/m);
  expect(get('frontal2', '/etc/ha.d/ha.cf')).toMatch(/^ucast\s+eth0 192\.168\.0\.1$/m);
  expect(get('frontal1', '/etc/ha.d/haresources')).toMatch(/^frontal1 IPaddr::192\.168\.0\.3\/24\/eth0 ldirectord::www\.cf$/m);
  // both directors of one run share the key; sha1, never the article's md5 "vive ipvs"
  expect(get('frontal1', '/etc/ha.d/authkeys')).toBe(get('frontal2', '/etc/ha.d/authkeys'));
  expect(get('frontal1', '/etc/ha.d/authkeys')).toMatch(/^auth 1\n1 sha1 \S+$/m);
  expect(files.map((f) => f.content).join('')).not.toMatch(/vive ipvs/);
  expect(get('frontal1', '/etc/init.d/lvsstate')).toMatch(/--start-daemon master --mcast-interface=eth0 --syncid=1/);
  expect(get('frontal1', '/etc/systemd/system/lvsstate.service')).toMatch(/^Type=oneshot\nRemainAfterExit=yes\nExecStart=\/usr\/sbin\/ipvsadm --start-daemon backup/m);
  expect(get('reel1', '/etc/systemd/network/10-lvs-vip.network')).toMatch(/^Address=192\.168\.0\.3\/32$/m);
  expect(get('frontal1', '/etc/sudoers.d/lvsha')).toMatch(/^nagios ALL=\(root\) NOPASSWD: \/usr\/sbin\/ipvsadm -L --daemon$/m);
});
