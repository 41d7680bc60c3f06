import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { killGroup, track } from '../runtime/children';
import { BoundedReadError, MAX_READ_BYTES, readTextFile, sizeLabel } from '../runtime/readBounded';
import { clampDelay, DEFAULT_COMMAND_TIMEOUT_MS } from '../runtime/timeouts';
import { CommandTimeoutError, RunOptions, RunResult, Source, SpawnError } from './source';
import type { RawRun, Spawner } from './spawner';

export interface LocalSourceOptions {
  sudo?: boolean;
  /** Default per-command deadline in ms. */
  timeoutMs?: number;
  /** Called with each argv before it runs (for -vv). */
  onRun?: (argv: readonly string[]) => void;
  /** Run the programs through this long-lived spawner (the exporter's: ./spawner.ts) instead of forking this process. */
  spawner?: Spawner;
}

const MAX_CAPTURE = MAX_READ_BYTES;
/** After the program exits, how long a background child may keep its output open before its group is killed. */
export const EXIT_GRACE_MS = 200;

/** Runs programs on this machine with spawn(argv) — no shell — and reads local files. */
export class LocalSource implements Source {
  readonly host = 'localhost';
  constructor(private readonly opts: LocalSourceOptions = {}) {}

  run(argv: readonly string[], ro: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new SpawnError('empty command');
    const full = ro.privileged && this.opts.sudo ? ['sudo', '-n', '--', ...argv] : [...argv];
    this.opts.onRun?.(full);
    const timeoutMs = clampDelay(ro.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    const raw = this.opts.spawner ? this.opts.spawner.run(full, timeoutMs) : spawnDirect(full, timeoutMs);
    return raw.then((r) => settle(argv, full, timeoutMs, r));
  }

  /** Regular files only, at most MAX_READ_BYTES: a FIFO or a device never blocks a check. */
  readFile(path: string): Promise<string> {
    return readTextFile(path);
  }

  async listDir(path: string): Promise<string[]> {
    try {
      return (await readdir(path)).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async close(): Promise<void> {}
}

/**
 * Spawns one program in this process: argv (no shell), its own process group, the output cap,
 * the deadline and the grace after exit each killing the whole group. The spawner
 * (./spawner.ts) does the same in its own process.
 */
function spawnDirect(full: readonly string[], timeoutMs: number): Promise<RawRun> {
  return new Promise((resolve) => {
    const child = spawn(full[0]!, full.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout kills grandchildren too
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    });
    track(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let tooMuch = false;
    let grace: NodeJS.Timeout | undefined;
    const collect = (arr: Buffer[]) => (b: Buffer) => {
      size += b.length;
      if (size <= MAX_CAPTURE) arr.push(b);
      else if (!tooMuch) {
        tooMuch = true;
        killGroup(child);
      }
    };
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(err));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    // The program is done; a background child it left behind must not hold its output (and
    // this call) open until the deadline: its group is killed after a short grace.
    child.once('exit', () => {
      grace = setTimeout(() => killGroup(child), EXIT_GRACE_MS);
    });
    const none = Buffer.alloc(0);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ stdout: none, stderr: none, code: null, signal: null, timedOut: false, tooMuch: false, error: e.code ?? 'EINVAL', message: e.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (grace) clearTimeout(grace);
      resolve({ stdout: tooMuch ? none : Buffer.concat(out), stderr: tooMuch ? none : Buffer.concat(err), code, signal, timedOut, tooMuch });
    });
  });
}

/** One verdict on a program run, wherever it was spawned. */
function settle(argv: readonly string[], full: readonly string[], timeoutMs: number, r: RawRun): RunResult {
  if (r.error !== undefined) {
    const why = r.error === 'ENOENT' ? 'not found' : r.error === 'EACCES' ? 'permission denied' : r.message;
    throw new SpawnError(`cannot run ${full[0]}: ${why}`);
  }
  if (r.tooMuch) throw new BoundedReadError(`${argv[0]} wrote more than ${sizeLabel(MAX_CAPTURE)} of output (the limit for one program): not read`, 'EFBIG');
  if (r.timedOut) throw new CommandTimeoutError(`${argv[0]} did not finish within ${(timeoutMs / 1000).toFixed(1)} s`);
  return { stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), code: r.code, signal: r.signal };
}
