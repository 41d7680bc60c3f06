import { connect as tlsConnect } from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SshAuthError } from '../sources/source';

/**
 * One HTTP(S) GET with Node's own client, timed like check_http (connect, TLS, first byte,
 * total), reading at most `maxSize` bytes of body. It takes no decision: a refused
 * connection or a non-HTTP listener is an outcome with a kind and a plain-words cause.
 */

export interface HttpProbeOptions {
  url: string;
  /** Host header (default: the URL's host). */
  hostHeader?: string;
  /** TLS server name (default: the URL's host name when it is not an IP address). */
  sni?: string;
  /** Accept any certificate. */
  insecure?: boolean;
  /** Stop reading the body after this many bytes (default 1 MiB). */
  maxSize?: number;
  /** Give up after this many ms (connect + response). */
  timeoutMs: number;
  /** Aborts the request (the plugin's -t). */
  signal?: AbortSignal;
  /**
   * Opens the TCP stream from another host (the SSH source's direct-tcpip channel), so
   * `-H frontal1 -u http://127.0.0.1/` reads frontal1's own loopback. Absent = connect from here.
   */
  connect?: (host: string, port: number) => Promise<import('node:stream').Duplex>;
}

/** Seconds since the request started. */
export interface HttpTimings {
  connect?: number;
  tls?: number;
  firstByte?: number;
  total: number;
}

export interface HttpResponse {
  ok: true;
  httpVersion: string;
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Body bytes read (≤ maxSize). */
  size: number;
  /** Reading stopped at maxSize: the body is longer. */
  truncated: boolean;
  contentLength?: number;
  timings: HttpTimings;
}

export type HttpFailureKind = 'refused' | 'timeout' | 'not-http' | 'closed' | 'tls' | 'dns' | 'unreachable' | 'other';

export interface HttpFailure {
  ok: false;
  kind: HttpFailureKind;
  /** For the summary: `connection refused to 127.0.0.1:80`. */
  message: string;
  code?: string;
  timings: HttpTimings;
}

export type HttpOutcome = HttpResponse | HttpFailure;

export const DEFAULT_MAX_SIZE = 1024 * 1024;

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|CERT_|EPROTO$|ERR_OSSL)/;

/** A cause in plain words for a client error (`err.code` from Node). */
export function classifyHttpError(
  e: NodeJS.ErrnoException,
  target: string,
  phase: 'connecting' | 'connected' | 'headers',
  timeoutS: string,
): Omit<HttpFailure, 'ok' | 'timings'> {
  const code = e.code ?? '';
  const m = (e.message || code).replace(/\s+/g, ' ');
  if (code === 'ECONNREFUSED') return { kind: 'refused', message: `connection refused to ${target}`, code };
  if (code === 'LVSHA_TIMEOUT' || code === 'ETIMEDOUT')
    return {
      kind: 'timeout',
      message:
        phase === 'headers'
          ? `${target} sent headers but not the whole page within ${timeoutS} s`
          : phase === 'connected'
            ? `${target} accepted the connection but sent no HTTP response within ${timeoutS} s`
            : `no connection to ${target} within ${timeoutS} s`,
      code,
    };
  if (code.startsWith('HPE_')) return { kind: 'not-http', message: `${target} does not answer HTTP (${m})`, code };
  if (code === 'ECONNRESET' || code === 'EPIPE' || m === 'socket hang up')
    return { kind: 'closed', message: `${target} closed the connection without an HTTP response`, code };
  if (TLS_CODES.test(code) || /SSL|TLS|certificate/i.test(m)) return { kind: 'tls', message: `TLS with ${target} failed: ${m}`, code };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'dns', message: `cannot resolve ${target.replace(/:\d+$/, '')} (${code})`, code };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { kind: 'unreachable', message: `${target} unreachable (${code})`, code };
  return { kind: 'other', message: `GET ${target} failed: ${m}`, code: code || undefined };
}

const isIpLiteral = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');

export function probeHttp(o: HttpProbeOptions): Promise<HttpOutcome> {
  const url = new URL(o.url);
  const tls = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const target = `${url.hostname}:${port}`;
  const maxSize = o.maxSize ?? DEFAULT_MAX_SIZE;
  const t0 = performance.now();
  const since = () => (performance.now() - t0) / 1000;
  const timings: HttpTimings = { total: 0 };
  const timeoutS = (o.timeoutMs / 1000).toFixed(1).replace(/\.0$/, '');

  return new Promise((resolve, reject) => {
    let settled = false;
    let phase: 'connecting' | 'connected' | 'headers' = 'connecting';
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: HttpOutcome) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      r.timings.total = since();
      resolve(r);
    };
    const fail = (e: NodeJS.ErrnoException) => finish({ ok: false, ...classifyHttpError(e, target, phase, timeoutS), timings });

    const headers: Record<string, string> = {
      'User-Agent': 'check_lvs_sorry (lvsha)',
      Accept: '*/*',
      Connection: 'close',
    };
    if (o.hostHeader) headers.Host = o.hostHeader;
    const servername = o.sni ?? (tls && !isIpLiteral(hostname) ? hostname : undefined);
    const reqOpts: https.RequestOptions = {
      method: 'GET',
      host: hostname,
      port,
      path: `${url.pathname}${url.search}`,
      headers,
      agent: false,
      ...(tls ? { servername, rejectUnauthorized: !o.insecure } : {}),
    };
    if (o.connect) {
      const open = o.connect;
      // Node uses options.createConnection only when no agent is given (agent: false
      // would create one, and an agent connects by itself).
      delete reqOpts.agent;
      // Node's callback form of createConnection: the stream arrives asynchronously.
      (reqOpts as { createConnection?: unknown }).createConnection = (_opts: unknown, cb: (err: Error | null, s?: import('node:stream').Duplex) => void) => {
        open(hostname, port).then(
          (stream) => {
            phase = 'connected';
            timings.connect = since();
            if (!tls) return cb(null, stream);
            const t = tlsConnect({ socket: stream as never, servername, rejectUnauthorized: !o.insecure });
            t.once('secureConnect', () => (timings.tls = since()));
            cb(null, t);
          },
          (e: Error) => {
            // Our side (the SSH key or host key refused) is not the sorry server failing:
            // the check says UNKNOWN, as every other check does for it.
            if (e instanceof SshAuthError && !settled) {
              settled = true;
              if (timer) clearTimeout(timer);
              o.signal?.removeEventListener('abort', onAbort);
              reject(e);
            }
            cb(e);
          },
        );
        return undefined;
      };
    }
    const req = (tls ? https : http).request(reqOpts);
    const onAbort = () => {
      const e: NodeJS.ErrnoException = new Error('aborted by the plugin timeout');
      e.code = 'LVSHA_TIMEOUT';
      req.destroy(e);
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(onAbort, o.timeoutMs);

    req.on('socket', (s: Socket) => {
      s.once('connect', () => {
        phase = 'connected';
        timings.connect = since();
      });
      s.once('secureConnect', () => {
        timings.tls = since();
        phase = 'connected';
      });
    });
    req.on('error', fail);
    req.on('response', (res) => {
      timings.firstByte = since();
      phase = 'headers';
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const cl = Number(res.headers['content-length']);
      const done = () =>
        finish({
          ok: true,
          httpVersion: res.httpVersion,
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          body: Buffer.concat(chunks),
          size,
          truncated,
          ...(Number.isFinite(cl) && cl >= 0 ? { contentLength: cl } : {}),
          timings,
        });
      res.on('data', (b: Buffer) => {
        if (settled) return;
        const room = maxSize - size;
        if (b.length > room) {
          if (room > 0) chunks.push(b.subarray(0, room));
          size += Math.max(0, room);
          truncated = true;
          done();
          res.destroy();
          req.destroy();
          return;
        }
        chunks.push(b);
        size += b.length;
      });
      res.on('end', done);
      // A body cut short after the headers: keep what arrived.
      res.on('aborted', done);
      res.on('error', (e: NodeJS.ErrnoException) => (e.code === 'LVSHA_TIMEOUT' ? fail(e) : done()));
    });
    req.end();
  });
}
