// The shipped artifact: build/lvsha.js (npm run build) copied alone into an empty directory
// with no node_modules anywhere above it, then every check on replayed real captures (the
// cases of bench/startup-cases.js), lvsha --version, generate, the exporter, the SSH path,
// and `lvsha install` (from the bundle and from this checkout); the V8 code cache beside the
// bundle (build/lvsha.js.cache): same behaviour without it, with it, and with a bad one.
// Nothing here leaves the machine: loopback deployment, replay scripts, a closed loopback port.
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { codeCacheBuild, findBundle, InstallRefused, runInstall } from '../../src/install/command';
import { CHECK_NAMES } from '../../src/checks/registry';

const ROOT = join(__dirname, '..', '..');
const REAL = join(ROOT, 'test', 'fixtures', 'real');

interface BenchCase {
  name: string;
  bin: string;
  args: string[];
  env: Record<string, string>;
  code: number;
  first: RegExp;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bench = require('../../bench/startup-cases') as {
  cases(binDir: string): { setup(): void; teardown(): void; list: BenchCase[]; dir: string };
  LOOPBACK_DEPLOYMENT: object;
};

const temps: string[] = [];
const temp = (p = 'lvsha-ship-') => {
  const d = mkdtempSync(join(tmpdir(), p));
  temps.push(d);
  return d;
};

/** A directory holding only the bundle and its links, with no node_modules in any parent. */
let ship: string;
let hasInstall = false;
const env = { ...process.env };
delete env.LVSHA_CONFIG;
delete env.NODE_PATH;
delete env.LVSHA_CODE_CACHE_OUT;
delete env.LVSHA_CODE_CACHE_DEBUG;

function run(file: string, args: string[], extraEnv: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', cwd: ship, env: { ...env, ...extraEnv }, timeout: 30000 });
  return { code: r.status, out: r.stdout, err: r.stderr, first: r.stdout.split('\n')[0]! };
}

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.js')], { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
  ship = join(temp(), 'lvsha');
  mkdirSync(ship);
  for (let d = ship; d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, 'node_modules'))).toBe(false);
  cpSync(join(ROOT, 'build'), ship, { recursive: true, verbatimSymlinks: true });
  hasInstall = run(join(ship, 'lvsha'), ['--help']).out.includes('install');
}, 180000);

afterAll(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The build id the bundle's loader expects in its cache (second line of build/lvsha.js, scripts/bundle.js). */
const bundleBuild = (file: string) => /^\/\/ lvsha single-file bundle, build ([0-9a-f]{16}):/m.exec(readFileSync(file, 'latin1'))?.[1];

test('build/ holds one file, its code cache and links to it', () => {
  const entries = readdirSync(ship).sort();
  expect(entries).toEqual(['check_lvs_arp', 'check_lvs_heartbeat', 'check_lvs_ipvs', 'check_lvs_keepalived', 'check_lvs_pacemaker', 'check_lvs_sorry', 'check_lvs_sync', 'check_lvs_vip', 'lvsha', 'lvsha.js', 'lvsha.js.cache']);
  for (const e of entries.filter((x) => !x.startsWith('lvsha.js'))) expect(readlinkSync(join(ship, e))).toBe('lvsha.js');
  expect(lstatSync(join(ship, 'lvsha.js')).mode & 0o111).not.toBe(0);
  const build = bundleBuild(join(ship, 'lvsha.js'));
  expect(build).toMatch(/^[0-9a-f]{16}$/);
  expect(codeCacheBuild(join(ship, 'lvsha.js.cache'))).toBe(build);
});

describe('every check from the copied bundle, on replayed real captures', () => {
  let c: ReturnType<typeof bench.cases>;
  beforeAll(() => {
    c = bench.cases(ship);
    c.setup();
  });
  afterAll(() => c.teardown());
  for (const name of ['check_lvs_vip', 'check_lvs_heartbeat', 'check_lvs_ipvs', 'check_lvs_sync', 'check_lvs_arp', 'check_lvs_sorry']) {
    test(name, () => {
      const k = c.list.find((x) => x.name === name)!;
      const r = run(k.bin, k.args, k.env);
      expect(r.err).toBe('');
      expect(r.first).toMatch(k.first);
      expect(r.code).toBe(k.code);
    });
  }
  test('lvsha check NAME is the same check', () => {
    const k = c.list.find((x) => x.name === 'check_lvs_ipvs')!;
    const r = run(join(ship, 'lvsha'), ['check', 'ipvs', ...k.args], k.env);
    expect(r.first).toMatch(k.first);
    expect(r.code).toBe(0);
  });
  test('a check also runs as `node lvsha.js` called through a differently named link: the CLI', () => {
    expect(run(join(ship, 'lvsha.js'), ['--version'])).toMatchObject({ code: 0, first: '0.1.0' });
  });
});

describe('the V8 code cache beside the bundle: same behaviour without it, with it, with a bad one', () => {
  let c: ReturnType<typeof bench.cases>;
  const CACHE_ENV = { LVSHA_CODE_CACHE_DEBUG: '1' };
  /** A directory with the bundle, its links and `cache` (bytes) as lvsha.js.cache, or no cache. */
  function shipWith(cache: Buffer | undefined): string {
    const d = temp('lvsha-cache-');
    copyFileSync(join(ship, 'lvsha.js'), join(d, 'lvsha.js'));
    for (const e of readdirSync(ship).filter((x) => !x.startsWith('lvsha.js'))) symlinkSync('lvsha.js', join(d, e));
    if (cache) writeFileSync(join(d, 'lvsha.js.cache'), cache);
    return d;
  }
  // Timings in the output differ run to run.
  const stable = (out: string) => out.replace(/\d+\.\d+ ?s\b/g, 'T s');
  /** Every replayed check and --version from `dir`: exit code, stdout (timings masked), and what the loader said of the cache. */
  function runAll(dir: string) {
    const names = readdirSync(dir).sort();
    const r = [...c.list.map((k) => [k.name, k.args, k.env] as const), ['check_lvs_ipvs', ['--version'], {}] as const, ['lvsha', ['--version'], {}] as const].map(([name, args, e]) => {
      const x = run(join(dir, name), [...args], { ...e, ...CACHE_ENV });
      const said = /^lvsha: code cache (\S+): (.*)$/m.exec(x.err);
      return { name, code: x.code, first: x.first, out: stable(x.out), cache: said?.[2], cacheFile: said?.[1], otherErr: x.err.replace(/^lvsha: code cache .*\n/m, '') };
    });
    // Never a cache written at run time (LVSHA_CODE_CACHE_OUT unset): the directory is as it was.
    expect(readdirSync(dir).sort()).toEqual(names);
    return r;
  }
  let reference: ReturnType<typeof runAll>;
  const good = () => readFileSync(join(ship, 'lvsha.js.cache'));
  beforeAll(() => {
    c = bench.cases(ship);
    c.setup();
    reference = runAll(shipWith(undefined));
  });
  afterAll(() => c.teardown());
  const sameAsWithout = (r: ReturnType<typeof runAll>) => {
    expect(r.map(({ name, code, out, otherErr }) => ({ name, code, out, otherErr }))).toEqual(reference.map(({ name, code, out, otherErr }) => ({ name, code, out, otherErr })));
  };

  test('without a cache: every check gives its expected result, nothing on stderr but the debug line', () => {
    for (const x of reference) {
      expect(x.cache).toBe('absent');
      expect(x.otherErr).toBe('');
    }
    for (const k of c.list) expect(reference.find((x) => x.name === k.name && x.code === k.code && k.first.test(x.first))).toBeDefined();
    expect(reference.slice(-2).map((x) => [x.code, x.first])).toEqual([
      [3, 'check_lvs_ipvs (lvsha) 0.1.0'],
      [0, '0.1.0'],
    ]);
  });

  test('with the built cache: used, same output and exit codes', () => {
    const r = runAll(shipWith(good()));
    expect(r.map((x) => x.cache)).toEqual(r.map(() => 'used'));
    sameAsWithout(r);
  });

  test('a damaged cache (bytes changed after the header): rejected by its checksum, same output', () => {
    const b = good();
    const nl = b.indexOf(10);
    for (let i = nl + 1 + Math.floor((b.length - nl) / 3); i < nl + 1 + Math.floor((b.length - nl) / 3) + 64; i++) b[i]! ^= 0x5a;
    const r = runAll(shipWith(b));
    expect(r.map((x) => x.cache)).toEqual(r.map(() => 'rejected: crc32 mismatch'));
    sameAsWithout(r);
  });

  test('a truncated cache, another build\'s cache, a file that is no cache: rejected, same output', () => {
    const b = good();
    const truncated = runAll(shipWith(b.subarray(0, Math.floor(b.length / 2))));
    expect(truncated.map((x) => x.cache)).toEqual(truncated.map(() => 'rejected: crc32 mismatch'));
    sameAsWithout(truncated);
    const other = Buffer.from(b);
    other.write('0123456789abcdef', 'LVSHA-V8-CACHE '.length, 'latin1');
    const o = runAll(shipWith(other));
    expect(o.map((x) => x.cache)).toEqual(o.map(() => expect.stringMatching(/^rejected: made for build 0123456789abcdef, /)));
    sameAsWithout(o);
    const junk = runAll(shipWith(Buffer.from('not a cache\n')));
    expect(junk.map((x) => x.cache)).toEqual(junk.map(() => 'rejected: not a code cache'));
    sameAsWithout(junk);
  });

  test('a header and checksum that match but data V8 does not accept (other Node/V8 build): V8 rejects it, same output', () => {
    const b = good();
    const header = b.subarray(0, b.indexOf(10)).toString('latin1').split(' ');
    const data = Buffer.alloc(4096, 0x42);
    header[4] = crc32(data).toString(16).padStart(8, '0');
    const r = runAll(shipWith(Buffer.concat([Buffer.from(`${header.join(' ')}\n`, 'latin1'), data])));
    expect(r.map((x) => x.cache)).toEqual(r.map(() => 'rejected by V8 (other V8 flags?)'));
    sameAsWithout(r);
  });
});

test('lvsha --version', () => {
  const r = run(join(ship, 'lvsha'), ['--version']);
  expect(r.code).toBe(0);
  expect(r.first).toBe('0.1.0');
});

test('check_lvs_ipvs --version / bad option: UNKNOWN (3), as the plugin guidelines want', () => {
  expect(run(join(ship, 'check_lvs_ipvs'), ['--version'])).toMatchObject({ code: 3, first: 'check_lvs_ipvs (lvsha) 0.1.0' });
  const bad = run(join(ship, 'check_lvs_ipvs'), ['--nope']);
  expect(bad.code).toBe(3);
  expect(bad.first).toMatch(/^LVS IPVS UNKNOWN - unknown option '--nope'/);
});

test('lvsha generate --out writes the deployment files (subcommands are in the bundle)', () => {
  const out = join(temp(), 'gen');
  const r = run(join(ship, 'lvsha'), ['generate', '--out', out]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^wrote .*frontal1\/etc\/ha\.d\/ha\.cf/m);
  expect(existsSync(join(out, 'frontal1', 'etc', 'ha.d', 'ha.cf'))).toBe(true);
  expect(existsSync(join(out, 'frontal1', 'etc', 'ha.d', 'haresources'))).toBe(true);
});

test('a YAML deployment loads (yaml is compiled on first use)', () => {
  const cfg = join(temp(), 'd.yaml');
  writeFileSync(cfg, 'name: y\ndirectors:\n  - {name: frontal1, address: 127.0.0.1, interface: eth0}\nvips:\n  - {address: 192.168.0.3, prefix: 24}\nservices:\n  - name: www\n    protocol: tcp\n    address: 192.168.0.3\n    port: 80\n    realServers:\n      - {address: 192.168.0.4, port: 80}\n');
  const ip = join(dirname(cfg), 'ip');
  writeFileSync(ip, `#!/bin/sh\ncat '${join(REAL, 'ip', 'healthy', 'frontal1', 'addr.stdout')}'\n`, { mode: 0o755 });
  const r = run(join(ship, 'check_lvs_vip'), ['--config', cfg, '--ip', ip]);
  expect(r.first).toMatch(/^LVS VIP OK - 192\.168\.0\.3 on frontal1 /);
  expect(r.code).toBe(0);
});

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const keygen = spawnSync('ssh-keygen', ['-?'], { encoding: 'utf8' }).error === undefined;
(keygen ? test : test.skip)('the SSH path loads from the bundle (ssh2 without its native parts): closed loopback port → CRITICAL unreachable', async () => {
  const d = temp();
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'hostkey')]);
  const port = await freePort('127.0.0.2');
  // An entry for the host, so the failure is the refused connection, not a missing host key.
  writeFileSync(join(d, 'known_hosts'), `[127.0.0.2]:${port} ${readFileSync(join(d, 'hostkey.pub'), 'utf8')}`);
  const r = run(join(ship, 'check_lvs_heartbeat'), ['-H', '127.0.0.2', '--ssh-port', String(port), '--ssh-key', join(d, 'key'), '--known-hosts', join(d, 'known_hosts'), '--node', 'frontal1']);
  expect(r.first).toMatch(/^LVS HEARTBEAT CRITICAL - cannot reach 127\.0\.0\.2:\d+ over SSH: .*ECONNREFUSED/);
  expect(r.code).toBe(2);
  expect(r.out).not.toMatch(/internal error|Cannot find module/);
});

describe('the exporter from the bundle', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });
  test('listens, serves lvsha_build_info and IPVS series from --root, stops on SIGTERM', async () => {
    const d = temp();
    mkdirSync(join(d, 'root', 'proc', 'net'), { recursive: true });
    cpSync(join(REAL, 'ipvs', 'reference', 'proc-net-ip_vs.txt'), join(d, 'root', 'proc', 'net', 'ip_vs'));
    cpSync(join(REAL, 'ipvs', 'reference', 'proc-net-ip_vs_stats.txt'), join(d, 'root', 'proc', 'net', 'ip_vs_stats'));
    writeFileSync(join(d, 'deployment.json'), JSON.stringify(bench.LOOPBACK_DEPLOYMENT));
    // Every program the collectors might run is a replay or fails fast: nothing real is asked.
    const fail = join(d, 'fail');
    writeFileSync(fail, '#!/bin/sh\necho "not here" >&2\nexit 1\n', { mode: 0o755 });
    const ip = join(d, 'ip');
    writeFileSync(ip, `#!/bin/sh\ncat '${join(REAL, 'ip', 'healthy', 'frontal1', 'addr.stdout')}'\n`, { mode: 0o755 });
    const args = ['exporter', '--listen', '127.0.0.1:0', '--root', join(d, 'root'), '--config', join(d, 'deployment.json')];
    for (const p of ['--ipvsadm', '--cl-status', '--ss', '--arping']) args.push(p, fail);
    args.push('--ip', ip);
    const c = spawn(process.execPath, [join(ship, 'lvsha'), ...args], { cwd: ship, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no listening line within 20 s: ${stderr}`)), 20000);
      c.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
      c.on('exit', (code) => reject(new Error(`exporter exited ${code}: ${stderr}`)));
    });
    const body = await new Promise<string>((resolve, reject) => {
      const req = get(`${url}metrics`, { timeout: 20000 }, (res) => {
        let s = '';
        res.setEncoding('utf8');
        res.on('data', (x: string) => (s += x));
        res.on('end', () => resolve(s));
      });
      req.on('timeout', () => req.destroy(new Error('scrape timed out')));
      req.on('error', reject);
    });
    expect(body).toMatch(/^lvsha_build_info\{.*version="0\.1\.0".*\} 1$/m);
    expect(body).toMatch(/^lvsha_ipvs_backend_weight\{.*remote_address="192\.168\.0\.4".*\} 1$/m);
    const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
    c.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60000);
});

describe('lvsha install', () => {
  const dirsOf = (d: string) => ['--prefix', join(d, 'plugins'), '--lib-dir', join(d, 'lib'), '--bin-dir', join(d, 'bin')];
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`ERR ${l}`) };

  test('from this checkout: installs build/lvsha.js; never overwrites without --force; --dry-run writes nothing', () => {
    const d = temp();
    const o = { prefix: join(d, 'plugins'), libDir: join(d, 'lib'), binDir: join(d, 'bin') };
    lines.length = 0;
    expect(runInstall({ ...o, dryRun: true }, io)).toBe(0);
    expect(existsSync(join(d, 'lib'))).toBe(false);
    // The bundle, its code cache, one link per check, lvsha.
    expect(lines.filter((l) => l.startsWith('would write'))).toHaveLength(3 + CHECK_NAMES.length);
    expect(runInstall(o, io)).toBe(0);
    expect(readlinkSync(join(d, 'plugins', 'check_lvs_sync'))).toBe(join(d, 'lib', 'lvsha.js'));
    expect(readFileSync(join(d, 'lib', 'lvsha.js.cache')).equals(readFileSync(join(ROOT, 'build', 'lvsha.js.cache')))).toBe(true);
    expect(lstatSync(join(d, 'lib', 'lvsha.js.cache')).mode & 0o777).toBe(0o644);
    const r = spawnSync(join(d, 'plugins', 'check_lvs_ipvs'), ['--root', d], { encoding: 'utf8', cwd: d, env });
    expect(r.stdout).toMatch(/^LVS IPVS CRITICAL - IPVS not available in this kernel/);
    // Same content again: nothing to do. Something else in the way: refused unless --force.
    lines.length = 0;
    expect(runInstall(o, io)).toBe(0);
    expect(lines.every((l) => l.startsWith('unchanged '))).toBe(true);
    rmSync(join(d, 'plugins', 'check_lvs_arp'));
    writeFileSync(join(d, 'plugins', 'check_lvs_arp'), 'mine\n');
    lines.length = 0;
    expect(runInstall(o, io)).toBe(2);
    expect(lines).toContain(`ERR exists: ${join(d, 'plugins', 'check_lvs_arp')}`);
    expect(lstatSync(join(d, 'plugins', 'check_lvs_arp')).isFile()).toBe(true);
    expect(runInstall({ ...o, force: true }, io)).toBe(0);
    expect(readlinkSync(join(d, 'plugins', 'check_lvs_arp'))).toBe(join(d, 'lib', 'lvsha.js'));
  });

  test('the code cache: one of the same build is refreshed without --force; another build\'s, or another file, needs --force', () => {
    const d = temp();
    const o = { prefix: join(d, 'plugins'), libDir: join(d, 'lib'), binDir: join(d, 'bin') };
    const cache = join(d, 'lib', 'lvsha.js.cache');
    const built = readFileSync(join(ROOT, 'build', 'lvsha.js.cache'));
    expect(runInstall(o, io)).toBe(0);
    // Same build id, other bytes (a cache made by another build run): derived, replaced.
    const sameBuild = Buffer.from(built);
    sameBuild[sameBuild.length - 1]! ^= 1;
    writeFileSync(cache, sameBuild);
    lines.length = 0;
    expect(runInstall({ ...o, dryRun: true }, io)).toBe(0);
    expect(lines).toContain(`would replace ${cache} (code cache, copy of ${join(ROOT, 'build', 'lvsha.js.cache')}, mode 644)`);
    expect(runInstall(o, io)).toBe(0);
    expect(readFileSync(cache).equals(built)).toBe(true);
    // Another build's cache, or a file of someone else's: refused without --force, nothing written.
    for (const other of [Buffer.concat([Buffer.from('LVSHA-V8-CACHE 0123456789abcdef x x x\n'), built.subarray(built.indexOf(10) + 1)]), Buffer.from('mine\n')]) {
      writeFileSync(cache, other);
      lines.length = 0;
      expect(runInstall(o, io)).toBe(2);
      expect(lines).toContain(`ERR exists: ${cache}`);
      expect(readFileSync(cache).equals(other)).toBe(true);
      expect(runInstall({ ...o, force: true }, io)).toBe(0);
      expect(readFileSync(cache).equals(built)).toBe(true);
    }
    // The installed check uses it.
    const r = spawnSync(join(d, 'plugins', 'check_lvs_ipvs'), ['--version'], { encoding: 'utf8', env: { ...env, LVSHA_CODE_CACHE_DEBUG: '1' } });
    expect(r.stderr).toBe(`lvsha: code cache ${cache}: used\n`);
    expect(r.stdout).toBe('check_lvs_ipvs (lvsha) 0.1.0\n');
  });

  test('from a checkout without a build: refused, telling to run npm run build; a missing --from: I/O error', () => {
    expect(() => findBundle(undefined, temp())).toThrow(InstallRefused);
    expect(() => findBundle(undefined, temp())).toThrow(/run `npm run build` first/);
    lines.length = 0;
    const d = temp();
    expect(runInstall({ from: join(d, 'nope', 'lvsha.js'), prefix: join(d, 'p'), libDir: join(d, 'l'), binDir: join(d, 'b') }, io)).toBe(3);
    expect(readdirSync(d)).toEqual([]);
  });

  test('from the copied bundle: it copies itself', () => {
    if (!hasInstall) {
      // src/cli.ts does not register `install` yet: the bundle cannot be asked to install.
      console.warn('lvsha install is not registered in src/cli.ts: bundle install not tested');
      return;
    }
    const d = temp();
    const r = run(join(ship, 'lvsha'), ['install', ...dirsOf(d)]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`wrote ${join(d, 'lib', 'lvsha.js')} (copy of ${join(ship, 'lvsha.js')}`);
    expect(r.out).toContain(`wrote ${join(d, 'lib', 'lvsha.js.cache')} (code cache, copy of ${join(ship, 'lvsha.js.cache')}`);
    const k = spawnSync(join(d, 'plugins', 'check_lvs_ipvs'), ['--version'], { encoding: 'utf8', env });
    expect(k.stdout).toBe('check_lvs_ipvs (lvsha) 0.1.0\n');
    const again = run(join(ship, 'lvsha'), ['install', ...dirsOf(d), '--dry-run']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^unchanged /m);
  });
});
