/**
 * Progress of long lab steps. On a terminal: one live line per step (step, elapsed time,
 * what it waits for), rewritten in place. Elsewhere (CI logs, pipes): one line per step
 * when it ends, nothing in between.
 */
export class Progress {
  private readonly live: boolean;
  private timer?: NodeJS.Timeout;
  private current?: { label: string; t0: number; waiting: string };

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    live?: boolean,
  ) {
    this.live = live ?? (!!out.isTTY && !process.env.CI);
  }

  /** Runs fn as a named step; `waiting(text)` updates what the step is waiting for. */
  async step<T>(label: string, fn: (waiting: (what: string) => void) => Promise<T>): Promise<T> {
    const t0 = Date.now();
    this.current = { label, t0, waiting: '' };
    if (this.live) {
      this.draw();
      this.timer = setInterval(() => this.draw(), 500);
    }
    try {
      const r = await fn((w) => {
        if (this.current) this.current.waiting = w;
      });
      this.finish('ok', t0, label);
      return r;
    } catch (e) {
      this.finish('FAILED', t0, label, (e as Error).message.split('\n')[0]);
      throw e;
    }
  }

  /** A plain line, between steps. */
  note(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  private draw(): void {
    const c = this.current;
    if (!c) return;
    const s = `… ${c.label} ${((Date.now() - c.t0) / 1000).toFixed(0)} s${c.waiting ? ` — waiting for ${c.waiting}` : ''}`;
    const width = this.out.columns ?? 100;
    this.out.write(`\r\x1b[K${s.slice(0, width - 1)}`);
  }

  private clear(): void {
    if (this.live && this.current) this.out.write('\r\x1b[K');
  }

  private finish(word: string, t0: number, label: string, why?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.current = undefined;
    this.out.write(`${word === 'ok' ? '✓' : '✗'} ${label} (${((Date.now() - t0) / 1000).toFixed(1)} s)${why ? `: ${why}` : ''}\n`);
  }
}
