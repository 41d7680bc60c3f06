import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { killGroup, track } from '../runtime/children';
import { BoundedReadError, MAX_READ_BYTES, readTextFile, sizeLabel } from '../runtime/readBounded';
import { clampDelay, DEFAULT_COMMAND_TIMEOUT_MS } from '../runtime/timeouts';
import { CommandTimeoutError, RunOptions, RunResult, Source, SpawnError } from './source';

export interface LocalSourceOptions {
  sudo?: boolean;
  /** Default per-command deadline in ms. */
  timeoutMs?: number;
  /** Called with each argv before it runs (for -vv). */
  onRun?: (argv: readonly string[]) => void;
}

const MAX_CAPTURE = MAX_READ_BYTES;
/** After the program exits, how long a background child may keep its output open before its group is killed. */
const EXIT_GRACE_MS = 200;

/** Runs programs on this machine with spawn(argv) — no shell — and reads local files. */
export class LocalSource implements Source {
  readonly host = 'localhost';
  constructor(private readonly opts: LocalSourceOptions = {}) {}

  run(argv: readonly string[], ro: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) throw new SpawnError('empty command');
    const full = ro.privileged && this.opts.sudo ? ['sudo', '-n', '--', ...argv] : [...argv];
    this.opts.onRun?.(full);
    const timeoutMs = ro.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const child = spawn(full[0]!, full.slice(1), {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // own process group, so a timeout kills grandchildren too
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      });
      track(child);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      let timer: NodeJS.Timeout | undefined;
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
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          killGroup(child);
        }, clampDelay(timeoutMs));
      }
      // The program is done; a background child it left behind must not hold its output (and
      // this call) open until the deadline: its group is killed after a short grace.
      child.once('exit', () => {
        grace = setTimeout(() => killGroup(child), EXIT_GRACE_MS);
      });
      child.once('error', (e: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        const why = e.code === 'ENOENT' ? 'not found' : e.code === 'EACCES' ? 'permission denied' : e.message;
        reject(new SpawnError(`cannot run ${full[0]}: ${why}`));
      });
      child.once('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (grace) clearTimeout(grace);
        if (tooMuch) {
          reject(new BoundedReadError(`${argv[0]} wrote more than ${sizeLabel(MAX_CAPTURE)} of output (the limit for one program): not read`, 'EFBIG'));
          return;
        }
        if (timedOut) {
          reject(new CommandTimeoutError(`${argv[0]} did not finish within ${(timeoutMs! / 1000).toFixed(1)} s`));
          return;
        }
        resolve({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          code,
          signal,
        });
      });
    });
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
