/**
 * Runs bin/lvsha or a bin/check_lvs_* (compiled dist/: `npm test` builds it first; alone, run
 * `npx tsc -p tsconfig.json` before) inside a network namespace of its own that has only `lo`
 * up (`unshare -n`): a connect to anything but loopback fails at once, and the namespace ends
 * with the process (nothing to clean up). Optionally under strace, to list every connect().
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

const which = (p: string) => spawnSync('sh', ['-c', `command -v ${p}`]).status === 0;
/** Root and unshare (namespaces): required in CI (root there), else the tests skip. */
export const canIsolate = process.getuid?.() === 0 && which('unshare') && which('ip');
export const hasStrace = canIsolate && which('strace');

export interface IsolatedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** IPv4/IPv6 addresses given to connect(), when run under strace. */
  connects?: string[];
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `bin/<prog> ...args` in a fresh namespace with only lo up; `trace` = a file for strace. */
export function runIsolated(prog: string, args: string[], o: { trace?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): IsolatedRun {
  const cmd = [join(ROOT, 'bin', prog), ...args].map(q).join(' ');
  const traced = o.trace ? `strace -f -qq -e trace=connect -o ${q(o.trace)} ${cmd}` : cmd;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec ${traced}`], {
    encoding: 'utf8',
    timeout: o.timeoutMs ?? 60_000,
    env: { ...process.env, LVSHA_CONFIG: '', ...o.env },
  });
  const out: IsolatedRun = { code: r.status, stdout: r.stdout, stderr: r.stderr };
  if (o.trace && existsSync(o.trace)) {
    const text = readFileSync(o.trace, 'utf8');
    rmSync(o.trace, { force: true });
    out.connects = [...text.matchAll(/inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"/g)].map((m) => m[1] ?? m[2]!);
  }
  return out;
}
