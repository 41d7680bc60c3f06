import { CommandTimeoutError, Source } from './source';
import { ConnectionGate, SshSource, SshSourceOptions } from './ssh';

interface Entry {
  source: SshSource;
  lastUsed: number;
  busy: number;
}

export interface SshPoolOptions {
  /**
   * At most this many open connections, a hard cap: a caller that needs one more waits (within
   * its deadline) for one to close; the least recently used idle one is closed first.
   */
  maxSize?: number;
  /** An idle connection is closed after this many ms. */
  idleMs?: number;
}

/** Reusable SSH connections for the exporter's /probe: connecting costs far more than a command. */
export class SshPool {
  private readonly entries = new Map<string, Entry>();
  private readonly maxSize: number;
  private readonly idleMs: number;
  private readonly sweeper: NodeJS.Timeout;
  /** Connections open or being opened (permits handed out by the gate). */
  private open = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(o: SshPoolOptions = {}) {
    this.maxSize = Math.max(1, o.maxSize ?? 32);
    this.idleMs = o.idleMs ?? 60_000;
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleMs, 10_000));
    this.sweeper.unref();
  }

  /** Hosts with an entry (connected or not). */
  get size(): number {
    return this.entries.size;
  }

  /** Connections open or being opened now: never more than maxSize. */
  get openConnections(): number {
    return this.open;
  }

  private key(o: SshSourceOptions): string {
    return JSON.stringify([o.host, o.port ?? 22, o.user ?? 'root', o.keyPath ?? '', o.knownHostsPath ?? '', !!o.sudo]);
  }

  /** Every source of this pool asks here before it connects. */
  private readonly gate: ConnectionGate = {
    acquire: async (host, deadline) => {
      if (this.open >= this.maxSize) this.closeIdle();
      while (this.open >= this.maxSize) {
        const wait = deadline === undefined ? undefined : deadline - Date.now();
        if (wait !== undefined && wait <= 0) throw this.full(host);
        await new Promise<void>((resolve, reject) => {
          let timer: NodeJS.Timeout | undefined;
          const go = () => {
            if (timer) clearTimeout(timer);
            resolve();
          };
          this.waiters.push(go);
          if (wait !== undefined)
            timer = setTimeout(() => {
              const i = this.waiters.indexOf(go);
              if (i >= 0) this.waiters.splice(i, 1);
              reject(this.full(host));
            }, Math.min(wait, 2 ** 31 - 1));
        });
      }
      this.open++;
      let given = false;
      return () => {
        if (given) return;
        given = true;
        this.open--;
        this.waiters.shift()?.();
      };
    },
  };

  private full(host: string): Error {
    return new CommandTimeoutError(`cannot connect to ${host}: all ${this.maxSize} pooled SSH connections busy until the deadline (--pool-size)`);
  }

  /** Closes the least recently used connection nobody is using, to make room for a waiter. */
  private closeIdle(): boolean {
    let oldest: [string, Entry] | undefined;
    for (const kv of this.entries) if (kv[1].busy === 0 && kv[1].source.connected && (!oldest || kv[1].lastUsed < oldest[1].lastUsed)) oldest = kv;
    if (!oldest) return false;
    this.entries.delete(oldest[0]);
    void oldest[1].source.close();
    return true;
  }

  /** Borrow a source; call the returned release() when done. */
  acquire(o: SshSourceOptions): { source: SshSource; release(): void } {
    const k = this.key(o);
    let e = this.entries.get(k);
    // A source that found its host unreachable remembers it for its run; the pool's next
    // user tries again (unless the caller wants the verdict kept, like doctor for one run).
    if (e && e.source.failed && o.rememberUnreachable !== true) {
      this.entries.delete(k);
      e = undefined;
    }
    if (!e) {
      this.evictIfFull();
      e = { source: new SshSource({ keepShell: true, ...o, gate: this.gate }), lastUsed: Date.now(), busy: 0 };
      this.entries.set(k, e);
    }
    e.busy++;
    e.lastUsed = Date.now();
    const entry = e;
    let released = false;
    return {
      source: e.source,
      release: () => {
        if (released) return;
        released = true;
        entry.busy = Math.max(0, entry.busy - 1);
        entry.lastUsed = Date.now();
        // Someone waits for a connection: this one, now idle, makes room.
        if (entry.busy === 0 && this.waiters.length > 0 && this.entries.get(k) === entry && entry.source.connected) {
          this.entries.delete(k);
          void entry.source.close();
        }
      },
    };
  }

  /**
   * acquire(), the source bound to `deadline` (a scrape's): its commands and reads carry that
   * deadline to the remote side and waiting for a connection ends by it too.
   */
  acquireWithin(o: SshSourceOptions, deadline: number): { source: Source; release(): void } {
    const lease = this.acquire(o);
    return { source: lease.source.within(deadline), release: lease.release };
  }

  /** Drop a connection that failed, so the next scrape reconnects. */
  discard(o: SshSourceOptions): void {
    const k = this.key(o);
    const e = this.entries.get(k);
    if (e) {
      this.entries.delete(k);
      void e.source.close();
    }
  }

  private evictIfFull(): void {
    if (this.entries.size < this.maxSize) return;
    let oldest: [string, Entry] | undefined;
    for (const kv of this.entries) if (kv[1].busy === 0 && (!oldest || kv[1].lastUsed < oldest[1].lastUsed)) oldest = kv;
    if (oldest) {
      this.entries.delete(oldest[0]);
      void oldest[1].source.close();
    }
  }

  sweep(now = Date.now()): void {
    for (const [k, e] of this.entries)
      if (e.busy === 0 && now - e.lastUsed >= this.idleMs) {
        this.entries.delete(k);
        void e.source.close();
      }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.entries.values()].map((e) => e.source.close()));
    this.entries.clear();
  }
}
