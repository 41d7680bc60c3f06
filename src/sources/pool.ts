import { SshSource, SshSourceOptions } from './ssh';

interface Entry {
  source: SshSource;
  lastUsed: number;
  busy: number;
}

export interface SshPoolOptions {
  /** At most this many open connections; the least recently used idle one is closed first. */
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

  constructor(o: SshPoolOptions = {}) {
    this.maxSize = o.maxSize ?? 32;
    this.idleMs = o.idleMs ?? 60_000;
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleMs, 10_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  private key(o: SshSourceOptions): string {
    return JSON.stringify([o.host, o.port ?? 22, o.user ?? 'root', o.keyPath ?? '', o.knownHostsPath ?? '', !!o.sudo]);
  }

  /** Borrow a source; call the returned release() when done. */
  acquire(o: SshSourceOptions): { source: SshSource; release(): void } {
    const k = this.key(o);
    let e = this.entries.get(k);
    if (!e) {
      this.evictIfFull();
      e = { source: new SshSource(o), lastUsed: Date.now(), busy: 0 };
      this.entries.set(k, e);
    }
    e.busy++;
    e.lastUsed = Date.now();
    const entry = e;
    return {
      source: e.source,
      release: () => {
        entry.busy = Math.max(0, entry.busy - 1);
        entry.lastUsed = Date.now();
      },
    };
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
