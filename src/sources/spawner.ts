import { ChildProcess, spawn } from 'node:child_process';
import { SpawnError } from './source';

/**
 * What one program run gave, before LocalSource turns it into a RunResult or an error: the
 * same fields whether the exporter spawned the program itself or its spawner did.
 */
export interface RawRun {
  stdout: Buffer;
  stderr: Buffer;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  tooMuch: boolean;
  /** spawn's error code (ENOENT, EACCES...) when the program could not start. */
  error?: string;
  message?: string;
}

/**
 * The spawner's own code, run with `node -e` (a string, so the bundle and dist/ need no second
 * entry file): it spawns each program exactly as LocalSource does (argv, no shell, its own
 * process group, LC_ALL=C, the output cap, the deadline and the grace after exit, each killing
 * the whole group) and answers with a JSON header line followed by the raw stdout and stderr
 * bytes (lengths in the header: a program's output can never forge a frame). When the exporter
 * ends, however it ends, its end of stdin closes: the spawner kills every group it started and
 * exits. argv[1] = the output cap, argv[2] = the grace in ms.
 */
export const SPAWNER_JS = `'use strict';
process.title = 'lvsha-spawner';
const { spawn } = require('child_process');
const MAX = Number(process.argv[1]);
const GRACE = Number(process.argv[2]);
const live = new Map();
const killGroup = (c) => { try { process.kill(-c.pid, 'SIGKILL'); } catch { try { c.kill('SIGKILL'); } catch {} } };
const send = (h, out, err) => process.stdout.write(Buffer.concat([Buffer.from(JSON.stringify(h) + '\\n'), out, err]));
const none = Buffer.alloc(0);
function run(id, argv, timeoutMs) {
  let child;
  try {
    child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
  } catch (e) {
    send({ id, error: e.code || 'EINVAL', message: String(e.message) }, none, none);
    return;
  }
  live.set(id, child);
  const out = [], err = [];
  let size = 0, timedOut = false, tooMuch = false, grace, failed = false;
  const collect = (arr) => (b) => {
    size += b.length;
    if (size <= MAX) arr.push(b);
    else if (!tooMuch) { tooMuch = true; killGroup(child); }
  };
  child.stdout.on('data', collect(out));
  child.stderr.on('data', collect(err));
  const timer = setTimeout(() => { timedOut = true; killGroup(child); }, timeoutMs);
  child.once('exit', () => { grace = setTimeout(() => killGroup(child), GRACE); });
  child.once('error', (e) => {
    failed = true;
    clearTimeout(timer);
    live.delete(id);
    send({ id, error: e.code || 'EINVAL', message: String(e.message) }, none, none);
  });
  child.once('close', (code, signal) => {
    clearTimeout(timer);
    clearTimeout(grace);
    live.delete(id);
    if (failed) return;
    const o = tooMuch ? none : Buffer.concat(out), e = tooMuch ? none : Buffer.concat(err);
    send({ id, code, signal, timedOut, tooMuch, out: o.length, err: e.length }, o, e);
  });
}
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (s) => {
  buf += s;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const m = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (m.kill !== undefined) { const c = live.get(m.kill); if (c) { killGroup(c); } }
    else run(m.id, m.argv, m.timeoutMs);
  }
});
process.stdin.on('end', () => { for (const c of live.values()) killGroup(c); process.exit(0); });
`;

interface Pending {
  resolve(r: RawRun): void;
  reject(e: Error): void;
  backstop: NodeJS.Timeout;
}

/** Beyond its deadline and the exit grace, how long an answer may take before the run is given up. */
const BACKSTOP_MS = 5000;

/**
 * Runs programs through one long-lived child process (the exporter's): Node's spawn() blocks
 * the event loop while the kernel forks the calling process, and a fork costs in proportion to
 * the memory mapped. An exporter that has just rendered a 37 000-backend answer maps hundreds of
 * MB: measured 35-86 ms per spawn (cl_status, ip, ipvsadm: three per scrape) against ~10 ms
 * from a small process. The spawner stays small (it holds only the output of the programs
 * it runs), so the fork happens there, off the exporter's event loop.
 *
 * A spawner that dies fails the runs it had (SpawnError: the probe fails for this scrape) and
 * is started again by the next run.
 */
export class Spawner {
  private child?: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private rx: Buffer[] = [];
  private have = 0;
  private header?: { id: number; out: number; err: number; h: Record<string, unknown> };
  /** Programs run through the spawner (tests: the path is really taken). */
  runs = 0;
  private closed = false;

  constructor(
    private readonly maxCapture: number,
    private readonly graceMs: number,
    private readonly backstopMs = BACKSTOP_MS,
  ) {}

  /** The spawner's PID (tests), undefined before the first run or after it died. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the spawner now (the exporter at start-up, while it is small), not at the first run. */
  start(): void {
    if (!this.closed) this.ensure();
  }

  run(argv: readonly string[], timeoutMs: number): Promise<RawRun> {
    if (this.closed) return Promise.reject(new SpawnError('the spawner is closed'));
    const child = this.ensure();
    const id = this.nextId++;
    this.runs++;
    return new Promise<RawRun>((resolve, reject) => {
      const backstop = setTimeout(() => {
        // The spawner did not answer past the deadline it enforces itself: it is stuck.
        this.pending.delete(id);
        reject(new SpawnError(`no answer from the spawner for ${argv[0]} within ${((timeoutMs + this.graceMs + this.backstopMs) / 1000).toFixed(1)} s`));
        this.restart('the spawner was replaced: it stopped answering');
      }, timeoutMs + this.graceMs + this.backstopMs);
      this.pending.set(id, { resolve, reject, backstop });
      child.stdin!.write(JSON.stringify({ id, argv, timeoutMs }) + '\n');
    });
  }

  /** Closing stdin makes the spawner kill every group it started, then exit. */
  close(): void {
    this.closed = true;
    this.restart('the spawner was closed');
  }

  private restart(why: string): void {
    const c = this.child;
    if (!c) return;
    this.child = undefined;
    c.stdin?.end();
    // Still there after a while (stuck): the spawner itself goes; its groups are its own.
    const t = setTimeout(() => c.kill('SIGKILL'), 2000);
    t.unref();
    c.once('exit', () => clearTimeout(t));
    this.fail(c, why);
  }

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    const c = spawn(process.execPath, ['--max-old-space-size=64', '-e', SPAWNER_JS, String(this.maxCapture), String(this.graceMs)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child = c;
    this.rx = [];
    this.have = 0;
    this.header = undefined;
    c.stdout!.on('data', (b: Buffer) => this.onData(c, b));
    c.stdin!.on('error', () => {}); // EPIPE when it died: its exit fails the pending runs
    c.once('error', (e) => this.fail(c, `the spawner could not start: ${e.message}`));
    c.once('exit', (code, signal) => this.fail(c, `the spawner ended (${signal ?? `exit ${code}`})`));
    // The spawner does not keep the exporter alive; the exporter's end closes its stdin.
    c.unref();
    (c.stdin as unknown as { unref?: () => void }).unref?.();
    (c.stdout as unknown as { unref?: () => void }).unref?.();
    return c;
  }

  /** Fails the runs of spawner `c` still waiting (they were all its). */
  private fail(c: ChildProcess, why: string): void {
    if (this.child === c) this.child = undefined;
    if (this.child !== undefined) return;
    for (const [id, p] of this.pending) {
      clearTimeout(p.backstop);
      this.pending.delete(id);
      p.reject(new SpawnError(why));
    }
  }

  /**
   * Frames from the spawner: a header line, then its `out` + `err` bytes. The bytes are kept as
   * the chunks they came in and joined once a frame is whole (a 64 MiB output arrives in ~1 000
   * chunks: joining at each would copy gigabytes).
   */
  private onData(c: ChildProcess, b: Buffer): void {
    if (this.child !== c) return;
    this.rx.push(b);
    this.have += b.length;
    for (;;) {
      if (!this.header) {
        // The header follows the previous frame: what is pending is at most a chunk's rest and this chunk.
        const all = this.rx.length > 1 ? Buffer.concat(this.rx) : this.rx[0];
        if (!all) return;
        const nl = all.indexOf(10);
        if (nl < 0) {
          this.rx = [all];
          if (all.length > 64 * 1024) this.garbled(c); // no header is that long
          return;
        }
        let h: Record<string, unknown>;
        try {
          h = JSON.parse(all.subarray(0, nl).toString('utf8')) as Record<string, unknown>;
        } catch {
          this.garbled(c);
          return;
        }
        const rest = all.subarray(nl + 1);
        this.rx = rest.length ? [rest] : [];
        this.have = rest.length;
        const n = (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : 0);
        this.header = { id: n(h.id), out: n(h.out), err: n(h.err), h };
      }
      const { id, out, err, h } = this.header;
      if (this.have < out + err) return;
      const all = this.rx.length > 1 ? Buffer.concat(this.rx, this.have) : (this.rx[0] ?? Buffer.alloc(0));
      const stdout = all.subarray(0, out);
      const stderr = all.subarray(out, out + err);
      const rest = all.subarray(out + err);
      this.rx = rest.length ? [Buffer.from(rest)] : [];
      this.have = rest.length;
      this.header = undefined;
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      clearTimeout(p.backstop);
      p.resolve({
        stdout,
        stderr,
        code: typeof h.code === 'number' ? h.code : null,
        signal: typeof h.signal === 'string' ? (h.signal as NodeJS.Signals) : null,
        timedOut: h.timedOut === true,
        tooMuch: h.tooMuch === true,
        ...(typeof h.error === 'string' ? { error: h.error, message: String(h.message ?? '') } : {}),
      });
    }
  }

  /** Not a frame from our spawner (it printed something else): its answers cannot be trusted; replace it. */
  private garbled(c: ChildProcess): void {
    if (this.child !== c) return;
    this.restart('the spawner sent something that is not an answer: replaced');
  }
}
