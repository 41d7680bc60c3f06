import { Command, InvalidArgumentError } from 'commander';
import { networkInterfaces } from 'node:os';
import { loadCheck } from '../checks/registry';
import { loadDeployment } from '../model/load';
import { runCheckEmbedded } from '../runtime/plugin';
import { Result } from '../runtime/result';
import { State, worst } from '../runtime/state';
import { LocalSource } from '../sources/local';
import { Source } from '../sources/source';
import { doctorPlan } from './plan';
import { DoctorRow, renderJson, renderTable } from './render';

function localAddresses(): Set<string> {
  const s = new Set(['localhost', '127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) s.add(a.address);
  return s;
}

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
    .option('-t, --timeout <seconds>', 'per check (each row ends within it)', (v: string) => {
      const n = Number(v);
      if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0)) throw new InvalidArgumentError(`--timeout '${v}' is not a positive number of seconds`);
      return n;
    }, 10)
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
      const loaded = loadDeployment(o.config as string | undefined);
      const d = loaded.deployment;
      const env = process.env;
      const ssh = [
        '--ssh-user', String(o.sshUser ?? env.LVSHA_SSH_USER ?? 'root'),
        '--ssh-port', String(o.sshPort ?? env.LVSHA_SSH_PORT ?? '22'),
        ...((o.sshKey ?? env.LVSHA_SSH_KEY) ? ['--ssh-key', String(o.sshKey ?? env.LVSHA_SSH_KEY)] : []),
        ...((o.knownHosts ?? env.LVSHA_KNOWN_HOSTS) ? ['--known-hosts', String(o.knownHosts ?? env.LVSHA_KNOWN_HOSTS)] : []),
        ...(o.sudo ? ['--sudo'] : []),
      ];
      const timeout = o.timeout as number;
      const arpView = o.arpFrom ? ['--arp-from', String(o.arpFrom), ...(o.arpInterface ? ['--arp-interface', String(o.arpInterface)] : [])] : [];
      const mine = localAddresses();
      const verbose = Number(o.verbose ?? 0);
      const plan = doctorPlan(d);
      // One SSH connection per host for the whole run (a director is asked by five checks):
      // connecting costs more than the commands.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pool = new (require('../sources/pool') as typeof import('../sources/pool')).SshPool({ maxSize: 64, idleMs: 600_000 });
      const get = (k: string) => {
        const i = ssh.indexOf(k);
        return i >= 0 ? ssh[i + 1] : undefined;
      };
      const rows = await mapLimit(plan, 6, async (item): Promise<DoctorRow> => {
        const t0 = Date.now();
        const def = loadCheck(item.check);
        // This host's own checks run locally; the others over SSH.
        const args = item.address && mine.has(item.address) ? item.args.filter((_, i, a) => a[i] !== '-H' && a[i - 1] !== '-H') : item.args;
        const sources = new Map<string, Source>();
        const releases: (() => void)[] = [];
        const source = (host?: string): Source => {
          const h = host && !mine.has(host) ? host : 'local';
          let s = sources.get(h);
          if (!s) {
            if (h === 'local') s = new LocalSource({ sudo: !!o.sudo, timeoutMs: timeout * 1000 });
            else {
              // A host that could not be reached is not tried again by every other check of
              // this run (each attempt would wait for the connect timeout).
              const lease = pool.acquire({ host: h, port: Number(get('--ssh-port')), user: get('--ssh-user'), keyPath: get('--ssh-key'), knownHostsPath: get('--known-hosts'), sudo: !!o.sudo, timeoutMs: timeout * 1000, connectTimeoutMs: Math.max(1000, timeout * 600), rememberUnreachable: true });
              releases.push(lease.release);
              s = lease.source;
            }
            sources.set(h, s);
          }
          return s;
        };
        try {
          const extra = item.check === 'vip' || item.check === 'arp' ? arpView : [];
          const abort = new AbortController();
          let timer: NodeJS.Timeout | undefined;
          // -t bounds the row, as it bounds a plugin run: a check still busy then is UNKNOWN.
          const late = new Promise<Result>((resolve) => {
            timer = setTimeout(() => {
              abort.abort();
              resolve({ state: State.UNKNOWN, summary: `timed out after ${timeout} s` });
            }, timeout * 1000 + 250);
          });
          const run = runCheckEmbedded(def, [...args, ...extra, ...ssh, '-t', String(timeout)], { source, deployment: d, deadline: Date.now() + timeout * 1000, verbose, signal: abort.signal });
          const r = await Promise.race([run, late]).finally(() => clearTimeout(timer));
          return { check: item.check, host: item.host, state: r.state, summary: r.summary, long: r.long ?? [], seconds: (Date.now() - t0) / 1000 };
        } finally {
          releases.forEach((r) => r());
          const local = sources.get('local');
          if (local) await local.close();
        }
      }).finally(() => pool.close());
      const w = worst(...rows.map((r) => r.state));
      const colour = o.color === true || (o.color === undefined && !!process.stdout.isTTY && !env.NO_COLOR);
      if (o.json) process.stdout.write(renderJson(rows, w));
      else {
        process.stdout.write(`lvsha doctor: deployment ${d.name} (${loaded.origin})\n`);
        process.stdout.write(renderTable(rows, { colour, verbose, width: process.stdout.isTTY ? process.stdout.columns ?? 0 : undefined }));
        process.stdout.write(`worst state: ${State[w]}\n`);
      }
      process.exitCode = w;
    });
}
