import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Progress } from './progress';

/**
 * The two tiers of the lab. Both run the same namespace lab (lab/netns/): on the host
 * kernel (no IPVS here) or inside a qemu TCG VM booting a kernel with IPVS. Everything the
 * lab does is a bash script run in the lab's *control context* (the host, or the VM's root
 * namespace) with lab/netns/lib.sh sourced; `in_host NAME` reaches a lab host.
 */
export type TierName = 'netns' | 'vm';

/** The directors' HA layer in the lab (lab/netns/up.sh's LVSHA_LAB_HA): Heartbeat + ldirectord, keepalived, or Corosync + Pacemaker. */
export type LabHa = 'heartbeat' | 'keepalived' | 'pacemaker';
export const LAB_HAS: readonly LabHa[] = ['heartbeat', 'keepalived', 'pacemaker'];

/** `--ha`'s value, checked (undefined = heartbeat, the default). */
export function parseLabHa(v: string | undefined): LabHa {
  if (v === undefined) return 'heartbeat';
  if ((LAB_HAS as readonly string[]).includes(v)) return v as LabHa;
  throw new Error(`--ha '${v}': expected ${LAB_HAS.join(' or ')}`);
}

export interface ExecResult {
  rc: number;
  stdout: string;
  stderr: string;
  /** The time bound was hit (rc is then 124). */
  timedOut: boolean;
  seconds: number;
}

export const REPO = resolve(__dirname, '..', '..');
export const LAB_DIR = process.env.LVSHA_LAB_DIR ?? join(REPO, '.lab');
export const DEPLOYMENT = join(REPO, 'lab', 'deployment.yaml');
const TIER_FILE = join(LAB_DIR, 'tier');
const GENERATED = join(LAB_DIR, 'generated');

/** Single-quotes a word for bash. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const HA_FILE = join(LAB_DIR, 'ha');
/** The lab's deployment with `ha: keepalived` (written by `lab up --ha keepalived`, from DEPLOYMENT). */
export const KEEPALIVED_DEPLOYMENT = join(LAB_DIR, 'deployment-keepalived.yaml');
/** The lab's deployment with `ha: pacemaker` (written by `lab up --ha pacemaker`, from DEPLOYMENT). */
export const PACEMAKER_DEPLOYMENT = join(LAB_DIR, 'deployment-pacemaker.yaml');

/** The HA layer of the lab that is up (recorded by `lab up`; heartbeat when none). */
export function readLabHa(): LabHa {
  try {
    const ha = readFileSync(HA_FILE, 'utf8').trim();
    return (LAB_HAS as readonly string[]).includes(ha) ? (ha as LabHa) : 'heartbeat';
  } catch {
    return 'heartbeat';
  }
}
/**
 * The keepalived lab's deployment from the lab's own (YAML text): `ha: keepalived`, and the sync
 * mode follow-role (keepalived's lvs_sync_daemon runs one daemon following the VRRP state: the
 * lab's `mode: both`, Heartbeat's lvsstate starting both, made every sync row CRITICAL).
 */
export function keepalivedDeploymentText(base: string): string {
  const text = base.replace(/^(sync:.*\bmode:\s*)both\b/m, '$1follow-role');
  return `# written by \`lvsha lab up --ha keepalived\`: ${DEPLOYMENT} with the HA layer keepalived
${text.trimEnd()}
ha: keepalived
`;
}
/**
 * The Pacemaker lab's deployment from the lab's own (YAML text): `ha: pacemaker` and nothing
 * else (the pacemaker section's defaults, pacemakerOf, are what the lab runs: group lvs = vip,
 * ldirectord; the sync daemons as under Heartbeat).
 */
export function pacemakerDeploymentText(base: string): string {
  return `# written by \`lvsha lab up --ha pacemaker\`: ${DEPLOYMENT} with the HA layer Corosync + Pacemaker
${base.trimEnd()}
ha: pacemaker
`;
}
/** Records the lab's HA layer; keepalived and pacemaker get their deployment: the lab's own plus `ha: ...`. */
function writeLabHa(ha: LabHa | undefined): void {
  if (ha === undefined) {
    rmSync(HA_FILE, { force: true });
    return;
  }
  mkdirSync(LAB_DIR, { recursive: true });
  if (ha === 'keepalived') {
    writeFileSync(KEEPALIVED_DEPLOYMENT, keepalivedDeploymentText(readFileSync(DEPLOYMENT, 'utf8')));
  }
  if (ha === 'pacemaker') {
    writeFileSync(PACEMAKER_DEPLOYMENT, pacemakerDeploymentText(readFileSync(DEPLOYMENT, 'utf8')));
  }
  writeFileSync(HA_FILE, `${ha}
`);
}
/** The deployment the checks, doctor and generate read for the lab up with this HA layer. */
export function labDeployment(ha: LabHa = readLabHa()): string {
  if (ha === 'keepalived' && existsSync(KEEPALIVED_DEPLOYMENT)) return KEEPALIVED_DEPLOYMENT;
  if (ha === 'pacemaker' && existsSync(PACEMAKER_DEPLOYMENT)) return PACEMAKER_DEPLOYMENT;
  return DEPLOYMENT;
}

/** The lab's state directory inside the VM (guest tmpfs: the host's .lab must not show through). */
export const GUEST_LAB_DIR = '/tmp/lvsha-lab';

/** The environment of every lab script and of `lvsha lab run`. */
export function labEnv(labDir = LAB_DIR): Record<string, string> {
  const key = join(labDir, 'ssh', 'client_ed25519');
  const kh = join(labDir, 'ssh', 'known_hosts');
  return {
    LVSHA_CONFIG: labDeployment(),
    LVSHA_SSH_KEY: key,
    LVSHA_KNOWN_HOSTS: kh,
    LVSHA_SSH_USER: 'root',
    // the SSH options of a check run from a lab host, as one word list
    SSH: `--ssh-key ${key} --known-hosts ${kh}`,
  };
}

/** Prefix of every control script: repo as cwd, lab environment, lib.sh. */
function prelude(labDir = LAB_DIR): string {
  const env = labEnv(labDir);
  return [
    `cd ${shq(REPO)} || exit 97`,
    `export PATH=${shq(join(REPO, 'bin'))}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    ...Object.entries(env).map(([k, v]) => `export ${k}=${shq(v)}`),
    `export LVSHA_LAB_DIR=${shq(labDir)}`,
    // the lab that is up ($STATE/ha) decides, not an LVSHA_LAB_HA inherited from the VM agent's
    // /share/env (the boot's layer: stale after switchHa) or from the caller
    'unset LVSHA_LAB_HA',
    '. lab/netns/lib.sh',
  ].join('\n');
}

export interface LabTier {
  name: TierName;
  /** The directors' HA layer of the lab this tier runs (a scenario runs only on its own layer's lab). */
  readonly ha: LabHa;
  /** Builds the lab (after removing any leftover). */
  up(p: Progress): Promise<void>;
  /** Removes everything the lab made; idempotent, works after a killed run. */
  down(p: Progress): Promise<void>;
  /** Runs a bash script in the control context, lib.sh sourced, args as $1.., bounded. */
  exec(script: string, args: string[], timeoutSec: number): Promise<ExecResult>;
  /** Is the lab of this tier up (cheap, local)? */
  isUp(): boolean;
  /** One-line description for `lab status`. */
  describe(): string;
}

// ----------------------------------------------------------------------------- host side

/** Runs argv on this host, bounded: on expiry the whole process group is killed (by its id). */
export function runHost(argv: string[], o: { timeoutSec: number; env?: NodeJS.ProcessEnv; stdio?: 'pipe' | 'inherit'; input?: string; pidFile?: string }): Promise<ExecResult> {
  const t0 = Date.now();
  return new Promise((res) => {
    const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
      cwd: REPO,
      env: o.env ?? process.env,
      detached: true,
      stdio: o.stdio === 'inherit' ? ['inherit', 'inherit', 'inherit'] : ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    // A killed `lvsha lab` leaves its detached child running: record it for `lab down`.
    if (o.pidFile && child.pid) writeFileSync(o.pidFile, `${child.pid}\n`);
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    if (child.stdin) child.stdin.end(o.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }, o.timeoutSec * 1000);
    const done = (rc: number) => {
      clearTimeout(timer);
      if (o.pidFile) rmSync(o.pidFile, { force: true });
      res({ rc: timedOut ? 124 : rc, stdout, stderr, timedOut, seconds: (Date.now() - t0) / 1000 });
    };
    child.on('error', (e) => {
      stderr += `${e.message}\n`;
      done(127);
    });
    child.on('close', (code, sig) => done(code ?? (sig ? 128 + 9 : 1)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Does this kernel have IPVS? /proc/net/ip_vs, or a successful `modprobe ip_vs`. */
export function hostHasIpvs(): boolean {
  if (existsSync('/proc/net/ip_vs')) return true;
  const r = spawnSync('modprobe', ['-q', 'ip_vs'], { timeout: 10000 });
  return r.status === 0 && existsSync('/proc/net/ip_vs');
}

/**
 * The lab's configuration files: `lvsha generate` from lab/deployment.yaml into .lab/generated
 * (LVSHA_LAB_ETC), or the hand-made lab/netns/etc when generate is not available.
 */
export async function generateEtc(ha: LabHa = 'heartbeat'): Promise<{ dir?: string; note: string }> {
  rmSync(GENERATED, { recursive: true, force: true });
  mkdirSync(LAB_DIR, { recursive: true });
  const r = await runHost([process.execPath, join(REPO, 'bin', 'lvsha'), 'generate', '--config', labDeployment(ha), '-o', GENERATED, '--force', '--stack', ha], { timeoutSec: 60 });
  const mark =
    ha === 'keepalived'
      ? join(GENERATED, 'frontal1', 'etc', 'keepalived', 'keepalived.conf')
      : ha === 'pacemaker'
        ? join(GENERATED, 'frontal1', 'etc', 'corosync', 'corosync.conf')
        : join(GENERATED, 'frontal1', 'etc', 'ha.d', 'ha.cf');
  if (r.rc === 0 && existsSync(mark)) return { dir: GENERATED, note: `configuration generated by lvsha generate --stack ${ha} into ${GENERATED}` };
  const why = `lvsha generate --stack ${ha} failed (rc ${r.rc}: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''})`;
  // lab/netns/etc is hand-made for Heartbeat only: keepalived and pacemaker have no fallback
  if (ha !== 'heartbeat') throw new Error(why);
  return { note: `${why}: using the hand-made lab/netns/etc` };
}

export function readTier(): TierName | undefined {
  try {
    const t = readFileSync(TIER_FILE, 'utf8').trim();
    return t === 'netns' || t === 'vm' ? t : undefined;
  } catch {
    return undefined;
  }
}
function writeTier(t: TierName | undefined): void {
  if (t === undefined) rmSync(TIER_FILE, { force: true });
  else {
    mkdirSync(LAB_DIR, { recursive: true });
    writeFileSync(TIER_FILE, `${t}\n`);
  }
}

// ----------------------------------------------------------------------------- netns tier

const UP_PID = join(LAB_DIR, 'up.pid');
/** An up.sh left running by a killed `lvsha lab up`: kill its process group (by its id). */
function killOrphanUp(): void {
  let pid: number;
  try {
    pid = Number(readFileSync(UP_PID, 'utf8').trim());
  } catch {
    return;
  }
  let cmd = '';
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    /* gone */
  }
  if (pid > 1 && cmd.includes('lab/netns/up.sh')) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(UP_PID, { force: true });
}

export class NetnsTier implements LabTier {
  readonly name = 'netns' as const;
  /** @param ha the directors' HA layer for up() (LVSHA_LAB_HA); down() stops whichever runs. */
  constructor(readonly ha: LabHa = 'heartbeat') {}

  async up(p: Progress): Promise<void> {
    writeLabHa(this.ha);
    const gen = await p.step('configuration files', async () => generateEtc(this.ha));
    p.note(`  ${gen.note}`);
    const env = { ...process.env, LVSHA_LAB_DIR: LAB_DIR, LVSHA_LAB_HA: this.ha, ...(gen.dir ? { LVSHA_LAB_ETC: gen.dir } : {}) };
    writeTier('netns');
    await p.step(`namespace lab up (lab/netns/up.sh, ${this.ha})`, async (waiting) => {
      waiting(
        this.ha === 'keepalived'
          ? 'keepalived to make frontal1 VRRP MASTER (3 adverts, ~3 s)'
          : this.ha === 'pacemaker'
            ? 'Corosync + Pacemaker: a DC (~25 s), the resources loaded, the group on frontal1 (~100 s in all)'
            : 'Heartbeat to put the VIP on a director (initdead 10 s)',
      );
      // measured: the pacemaker lab is healthy 92-105 s after up.sh starts (ldirectord's start alone takes ~10 s)
      const r = await runHost(['bash', join(REPO, 'lab/netns/up.sh')], { timeoutSec: this.ha === 'pacemaker' ? 300 : 180, env, pidFile: UP_PID });
      if (r.rc !== 0) {
        await runHost(['bash', join(REPO, 'lab/netns/down.sh')], { timeoutSec: 120, env });
        writeTier(undefined);
        writeLabHa(undefined);
        throw new Error(`lab/netns/up.sh failed (rc ${r.rc}):\n${r.stderr.trim().split('\n').slice(-8).join('\n')}`);
      }
    });
  }

  async down(p: Progress): Promise<void> {
    killOrphanUp();
    await p.step('namespace lab down (lab/netns/down.sh)', async () => {
      const r = await runHost(['bash', join(REPO, 'lab/netns/down.sh')], { timeoutSec: 120, env: { ...process.env, LVSHA_LAB_DIR: LAB_DIR } });
      if (r.rc !== 0) throw new Error(`lab/netns/down.sh failed (rc ${r.rc}): ${r.stderr.trim().split('\n').pop()}`);
    });
    if (readTier() === 'netns') {
      writeTier(undefined);
      writeLabHa(undefined);
    }
  }

  exec(script: string, args: string[], timeoutSec: number): Promise<ExecResult> {
    return runHost(['bash', '-c', `${prelude()}\n${script}`, 'lab', ...args], { timeoutSec });
  }

  isUp(): boolean {
    return existsSync('/run/netns/lvsha-sw');
  }

  describe(): string {
    const ns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('lvsha-')) : [];
    return `namespace tier (host kernel ${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, IPVS ${hostHasIpvs() ? 'available' : 'not available'}): ${ns.length ? `namespaces ${ns.join(' ')}` : 'down'}`;
  }
}

// ----------------------------------------------------------------------------- VM tier

interface VmState {
  pid: number;
  share: string;
  started: number;
}
const VM_STATE = join(LAB_DIR, 'vm', 'state.json');
const SHARES = join(LAB_DIR, 'vm-share');

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
/** Our qemu: alive, and its command line names our share (a recycled PID is not ours). */
function isOurQemu(pid: number, share: string): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(share);
  } catch {
    return false;
  }
}

export class VmTier implements LabTier {
  readonly name = 'vm' as const;
  private seq = 0;
  /**
   * @param ha the directors' HA layer for up(): passed to the guest's up.sh through /share/env;
   * switchHa() changes it in the running VM.
   */
  constructor(public ha: LabHa = 'heartbeat') {}

  private state(): VmState | undefined {
    try {
      return JSON.parse(readFileSync(VM_STATE, 'utf8')) as VmState;
    } catch {
      return undefined;
    }
  }

  guestStatus(): string {
    const s = this.state();
    if (!s) return 'no VM';
    try {
      return readFileSync(join(s.share, 'status'), 'utf8').trim();
    } catch {
      return 'starting';
    }
  }

  async up(p: Progress): Promise<void> {
    await this.down(p);
    writeLabHa(this.ha);
    const gen = await p.step('configuration files', async () => generateEtc(this.ha));
    p.note(`  ${gen.note}`);
    const cache = await p.step('VM kernel and initramfs (lab/vm/build.sh)', async (waiting) => {
      waiting('the Debian 6.1 kernel package (cached after the first run)');
      const r = await runHost(['bash', join(REPO, 'lab/vm/build.sh')], { timeoutSec: 600 });
      if (r.rc !== 0) throw new Error(`lab/vm/build.sh failed (rc ${r.rc}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
      return r.stdout.trim().split('\n').pop()!;
    });
    mkdirSync(SHARES, { recursive: true });
    mkdirSync(join(LAB_DIR, 'vm'), { recursive: true });
    const share = mkdtempSync(join(SHARES, 'lab.'));
    const lifetime = Number(process.env.LVSHA_VM_LIFETIME ?? 7200);
    writeFileSync(join(share, 'env'), [`export LVSHA_REPO=${shq(REPO)}`, `export LVSHA_LAB_DIR=${GUEST_LAB_DIR}`, `export LVSHA_LAB_HA=${this.ha}`, ...(gen.dir ? [`export LVSHA_LAB_ETC=${shq(gen.dir)}`] : [])].join('\n') + '\n');
    writeFileSync(join(share, 'timeout'), `${lifetime}\n`);
    writeFileSync(join(share, 'repo-stamp'), String(repoStamp()));
    copyFileSync(join(REPO, 'lab/vm/agent.sh'), join(share, 'run.sh'));
    mkdirSync(join(share, 'out'));
    mkdirSync(join(share, 'queue'));
    const log = openSync(join(share, 'console.log'), 'a');
    const qemu = spawn(
      'qemu-system-x86_64',
      [
        '-accel', 'tcg', '-nographic', '-m', process.env.LVSHA_VM_MEMORY ?? '1536',
        // two vCPUs (multi-threaded TCG): doctor's rows, sshd and the remote commands are CPU-bound
        // under emulation, one vCPU made them queue behind each other
        '-smp', process.env.LVSHA_VM_CPUS ?? '2', '-nic', 'none', '-no-reboot',
        '-kernel', join(cache, 'vmlinuz'), '-initrd', join(cache, 'initramfs.cpio.gz'),
        '-append', 'console=ttyS0 quiet loglevel=1 panic=-1',
        '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
        '-virtfs', `local,path=${share},mount_tag=share,security_model=none,multidevs=remap`,
        // the repository on its own: the guest's /tmp is a tmpfs, and a clone may live there
        '-virtfs', `local,path=${REPO},mount_tag=repo,security_model=none,readonly=on,multidevs=remap`,
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    qemu.unref();
    if (!qemu.pid) throw new Error('qemu-system-x86_64 did not start');
    writeFileSync(VM_STATE, JSON.stringify({ pid: qemu.pid, share, started: Date.now() } satisfies VmState));
    writeTier('vm');
    try {
      await p.step(`VM boot and lab up inside it (qemu pid ${qemu.pid})`, async (waiting) => {
        const deadline = Date.now() + Number(process.env.LVSHA_VM_BOOT_TIMEOUT ?? 900) * 1000;
        for (;;) {
          const st = this.guestStatus();
          if (st.startsWith('up')) return;
          if (st.startsWith('failed')) throw new Error(`guest: ${st}\n${this.tail(join(share, 'up.log'), 12)}`);
          if (!pidAlive(qemu.pid!)) throw new Error(`qemu exited\n${this.tail(join(share, 'console.log'), 12)}`);
          if (Date.now() > deadline) throw new Error(`the VM lab was not up in time (guest status: ${st})\n${this.tail(join(share, 'up.log'), 12)}`);
          waiting(st === 'starting' ? 'the guest kernel to boot and mount the host root' : `lab/netns/up.sh in the guest (${this.tail(join(share, 'up.log'), 1).slice(0, 80)})`);
          await sleep(500);
        }
      });
    } catch (e) {
      await this.down(p).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Rebuilds the lab inside the VM that is up with another HA layer, without a new boot (one
   * boot costs minutes under TCG): the host regenerates the configuration files (the guest sees
   * .lab/generated through the repository share), the guest drops its 9p caches (cache=loose)
   * and runs lab/netns/up.sh with LVSHA_LAB_HA (up.sh starts with down.sh: namespaces, their
   * IPVS tables and sync daemons go). Returns once the lab is healthy, as up() does.
   */
  async switchHa(ha: LabHa, p: Progress): Promise<void> {
    if (!this.isUp()) throw new Error('the lab VM is not up (lvsha lab up --tier vm)');
    writeLabHa(ha);
    this.ha = ha;
    const gen = await p.step('configuration files', async () => generateEtc(ha));
    p.note(`  ${gen.note}`);
    await p.step(`lab rebuilt inside the running VM with ${ha} (lab/netns/up.sh)`, async (waiting) => {
      waiting(`the guest's up.sh until the ${ha} lab is healthy`);
      const r = await this.exec(
        `sync; echo 3 > /proc/sys/vm/drop_caches
LVSHA_LAB_HA="$1" bash lab/netns/up.sh >/share/up-"$1".log 2>&1 || { rc=$?; tail -n 12 /share/up-"$1".log >&2; exit "$rc"; }
tail -n 3 /share/up-"$1".log`,
        [ha],
        600,
      );
      if (r.rc !== 0) throw new Error(`lab/netns/up.sh with ${ha} in the VM failed (rc ${r.rc}${r.timedOut ? ', timed out' : ''}):\n${r.stderr.trim()}`);
      return r;
    });
  }

  private tail(file: string, n: number): string {
    try {
      return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
    } catch {
      return '';
    }
  }

  async down(p: Progress): Promise<void> {
    const s = this.state();
    if (s) {
      await p.step('VM down', async (waiting) => {
        if (isOurQemu(s.pid, s.share)) {
          // Ask the guest to tear its lab down and power off; then make sure, by PID.
          writeFileSync(join(s.share, 'stop'), '');
          const deadline = Date.now() + 45000;
          waiting('the guest to run lab/netns/down.sh and power off');
          while (isOurQemu(s.pid, s.share) && Date.now() < deadline) {
            if (this.guestStatus() === 'down') {
              // powered off right after; give qemu a moment
              const d2 = Date.now() + 5000;
              while (isOurQemu(s.pid, s.share) && Date.now() < d2) await sleep(200);
              break;
            }
            await sleep(300);
          }
          if (isOurQemu(s.pid, s.share)) {
            process.kill(s.pid, 'SIGTERM');
            const d3 = Date.now() + 5000;
            while (pidAlive(s.pid) && Date.now() < d3) await sleep(200);
            if (pidAlive(s.pid)) process.kill(s.pid, 'SIGKILL');
          }
        }
        // keep the guest's logs of the last run for post-mortems
        for (const f of ['up.log', 'up-heartbeat.log', 'up-keepalived.log', 'up-pacemaker.log', 'down.log', 'console.log']) {
          try {
            copyFileSync(join(s.share, f), join(LAB_DIR, 'vm', `last-${f}`));
          } catch {
            /* not written */
          }
        }
        rmSync(s.share, { recursive: true, force: true });
        rmSync(VM_STATE, { force: true });
      });
    }
    // Shares left by a killed run whose qemu is gone.
    if (existsSync(SHARES)) {
      for (const d of readdirSync(SHARES)) {
        const full = join(SHARES, d);
        const ours = s && full === s.share;
        if (!ours && !this.shareInUse(full)) rmSync(full, { recursive: true, force: true });
      }
    }
    if (readTier() === 'vm') {
      writeTier(undefined);
      writeLabHa(undefined);
    }
  }

  /** Is a live qemu using this share (lab/vm/run.sh's shares included)? */
  private shareInUse(share: string): boolean {
    for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(share)) return true;
      } catch {
        /* gone */
      }
    }
    return false;
  }

  async exec(script: string, args: string[], timeoutSec: number): Promise<ExecResult> {
    const s = this.state();
    const t0 = Date.now();
    if (!s || !isOurQemu(s.pid, s.share)) return { rc: 125, stdout: '', stderr: 'the lab VM is not running (lvsha lab up --tier vm)\n', timedOut: false, seconds: 0 };
    const q = join(s.share, 'queue');
    const n = join(q, `${Date.now()}-${process.pid}-${++this.seq}`);
    writeFileSync(`${n}.timeout`, `${timeoutSec}\n`);
    writeFileSync(`${n}.sh.tmp`, `${this.dropStaleCache(s.share)}${prelude(GUEST_LAB_DIR)}\nset -- ${args.map(shq).join(' ')}\n${script}\n`);
    renameSync(`${n}.sh.tmp`, `${n}.sh`);
    // The guest runs one command at a time: allow for a queue ahead of us and 9p latency.
    const deadline = Date.now() + (timeoutSec + 60) * 1000;
    const read = (f: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    try {
      while (!existsSync(`${n}.rc`)) {
        if (!isOurQemu(s.pid, s.share)) return { rc: 125, stdout: read(`${n}.out`), stderr: `${read(`${n}.err`)}the lab VM stopped\n`, timedOut: false, seconds: (Date.now() - t0) / 1000 };
        if (Date.now() > deadline) return { rc: 124, stdout: read(`${n}.out`), stderr: `${read(`${n}.err`)}no answer from the VM within ${timeoutSec + 60} s\n`, timedOut: true, seconds: (Date.now() - t0) / 1000 };
        await sleep(150);
      }
      const rc = Number(read(`${n}.rc`).trim());
      return { rc, stdout: read(`${n}.out`), stderr: read(`${n}.err`), timedOut: rc === 124, seconds: (Date.now() - t0) / 1000 };
    } finally {
      for (const x of ['.sh', '.timeout', '.out', '.err', '.rc', '.taken']) rmSync(`${n}${x}`, { force: true });
    }
  }

  /**
   * The guest mounts the host root and the repository with 9p cache=loose (lab/vm/init.sh: a
   * module load per file over 9p made every node start 15-22 s); a rebuilt dist/ or an edited
   * lab/ would then be read stale. When they changed since the last command, the command
   * starts by dropping the guest's caches.
   */
  private dropStaleCache(share: string): string {
    const stamp = String(repoStamp());
    const f = join(share, 'repo-stamp');
    let last = '';
    try {
      last = readFileSync(f, 'utf8');
    } catch {
      /* first command */
    }
    if (last === stamp) return '';
    writeFileSync(f, stamp);
    return last ? 'sync; echo 3 > /proc/sys/vm/drop_caches\n' : '';
  }

  isUp(): boolean {
    const s = this.state();
    return !!s && isOurQemu(s.pid, s.share) && this.guestStatus().startsWith('up');
  }

  describe(): string {
    const s = this.state();
    if (!s) return 'VM tier: down';
    return `VM tier (qemu TCG, kernel with IPVS): qemu pid ${s.pid} ${isOurQemu(s.pid, s.share) ? 'running' : 'gone'} for ${((Date.now() - s.started) / 1000).toFixed(0)} s, guest: ${this.guestStatus()}, share ${s.share}`;
  }
}

/** Newest mtime under the repository's dist/ and lab/ (what the guest runs), bounded walk. */
export function repoStamp(dirs = [join(REPO, 'dist'), join(REPO, 'lab')], limit = 5000): number {
  let newest = 0;
  let seen = 0;
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      if (++seen > limit) return;
      try {
        const st = statSync(join(d, name));
        newest = Math.max(newest, st.mtimeMs);
        if (st.isDirectory()) walk(join(d, name));
      } catch {
        /* removed meanwhile */
      }
    }
  };
  for (const d of dirs) walk(d);
  return newest;
}

export function tierOf(name: TierName, ha: LabHa = 'heartbeat'): LabTier {
  return name === 'netns' ? new NetnsTier(ha) : new VmTier(ha);
}

/** `lab up`'s choice: namespaces where the host kernel has IPVS, else the VM. */
export function chooseTier(forced?: string): TierName {
  if (forced === 'netns' || forced === 'vm') return forced;
  if (forced !== undefined) throw new Error(`--tier '${forced}': expected netns or vm`);
  return hostHasIpvs() ? 'netns' : 'vm';
}

/** The tier that is up now (from .lab/tier), if any. */
export function currentTier(): LabTier | undefined {
  const t = readTier();
  if (t) return tierOf(t, readLabHa());
  if (new NetnsTier().isUp()) return new NetnsTier(readLabHa());
  return undefined;
}
