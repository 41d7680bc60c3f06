// The Debian package on a clean system: `npm run package` builds lvsha_<version>_all.deb,
// lintian judges it, then a minimal Debian 12 root (debootstrap --variant=minbase bookworm,
// cached in /var/cache/lvsha/bookworm-minbase, from the mirror this machine's apt uses) gets
// nodejs and the .deb through apt, in an overlay so the cache stays clean. Inside it: every
// check_lvs_* --help from /usr/lib/nagios/plugins, check_lvs_ipvs on a replayed capture, the
// unit through systemd-analyze verify, the exporter started with the unit's ExecStart and
// /etc/default options (as the lvsha user, in a network namespace of its own with only lo,
// on a replayed /proc tree) and scraped, man check_lvs_ipvs, an upgrade to a rebuilt package
// that keeps an edited conffile, and apt purge, after which only what was there before is left.
//
// Node: bookworm's nodejs is 18, lvsha needs >= 20 (NodeSource or trixie in real life). The
// test repacks this machine's own Node 20 binary as a `nodejs` package (cached beside the root)
// and apt installs it from that file: the dependency is still resolved by apt.
// Needs root (debootstrap, mount, chroot, unshare); without root it says so and skips.
import { spawn, spawnSync, SpawnSyncOptions } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CACHE_DIR = process.env.LVSHA_DEB_CACHE ?? '/var/cache/lvsha';
const BASE = join(CACHE_DIR, 'bookworm-minbase');
/** In the cached root besides minbase: adduser (our Depends), man (man pages), sudo (visudo in postinst), systemd (the unit, deb-systemd-helper). */
const BASE_PACKAGES = ['adduser', 'man-db', 'sudo', 'systemd', 'init-system-helpers'];
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const UPGRADE_VERSION = `${VERSION}+1`;
const CHECKS = ['vip', 'heartbeat', 'ipvs', 'sync', 'arp', 'sorry', 'keepalived', 'pacemaker'];
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('test/packaging/deb.test.ts: SKIPPED: needs root (debootstrap, mount, chroot, unshare): run it as root to test the .deb');
const d = isRoot ? describe : describe.skip;

function run(cmd: string, args: string[], o: SpawnSyncOptions & { ok?: number[] } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300000, maxBuffer: 64 << 20, ...o });
  const out = { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (o.ok && !o.ok.includes(r.status ?? -1)) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}\n${out.stdout.slice(-3000)}\n${out.stderr.slice(-3000)}`);
  return out;
}

/** The Debian mirror this machine's apt uses for bookworm. */
function mirror(): string {
  const files = ['/etc/apt/sources.list', ...readdirSync('/etc/apt/sources.list.d').filter((f) => /\.(list|sources)$/.test(f)).map((f) => join('/etc/apt/sources.list.d', f))];
  for (const f of files.filter(existsSync)) {
    const text = readFileSync(f, 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      if (uri && /^Suites:.*\bbookworm\b(?![-/])/m.test(stanza)) return uri;
    }
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(text);
    if (m) return m[1]!;
  }
  throw new Error('no bookworm mirror in /etc/apt/sources.list*');
}

const aptEnv = { PATH, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C', HOME: '/root' };

/** The cached minimal root: made once (debootstrap), completed if a package of BASE_PACKAGES is missing. */
function ensureBase(): void {
  if (!existsSync(join(BASE, 'etc', 'debian_version'))) {
    const tmp = `${BASE}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(CACHE_DIR, { recursive: true });
    run('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, 'bookworm', tmp, mirror()], { ok: [0], timeout: 900000 });
    renameSync(tmp, BASE);
  }
  const missing = BASE_PACKAGES.filter((p) => run('chroot', [BASE, 'dpkg-query', '-W', '-f', '${Status}', p], { env: aptEnv }).stdout !== 'install ok installed');
  if (missing.length) {
    withProc(BASE, () => {
      run('chroot', [BASE, 'apt-get', 'update', '-qq'], { env: aptEnv, ok: [0] });
      run('chroot', [BASE, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env: aptEnv, ok: [0] });
      run('chroot', [BASE, 'apt-get', 'clean'], { env: aptEnv, ok: [0] });
    });
  }
}

function withProc<T>(root: string, f: () => T): T {
  run('mount', ['-t', 'proc', 'proc', join(root, 'proc')], { ok: [0] });
  try {
    return f();
  } finally {
    run('umount', [join(root, 'proc')], { ok: [0] });
  }
}

/** This machine's Node (>= 20) as a `nodejs` package: bookworm's own nodejs is 18. */
function nodejsDeb(): string {
  const version = `${process.versions.node}-0lvshatest1`;
  const deb = join(CACHE_DIR, `nodejs_${version}_amd64.deb`);
  if (existsSync(deb)) return deb;
  const stage = mkdtempSync(join(CACHE_DIR, 'nodejs-'));
  try {
    mkdirSync(join(stage, 'DEBIAN'));
    mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
    copyFileSync(process.execPath, join(stage, 'usr', 'bin', 'node'));
    run('chmod', ['0755', join(stage, 'usr', 'bin', 'node')], { ok: [0] });
    writeFileSync(
      join(stage, 'DEBIAN', 'control'),
      [
        'Package: nodejs',
        `Version: ${version}`,
        'Architecture: amd64',
        'Maintainer: lvsha tests <root@localhost>',
        'Depends: libc6, libstdc++6, libgcc-s1',
        'Description: Node.js copied from the test host (for lvsha tests only)',
        ' Debian 12 ships Node 18; lvsha needs Node >= 20.',
        '',
      ].join('\n'),
    );
    run('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', stage, `${deb}.tmp`], { ok: [0] });
    renameSync(`${deb}.tmp`, deb);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return deb;
}

/** Paths of a root, minus what changes on its own (caches, logs, apt and dpkg state). */
function listing(root: string): Set<string> {
  const skip = ['/proc', '/dev', '/run', '/tmp', '/var/cache', '/var/log', '/var/lib/apt', '/var/lib/dpkg'];
  const out = run('find', ['.', '-xdev'], { cwd: root, ok: [0] }).stdout;
  return new Set(
    out
      .split('\n')
      .filter(Boolean)
      .map((p) => p.slice(1) || '/')
      .filter((p) => !skip.some((s) => p === s || p.startsWith(`${s}/`))),
  );
}

const ACCOUNT_FILES = ['passwd', 'group', 'shadow', 'gshadow'];
const accounts = (root: string, f: string) => readFileSync(join(root, 'etc', f), 'utf8').split('\n').filter(Boolean).sort();

d('the Debian package on a clean Debian 12', () => {
  let work: string;
  let root: string;
  let deb: string;
  let debUp: string;
  let mounted: string[] = [];
  let exporterPid: number | undefined;
  /** Files before lvsha was installed (nodejs already in). */
  let before: Set<string>;
  /** The account files' lines then. */
  let accountsBefore: string[][];
  const inRoot = (args: string[], o: SpawnSyncOptions & { ok?: number[] } = {}) => run('chroot', [root, ...args], { env: aptEnv, ...o });

  beforeAll(() => {
    work = mkdtempSync(join(CACHE_DIR.startsWith('/var/cache') && existsSync(CACHE_DIR) ? CACHE_DIR : '/tmp', 'run-'));
    const out = join(work, 'debs');
    deb = run('bash', [join(ROOT, 'scripts', 'package.sh')], { cwd: ROOT, env: { ...process.env, LVSHA_PACKAGE_OUT: out }, ok: [0] }).stdout.trim().split('\n').pop()!;
    debUp = run('bash', [join(ROOT, 'scripts', 'package.sh')], { cwd: ROOT, env: { ...process.env, LVSHA_PACKAGE_OUT: out, LVSHA_PACKAGE_NO_BUILD: '1', LVSHA_DEB_VERSION: UPGRADE_VERSION }, ok: [0] })
      .stdout.trim()
      .split('\n')
      .pop()!;
    mkdirSync(CACHE_DIR, { recursive: true });
    ensureBase();
    const node = nodejsDeb();
    // An overlay over the cached root: each run starts from the same clean system.
    root = join(work, 'root');
    for (const dir of ['upper', 'ovl-work', 'root']) mkdirSync(join(work, dir));
    run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${BASE},upperdir=${join(work, 'upper')},workdir=${join(work, 'ovl-work')}`, root], { ok: [0] });
    mounted.push(root);
    run('mount', ['-t', 'proc', 'proc', join(root, 'proc')], { ok: [0] });
    mounted.push(join(root, 'proc'));
    for (const f of [node, deb, debUp]) copyFileSync(f, join(root, 'tmp', f.split('/').pop()!));
    inRoot(['apt-get', 'install', '-y', '-qq', `/tmp/${node.split('/').pop()}`], { ok: [0] });
    // Heartbeat's group, as the heartbeat package makes it: the exporter's user must join it.
    inRoot(['groupadd', '--system', 'haclient'], { ok: [0] });
    before = listing(root);
    accountsBefore = ACCOUNT_FILES.map((f) => accounts(root, f));
    inRoot(['apt-get', 'install', '-y', '-qq', `/tmp/lvsha_${VERSION}_all.deb`], { ok: [0] });
  }, 900000);

  afterAll(() => {
    if (exporterPid) {
      try {
        process.kill(exporterPid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const m of mounted.reverse()) run('umount', [m]);
    mounted = [];
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the package: bundle, links, unit, conffiles, man pages, completion; no node_modules', () => {
    const files = run('dpkg-deb', ['-c', deb], { ok: [0] }).stdout;
    expect(files).not.toMatch(/node_modules/);
    for (const p of [
      './usr/lib/lvsha/lvsha.js',
      './usr/lib/lvsha/lvsha.js.cache',
      './usr/bin/lvsha -> ../lib/lvsha/lvsha.js',
      './lib/systemd/system/lvsha-exporter.service',
      './etc/default/lvsha-exporter',
      './etc/sudoers.d/lvsha',
      './usr/share/man/man1/lvsha.1.gz',
      './usr/share/bash-completion/completions/lvsha',
      ...CHECKS.map((c) => `./usr/lib/nagios/plugins/check_lvs_${c} -> ../../lvsha/lvsha.js`),
      ...CHECKS.map((c) => `./usr/share/man/man1/check_lvs_${c}.1.gz`),
    ])
      expect(files).toContain(p);
    const control = run('dpkg-deb', ['-f', deb], { ok: [0] }).stdout;
    expect(control).toMatch(/^Depends: nodejs \(>= 20\), adduser$/m);
    expect(control).toMatch(/^Architecture: all$/m);
    expect(deb).toMatch(new RegExp(`/lvsha_${VERSION.replace(/\./g, '\\.')}_all\\.deb$`));
    const conffiles = run('dpkg-deb', ['-I', deb, 'conffiles'], { ok: [0] }).stdout.trim().split('\n');
    expect(conffiles.sort()).toEqual(['/etc/default/lvsha-exporter', '/etc/lvsha/deployment.json', '/etc/sudoers.d/lvsha']);
  });

  test('lintian: no error, no warning (overrides carry their reason)', () => {
    const r = run('lintian', ['--pedantic', '--fail-on', 'error,warning', deb]);
    const tags = r.stdout.split('\n').filter((l) => /^[EWIPX]: /.test(l));
    expect(tags.filter((l) => /^[EW]: /.test(l))).toEqual([]);
    expect(r.code).toBe(0);
  });

  test('every check_lvs_* --help from /usr/lib/nagios/plugins exits 3 with its usage', () => {
    for (const c of CHECKS) {
      const r = inRoot([`/usr/lib/nagios/plugins/check_lvs_${c}`, '--help']);
      expect({ c, code: r.code, usage: r.stdout.split('\n')[0] }).toEqual({ c, code: 3, usage: `Usage: check_lvs_${c} [options]` });
    }
  });

  test('check_lvs_ipvs on a replayed capture: OK, with the code cache found through the link', () => {
    const tree = join(root, 'tmp', 'ipvs-root', 'proc', 'net');
    mkdirSync(tree, { recursive: true });
    const ref = join(ROOT, 'test', 'fixtures', 'real', 'ipvs', 'reference');
    copyFileSync(join(ref, 'proc-net-ip_vs.txt'), join(tree, 'ip_vs'));
    copyFileSync(join(ref, 'proc-net-ip_vs_stats.txt'), join(tree, 'ip_vs_stats'));
    const r = inRoot(['/usr/lib/nagios/plugins/check_lvs_ipvs', '--root', '/tmp/ipvs-root', '--hz', '250'], { env: { ...aptEnv, LVSHA_CODE_CACHE_DEBUG: '1' } });
    expect(r.stdout.split('\n')[0]).toMatch(/^LVS IPVS OK - tcp:192\.168\.0\.3:80: 2 of 2 real servers live \| /);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('code cache /usr/lib/lvsha/lvsha.js.cache: used');
  });

  test('systemd-analyze verify accepts the unit; its Documentation= man page is installed', () => {
    // In the root (its systemd, its man for Documentation=man:lvsha(1), its /usr/bin/lvsha).
    const r = inRoot(['systemd-analyze', 'verify', 'lvsha-exporter.service']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // ...which does reject a unit whose program is missing.
    writeFileSync(join(root, 'tmp', 'lvsha-broken.service'), readFileSync(join(root, 'lib/systemd/system/lvsha-exporter.service'), 'utf8').replace('/usr/bin/lvsha ', '/usr/bin/lvsha-missing '));
    const broken = inRoot(['systemd-analyze', 'verify', '/tmp/lvsha-broken.service']);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain('/usr/bin/lvsha-missing');
    expect(inRoot(['man', '-w', 'lvsha']).stdout.trim()).toBe('/usr/share/man/man1/lvsha.1.gz');
    // The system user exists and the service is enabled (deb-systemd-helper).
    expect(inRoot(['getent', 'passwd', 'lvsha']).stdout).toMatch(/^lvsha:x:\d+:\d+:.*:\/var\/lib\/lvsha:\/usr\/sbin\/nologin$/m);
    expect(inRoot(['id', '-nG', 'lvsha']).stdout.trim().split(' ').sort()).toEqual(['haclient', 'lvsha']);
    expect(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/lvsha-exporter.service'))).toBe('/lib/systemd/system/lvsha-exporter.service');
  });

  test("the exporter, started with the unit's ExecStart and /etc/default options, serves /metrics", async () => {
    const unit = readFileSync(join(root, 'lib/systemd/system/lvsha-exporter.service'), 'utf8');
    const execStart = /^ExecStart=(.+)$/m.exec(unit)![1]!;
    const user = /^User=(\S+)$/m.exec(unit)![1]!;
    const [uid, gid] = inRoot(['getent', 'passwd', user], { ok: [0] }).stdout.split(':').slice(2, 4);
    expect(execStart).toBe('/usr/bin/lvsha exporter $ARGS');
    // The unit's environment file, read by sh as systemd reads it (KEY="value"); $ARGS split on blanks.
    const script = [
      'set -e',
      'ip link set lo up',
      `set -a; . '${root}/etc/default/lvsha-exporter'; set +a`,
      `exec chroot --userspec=${uid}:${gid} '${root}' /usr/bin/env -i PATH=${PATH} ARGS="$ARGS" /bin/sh -c 'exec ${execStart} --root /tmp/ipvs-root'`,
    ].join('\n');
    // A network namespace of its own (only lo): the default port 10694 is free whatever runs here.
    const child = spawn('unshare', ['--net', '--', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    exporterPid = child.pid;
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      // Bounded: up to 100 × 100 ms for the "listening" line.
      for (let i = 0; i < 100 && !/listening on/.test(stderr) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      expect(stderr).toMatch(/lvsha exporter listening on http:\/\/127\.0\.0\.1:10694\/ \(deployment: \/etc\/lvsha\/deployment\.json\)/);
      const scrape = run('nsenter', ['-t', String(child.pid), '-n', process.execPath, '-e', "fetch('http://127.0.0.1:10694/metrics').then(async (r) => process.stdout.write(r.status + '\\n' + (await r.text())))"], { ok: [0], timeout: 30000 });
      const [status, ...body] = scrape.stdout.split('\n');
      expect(status).toBe('200');
      const metrics = body.join('\n');
      expect(metrics).toContain(`lvsha_build_info{version="${VERSION}"} 1`);
      expect(metrics).toMatch(/^lvsha_probe_success\{probe="ipvs"\} 1$/m);
      expect(metrics).toMatch(/^lvsha_ipvs_backend_weight\{local_address="192\.168\.0\.3",local_port="80",proto="TCP",local_mark="",remote_address="192\.168\.0\.4",remote_port="80"\} 1$/m);
      // It runs as the lvsha user.
      expect(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]).toBe(uid);
    } finally {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      exporterPid = undefined;
    }
  }, 60000);

  test('man check_lvs_ipvs shows every option --help lists', () => {
    const page = inRoot(['man', 'check_lvs_ipvs'], { env: { ...aptEnv, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '100', TERM: 'dumb' } });
    expect(page.code).toBe(0);
    const text = page.stdout.replace(/.\x08/g, '').replace(/\u2010/g, '-');
    expect(text).toMatch(/^CHECK_LVS_IPVS\(1\)/);
    const help = inRoot(['/usr/lib/nagios/plugins/check_lvs_ipvs', '--help']).stdout;
    const flags = [...help.matchAll(/^ {2}(?:(-\w), )?(--[\w-]+)/gm)].map((m) => m[2]!);
    expect(flags.length).toBeGreaterThan(15);
    for (const f of flags) expect({ f, inPage: new RegExp(`^ {7}(-\\w, )?${f}\\b`, 'm').test(text) }).toEqual({ f, inPage: true });
  });

  test('postinst refuses a sudoers drop-in that visudo rejects (sudo would refuse everything)', () => {
    const drop = join(root, 'etc/sudoers.d/lvsha');
    const shipped = readFileSync(drop, 'utf8');
    expect(shipped.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([]); // shipped disabled
    writeFileSync(drop, 'nagios ALL=(root) NOPASSWD /usr/sbin/ipvsadm -L --daemon\n'); // the ':' after NOPASSWD missing
    const bad = inRoot(['apt-get', 'install', '-y', '-qq', '--reinstall', '-o', 'Dpkg::Options::=--force-confold', `/tmp/lvsha_${VERSION}_all.deb`]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("lvsha: /etc/sudoers.d/lvsha does not pass 'visudo -c -f'");
    writeFileSync(drop, shipped);
    inRoot(['dpkg', '--configure', '-a'], { ok: [0] });
    expect(inRoot(['dpkg-query', '-W', '-f', '${Status}', 'lvsha']).stdout).toBe('install ok installed');
  });

  test('upgrade to a rebuilt package keeps an edited conffile', () => {
    const conf = join(root, 'etc/default/lvsha-exporter');
    appendFileSync(conf, '# edited by the administrator\n');
    inRoot(['apt-get', 'install', '-y', '-qq', '-o', 'Dpkg::Options::=--force-confold', `/tmp/lvsha_${UPGRADE_VERSION}_all.deb`], { ok: [0] });
    expect(inRoot(['dpkg-query', '-W', '-f', '${Version} ${Status}', 'lvsha']).stdout).toBe(`${UPGRADE_VERSION} install ok installed`);
    expect(readFileSync(conf, 'utf8')).toMatch(/# edited by the administrator\n$/);
    expect(existsSync(join(root, 'etc/default/lvsha-exporter.dpkg-dist'))).toBe(false);
    expect(inRoot(['/usr/lib/nagios/plugins/check_lvs_ipvs', '--root', '/tmp/ipvs-root', '--hz', '250']).code).toBe(0);
  });

  test('apt purge removes the user and its state, and nothing else', () => {
    inRoot(['apt-get', 'purge', '-y', '-qq', 'lvsha'], { ok: [0] });
    expect(inRoot(['getent', 'passwd', 'lvsha']).code).toBe(2);
    expect(inRoot(['getent', 'group', 'lvsha']).code).toBe(2);
    expect(inRoot(['dpkg-query', '-W', '-f', '${Status}', 'lvsha']).stdout).not.toContain('installed');
    const after = listing(root);
    const left = [...after].filter((p) => !before.has(p)).sort();
    const gone = [...before].filter((p) => !after.has(p)).sort();
    console.log(`after apt purge lvsha: left ${left.length ? left.join(', ') : 'nothing'}; removed that was there before: ${gone.length ? gone.join(', ') : 'nothing'}`);
    // Backups adduser/deluser make of the account files are the only new paths allowed.
    expect(left.filter((p) => !/^\/etc\/(passwd|group|shadow|gshadow|subuid|subgid)-$/.test(p))).toEqual([]);
    expect(gone).toEqual([]);
    // The account files are as they were before the install (lvsha out of haclient too).
    expect(ACCOUNT_FILES.map((f) => accounts(root, f))).toEqual(accountsBefore);
  });
});
