import { join } from 'node:path';
import { LocalSource } from './local';
import { RunOptions, RunResult, Source } from './source';

/**
 * Reads /proc, /sys and /etc from a captured tree (like node_exporter's --path.procfs):
 * `readFile('/proc/net/ip_vs')` reads `DIR/proc/net/ip_vs`. Programs still run on `inner`.
 */
export class RootSource implements Source {
  private readonly files = new LocalSource();
  constructor(
    private readonly root: string,
    private readonly inner: Source,
  ) {}

  get host(): string {
    return this.inner.host;
  }

  private map(path: string): string {
    return join(this.root, path.startsWith('/') ? path.slice(1) : path);
  }

  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return this.inner.run(argv, opts);
  }

  readFile(path: string): Promise<string> {
    return this.files.readFile(this.map(path));
  }

  listDir(path: string): Promise<string[]> {
    return this.files.listDir(this.map(path));
  }

  get openTcp(): Source['openTcp'] {
    return this.inner.openTcp?.bind(this.inner);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
