// The RPM (`scripts/package.sh --rpm`, with Debian's rpmbuild): the .deb's files in Red Hat's
// places. Read with rpm -qp (installing it needs an RPM system: the .deb's test proves the files
// themselves on a clean Debian). Uses build/ when `npm run build` already made it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const CHECKS = ['vip', 'heartbeat', 'ipvs', 'sync', 'arp', 'sorry', 'keepalived', 'pacemaker'];
const hasRpm = spawnSync('rpmbuild', ['--version']).status === 0;
if (!hasRpm) console.warn('test/packaging/rpm.test.ts: SKIPPED: no rpmbuild (apt install rpm)');
const d = hasRpm ? describe : describe.skip;

d('the RPM', () => {
  let out: string;
  let rpm: string;
  const q = (...args: string[]) => {
    const r = spawnSync('rpm', ['-qp', ...args, rpm], { encoding: 'utf8', timeout: 30000 });
    expect(r.status).toBe(0);
    return r.stdout;
  };

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'lvsha-rpm-'));
    const built = existsSync(join(ROOT, 'build', 'lvsha.js')) && existsSync(join(ROOT, 'dist', 'man.js'));
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'package.sh'), '--rpm'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300000,
      env: { ...process.env, LVSHA_PACKAGE_OUT: out, ...(built && { LVSHA_PACKAGE_NO_BUILD: '1' }) },
    });
    if (r.status !== 0) throw new Error(`package.sh --rpm: exit ${r.status}\n${r.stderr}`);
    rpm = r.stdout.trim().split('\n').pop()!;
  }, 300000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('name, version, noarch; requires Node >= 20 (epoch 1, as Fedora and RHEL ship it)', () => {
    expect(rpm).toBe(join(out, `lvsha-${VERSION}-1.noarch.rpm`));
    expect(q('--queryformat', '%{NAME} %{VERSION} %{ARCH}')).toBe(`lvsha ${VERSION} noarch`);
    expect(q('--requires').split('\n')).toContain('nodejs >= 1:20');
  });

  test("the .deb's files in Red Hat's places: plugins in /usr/lib64/nagios/plugins, links resolving to the bundle", () => {
    const lines = q('-lv').trim().split('\n');
    const links = new Map(lines.filter((l) => l.startsWith('l')).map((l) => /(\S+) -> (\S+)$/.exec(l)!.slice(1, 3) as [string, string]));
    for (const c of CHECKS) expect(resolve(dirname(`/usr/lib64/nagios/plugins/check_lvs_${c}`), links.get(`/usr/lib64/nagios/plugins/check_lvs_${c}`) ?? '')).toBe('/usr/lib/lvsha/lvsha.js');
    expect(resolve('/usr/bin', links.get('/usr/bin/lvsha') ?? '')).toBe('/usr/lib/lvsha/lvsha.js');
    const files = q('-l').trim().split('\n');
    for (const f of ['/usr/lib/lvsha/lvsha.js', '/usr/lib/lvsha/lvsha.js.cache', '/usr/lib/systemd/system/lvsha-exporter.service', '/usr/share/man/man1/lvsha.1.gz', '/usr/share/bash-completion/completions/lvsha'])
      expect(files).toContain(f);
    expect(files.filter((f) => /node_modules|\/etc\/default|\/lib\/nagios\/|lintian|DEBIAN/.test(f))).toEqual([]);
    expect(lines.find((l) => l.endsWith(' /etc/sudoers.d/lvsha'))).toMatch(/^-r--r----- /);
  });

  test('config files kept on upgrade (noreplace); the unit reads /etc/sysconfig; the user made in %pre', () => {
    expect(q('--configfiles').trim().split('\n').sort()).toEqual(['/etc/lvsha/deployment.json', '/etc/sudoers.d/lvsha', '/etc/sysconfig/lvsha-exporter']);
    expect(q('--queryformat', '[%{FILENAMES} %{FILEFLAGS:fflags}\n]').split('\n').filter((l) => l.startsWith('/etc/') && / c/.test(l) && !/n/.test(l.split(' ')[1]!))).toEqual([]);
    expect(q('--scripts')).toMatch(/useradd -r -g lvsha -d \/var\/lib\/lvsha/);
    const dir = mkdtempSync(join(tmpdir(), 'lvsha-rpm-x-'));
    try {
      // The unit, as packaged: EnvironmentFile moved with the options file.
      const unit = spawnSync('sh', ['-c', `rpm2cpio '${rpm}' > '${dir}/payload' && grep -a -o 'EnvironmentFile=[^[:space:]]*' '${dir}/payload' | sort -u`], { encoding: 'utf8' }).stdout;
      expect(unit.trim()).toBe('EnvironmentFile=-/etc/sysconfig/lvsha-exporter');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
