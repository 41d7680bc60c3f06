import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { NodeSSH } from 'node-ssh';
import { entriesFor, HostKeyVerdict, parseKnownHosts, verifyHostKey } from './knownHosts';
import { BoundedReadError, MAX_READ_BYTES, sizeLabel } from '../runtime/readBounded';
import { clampDelay, DEFAULT_COMMAND_TIMEOUT_MS } from '../runtime/timeouts';
import { ReadAnswer, ReadRequest, parseReadBatch, readAnswerError, readBatchArgv } from './readBatch';
import { CommandTimeoutError, RunOptions, RunResult, Source, SshAuthError, UnreachableError, describeExit } from './source';
import { RemoteShell, ShellDied } from './shellSession';

export interface SshSourceOptions {
  host: string;
  port?: number;
  user?: string;
  /** Private key file (key authentication only). */
  keyPath?: string;
  knownHostsPath?: string;
  sudo?: boolean;
  connectTimeoutMs?: number;
  /** Default per-command deadline in ms. */
  timeoutMs?: number;
  onRun?: (argv: readonly string[]) => void;
  /**
   * Once the host could not be reached, fail every later command at once with the same error
   * (default true: one verdict per run; a second connect to a hung host would eat the rest of
   * -t). The exporter's pool replaces such a source at the next scrape instead.
   */
  rememberUnreachable?: boolean;
  /** Asked for a permit before each new connection (the pool's hard cap on open connections). */
  gate?: ConnectionGate;
  /**
   * Run commands through one long-lived remote shell per connection (shellSession.ts) instead
   * of a new channel each: no channel set-up, no sshd fork, no login shell per command. The
   * pool turns it on; a command that finds the shell busy takes a channel of its own.
   */
  keepShell?: boolean;
  /** Most bytes of output one command may write (default 64 MiB); tests lower it. */
  maxOutputBytes?: number;
}

/** Grants the right to open one connection; the returned function gives it back. Rejects when none is free by `deadline`. */
export interface ConnectionGate {
  acquire(host: string, deadline: number | undefined): Promise<() => void>;
}

/** One SSH connection and what runs on it. */
interface Conn {
  ssh: NodeSSH;
  /** Commands and TCP channels in flight. */
  inflight: number;
  /** Missed a deadline: no new command goes to it; closed once its last command settles. */
  retired: boolean;
  ended: boolean;
  /** The TCP connection is closed (the client's 'close'). */
  closed: boolean;
  release: () => void;
  /** The long-lived shell (keepShell), if one is open and clean. */
  shell?: RemoteShell;
  /** A command is using (or opening) the shell. */
  shellBusy?: boolean;
}

/**
 * The remote deadline: GNU timeout runs the command in its own process group and kills it
 * at T; once it ends (in time or not) the group is killed too, so a background child the
 * command left holding the channel's output dies with it. `$p` is timeout's pid, which is
 * its process group (timeout calls setpgid(0, 0)). POSIX sh; the argv follows as "$@".
 */
export const REMOTE_DEADLINE_SCRIPT = 'timeout -s KILL "$0" "$@" & p=$!; wait $p; r=$?; kill -s KILL -- -$p 2>/dev/null; exit $r';

/** POSIX single-quote quoting: the remote side gets exactly these argv words. */
export function shQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

const MAX_CAPTURE = MAX_READ_BYTES;

/** Runs programs on a remote host over SSH (node-ssh), host key checked against known_hosts. */
export class SshSource implements Source {
  readonly host: string;
  /** The connection new commands go to. */
  private cur?: Conn;
  /** Every connection not yet closed (the current one and retired ones still busy). */
  private readonly conns = new Set<Conn>();
  /** Why the last connection ended, if it ended by an error. */
  private lost?: string;
  private connecting?: Promise<Conn>;
  constructor(private readonly o: SshSourceOptions) {
    this.host = o.host;
  }

  private get cap(): number {
    return this.o.maxOutputBytes ?? MAX_CAPTURE;
  }

  private get port(): number {
    return this.o.port ?? 22;
  }

  private unreachable?: Error;

  /** The connect that failed as unreachable, remembered for the rest of the run (see rememberUnreachable). */
  get failed(): Error | undefined {
    return this.unreachable;
  }

  /** Whether a connection is open (it holds a permit of the pool's gate). */
  get connected(): boolean {
    return this.conns.size > 0;
  }

  /**
   * Connects now, if not connected, so that a later command does not pay the handshake
   * within its own deadline (doctor opens every host's connection before its rows' clocks
   * start). A failure is not thrown: the next command reports it (an unreachable host is
   * remembered, see rememberUnreachable).
   */
  async warm(deadline?: number): Promise<void> {
    await this.connect(deadline).then(
      () => undefined,
      () => undefined,
    );
  }

  private connect(deadline?: number): Promise<Conn> {
    // Closed for good: a command still issued by a background probe after its owner closed
    // the source (doctor's pool, a scrape's) must not open a connection nobody will close.
    if (this.closed) return Promise.reject(new UnreachableError(`SSH connection to ${this.o.host} closed`));
    const c = this.cur;
    if (c && !c.ended && c.ssh.isConnected()) return Promise.resolve(c);
    if (this.unreachable) return Promise.reject(this.unreachable);
    if (c) {
      // The connection dropped (peer restarted): start afresh.
      this.cur = undefined;
      this.connecting = undefined;
      this.retire(c);
    }
    this.connecting ??= this.doConnect(deadline).catch((e: unknown) => {
      this.connecting = undefined; // a failed attempt is not cached (unless asked for)
      if (this.o.rememberUnreachable !== false && e instanceof UnreachableError) this.unreachable = e;
      throw e;
    });
    return this.connecting;
  }

  /** No new command goes to `c`; it is closed (and its permit given back) once nothing runs on it. */
  private retire(c: Conn): void {
    c.retired = true;
    if (this.cur === c) {
      this.cur = undefined;
      this.connecting = undefined;
    }
    if (c.inflight === 0) this.end(c);
  }

  private end(c: Conn): void {
    if (c.ended) return;
    c.ended = true;
    c.retired = true;
    if (this.cur === c) {
      this.cur = undefined;
      this.connecting = undefined;
    }
    this.conns.delete(c);
    // node-ssh's dispose() forgets the client: keep it to see the socket close.
    const client = c.ssh.connection;
    c.ssh.dispose();
    // The permit is given back once the socket is really closed, so the pool's cap counts
    // TCP connections, not intentions (dispose() only starts a graceful close); a peer that
    // does not close its side within a second is cut.
    if (c.closed || !client) c.release();
    else {
      const force = setTimeout(() => {
        client.destroy();
        c.release();
      }, 1000);
      force.unref();
      client.once('close', () => {
        clearTimeout(force);
        c.release();
      });
    }
  }

  private settle(c: Conn): void {
    c.inflight = Math.max(0, c.inflight - 1);
    if (c.retired && c.inflight === 0) this.end(c);
  }

  /** Bumped by close(): a connect that completes after it is closed at once. */
  private generation = 0;

  private async doConnect(deadline?: number): Promise<Conn> {
    const gen = this.generation;
    const khPath = this.o.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts');
    let khText: string;
    try {
      khText = readFileSync(khPath, 'utf8');
    } catch {
      throw new SshAuthError(`cannot read known_hosts file ${khPath}: host keys are never trusted blindly`);
    }
    const entries = parseKnownHosts(khText);
    const known = entriesFor(entries, this.o.host, this.port).filter((e) => !e.marker);
    const keyPath = this.o.keyPath ?? join(homedir(), '.ssh', 'id_ed25519');
    let privateKey: string;
    try {
      privateKey = readFileSync(keyPath, 'utf8');
    } catch {
      throw new SshAuthError(`cannot read SSH key ${keyPath}`);
    }
    let verdict: HostKeyVerdict | undefined;
    // Lazy: node-ssh (and ssh2 behind it) are loaded only by checks that go remote.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { NodeSSH } = require('node-ssh') as typeof import('node-ssh');
    // The pool's hard cap: wait (within the caller's deadline) for a permit to connect.
    const release = this.o.gate ? await this.o.gate.acquire(this.o.host, deadline) : () => {};
    const ssh = new NodeSSH();
    // Offer the host key types known_hosts has for this host first, so the server
    // presents a key we can compare (as OpenSSH does).
    const knownTypes = [...new Set(known.map((e) => e.keyType))];
    const defaults = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    const typeToAlgos = (t: string) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]);
    const serverHostKey = [...new Set([...knownTypes.flatMap(typeToAlgos), ...defaults])];
    try {
      const connecting = ssh.connect({
        host: this.o.host,
        port: this.port,
        username: this.o.user ?? 'root',
        privateKey,
        // Never past the caller's deadline (less a margin to report it), nor past connectTimeoutMs.
        readyTimeout: clampDelay(Math.min(this.o.connectTimeoutMs ?? 5000, deadline !== undefined ? Math.max(500, deadline - Date.now() - 200) : Infinity)),
        algorithms: { serverHostKey: serverHostKey as never },
        hostVerifier: ((key: Buffer) => {
          verdict = verifyHostKey(entries, this.o.host, this.port, key);
          return verdict === 'ok';
        }) as never,
      });
      // From the first packet: the key exchange's back-to-back packets wait for a delayed ACK
      // too (a new connection measured ~110 ms with Nagle on).
      ssh.connection?.setNoDelay(true);
      await connecting;
    } catch (e) {
      ssh.dispose();
      release();
      const where = `${this.o.host}:${this.port}`;
      if (verdict && verdict !== 'ok') {
        const msg =
          verdict === 'unknown'
            ? `host key of ${where} is not in ${khPath}; refusing to connect (verify it, then add it)`
            : verdict === 'revoked'
              ? `host key of ${where} is revoked in ${khPath}`
              : `HOST KEY CHANGED for ${where} (does not match ${khPath}); refusing to connect`;
        throw new SshAuthError(msg);
      }
      const m = (e as Error).message ?? String(e);
      if (/authentication methods failed/i.test(m)) throw new SshAuthError(`SSH key refused by ${where} for user ${this.o.user ?? 'root'}`);
      if (/privatekey|private key|parse/i.test(m) && !/ECONN|ETIMEDOUT/.test(m)) throw new SshAuthError(`cannot use SSH key ${keyPath}: ${m}`);
      throw new UnreachableError(`cannot reach ${where} over SSH: ${m}`);
    }
    // ssh2 leaves Nagle on, and OpenSSH sets TCP_NODELAY only for sessions with a tty: each
    // command's last small packets then wait for a delayed ACK, ~45 ms per command (measured
    // here: 46 ms for `true`, 3 ms with it off).
    ssh.connection?.setNoDelay(true);
    // node-ssh drops its 'error' listener once connected: without one, a reset connection (a
    // director rebooting under a pooled connection) is an unhandled 'error' event that ends
    // the whole process. Mark it lost instead; the next command reconnects.
    let given = false;
    const giveBack = () => {
      if (!given) {
        given = true;
        release();
      }
    };
    const conn: Conn = { ssh, inflight: 0, retired: false, ended: false, closed: false, release: giveBack };
    if (gen !== this.generation) {
      // close() ran while this connection was being made: nobody will use or close it.
      this.end(conn);
      throw new UnreachableError(`SSH connection to ${this.o.host} closed while connecting`);
    }
    ssh.connection?.on('error', (e: Error) => {
      this.lost = `SSH connection to ${this.o.host} lost: ${e.message}`;
      this.end(conn);
    });
    // Closed by the peer: its permit is given back at once.
    ssh.connection?.on('close', () => {
      conn.closed = true;
      this.end(conn);
    });
    this.lost = undefined;
    this.conns.add(conn);
    this.cur = conn;
    return conn;
  }

  /** OpenSSH allows 10 sessions per connection (MaxSessions): stay below it. */
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private static readonly MAX_CHANNELS = 8;

  /** A channel slot, waited for at most until `deadline`. */
  private async slot(deadline: number | undefined, what: string): Promise<() => void> {
    if (this.active >= SshSource.MAX_CHANNELS) {
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const go = () => {
          if (timer) clearTimeout(timer);
          resolve();
        };
        this.waiting.push(go);
        if (deadline !== undefined)
          timer = setTimeout(() => {
            const i = this.waiting.indexOf(go);
            if (i >= 0) this.waiting.splice(i, 1);
            reject(new CommandTimeoutError(`${what} on ${this.o.host}: no SSH channel free before the deadline (${SshSource.MAX_CHANNELS} busy)`));
          }, clampDelay(deadline - Date.now()));
      });
    }
    this.active++;
    return () => {
      this.active--;
      this.waiting.shift()?.();
    };
  }

  async run(argv: readonly string[], ro: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = ro.timeoutMs ?? this.o.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    // One deadline for the whole call: waiting for a channel, connecting, running.
    const deadline = timeoutMs !== undefined ? Date.now() + timeoutMs : undefined;
    const release = await this.slot(deadline, argv[0] ?? 'command');
    try {
      return await this.runNow(argv, ro, timeoutMs, deadline);
    } finally {
      release();
    }
  }

  private async runNow(argv: readonly string[], ro: RunOptions, timeoutMs: number | undefined, deadline: number | undefined): Promise<RunResult> {
    const full = ro.privileged && this.o.sudo ? ['sudo', '-n', '--', ...argv] : [...argv];
    this.o.onRun?.(full);
    const c = await this.connect(deadline);
    const late = () => new CommandTimeoutError(`${argv[0]} on ${this.o.host} did not finish within ${(timeoutMs! / 1000).toFixed(1)} s`);
    const leftMs = deadline !== undefined ? deadline - Date.now() : undefined;
    if (leftMs !== undefined && leftMs <= 0) throw late();
    // The remote side enforces the deadline too (REMOTE_DEADLINE_SCRIPT): closing a channel
    // does not end a remote process that has no terminal, and not every sshd honours signal
    // requests.
    const words = leftMs !== undefined ? ['sh', '-c', REMOTE_DEADLINE_SCRIPT, (Math.ceil(leftMs / 100) / 10).toFixed(1), ...full] : full;
    const command = 'LC_ALL=C ' + words.map(shQuote).join(' ');
    const conn = c.ssh.connection;
    if (!conn) throw new UnreachableError(`SSH connection to ${this.o.host} lost`);
    if (this.o.keepShell && leftMs !== undefined && !c.shellBusy) return this.runInShell(c, full, argv, leftMs, late);
    const started = Date.now();
    c.inflight++;
    return new Promise<RunResult>((resolve, reject) => {
      conn.exec(command, (err: Error | undefined, stream: import('ssh2').ClientChannel) => {
        if (err) {
          // The connection is no good for commands (e.g. the server's session limit): the next one reconnects.
          this.retire(c);
          this.settle(c);
          reject(new UnreachableError(`SSH exec on ${this.o.host} failed: ${err.message}`));
          return;
        }
        const out: Buffer[] = [];
        const errb: Buffer[] = [];
        let size = 0;
        let code: number | null = null;
        let signal: string | null = null;
        let timer: NodeJS.Timeout | undefined;
        let timedOut = false;
        let tooMuch = false;
        const keep = (arr: Buffer[]) => (b: Buffer) => {
          size += b.length;
          if (size <= this.cap) arr.push(b);
          else if (!tooMuch) {
            tooMuch = true;
            stream.close();
          }
        };
        stream.on('data', keep(out));
        stream.stderr.on('data', keep(errb));
        stream.on('exit', (c: number | null, s?: string) => {
          code = c ?? null;
          signal = s ?? null;
        });
        if (leftMs !== undefined) {
          timer = setTimeout(() => {
            timedOut = true;
            try {
              stream.signal('KILL'); // OpenSSH >= 7.9 delivers it to the remote process
            } catch {
              /* ignore */
            }
            stream.close();
            // A connection that missed a deadline takes no new command: a remote process that
            // could not be killed may hold its channels (sshd's MaxSessions) for good.
            this.retire(c);
            this.settle(c);
            reject(late());
          }, clampDelay(leftMs));
        }
        stream.on('close', () => {
          if (timer) clearTimeout(timer);
          if (timedOut) return; // already rejected and settled
          this.settle(c);
          if (tooMuch) {
            reject(new BoundedReadError(`${argv[0]} on ${this.o.host} wrote more than ${sizeLabel(this.cap)} of output (the limit for one program): not read`, 'EFBIG'));
            return;
          }
          if (code === null && signal === null) {
            // No exit status: the connection went away under the command.
            reject(new UnreachableError(this.lost ?? `SSH connection to ${this.o.host} closed before ${argv[0]} finished`));
            return;
          }
          if (code === 137 && leftMs !== undefined && signal === null && Date.now() >= started + leftMs - 50) {
            this.retire(c);
            reject(late());
            return;
          }
          resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errb).toString('utf8'), code, signal });
        });
      });
    });
  }

  /**
   * `full` through the connection's long-lived shell (opened on first use). One command at a
   * time per shell (c.shellBusy; others take channels of their own). A shell found dead
   * before this command's start marker is reopened once; any other failure (deadline, byte
   * cap, a peer breaking the framing) destroys it, and a missed deadline retires the
   * connection as on the exec path.
   */
  private async runInShell(c: Conn, full: readonly string[], argv: readonly string[], leftMs: number, late: () => Error): Promise<RunResult> {
    const conn = c.ssh.connection!;
    const deadline = Date.now() + leftMs;
    c.shellBusy = true;
    c.inflight++;
    try {
      for (let attempt = 0; ; attempt++) {
        let sh = c.shell;
        if (!sh || sh.dead) {
          c.shell = undefined;
          sh = await RemoteShell.open(conn, deadline).catch((e: Error) => {
            // The connection takes no new channel (e.g. the server's session limit) or did not
            // answer in time: reconnect next time.
            this.retire(c);
            throw e instanceof CommandTimeoutError ? late() : new UnreachableError(`SSH exec on ${this.o.host} failed: ${e.message}`);
          });
          if (c.ended || c.retired) {
            sh.destroy();
            throw new UnreachableError(this.lost ?? `SSH connection to ${this.o.host} closed before ${argv[0]} finished`);
          }
          c.shell = sh;
        }
        try {
          const r = await sh.run(full, (Math.ceil((deadline - Date.now()) / 100) / 10).toFixed(1), deadline, this.cap);
          if (!sh.clean) {
            sh.destroy();
            if (c.shell === sh) c.shell = undefined;
          }
          if (r.code === 137 && Date.now() >= deadline - 50) {
            this.retire(c);
            throw late();
          }
          return r;
        } catch (e) {
          if (c.shell === sh) c.shell = undefined;
          sh.destroy();
          if (e instanceof ShellDied && e.beforeStart && attempt === 0 && Date.now() < deadline) continue; // reopen once
          if (e instanceof CommandTimeoutError) {
            // As on the exec path: a connection that missed a deadline takes no new command.
            this.retire(c);
            throw late();
          }
          if (e instanceof BoundedReadError) throw new BoundedReadError(`${argv[0]} on ${this.o.host} wrote more than ${sizeLabel(this.cap)} of output (the limit for one program): not read`, 'EFBIG');
          if (e instanceof ShellDied) throw new UnreachableError(this.lost ?? `SSH connection to ${this.o.host} closed before ${argv[0]} finished (${e.message})`);
          throw e;
        }
      }
    } finally {
      c.shellBusy = false;
      this.settle(c);
    }
  }

  async openTcp(host: string, port: number, deadline?: number): Promise<import('node:stream').Duplex> {
    const c = await this.connect(deadline ?? (this.o.timeoutMs !== undefined ? Date.now() + this.o.timeoutMs : undefined));
    const conn = c.ssh.connection;
    if (!conn) throw new UnreachableError(`SSH connection to ${this.o.host} lost`);
    c.inflight++;
    return new Promise((resolve, reject) => {
      conn.forwardOut('127.0.0.1', 0, host, port, (err: Error | undefined, stream: import('ssh2').ClientChannel) => {
        if (err) {
          this.settle(c);
          reject(new UnreachableError(`cannot open ${host}:${port} from ${this.o.host}: ${err.message}`));
        } else {
          stream.once('close', () => this.settle(c));
          resolve(stream);
        }
      });
    });
  }

  /**
   * Reads and listings asked for in the same event-loop turn go out as one remote command
   * (readBatch.ts): the probes issue theirs side by side (Promise.all), so a real server's
   * ~30 reads take 3 round trips instead of 30 channels.
   */
  private batch?: { req: ReadRequest; deadline?: number; resolve: (a: ReadAnswer) => void; reject: (e: unknown) => void }[];
  private static readonly MAX_BATCH = 256;

  private read(req: ReadRequest, deadline?: number): Promise<ReadAnswer> {
    return new Promise((resolve, reject) => {
      if (!this.batch) {
        this.batch = [];
        setImmediate(() => this.flush());
      }
      this.batch.push({ req, deadline, resolve, reject });
    });
  }

  private flush(): void {
    const all = this.batch ?? [];
    this.batch = undefined;
    for (let i = 0; i < all.length; i += SshSource.MAX_BATCH) {
      const part = all.slice(i, i + SshSource.MAX_BATCH);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const boundary = (require('node:crypto') as typeof import('node:crypto')).randomBytes(12).toString('hex');
      // The batch ends by the earliest deadline among its reads (else the source's default).
      const dls = part.flatMap((p) => (p.deadline !== undefined ? [p.deadline] : []));
      const ro: RunOptions = dls.length ? { timeoutMs: Math.max(1, Math.min(...dls) - Date.now()) } : {};
      this.run(readBatchArgv(boundary, part.map((p) => p.req)), ro).then(
        (r) => {
          let answers: ReadAnswer[];
          try {
            answers = parseReadBatch(r.stdout, boundary, part.length);
          } catch (e) {
            const why = r.code !== 0 ? describeExit(['sh'], r) : (e as Error).message;
            for (const p of part) p.reject(new Error(`cannot read ${p.req.path} on ${this.o.host}: ${why}`));
            return;
          }
          part.forEach((p, k) => p.resolve(answers[k]!));
        },
        (e: unknown) => part.forEach((p) => p.reject(e)),
      );
    }
  }

  async readFile(path: string, deadline?: number): Promise<string> {
    const a = await this.read({ kind: 'f', path }, deadline);
    if (!a.ok) throw readAnswerError(path, this.o.host, a);
    return a.text;
  }

  async listDir(path: string, deadline?: number): Promise<string[]> {
    const a = await this.read({ kind: 'd', path }, deadline);
    if (!a.ok) return [];
    return a.text.split('\n').filter((l) => l !== '').sort();
  }

  /**
   * This source bound to a deadline (a scrape's): every command and read it issues without
   * its own timeout ends by then, here and on the remote side. Closing the view closes nothing.
   */
  within(deadline: number): Source {
    const left = () => Math.max(1, deadline - Date.now());
    const open = this.openTcp.bind(this);
    return {
      host: this.host,
      run: (argv, ro = {}) => this.run(argv, { ...ro, timeoutMs: Math.min(ro.timeoutMs ?? Infinity, left()) }),
      readFile: (path) => this.readFile(path, deadline),
      listDir: (path) => this.listDir(path, deadline),
      openTcp: (host, port) => open(host, port, deadline),
      close: async () => {},
    };
  }

  private closed = false;

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    for (const c of [...this.conns]) this.end(c);
    this.cur = undefined;
    this.connecting = undefined;
  }
}
