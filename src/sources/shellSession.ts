import type { Client, ClientChannel } from 'ssh2';
import { BoundedReadError } from '../runtime/readBounded';
import { clampDelay } from '../runtime/timeouts';
import { CommandTimeoutError, RunResult } from './source';

/**
 * One long-lived remote `sh` on a pooled SSH connection (SshSource's keepShell): a command
 * costs a write and its answer, not a channel, an sshd fork and a login shell (measured on
 * loopback: `true` 0.5 ms vs 18 ms on a channel of its own).
 *
 * Each request is framed by a random nonce: the shell prints NONCE\n on stdout and stderr
 * before the command and \nNONCE RC\n / \nNONCE\n after it. The script carries the nonce in
 * two halves (`printf '%s%s' A B`), so a peer that echoes its input (`sh -v`, a broken shell)
 * never shows a whole marker; the command runs with stdin from /dev/null and never sees it.
 * Bytes before the start marker belong to no request (a shell's start-up files, a writer
 * left by an earlier command): they are dropped and the shell is marked unclean (SshSource
 * then closes it). The command runs under GNU timeout in its own process group, killed with
 * whatever it left behind once it ends (as REMOTE_DEADLINE_SCRIPT does on the exec path).
 */

/** The shell ended (or its channel closed) before the request's end markers. */
export class ShellDied extends Error {
  override name = 'ShellDied';
  constructor(
    message: string,
    /** Nothing of this request was seen yet: running it again on a new shell is safe. */
    readonly beforeStart: boolean,
  ) {
    super(message);
  }
}

/** POSIX single-quote quoting (as ssh.ts' shQuote; repeated here to keep this module standalone). */
function q(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The text written to the shell for one command: `a`+`b` is the nonce, never written whole. */
export function shellScript(words: readonly string[], seconds: string, a: string, b: string): string {
  const cmd = ['timeout', '-s', 'KILL', seconds, ...words].map(q).join(' ');
  return (
    `printf '%s%s\\n' ${a} ${b}; printf '%s%s\\n' ${a} ${b} >&2; ` +
    `LC_ALL=C ${cmd} </dev/null & p=$!; wait $p; r=$?; kill -s KILL -- -$p 2>/dev/null; ` +
    `printf '\\n%s%s %s\\n' ${a} ${b} "$r"; printf '\\n%s%s\\n' ${a} ${b} >&2\n`
  );
}

/** One output stream of one request: bytes before the start marker, the body, the end marker. */
class Frame {
  started = false;
  done = false;
  rc?: number;
  /** Bytes dropped before the start marker. */
  stale = 0;
  /** The last bytes before the start marker, that may begin it (never more than the nonce). */
  private carry = Buffer.alloc(0);
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private bodyEnd = 0;
  constructor(
    private readonly nonce: string,
    private readonly withRc: boolean,
  ) {}

  /** Bytes held (for the cap). */
  get held(): number {
    return this.stale + this.carry.length + this.size;
  }

  /** Takes a chunk; returns the bytes seen after this request's end (a protocol breach). */
  push(b: Buffer): number {
    if (this.done) return b.length;
    if (!this.started) {
      // Only the carry and the new chunk are searched: a peer flooding before the marker costs
      // linear time, and its bytes count against the cap.
      const buf = Buffer.concat([this.carry, b]);
      const i = buf.indexOf(`${this.nonce}\n`, 0, 'latin1');
      if (i < 0) {
        const keep = Math.min(buf.length, this.nonce.length);
        this.stale += buf.length - keep;
        this.carry = buf.subarray(buf.length - keep);
        return 0;
      }
      this.stale += i;
      this.started = true;
      this.carry = Buffer.alloc(0);
      b = buf.subarray(i + this.nonce.length + 1);
      if (b.length === 0) return 0;
    }
    this.chunks.push(b);
    this.size += b.length;
    // The end marker is the last thing the request prints: look at the tail only.
    const tail = this.tail(this.nonce.length + 8).toString('latin1');
    const m = (this.withRc ? /\n([0-9a-f]+) (\d{1,3})\n$/ : /\n([0-9a-f]+)\n$/).exec(tail);
    if (m && m[1] === this.nonce) {
      this.done = true;
      if (this.withRc) this.rc = Number(m[2]);
      this.bodyEnd = this.size - m[0].length;
    }
    return 0;
  }

  private tail(n: number): Buffer {
    const parts: Buffer[] = [];
    let len = 0;
    for (let i = this.chunks.length - 1; i >= 0 && len < n; i--) {
      parts.unshift(this.chunks[i]!);
      len += this.chunks[i]!.length;
    }
    const t = Buffer.concat(parts);
    return t.subarray(Math.max(0, t.length - n));
  }

  text(): string {
    return Buffer.concat(this.chunks).subarray(0, this.bodyEnd).toString('utf8');
  }
}

interface Pending {
  out: Frame;
  err: Frame;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
  cap: number;
}

export class RemoteShell {
  dead = false;
  /** No byte came outside a request's frame: the shell may take another command. */
  clean = true;
  private req?: Pending;

  private constructor(private readonly stream: ClientChannel) {
    stream.on('data', (b: Buffer) => this.data(b, 'out'));
    stream.stderr.on('data', (b: Buffer) => this.data(b, 'err'));
    stream.on('close', () => this.died('the remote shell ended'));
    stream.on('error', () => this.died('the remote shell channel failed'));
  }

  /** Opens `sh` on its own channel, by `deadline` (CommandTimeoutError past it; a late channel is closed). */
  static open(conn: Client, deadline: number): Promise<RemoteShell> {
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new CommandTimeoutError('no remote shell before the deadline'));
      }, clampDelay(deadline - Date.now()));
      conn.exec('LC_ALL=C exec sh', (err: Error | undefined, stream: ClientChannel) => {
        clearTimeout(timer);
        if (late) {
          stream?.close();
          return;
        }
        if (err) reject(err);
        else resolve(new RemoteShell(stream));
      });
    });
  }

  /**
   * Runs `words` (argv) under a remote deadline of `seconds`; settles by `deadline` whatever
   * the peer does: CommandTimeoutError, BoundedReadError past `cap` bytes, ShellDied.
   */
  run(words: readonly string[], seconds: string, deadline: number, cap: number): Promise<RunResult> {
    if (this.dead) return Promise.reject(new ShellDied('the remote shell ended', true));
    if (this.req) return Promise.reject(new Error('remote shell busy')); // SshSource never does this
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
    const a = randomBytes(8).toString('hex');
    const b = randomBytes(8).toString('hex');
    const nonce = a + b;
    return new Promise<RunResult>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new CommandTimeoutError('the remote shell did not answer before the deadline')), clampDelay(deadline - Date.now()));
      this.req = {
        out: new Frame(nonce, true),
        err: new Frame(nonce, false),
        cap,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.stream.write(shellScript(words, seconds, a, b));
    });
  }

  private data(b: Buffer, which: 'out' | 'err'): void {
    const r = this.req;
    if (!r) {
      // Output while no command runs: a writer this shell's commands left behind.
      this.clean = false;
      this.destroy();
      return;
    }
    if (r[which].push(b) > 0) this.clean = false;
    if (r.out.held + r.err.held > r.cap) {
      this.fail(new BoundedReadError(`more than ${r.cap} bytes of output`, 'EFBIG'));
      return;
    }
    if (r.out.done && r.err.done) {
      if (r.out.stale + r.err.stale > 0) this.clean = false;
      this.req = undefined;
      r.resolve({ stdout: r.out.text(), stderr: r.err.text(), code: r.out.rc!, signal: null });
    }
  }

  private fail(e: Error): void {
    const r = this.req;
    this.req = undefined;
    this.destroy();
    r?.reject(e);
  }

  private died(why: string): void {
    this.dead = true;
    const r = this.req;
    if (r) this.fail(new ShellDied(why, !r.out.started && !r.err.started));
  }

  /** Ends the shell for good: its channel is closed, the shell killed where sshd allows it. */
  destroy(): void {
    if (this.dead && this.stream.destroyed) return;
    this.dead = true;
    try {
      this.stream.signal('KILL');
    } catch {
      /* ignore */
    }
    try {
      this.stream.close();
    } catch {
      /* ignore */
    }
  }
}
