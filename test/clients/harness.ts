// Shared by the real-client tests (test/clients/*.test.ts): finding the real programs, running
// `lvsha generate`, child daemons killed by PID, bounded waits, and the *loopback site*: the
// reference deployment seen from this machine, where the hosts the checks reach over SSH are
// 127.0.0.2-5 (one test sshd listening on each) and the programs they run there replay the
// real captures of test/fixtures/real/ for the host and scenario at hand.
import { CHECK_NAMES } from '../../src/checks/registry';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CL_STATUS_NAME_SH } from '../probes/replay';

export const REPO = resolve(__dirname, '..', '..');
export const REAL = join(REPO, 'test', 'fixtures', 'real');
export const LOOPBACK_YAML = join(REPO, 'lab', 'clients', 'loopback-deployment.yaml');

export const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function which(program: string): string | undefined {
  if (program.startsWith('/')) return existsSync(program) ? program : undefined;
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin'])) {
    const p = join(dir, program);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * A test that needs the real `programs` (and root: the clients run as root here). Skipped on a
 * machine without them, saying so in its name; in CI (scripts/install-deps.sh installs them)
 * a missing program is a failure.
 */
export function clientTest(programs: string[], name: string, fn: (paths: string[]) => Promise<void>, timeoutMs = 60_000): void {
  const paths = programs.map(which);
  const missing = programs.filter((_, i) => !paths[i]);
  if (process.getuid?.() !== 0) missing.push('root');
  const title = `${programs[0]}: ${name}`;
  if (!missing.length) test(title, () => fn(paths as string[]), timeoutMs);
  else if (process.env.CI)
    test(title, () => {
      throw new Error(`missing ${missing.join(', ')}: scripts/install-deps.sh should have installed it`);
    });
  else test.skip(`${title} [SKIPPED: ${missing.join(', ')} missing]`, () => undefined);
}

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `lvsha-${prefix}-`));
  chmodSync(d, 0o755);
  return d;
}

/** `lvsha generate --config CONFIG --out OUT` (the real CLI, dist/); returns OUT/monitoring/etc. */
/** config null: the embedded reference deployment. */
export function generate(out: string, config: string | null = LOOPBACK_YAML): string {
  const cfg = config === null ? [] : ['--config', config];
  execFileSync(process.execPath, [join(REPO, 'bin', 'lvsha'), 'generate', ...cfg, '--out', out], { stdio: 'pipe', timeout: 30_000 });
  return join(out, 'monitoring', 'etc');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown inside a `waitFor` callback: stop waiting at once (a daemon died). */
export class Fatal extends Error {}

/** Polls `fn` until it returns something other than undefined (bounded); throws with `what` and the last value seen. */
export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; Date.now() < end && i < 10_000; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A daemon started by a test: output kept in memory, stopped by its PID (TERM, then KILL). */
export class Daemon {
  readonly child: ChildProcess;
  out = '';
  constructor(
    readonly name: string,
    argv: string[],
    env: NodeJS.ProcessEnv = {},
    cwd?: string,
  ) {
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', ...env }, cwd });
    const keep = (b: Buffer) => {
      if (this.out.length < 200_000) this.out += b.toString();
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.child.on('error', (e) => (this.out += `\nspawn error: ${e.message}\n`));
  }
  get pid(): number | undefined {
    return this.child.pid;
  }
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited || !this.child.pid) return;
    process.kill(this.child.pid, 'SIGTERM');
    for (let i = 0; i < graceMs / 50 && !this.exited; i++) await sleep(50);
    if (!this.exited) process.kill(this.child.pid, 'SIGKILL');
    for (let i = 0; i < 40 && !this.exited; i++) await sleep(50);
  }
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = require('node:net').createServer() as import('node:net').Server;
    s.once('error', rej);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** GET on loopback with a bounded wait; body as text. */
export async function httpGet(url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const r = await fetch(url, { signal: ac.signal });
    return { status: r.status, body: await r.text() };
  } finally {
    clearTimeout(t);
  }
}

// ---------------------------------------------------------------------------------------------
// The loopback site

export type HostName = 'frontal1' | 'frontal2' | 'reel1' | 'reel2';
export const LOOPBACK_HOSTS: Record<HostName, string> = { frontal1: '127.0.0.2', frontal2: '127.0.0.3', reel1: '127.0.0.4', reel2: '127.0.0.5' };
export type Scenario = 'healthy' | 'split-brain';

/** What each host's programs answer, per scenario: paths relative to test/fixtures/real. */
interface HostCaptures {
  /** `ip -j addr` capture (.stdout/.stderr/.rc base). */
  ip: string;
  /** cl_status capture directories (directors). */
  clStatus?: string;
  /** `ss -ltnH` capture (real servers). */
  ss?: string;
}
const CAPTURES: Record<Scenario, Record<HostName, HostCaptures>> = {
  healthy: {
    frontal1: { ip: 'ip/healthy/frontal1/addr', clStatus: 'heartbeat/healthy/frontal1' },
    frontal2: { ip: 'ip/healthy/frontal2/addr', clStatus: 'heartbeat/healthy/frontal2' },
    reel1: { ip: 'ip/healthy/reel1/addr', ss: 'ss/listening-any/reel1/ltn' },
    reel2: { ip: 'ip/healthy/reel2/addr', ss: 'ss/listening-any/reel2/ltn' },
  },
  'split-brain': {
    frontal1: { ip: 'ip/split-brain/frontal1/addr', clStatus: 'heartbeat/split-brain/frontal1' },
    frontal2: { ip: 'ip/split-brain/frontal2/addr', clStatus: 'heartbeat/split-brain/frontal2' },
    reel1: { ip: 'ip/healthy/reel1/addr', ss: 'ss/listening-any/reel1/ltn' },
    reel2: { ip: 'ip/healthy/reel2/addr', ss: 'ss/listening-any/reel2/ltn' },
  },
};
/**
 * Files each host reads (its --root tree): the directors' /proc/net/ip_vs* from the VM's real
 * IPVS captures (ldirectord's table on the active frontal1, the passive frontal2's empty one;
 * both run master and backup sync daemons), the real servers' /proc/sys ARP sysctls as read in
 * reel2 (correct: 1/2 on all and lo) and their /etc from the generated tree (boot persistence).
 */
const IPVS_STATE: Partial<Record<HostName, string>> = { frontal1: 'ldirectord-up', frontal2: 'empty' };
const SYNC_DAEMONS = 'ipvs/sync-daemon/ipvsadm-L-daemon.both.txt';

export interface LoopbackSite {
  dir: string;
  /** $USER1$ / PluginDir: one wrapper per check adding the replay options. */
  plugins: string;
  /** The generated monitoring tree (monitoring/etc). */
  etc: string;
  /** The generated tree (per host + monitoring). */
  generated: string;
  setScenario(s: Scenario): void;
  stop(): Promise<void>;
}

const emit = (base: string) => [`cat ${base}.stdout`, `[ -f ${base}.stderr ] && cat ${base}.stderr >&2`, `exit "$(cat ${base}.rc)"`];

function script(path: string, lines: string[]): string {
  writeFileSync(path, ['#!/bin/sh', ...lines, ''].join('\n'));
  chmodSync(path, 0o755);
  return path;
}

/** Replay programs of one host (DIR/hosts/HOST/{ip,ss,ipvsadm,cl_status}): they read the current scenario at each call. */
export function hostPrograms(dir: string, scenarioFile: string, host: HostName): void {
  const d = join(dir, 'hosts', host);
  mkdirSync(d, { recursive: true });
  const head = [`s=$(cat ${q(scenarioFile)})`];
  const bad = (prog: string) => [`echo "replay: no capture for ${prog} $* ($s/${host})" >&2`, 'exit 13'];
  const byScenario = (pick: (c: HostCaptures) => string | undefined, args: string) => {
    const out: string[] = [];
    for (const s of Object.keys(CAPTURES) as Scenario[]) {
      const rel = pick(CAPTURES[s][host]);
      if (rel) out.push(`if [ "$s" = ${q(s)} ] && [ "$*" = ${q(args)} ]; then`, ...emit(q(join(REAL, rel))).map((l) => `  ${l}`), 'fi');
    }
    return out;
  };
  script(join(d, 'ip'), [...head, ...byScenario((c) => c.ip, '-j addr'), ...bad('ip')]);
  script(join(d, 'ss'), [...head, ...byScenario((c) => c.ss, '-ltnH'), ...bad('ss')]);
  script(join(d, 'ipvsadm'), [
    ...(IPVS_STATE[host] ? [`if [ "$*" = '-L --daemon' ]; then exec cat ${q(join(REAL, SYNC_DAEMONS))}; fi`] : []),
    'echo "replay: no capture for ipvsadm $*" >&2',
    'exit 13',
  ]);
  // cl_status: the lab names each capture after its arguments (`nodestatus frontal2` → nodestatus-frontal2).
  const cl: string[] = [...head, CL_STATUS_NAME_SH];
  for (const s of Object.keys(CAPTURES) as Scenario[]) {
    const rel = CAPTURES[s][host].clStatus;
    if (!rel) continue;
    const base = `${q(join(REAL, rel))}/"$name"`;
    cl.push(`if [ "$s" = ${q(s)} ] && [ -f ${base}.stdout ]; then`, ...emit(base).map((l) => `  ${l}`), 'fi');
  }
  cl.push('echo "cl_status: $1: invalid sub-command." >&2', 'exit 11');
  script(join(d, 'cl_status'), cl);
}

/** DIR/roots/HOST: the --root tree of one host (`generated`: a `lvsha generate` tree of the reference deployment, for the real servers' /etc). */
export function hostRoot(dir: string, generated: string | undefined, host: HostName): string {
  const root = join(dir, 'roots', host);
  mkdirSync(join(root, 'proc', 'net'), { recursive: true });
  const ipvs = IPVS_STATE[host];
  if (ipvs) setIpvsState(root, ipvs);
  else if (generated) {
    cpSync(join(REAL, 'sysctl', 'correct', 'proc', 'sys'), join(root, 'proc', 'sys'), { recursive: true });
    // The loopback deployment's real hosts are reached at 127.0.0.x, not at their service
    // addresses, so `lvsha generate` writes no real-server files for them: their /etc comes
    // from the reference deployment's generated tree (same VIP, same real servers).
    cpSync(join(generated, host, 'etc'), join(root, 'etc'), { recursive: true });
  }
  return root;
}

/** Puts the /proc/net/ip_vs* files of a real IPVS capture (test/fixtures/real/ipvs/STATE) under ROOT. */
export function setIpvsState(root: string, state: string): void {
  for (const f of ['ip_vs', 'ip_vs_stats', 'ip_vs_conn', 'ip_vs_conn_sync']) cpSync(join(REAL, 'ipvs', state, `proc-net-${f}.txt`), join(root, 'proc', 'net', f));
}

/** Options each wrapper adds (after Nagios'/Icinga's own, so they win), by check; $h is the host named by -H. */
const EXTRA: Record<string, (dir: string) => string> = {
  vip: (dir) => `--ip ${q(join(dir, 'bin', 'ip'))}`,
  heartbeat: (dir) => `--cl-status ${q(dir)}/hosts/"$h"/cl_status --node "$h"`,
  ipvs: (dir) => `--ip ${q(dir)}/hosts/"$h"/ip --root ${q(dir)}/roots/"$h"`,
  sync: (dir) => `--ipvsadm ${q(dir)}/hosts/"$h"/ipvsadm --ip ${q(dir)}/hosts/"$h"/ip --root ${q(dir)}/roots/"$h"`,
  sorry: (dir) => `--root ${q(dir)}/roots/"$h" -u "$LVSHA_SORRY_URL"`,
  arp: (dir) => `--ip ${q(dir)}/hosts/"$h"/ip --ss ${q(dir)}/hosts/"$h"/ss --root ${q(dir)}/roots/"$h"`,
};

/** Every check (the registry's list): a wrapper each, so a new check's generated command line runs too. */
export const CHECKS = CHECK_NAMES;

/**
 * Writes `plugins/check_lvs_NAME` wrappers: exec the real bin/check_lvs_NAME with the
 * arguments the monitoring server gave, followed by `common` and the check's `extra`.
 * `$h` = the host whose address follows -H (for per-host replay options).
 */
export function writeWrappers(plugins: string, common: string, extra: (check: string) => string, hostCase: string, env: Record<string, string> = {}): void {
  mkdirSync(plugins, { recursive: true });
  for (const c of CHECKS) {
    script(join(plugins, `check_lvs_${c}`), [
      `# ${c}: the real check, with the replay/lab options after the generated ones (later options win).`,
      ...Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`),
      'h=; prev=',
      'for a in "$@"; do [ "$prev" = -H ] && h=$a; prev=$a; done',
      `case "$h" in ${hostCase} esac`,
      `exec ${q(process.execPath)} ${q(join(REPO, 'bin', `check_lvs_${c}`))} "$@" ${common} ${extra(c)}`,
    ]);
  }
  const ping = which('/usr/lib/nagios/plugins/check_ping');
  if (ping) symlinkSync(ping, join(plugins, 'check_ping'));
}

/** An OpenSSH sshd on each loopback address (one port), telling the session which host it is (LVSHA_REPLAY_HOST). */
async function startSiteSshd(dir: string): Promise<{ daemon: Daemon; port: number; key: string; knownHosts: string }> {
  const d = join(dir, 'ssh');
  mkdirSync(d, { recursive: true });
  const keygen = (f: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f]);
  keygen(join(d, 'host_ed25519'));
  keygen(join(d, 'user_ed25519'));
  writeFileSync(join(d, 'authorized_keys'), readFileSync(join(d, 'user_ed25519.pub')));
  const port = await freePort('127.0.0.2');
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const cfg = [
    `Port ${port}`,
    ...Object.values(LOOPBACK_HOSTS).map((a) => `ListenAddress ${a}`),
    `HostKey ${join(d, 'host_ed25519')}`,
    `PidFile ${join(d, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(d, 'authorized_keys')}`,
    'StrictModes no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'MaxStartups 100',
    'MaxSessions 50',
    // bash reads ~/.bashrc for commands from sshd when SHLVL < 2: not wanted here.
    ...Object.entries(LOOPBACK_HOSTS).flatMap(([h, a]) => [`Match LocalAddress ${a}`, `  SetEnv SHLVL=1 LVSHA_REPLAY_HOST=${h}`]),
    '',
  ];
  writeFileSync(join(d, 'sshd_config'), cfg.join('\n'));
  const pub = readFileSync(join(d, 'host_ed25519.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(d, 'known_hosts'), Object.values(LOOPBACK_HOSTS).map((a) => `[${a}]:${port} ${pub}\n`).join(''));
  const daemon = new Daemon('sshd', ['/usr/sbin/sshd', '-D', '-e', '-f', join(d, 'sshd_config')]);
  await waitFor('sshd to listen', () => (daemon.exited ? Promise.reject(new Fatal(`sshd exited: ${daemon.out}`)) : (daemon.out.match(/Server listening/g) ?? []).length >= 4 ? true : undefined), 10_000, 50);
  return { daemon, port, key: join(d, 'user_ed25519'), knownHosts: join(d, 'known_hosts') };
}

/**
 * Builds the loopback site in a fresh directory: `lvsha generate` of lab/clients/loopback-deployment.yaml,
 * per-host replay programs and --root trees, the sshd, the sorry page's HTTP server (serving
 * the generated page), and the wrappers in `plugins/`.
 */
export async function startLoopbackSite(prefix: string): Promise<LoopbackSite> {
  const dir = tempDir(prefix);
  const generated = join(dir, 'generated');
  const etc = generate(generated);
  const reference = join(dir, 'generated-reference');
  generate(reference, null);
  const scenarioFile = join(dir, 'scenario');
  writeFileSync(scenarioFile, 'healthy\n');
  const hosts = Object.keys(LOOPBACK_HOSTS) as HostName[];
  for (const h of hosts) {
    hostPrograms(dir, scenarioFile, h);
    hostRoot(dir, reference, h);
  }
  mkdirSync(join(dir, 'bin'));
  // The VIP check asks both directors for `ip -j addr` with one --ip path: dispatch on the host sshd says it is.
  script(join(dir, 'bin', 'ip'), ['[ -n "${LVSHA_REPLAY_HOST:-}" ] || { echo "replay: LVSHA_REPLAY_HOST unset" >&2; exit 13; }', `exec ${q(dir)}/hosts/"$LVSHA_REPLAY_HOST"/ip "$@"`]);

  const page = readFileSync(join(generated, 'frontal1', 'var', 'www', 'lvsha-sorry', 'index.html'));
  const sorry: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  });
  await new Promise<void>((r) => sorry.listen(0, '127.0.0.1', r));
  const sorryPort = (sorry.address() as { port: number }).port;

  const ssh = await startSiteSshd(dir);
  const plugins = join(dir, 'plugins');
  const common = [
    `--ssh-user root --ssh-port ${ssh.port} --ssh-key ${q(ssh.key)} --known-hosts ${q(ssh.knownHosts)}`,
    `--config ${q(join(etc, 'lvsha', 'deployment.json'))}`,
  ].join(' ');
  const hostCase = Object.entries(LOOPBACK_HOSTS)
    .map(([h, a]) => `${a}) h=${h} ;;`)
    .join(' ');
  writeWrappers(plugins, common, (c) => EXTRA[c]?.(dir) ?? '', hostCase, { LVSHA_SORRY_URL: `http://127.0.0.1:${sorryPort}/` });

  return {
    dir,
    plugins,
    etc,
    generated,
    setScenario: (s) => writeFileSync(scenarioFile, `${s}\n`),
    async stop() {
      await ssh.daemon.stop();
      await new Promise<void>((r) => sorry.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one wrapper as the monitoring server would (for diagnostics). */
export function runPlugin(plugins: string, check: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(join(plugins, `check_lvs_${check}`), args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** `lvsha exporter --listen 127.0.0.1:0 ARGS...` as a Daemon, once it says where it listens. */
export async function startExporterDaemon(label: string, args: string[]): Promise<{ daemon: Daemon; port: number }> {
  const daemon = new Daemon(label, [process.execPath, join(REPO, 'bin', 'lvsha'), 'exporter', '--listen', '127.0.0.1:0', ...args]);
  const port = await waitFor(
    `the ${label} to listen`,
    () => {
      if (daemon.exited) throw new Fatal(`${label} exited: ${daemon.out}`);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(daemon.out);
      return m ? Number(m[1]) : undefined;
    },
    15_000,
    50,
  );
  return { daemon, port };
}

/** Debian's Prometheus on a free loopback port with CONFIG, its data under DATA, once /-/ready answers. */
export async function startPrometheus(prometheus: string, config: string, data: string): Promise<{ daemon: Daemon; base: string }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const daemon = new Daemon('prometheus', [prometheus, `--config.file=${config}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn']);
  try {
    await waitFor(
      'prometheus to be ready',
      async () => {
        if (daemon.exited) throw new Fatal(`prometheus exited: ${daemon.out}`);
        return (await httpGet(`${base}/-/ready`, 2000)).status === 200 ? true : undefined;
      },
      30_000,
      200,
    );
  } catch (e) {
    await daemon.stop(10_000);
    throw e;
  }
  return { daemon, base };
}

/** One Prometheus HTTP API call: its `data`, or an error naming the path and the answer. */
export async function promApi<T>(base: string, path: string): Promise<T> {
  const r = await httpGet(`${base}${path}`, 5000);
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${r.body}`);
  const j = JSON.parse(r.body) as { status: string; data: T };
  if (j.status !== 'success') throw new Error(`${path}: ${r.body}`);
  return j.data;
}
