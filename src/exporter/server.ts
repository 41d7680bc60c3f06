import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';
import { Deployment } from '../model/types';
import { LocalSource } from '../sources/local';
import { MemoSource } from '../sources/memo';
import { SshPool } from '../sources/pool';
import { RootSource } from '../sources/root';
import { Source } from '../sources/source';
import { VERSION } from '../runtime/version';
import { ScrapeEnv } from './collector';
import { MODULES, ModuleName, moduleSpec } from './modules';
import { scrape, SingleFlight } from './scrape';

export const DEFAULT_PORT = 10694;

export interface ExporterOptions {
  host: string;
  port: number;
  deployment: Deployment;
  /** Default scrape deadline in seconds when Prometheus sends no timeout header. */
  timeout: number;
  root?: string;
  sudo: boolean;
  ssh: { port: number; user: string; keyPath?: string; knownHostsPath?: string };
  programs: Record<string, string>;
  backendLabels: string[];
  poolSize: number;
  poolIdleMs: number;
  log?: (msg: string) => void;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A /probe target: an IP address or a host name (realserver, director), or an http(s) URL (sorry). */
export function validTarget(module: ModuleName, target: string): boolean {
  if (module === 'sorry') {
    try {
      const u = new URL(target);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  }
  const t = target.replace(/^\[(.*)\]$/, '$1');
  return isIP(t) !== 0 || HOSTNAME.test(t);
}

function deadlineFrom(req: IncomingMessage, defSeconds: number): number {
  const h = Number(req.headers['x-prometheus-scrape-timeout-seconds']);
  // Answer a little before Prometheus gives up, so it gets partial results rather than none.
  const s = Number.isFinite(h) && h > 0 ? Math.max(0.5, h - 0.5) : defSeconds;
  return Date.now() + s * 1000;
}

const landing = (o: ExporterOptions) => `<!DOCTYPE html>
<html><head><title>lvsha exporter</title></head><body>
<h1>lvsha exporter ${VERSION}</h1>
<p>LVS director metrics for deployment <b>${escapeHtml(o.deployment.name)}</b>.</p>
<ul>
<li><a href="metrics">/metrics</a>: this director (IPVS table, VIP, Heartbeat, sync daemons, check verdicts)</li>
<li>/probe?module=${MODULES.join('|')}&amp;target=HOST: another host over SSH (blackbox_exporter pattern); for <code>sorry</code> the target is the page URL</li>
<li><a href="-/healthy">/-/healthy</a></li>
</ul></body></html>
`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export class Exporter {
  readonly pool: SshPool;
  private readonly flights = new SingleFlight<{ text: string; contentType: string }>();
  private server?: Server;
  private readonly local: Source;

  constructor(private readonly o: ExporterOptions) {
    this.pool = new SshPool({ maxSize: o.poolSize, idleMs: o.poolIdleMs });
    const base = new LocalSource({ sudo: o.sudo });
    this.local = o.root ? new RootSource(o.root, base) : base;
  }

  private sshOpts(host: string) {
    return { host, port: this.o.ssh.port, user: this.o.ssh.user, keyPath: this.o.ssh.keyPath, knownHostsPath: this.o.ssh.knownHostsPath, sudo: this.o.sudo, connectTimeoutMs: 5000 };
  }

  /** Runs one module against a target (undefined = this host) and renders the exposition text. */
  async render(module: ModuleName, target: string | undefined, deadline: number): Promise<{ text: string; contentType: string }> {
    const borrowed: (() => void)[] = [];
    const sourceFor = (host?: string): Source => {
      if (host === undefined || host === 'localhost' || host === '127.0.0.1' || host === '::1') return this.local;
      const lease = this.pool.acquire(this.sshOpts(host));
      borrowed.push(lease.release);
      return lease.source;
    };
    const main = module === 'sorry' || target === undefined ? this.local : sourceFor(target);
    const env: ScrapeEnv = {
      source: new MemoSource(main),
      sourceFor: (h?: string) => new MemoSource(sourceFor(h ?? (module === 'sorry' ? undefined : target))),
      deployment: this.o.deployment,
      deadline,
      programs: this.o.programs,
      backendLabels: this.o.backendLabels,
    };
    try {
      const reg: Registry = await scrape(moduleSpec(module, target, this.o), env, this.o.log);
      return { text: await reg.metrics(), contentType: reg.contentType };
    } finally {
      for (const r of borrowed) r();
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    switch (url.pathname) {
      case '/':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(landing(this.o));
        return;
      case '/-/healthy':
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK\n');
        return;
      case '/metrics': {
        const deadline = deadlineFrom(req, this.o.timeout);
        const out = await this.flights.run('metrics', () => this.render('director', undefined, deadline));
        res.writeHead(200, { 'Content-Type': out.contentType }).end(out.text);
        return;
      }
      case '/probe': {
        const module = url.searchParams.get('module') ?? '';
        const target = url.searchParams.get('target') ?? '';
        if (!(MODULES as readonly string[]).includes(module)) {
          res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`unknown module '${module}' (one of ${MODULES.join(', ')})\n`);
          return;
        }
        if (!validTarget(module as ModuleName, target)) {
          res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`malformed target '${target}'\n`);
          return;
        }
        const deadline = deadlineFrom(req, this.o.timeout);
        const out = await this.flights.run(`${module}\u0000${target}`, () => this.render(module as ModuleName, target, deadline));
        res.writeHead(200, { 'Content-Type': out.contentType }).end(out.text);
        return;
      }
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  }

  listen(): Promise<{ host: string; port: number }> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.o.log?.(`request failed: ${(e as Error).message}`);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('internal error\n');
      });
    });
    this.server.keepAliveTimeout = 65_000;
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, () => {
        const a = this.server!.address();
        resolve({ host: this.o.host, port: typeof a === 'object' && a ? a.port : this.o.port });
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections?.();
    await this.pool.close();
  }
}
