import { Command } from 'commander';
import { networkInterfaces } from 'node:os';
import { loadCheck } from '../checks/registry';
import { loadDeployment } from '../model/load';
import { errorMessage } from '../runtime/errors';
import { parsePort, parseTimeout } from '../runtime/options';
import type { Deployment } from '../model/types';
import { GatherEnv, runCheck } from '../runtime/check';
import { Result } from '../runtime/result';
import { State, worst } from '../runtime/state';
import { LocalSource } from '../sources/local';
import { Source } from '../sources/source';
import { DoctorItem, doctorPlan } from './plan';
import { DoctorRow, renderJson, renderTable } from './render';

function localAddresses(): Set<string> {
  const s = new Set(['localhost', '127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) s.add(a.address);
  return s;
}

/**
 * Rows run at once. The lab's 11-13 rows all start together, so the rows take about as long as
 * the slowest one (bench/doctor.js on a loaded 2-core machine: 1.09x the slowest row, 1.71x at
 * 6 at a time); a deployment with dozens of real servers still opens no more than this many
 * rows' work (each host's commands share its one pooled connection, 8 channels).
 */
const ROWS_AT_ONCE = 16;

/** Runs at most `limit` promises at once, keeping order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('run every check against the whole deployment and print one table (exit code: the worst state)')
    .option('--config <file>', 'deployment (default $LVSHA_CONFIG, else the embedded reference)')
    .option('--json', 'machine-readable output', false)
    .option('-v, --verbose', 'details under each row (repeatable)', (_: string, p: number) => p + 1, 0)
    .option('-t, --timeout <seconds>', 'per check (each row ends within it)', '10')
    .option('--ssh-user <user>', 'SSH user (default $LVSHA_SSH_USER or root)')
    .option('--ssh-key <file>', 'SSH private key (default $LVSHA_SSH_KEY)')
    .option('--known-hosts <file>', 'known_hosts (default $LVSHA_KNOWN_HOSTS)')
    .option('--ssh-port <port>', 'SSH port (default $LVSHA_SSH_PORT or 22)')
    .option('--sudo', 'privileged programs through sudo -n', false)
    .option('--arp-from <host>', "also look at the VIP's ARP answers from this host on the LAN (vip and arp checks: split brain, ARP leaks)")
    .option('--arp-interface <if>', 'interface for --arp-from')
    // No default: undefined = colour on a terminal (unless $NO_COLOR), --color forces it, --no-color never.
    .option('--color', 'force colour')
    .option('--no-color', 'never colour')
    .action(async (o: Record<string, unknown>) => {
      let timeout: number;
      try {
        // Bad input is UNKNOWN (exit 3) with one line naming the option, as for the checks.
        timeout = parseTimeout('--timeout')(String(o.timeout));
        if (o.sshPort !== undefined) parsePort('--ssh-port')(String(o.sshPort));
      } catch (e) {
        process.stdout.write(`lvsha doctor: UNKNOWN - ${errorMessage(e)}\n`);
        process.exitCode = 3;
        return;
      }
      const loaded = loadDeployment(o.config as string | undefined);
      const d = loaded.deployment;
      const env = process.env;
      const ssh: SshOptions = {
        user: String(o.sshUser ?? env.LVSHA_SSH_USER ?? 'root'),
        port: Number(o.sshPort ?? env.LVSHA_SSH_PORT ?? '22'),
        keyPath: (o.sshKey ?? env.LVSHA_SSH_KEY) as string | undefined,
        knownHostsPath: (o.knownHosts ?? env.LVSHA_KNOWN_HOSTS) as string | undefined,
      };
      const mine = localAddresses();
      const verbose = Number(o.verbose ?? 0);
      // One SSH connection per host for the whole run (a director is asked by five checks):
      // connecting costs more than the commands.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pool = new (require('../sources/pool') as typeof import('../sources/pool')).SshPool({ maxSize: 64, idleMs: 600_000 });
      const sudo = !!o.sudo;
      const hosts: RowHosts = {
        isLocal: (h) => mine.has(h),
        local: () => new LocalSource({ sudo, timeoutMs: timeout * 1000 }),
        // A host that could not be reached is not tried again by every other check of this
        // run (each attempt would wait for the connect timeout).
        remote: (h) => pool.acquire({ host: h, port: ssh.port, user: ssh.user, keyPath: ssh.keyPath, knownHostsPath: ssh.knownHostsPath, sudo, timeoutMs: timeout * 1000, connectTimeoutMs: Math.max(1000, timeout * 600), rememberUnreachable: true }),
      };
      const view: ArpViewOptions = { arpFrom: o.arpFrom as string | undefined, arpInterface: o.arpInterface as string | undefined };
      const plan = doctorPlan(d);
      // Before any row's clock starts: load every check of the plan, and open one SSH
      // connection per remote host, concurrently, each bounded by the whole -t. A row then
      // measures its check, not node-ssh's first load or a handshake (4-7 s and 6-9 s each
      // in the lab's emulated VM, where -t 10 timed rows out that way).
      for (const c of new Set(plan.map((i) => i.check))) loadCheck(c);
      const remotes = [...new Set(plan.flatMap((i) => (i.notChecked === undefined && i.address && !mine.has(i.address) ? [i.address] : [])))];
      if (view.arpFrom && !mine.has(view.arpFrom)) remotes.push(view.arpFrom);
      await Promise.all(
        remotes.map(async (h) => {
          const lease = pool.acquire({ host: h, port: ssh.port, user: ssh.user, keyPath: ssh.keyPath, knownHostsPath: ssh.knownHostsPath, sudo, timeoutMs: timeout * 1000, connectTimeoutMs: timeout * 1000, rememberUnreachable: true });
          try {
            await lease.source.warm(Date.now() + timeout * 1000);
          } finally {
            lease.release();
          }
        }),
      );
      const rowsStart = Date.now();
      const rows = await mapLimit(plan, ROWS_AT_ONCE, (item) => doctorRow(item, d, hosts, { timeout, verbose, ...view })).finally(() => pool.close());
      const rowsSeconds = (Date.now() - rowsStart) / 1000;
      const w = worst(...rows.map((r) => r.state));
      const colour = o.color === true || (o.color === undefined && !!process.stdout.isTTY && !env.NO_COLOR);
      if (o.json) process.stdout.write(renderJson(rows, w, { rowsSeconds }));
      else {
        process.stdout.write(`lvsha doctor: deployment ${d.name} (${loaded.origin})\n`);
        process.stdout.write(renderTable(rows, { colour, verbose, width: process.stdout.isTTY ? process.stdout.columns ?? 0 : undefined }));
        process.stdout.write(`worst state: ${State[w]}\n`);
      }
      process.exitCode = w;
    });
}

interface SshOptions {
  user: string;
  port: number;
  keyPath?: string;
  knownHostsPath?: string;
}

/** Where a row's sources come from: this host's own (local) or a pooled SSH lease. */
export interface RowHosts {
  isLocal(host: string): boolean;
  local(): Source;
  remote(host: string): { source: Source; release(): void };
}

export interface ArpViewOptions {
  arpFrom?: string;
  arpInterface?: string;
}

/**
 * The config of one doctor row: the check's own defaults for the deployment (what the plugin
 * builds with no option), with the row's host (-H) and doctor's ARP view. No argv.
 */
export function rowConfig(item: DoctorItem, d: Deployment, o: ArpViewOptions): unknown {
  const c = loadCheck(item.check).defaults(d) as Record<string, unknown>;
  const hostname = item.address;
  switch (item.check) {
    case 'vip':
      return o.arpFrom || o.arpInterface ? { ...c, arpFrom: o.arpFrom, arpInterface: o.arpInterface } : c;
    case 'arp':
      return { ...c, hostname, ...(o.arpFrom ? { arpFrom: o.arpFrom } : {}), ...(o.arpInterface ? { arpInterface: o.arpInterface } : {}) };
    case 'keepalived':
      // The row knows which director it is: messages and the preferred-director rule use it.
      return { ...c, hostname, node: item.host };
    default:
      return { ...c, hostname };
  }
}

/** One row: the same gather → evaluate as the plugin, bounded by -t, on this run's shared sources. */
export async function doctorRow(item: DoctorItem, d: Deployment, hosts: RowHosts, o: ArpViewOptions & { timeout: number; verbose: number }): Promise<DoctorRow> {
  const t0 = Date.now();
  if (item.notChecked !== undefined) return { check: item.check, host: item.host, state: State.WARNING, summary: item.notChecked, long: [], seconds: 0 };
  const def = loadCheck(item.check);
  const sources = new Map<string, Source>();
  const releases: (() => void)[] = [];
  // The row's own host is item.address; this host's own checks run locally, the others over SSH.
  const config = rowConfig(item, d, o);
  const source = (host?: string): Source => {
    const target = host ?? item.address;
    const h = target && !hosts.isLocal(target) ? target : 'local';
    let s = sources.get(h);
    if (!s) {
      if (h === 'local') s = hosts.local();
      else {
        const lease = hosts.remote(h);
        releases.push(lease.release);
        s = lease.source;
        // A real server's row over SSH: everything it reads in one remote command, as /probe does.
        if (item.check === 'arp' && target === item.address) {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const { SnapshotSource, realserverPlan } = require('../probes/realserverSnapshot') as typeof import('../probes/realserverSnapshot');
          const c = config as { ip: string; ss: string };
          s = new SnapshotSource(s, realserverPlan(d, { ip: c.ip, ss: c.ss }));
        }
      }
      sources.set(h, s);
    }
    return s;
  };
  const long: string[] = [];
  try {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // -t bounds the row, as it bounds a plugin run: a check still busy then is UNKNOWN.
    const late = new Promise<Result>((resolve) => {
      timer = setTimeout(() => {
        abort.abort();
        resolve({ state: State.UNKNOWN, summary: `timed out after ${o.timeout} s` });
      }, o.timeout * 1000 + 250);
    });
    const env: GatherEnv = {
      source,
      deadline: Date.now() + o.timeout * 1000,
      signal: abort.signal,
      trace: (level, msg) => {
        if (o.verbose >= level) long.push(msg);
      },
    };
    const run = runCheck(def, config, env, o.verbose);
    const r = await Promise.race([run, late]).finally(() => clearTimeout(timer));
    return { check: item.check, host: item.host, state: r.state, summary: r.summary, long: [...(r.long ?? []), ...long], seconds: (Date.now() - t0) / 1000 };
  } finally {
    releases.forEach((r) => r());
    const local = sources.get('local');
    if (local) await local.close();
  }
}
