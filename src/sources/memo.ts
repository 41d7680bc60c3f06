import { RunOptions, RunResult, Source } from './source';

/**
 * Remembers each program run and file read for the life of one scrape or one doctor pass,
 * so a check's policy and the exporter's metrics read the same kernel state once.
 */
export class MemoSource implements Source {
  private readonly runs = new Map<string, Promise<RunResult>>();
  private readonly files = new Map<string, Promise<string>>();
  private readonly dirs = new Map<string, Promise<string[]>>();
  constructor(private readonly inner: Source) {}

  get host(): string {
    return this.inner.host;
  }

  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    if (opts.fresh) return this.inner.run(argv, opts);
    const key = JSON.stringify([argv, !!opts.privileged]);
    let p = this.runs.get(key);
    if (!p) {
      p = this.inner.run(argv, opts);
      this.runs.set(key, p);
    }
    return p;
  }

  readFile(path: string): Promise<string> {
    let p = this.files.get(path);
    if (!p) {
      p = this.inner.readFile(path);
      this.files.set(path, p);
    }
    return p;
  }

  listDir(path: string): Promise<string[]> {
    let p = this.dirs.get(path);
    if (!p) {
      p = this.inner.listDir(path);
      this.dirs.set(path, p);
    }
    return p;
  }

  get openTcp(): Source['openTcp'] {
    return this.inner.openTcp?.bind(this.inner);
  }

  /** The inner source is owned by whoever made it (a pool, say): not closed here. */
  async close(): Promise<void> {}
}
