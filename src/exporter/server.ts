import { redactUrls } from '../runtime/options';
import { createServer, IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Registry } from 'prom-client';
import { Deployment } from '../model/types';
import { EXIT_GRACE_MS, LocalSource } from '../sources/local';
import { Spawner } from '../sources/spawner';
import { MAX_READ_BYTES } from '../runtime/readBounded';
import { MemoSource } from '../sources/memo';
import { SshPool } from '../sources/pool';
import { RootSource } from '../sources/root';
import { SshSource } from '../sources/ssh';
import { RunOptions, RunResult, Source } from '../sources/source';
import { VERSION } from '../runtime/version';
import { ScrapeEnv } from './collector';
import { renderChunks, Rendered } from './metrics';
import { ProbeAllow } from './allow';
import { MODULES, ModuleName, moduleSpec } from './modules';
import { scrape, SingleFlight } from './scrape';
import { gzip } from './gzip';
import type { WebConfig } from './webConfig';

export { DEFAULT_PORT } from './port';

/** A /probe target that is this host: read here, no SSH. */
const isLocalTarget = (host: string) => host === 'localhost' || host === '127.0.0.1' || host === '::1';

/**
 * The memo of a --root scrape that still is a RootSource: probes ask `instanceof RootSource`
 * to know they read a captured tree (detectHz must not read this host's /proc/config.gz).
 */
class MemoRootSource extends RootSource {
  private readonly memo: MemoSource;
  constructor(root: string, inner: Source) {
    super(root, inner);
    this.memo = new MemoSource(new RootSource(root, inner));
  }
  override run(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return this.memo.run(argv, opts);
  }
  override readFile(path: string): Promise<string> {
    return this.memo.readFile(path);
  }
  override listDir(path: string): Promise<string[]> {
    return this.memo.listDir(path);
  }
  /** The inner source belongs to the exporter. */
  override async close(): Promise<void> {}
}

export interface ExporterOptions {
  host: string;
  port: number;
  deployment: Deployment;
  /** Default scrape deadline in seconds when Prometheus sends no timeout header. */
  timeout: number;
  root?: string;
  sudo: boolean;
  /**
   * Run local programs through a small long-lived child (../sources/spawner.ts) rather than
   * forking the exporter, whose fork blocks its event loop (default true).
   */
  spawner?: boolean;
  ssh: { port: number; user: string; keyPath?: string; knownHostsPath?: string };
  programs: Record<string, string>;
  backendLabels: string[];
  /** How the ipvs collector reads the table (default proc). */
  ipvsProbe?: 'proc' | 'ipvsadm';
  /** Pooled SSH connections for /probe; 0 = a fresh connection per scrape, closed after it. */
  poolSize: number;
  poolIdleMs: number;
  log?: (msg: string) => void;
  /** Upper bound of a scrape deadline, in seconds, whatever X-Prometheus-Scrape-Timeout-Seconds says (default 60). */
  scrapeTimeoutMax?: number;
  /** --probe-allow entries widening what /probe may reach (allow.ts); the deployment's hosts and sorry URLs are always allowed. */
  probeAllow?: string[];
  /** Inbound bounds: open connections (default 256), requests being answered (128), time to send the headers (10 s). */
  maxConnections?: number;
  maxRequests?: number;
  headersTimeoutMs?: number;
  /** TLS, basic auth, headers, rate limit: Prometheus' web configuration file (webConfig.ts). */
  web?: WebConfig;
  /** /status: seconds between the page's refreshes (default 10). */
  statusRefresh?: number;
  /** /status: gather every this many seconds in the background, so the timeline covers what happened before anyone looked (0: only when the page is asked; default 0 here, 30 from the CLI). */
  statusSample?: number;
  /** /status: read the other directors over SSH as /probe does (default true). */
  statusPeers?: boolean;
  /** This director's name in the deployment (default: Heartbeat's local node, else the host name). */
  node?: string;
}

export const DEFAULT_SCRAPE_TIMEOUT_MAX = 60;
export const DEFAULT_MAX_CONNECTIONS = 256;
export const DEFAULT_MAX_REQUESTS = 128;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Header bytes a scraper needs (Prometheus sends ~300): Node's default is 16 KiB. */
const MAX_HEADER_SIZE = 8192;

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

/**
 * The deadline of one scrape from X-Prometheus-Scrape-Timeout-Seconds: a plain positive
 * number of seconds, clamped to `maxSeconds`; anything else (absent, junk, negative, 1e400)
 * means the default. Answers a little before Prometheus gives up, so it gets partial results
 * rather than none.
 */
export function deadlineFrom(header: string | string[] | undefined, defSeconds: number, maxSeconds: number, now = Date.now()): number {
  const v = Array.isArray(header) ? header[0] : header;
  const h = v !== undefined && /^\s*\d{1,12}(\.\d{1,9})?\s*$/.test(v) ? Number(v) : NaN;
  const s = Number.isFinite(h) && h > 0 ? Math.max(0.5, Math.min(h, maxSeconds) - 0.5) : Math.min(defSeconds, maxSeconds);
  return now + s * 1000;
}

const landing = (o: ExporterOptions) => `<!DOCTYPE html>
<html><head><title>lvsha exporter</title></head><body>
<h1>lvsha exporter ${VERSION}</h1>
<p>LVS director metrics for deployment <b>${escapeHtml(o.deployment.name)}</b>.</p>
<p style="font-size:1.4em"><a href="status"><b>Status page</b></a>: who holds the VIP, which real server is down, the timeline (<a href="status?format=json">JSON</a>)</p>
<ul>
<li><a href="metrics">/metrics</a>: this director (IPVS table, VIP, Heartbeat, sync daemons, check verdicts)</li>
<li>/probe?module=${MODULES.join('|')}&amp;target=HOST: another host over SSH (blackbox_exporter pattern); for <code>sorry</code> the target is the page URL. Only the deployment's hosts and sorry URLs, unless <code>--probe-allow</code> widens it.</li>
<li><a href="-/healthy">/-/healthy</a></li>
</ul></body></html>
`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A remote source for one scrape only. A check cut at the deadline may go on issuing
 * commands after the answer is sent: they must not reopen a connection this scrape closed
 * (pool size 0) nor keep using a connection it gave back to the pool.
 */
class ScrapeScoped implements Source {
  private ended = false;
  constructor(private readonly inner: Source) {}
  get host(): string {
    return this.inner.host;
  }
  end(): void {
    this.ended = true;
  }
  private live(): void {
    if (this.ended) throw new Error(`the scrape of ${this.inner.host} has already been answered`);
  }
  async run(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
    this.live();
    return this.inner.run(argv, opts);
  }
  async readFile(path: string): Promise<string> {
    this.live();
    return this.inner.readFile(path);
  }
  async listDir(path: string): Promise<string[]> {
    this.live();
    return this.inner.listDir(path);
  }
  get openTcp(): Source['openTcp'] {
    const open = this.inner.openTcp?.bind(this.inner);
    return open
      ? async (host: string, port: number) => {
          this.live();
          return open(host, port);
        }
      : undefined;
  }
  async close(): Promise<void> {}
}

export class Exporter {
  readonly pool: SshPool;
  readonly flights = new SingleFlight<Rendered>();
  private server?: Server;
  private readonly local: Source;

  private readonly base: Source;
  private readonly allow: ProbeAllow;
  private readonly maxScrape: number;
  /** Requests being answered (/metrics, /probe), against maxRequests. */
  private busy = 0;
  private readonly spawner?: Spawner;
  private status?: import('./status/page').StatusPage;
  private sampler?: NodeJS.Timeout;
  /** rate_limit's token bucket. */
  private tokens = 0;
  private tokensAt = 0;

  constructor(private readonly o: ExporterOptions) {
    this.pool = new SshPool({ maxSize: Math.max(1, o.poolSize), idleMs: o.poolIdleMs });
    this.spawner = o.spawner === false ? undefined : new Spawner(MAX_READ_BYTES, EXIT_GRACE_MS);
    this.base = new LocalSource({ sudo: o.sudo, spawner: this.spawner });
    this.local = o.root ? new RootSource(o.root, this.base) : this.base;
    this.allow = new ProbeAllow(o.deployment, o.probeAllow ?? []);
    this.maxScrape = o.scrapeTimeoutMax ?? DEFAULT_SCRAPE_TIMEOUT_MAX;
    if (o.web?.rateLimit) this.tokens = o.web.rateLimit.burst;
  }

  /** rate_limit (exporter-toolkit): a token bucket, `burst` deep, one token per `interval`. */
  private rateLimited(): boolean {
    const rl = this.o.web?.rateLimit;
    if (!rl) return false;
    const now = Date.now();
    if (this.tokensAt) this.tokens = Math.min(rl.burst, this.tokens + (now - this.tokensAt) / rl.intervalMs);
    this.tokensAt = now;
    if (this.tokens < 1) return true;
    this.tokens -= 1;
    return false;
  }

  private sshOpts(host: string) {
    return { host, port: this.o.ssh.port, user: this.o.ssh.user, keyPath: this.o.ssh.keyPath, knownHostsPath: this.o.ssh.knownHostsPath, sudo: this.o.sudo, connectTimeoutMs: 5000 };
  }

  /** Runs one module against a target (undefined = this host) and renders the exposition text. */
  async render(module: ModuleName, target: string | undefined, deadline: number): Promise<Rendered> {
    const cleanup: (() => void | Promise<void>)[] = [];
    const scoped = this.scrapeSources(deadline, cleanup);
    const hostTarget = module === 'sorry' ? undefined : target;
    let sourceFor = scoped;
    if (module === 'realserver' && hostTarget !== undefined && !isLocalTarget(hostTarget)) {
      // A remote real server: everything its probes read in one SSH command (realserverSnapshot.ts).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { SnapshotSource, realserverPlan } = require('../probes/realserverSnapshot') as typeof import('../probes/realserverSnapshot');
      const snap = new SnapshotSource(scoped(hostTarget), realserverPlan(this.o.deployment, this.o.programs));
      sourceFor = (h?: string) => (h === undefined || h === hostTarget ? snap : scoped(h));
    }
    const env: ScrapeEnv = {
      source: sourceFor(hostTarget),
      sourceFor: (h?: string) => sourceFor(h ?? hostTarget),
      deployment: this.o.deployment,
      deadline,
      programs: this.o.programs,
      backendLabels: this.o.backendLabels,
      ipvsProbe: this.o.ipvsProbe,
      target,
    };
    try {
      const reg: Registry = await scrape(moduleSpec(module, target, this.o), env, this.o.log);
      return await renderChunks(reg);
    } finally {
      for (const c of cleanup) await c();
    }
  }

  /**
   * One memo per host for the whole scrape: the collectors and the checks' policies read the
   * same program outputs and files once (cl_status, ipvsadm, /proc/net/ip_vs...).
   */
  private scrapeSources(deadline: number, cleanup: (() => void | Promise<void>)[]): (host?: string) => Source {
    const memos = new Map<string, Source>();
    return (host?: string): Source => {
      const key = host === undefined || isLocalTarget(host) ? '' : host;
      let m = memos.get(key);
      if (!m) {
        m = key === '' ? (this.o.root ? new MemoRootSource(this.o.root, this.base) : new MemoSource(this.local)) : new MemoSource(this.remote(key, deadline, cleanup));
        memos.set(key, m);
      }
      return m;
    };
  }

  /** The status page (status/): created at its first request, so the exporter's start-up loads none of it. */
  statusPage(): import('./status/page').StatusPage {
    if (!this.status) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { StatusPage, DEFAULT_STATUS_REFRESH } = require('./status/page') as typeof import('./status/page');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { gatherStatus } = require('./status/gather') as typeof import('./status/gather');
      this.status = new StatusPage({
        refresh: this.o.statusRefresh ?? DEFAULT_STATUS_REFRESH,
        sample: this.o.statusSample,
        // The same sources, pool, deadline and allow list as /metrics and /probe.
        gather: async () => {
          const deadline = Date.now() + Math.min(this.o.timeout, this.maxScrape) * 1000;
          const cleanup: (() => void | Promise<void>)[] = [];
          try {
            return await gatherStatus({
              deployment: this.o.deployment,
              programs: this.o.programs,
              ipvsProbe: this.o.ipvsProbe,
              deadline,
              sourceFor: this.scrapeSources(deadline, cleanup),
              self: this.o.node,
              peers: this.o.statusPeers ?? true,
              refusal: (address) => this.allow.refusal('director', address),
            });
          } finally {
            for (const c of cleanup) await c();
          }
        },
      });
    }
    return this.status;
  }

  /** An SSH source for a /probe target, bound to the scrape's deadline: borrowed from the pool, or (pool size 0) opened for this scrape only. */
  private remote(host: string, deadline: number, cleanup: (() => void | Promise<void>)[]): Source {
    let inner: Source;
    let done: () => void | Promise<void>;
    // Every remote read of this scrape is bound to its deadline (waiting for a channel,
    // connecting, running), not to the source's default.
    if (this.o.poolSize <= 0) {
      const src = new SshSource(this.sshOpts(host));
      inner = src.within(deadline);
      done = () => src.close();
    } else {
      const lease = this.pool.acquireWithin(this.sshOpts(host), deadline);
      inner = lease.source;
      done = lease.release;
    }
    const scoped = new ScrapeScoped(inner);
    cleanup.push(() => {
      scoped.end();
      return done();
    });
    return scoped;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const web = this.o.web;
    if (web) for (const [k, v] of Object.entries(web.headers)) res.setHeader(k, v);
    if (this.rateLimited()) {
      res.writeHead(429, { 'Content-Type': 'text/plain' }).end('too many requests (rate_limit)\n');
      return;
    }
    if (web?.auth && !(await web.auth.check(req.headers.authorization))) {
      res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic realm="lvsha exporter"' }).end('unauthorized\n');
      return;
    }
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
        const deadline = deadlineFrom(req.headers['x-prometheus-scrape-timeout-seconds'], this.o.timeout, this.maxScrape);
        const out = await this.flights.run('metrics', deadline, () => this.render('director', undefined, deadline));
        await send(req, res, out);
        return;
      }
      case '/status': {
        const format = url.searchParams.get('format') ?? 'html';
        if (format !== 'html' && format !== 'json') {
          res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`unknown format '${format.slice(0, 50)}' (html or json)\n`);
          return;
        }
        const page = await this.statusPage().answer(format);
        const body = Buffer.from(page.text, 'utf8');
        await send(req, res, { chunks: [body], bytes: body.length, contentType: page.contentType });
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
          res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`malformed target '${redactUrls(target).slice(0, 200)}'\n`);
          return;
        }
        const refused = this.allow.refusal(module as ModuleName, target);
        if (refused) {
          res.writeHead(403, { 'Content-Type': 'text/plain' }).end(`${refused}\n`);
          return;
        }
        const deadline = deadlineFrom(req.headers['x-prometheus-scrape-timeout-seconds'], this.o.timeout, this.maxScrape);
        const out = await this.flights.run(`${module}\u0000${target}`, deadline, () => this.render(module as ModuleName, target, deadline));
        await send(req, res, out);
        return;
      }
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  }

  listen(): Promise<{ host: string; port: number }> {
    this.spawner?.start(); // while the exporter is small: its own fork is the cheapest now
    const headersTimeout = this.o.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    // Inbound bounds: a slow or silent client (slowloris) is cut once its headers are late;
    // Node checks the open connections every connectionsCheckingInterval (default 30 s).
    const opts: ServerOptions = {
      headersTimeout,
      requestTimeout: headersTimeout + 5000,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 2))),
      maxHeaderSize: MAX_HEADER_SIZE,
      keepAliveTimeout: 65_000,
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      const scrape = req.url?.startsWith('/metrics') || req.url?.startsWith('/probe') || req.url?.startsWith('/status');
      if (scrape && this.busy >= (this.o.maxRequests ?? DEFAULT_MAX_REQUESTS)) {
        res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' }).end('too many scrapes in progress\n');
        return;
      }
      if (scrape) {
        this.busy++;
        res.once('close', () => this.busy--);
      }
      this.handle(req, res).catch((e: unknown) => {
        this.o.log?.(`request failed: ${(e as Error).message}`);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('internal error\n');
      });
    };
    const web = this.o.web;
    if (web?.tls) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const https = require('node:https') as typeof import('node:https');
      // A client that opens TLS and never finishes the handshake is cut like a slow header.
      this.server = https.createServer({ ...opts, handshakeTimeout: headersTimeout, ...web.tls }, onRequest);
      const verify = web.verifyPeer;
      if (verify)
        this.server.on('secureConnection', (s: TLSSocket) => {
          const why = verify(s);
          if (why) {
            this.o.log?.(`TLS client refused: ${why}`);
            s.destroy();
          }
        });
      this.server.on('tlsClientError', (e: Error) => this.o.log?.(`TLS handshake failed: ${e.message.split('\n')[0]}`));
    } else {
      this.server = createServer(opts, onRequest);
    }
    this.server.maxConnections = this.o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    const every = this.o.statusSample ?? 0;
    if (every > 0) {
      // The same single-flight gather as a request (a request during it shares it); unref'd.
      this.sampler = setInterval(() => {
        this.statusPage()
          .sample()
          .catch((e: unknown) => this.o.log?.(`status sample failed: ${(e as Error).message}`));
      }, every * 1000);
      this.sampler.unref();
    }
    this.server.headersTimeout = headersTimeout;
    this.server.maxHeadersCount = 100;
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, () => {
        const a = this.server!.address();
        resolve({ host: this.o.host, port: typeof a === 'object' && a ? a.port : this.o.port });
      });
    });
  }

  async close(): Promise<void> {
    clearInterval(this.sampler);
    const server = this.server;
    if (server) {
      // close() waits for every connection to end: a scrape still running (up to
      // --scrape-timeout-max) or an idle keep-alive would hold the exit; cut them now.
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    }
    await this.pool.close();
    this.spawner?.close();
  }
}

/*
 * Prometheus always sends `Accept-Encoding: gzip`: a 37 000-backend /metrics is 17 MB of text,
 * about 0.5 MB gzipped. Compressed in libuv's thread pool (zlib's async API), never on the event
 * loop, in up to 4 pieces at once (./gzip.ts), and once per rendered answer: callers sharing a
 * single flight share its gzip too.
 */
const gzipped = new WeakMap<object, Promise<Buffer>>();
const GZIP_MIN = 1024;

/** Whether the client takes gzip (`gzip` or `*` with a q above 0). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const h = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const part of h.split(',')) {
    const [coding, ...params] = part.trim().split(';').map((x) => x.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.find((x) => x.startsWith('q='));
    if (!q || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

async function send(req: IncomingMessage, res: ServerResponse, out: Rendered): Promise<void> {
  if (out.bytes < GZIP_MIN || !acceptsGzip(req.headers['accept-encoding'])) {
    res.writeHead(200, { 'Content-Type': out.contentType, Vary: 'Accept-Encoding', 'Content-Length': out.bytes });
    res.cork();
    for (const c of out.chunks) res.write(c);
    res.end();
    return;
  }
  let z = gzipped.get(out);
  if (!z) {
    z = gzip(out.chunks, GZIP_LEVEL).then((r) => r.body);
    gzipped.set(out, z);
  }
  const body = await z;
  res.writeHead(200, { 'Content-Type': out.contentType, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding', 'Content-Length': body.length }).end(body);
}

/**
 * zlib's default level, as Go's gzip in node_exporter: on the 2 284 x 16 tree (17.4 MB) level 6
 * gives 656 KiB in ~0.2 s of pool time; level 1 842 KiB, level 8 577 KiB for ~2.5x the CPU.
 */
const GZIP_LEVEL = 6;
