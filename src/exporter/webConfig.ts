/**
 * Prometheus' web configuration file (exporter-toolkit's `--web.config.file` format), so one
 * file serves every exporter of a site: `tls_server_config`, `http_server_config`,
 * `basic_auth_users` (bcrypt hashes), `rate_limit`. Unknown keys are refused, naming the key:
 * a misspelt `basic_auth_user` silently serving without a password is the failure to avoid.
 *
 * Differences from exporter-toolkit, each said in the README: the file is read once at start
 * (restart to reload), `http2` is accepted and ignored (HTTP/1.1 only), `cipher_suites` and
 * `curve_preferences` take Go's names and map them to OpenSSL's.
 *
 * Loaded only when --web-config-file is given (lazy require from the command), so the
 * exporter without it pays nothing; bcryptjs is loaded on the first uncached password.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { parse } from 'yaml';
import { UsageError } from '../runtime/errors';

export interface WebConfig {
  /** Undefined: plain HTTP. */
  tls?: TlsOptions;
  /** client_auth_type's checks Node's options cannot say (RequireAnyClientCert, VerifyClientCertIfGiven), and client_allowed_sans. */
  verifyPeer?: (s: TLSSocket) => string | undefined;
  auth?: BasicAuth;
  headers: Record<string, string>;
  rateLimit?: { intervalMs: number; burst: number };
}

const TLS_KEYS = ['cert', 'key', 'client_ca', 'cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'client_allowed_sans', 'min_version', 'max_version', 'cipher_suites', 'prefer_server_cipher_suites', 'curve_preferences'];
const HEADER_NAMES = ['Content-Security-Policy', 'X-Frame-Options', 'X-Content-Type-Options', 'X-XSS-Protection', 'Strict-Transport-Security'];
const VERSIONS: Record<string, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };
const CLIENT_AUTH = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];
/** Go's TLS 1.0-1.2 suite names (crypto/tls) → OpenSSL's. TLS 1.3 suites are not configurable, in Go as here. */
const CIPHERS: Record<string, string> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
};
const TLS13 = 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256';
const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };
const BCRYPT = /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/;
const MAX_FILE = 1 << 20;

/** A regular file, at most `max` bytes: a FIFO or /dev/zero named by mistake is refused, not read forever. */
function readBounded(path: string, what: string, max = MAX_FILE): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new UsageError(`${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`${what} '${path}': not a regular file`);
    if (st.size > max) throw new UsageError(`${what} '${path}': larger than ${max} bytes`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** Go durations as Prometheus writes them: 1s, 500ms, 1m30s; 0 disables. */
function parseDuration(v: unknown, where: string): number {
  if (v === 0 || v === '0') return 0;
  const s = String(v);
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = s;
  const re = /^(\d+(?:\.\d+)?)(ms|s|m|h)/;
  if (!rest) throw new UsageError(`${where}: '${s}' is not a duration`);
  while (rest) {
    const m = re.exec(rest);
    if (!m) throw new UsageError(`${where}: '${s}' is not a duration (e.g. 1s, 500ms)`);
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

export function loadWebConfig(path: string): WebConfig {
  const text = readBounded(path, '--web-config-file').toString('utf8');
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 50 });
  } catch (e) {
    throw new UsageError(`--web-config-file '${path}': not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  return webConfigFrom(doc ?? {}, path);
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a parsed web configuration; `where` names the file in messages. */
export function webConfigFrom(doc: unknown, where: string): WebConfig {
  const bad = (msg: string): never => {
    throw new UsageError(`--web-config-file '${where}': ${msg}`);
  };
  if (!isMap(doc)) bad('not a mapping');
  const top = doc as Record<string, unknown>;
  for (const k of Object.keys(top)) if (!['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'].includes(k)) bad(`unknown key '${k}'`);
  const str = (v: unknown, key: string): string => (typeof v === 'string' ? v : bad(`${key} is not a string`));
  const list = (v: unknown, key: string): string[] => (Array.isArray(v) ? v.map((x, i) => str(x, `${key}[${i}]`)) : bad(`${key} is not a list`));
  const out: WebConfig = { headers: {} };
  const dir = where.includes('/') ? where.slice(0, where.lastIndexOf('/') + 1) : '';
  const file = (v: unknown, key: string): Buffer => {
    const p = str(v, key);
    // exporter-toolkit resolves relative paths against the configuration file's directory.
    return readBounded(p.startsWith('/') ? p : dir + p, `${key} of --web-config-file`);
  };

  const tlsDoc = top.tls_server_config;
  if (tlsDoc !== undefined && tlsDoc !== null) {
    if (!isMap(tlsDoc)) bad('tls_server_config is not a mapping');
    const t = tlsDoc as Record<string, unknown>;
    for (const k of Object.keys(t)) if (!TLS_KEYS.includes(k)) bad(`unknown key 'tls_server_config.${k}'`);
    const k = (n: string) => `tls_server_config.${n}`;
    if (t.cert !== undefined && t.cert_file !== undefined) bad(`${k('cert')} and ${k('cert_file')} are both set`);
    if (t.key !== undefined && t.key_file !== undefined) bad(`${k('key')} and ${k('key_file')} are both set`);
    if (t.client_ca !== undefined && t.client_ca_file !== undefined) bad(`${k('client_ca')} and ${k('client_ca_file')} are both set`);
    const cert = t.cert !== undefined ? Buffer.from(str(t.cert, k('cert'))) : t.cert_file !== undefined && t.cert_file !== '' ? file(t.cert_file, k('cert_file')) : undefined;
    const key = t.key !== undefined ? Buffer.from(str(t.key, k('key'))) : t.key_file !== undefined && t.key_file !== '' ? file(t.key_file, k('key_file')) : undefined;
    const otherKeys = Object.keys(t).filter((n) => !['cert', 'key', 'cert_file', 'key_file'].includes(n));
    if (!cert && !key) {
      // exporter-toolkit: no certificate = TLS disabled; other TLS settings then mean a mistake.
      if (otherKeys.length) bad(`tls_server_config has ${otherKeys.join(', ')} but no certificate (cert_file/key_file)`);
    } else {
      if (!cert) bad(`${k('cert_file')} is missing`);
      if (!key) bad(`${k('key_file')} is missing`);
      const o: TlsOptions = { cert, key };
      const ca = t.client_ca !== undefined ? Buffer.from(str(t.client_ca, k('client_ca'))) : t.client_ca_file !== undefined && t.client_ca_file !== '' ? file(t.client_ca_file, k('client_ca_file')) : undefined;
      if (ca) o.ca = ca;
      const auth = t.client_auth_type === undefined ? 'NoClientCert' : str(t.client_auth_type, k('client_auth_type'));
      if (!CLIENT_AUTH.includes(auth)) bad(`${k('client_auth_type')} '${auth}' is not one of ${CLIENT_AUTH.join(', ')}`);
      if (auth === 'RequireAndVerifyClientCert' && !ca) bad(`${k('client_auth_type')} RequireAndVerifyClientCert needs client_ca_file`);
      if (auth === 'VerifyClientCertIfGiven' && !ca) bad(`${k('client_auth_type')} VerifyClientCertIfGiven needs client_ca_file`);
      o.requestCert = auth !== 'NoClientCert';
      o.rejectUnauthorized = auth === 'RequireAndVerifyClientCert';
      const sans = t.client_allowed_sans === undefined ? [] : list(t.client_allowed_sans, k('client_allowed_sans'));
      if (sans.length && auth !== 'RequireAnyClientCert' && auth !== 'RequireAndVerifyClientCert')
        bad(`${k('client_allowed_sans')} needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert`);
      const needCert = auth === 'RequireAnyClientCert' || auth === 'RequireAndVerifyClientCert';
      const verifyIfGiven = auth === 'VerifyClientCertIfGiven';
      if (needCert || verifyIfGiven || sans.length)
        out.verifyPeer = (s) => {
          const c = s.getPeerCertificate();
          const has = !!c && Object.keys(c).length > 0;
          if (needCert && !has) return 'no client certificate';
          if (verifyIfGiven && has && !s.authorized) return `client certificate not verified: ${String(s.authorizationError)}`;
          if (sans.length) {
            const names = (c?.subjectaltname ?? '').split(/,\s*/).map((x) => x.replace(/^[A-Za-z ]+:/, ''));
            if (!names.some((n) => sans.includes(n))) return 'client certificate SAN not allowed';
          }
          return undefined;
        };
      const ver = (n: string, def: string) => {
        const v = t[n] === undefined ? def : str(t[n], k(n));
        return VERSIONS[v] ?? bad(`${k(n)} '${v}' is not one of ${Object.keys(VERSIONS).join(', ')}`);
      };
      o.minVersion = ver('min_version', 'TLS12');
      o.maxVersion = ver('max_version', 'TLS13');
      const order = Object.values(VERSIONS);
      if (order.indexOf(o.minVersion) > order.indexOf(o.maxVersion)) bad(`${k('min_version')} is above ${k('max_version')}`);
      if (t.cipher_suites !== undefined) {
        const names = list(t.cipher_suites, k('cipher_suites'));
        const ossl = names.map((n) => CIPHERS[n] ?? bad(`${k('cipher_suites')}: unknown suite '${n}'`));
        if (ossl.length) o.ciphers = [TLS13, ...ossl].join(':');
      }
      if (t.prefer_server_cipher_suites !== undefined) {
        if (typeof t.prefer_server_cipher_suites !== 'boolean') bad(`${k('prefer_server_cipher_suites')} is not true or false`);
        o.honorCipherOrder = t.prefer_server_cipher_suites as boolean;
      } else o.honorCipherOrder = true;
      if (t.curve_preferences !== undefined) {
        const names = list(t.curve_preferences, k('curve_preferences'));
        const c = names.map((n) => CURVES[n] ?? bad(`${k('curve_preferences')}: unknown curve '${n}' (one of ${Object.keys(CURVES).join(', ')})`));
        if (c.length) o.ecdhCurve = c.join(':');
      }
      out.tls = o;
    }
  }

  const httpDoc = top.http_server_config;
  if (httpDoc !== undefined && httpDoc !== null) {
    if (!isMap(httpDoc)) bad('http_server_config is not a mapping');
    const h = httpDoc as Record<string, unknown>;
    for (const key of Object.keys(h)) if (!['http2', 'headers'].includes(key)) bad(`unknown key 'http_server_config.${key}'`);
    if (h.http2 !== undefined && typeof h.http2 !== 'boolean') bad('http_server_config.http2 is not true or false');
    if (h.headers !== undefined && h.headers !== null) {
      if (!isMap(h.headers)) bad('http_server_config.headers is not a mapping');
      for (const [name, v] of Object.entries(h.headers as Record<string, unknown>)) {
        if (!HEADER_NAMES.includes(name)) bad(`unknown key 'http_server_config.headers.${name}' (one of ${HEADER_NAMES.join(', ')})`);
        const val = str(v, `http_server_config.headers.${name}`);
        if (/[\r\n]/.test(val)) bad(`http_server_config.headers.${name} has a line break`);
        if (name === 'X-Frame-Options' && val && !/^(deny|sameorigin)$/i.test(val)) bad(`http_server_config.headers.${name} '${val}' is not deny or sameorigin`);
        if (name === 'X-Content-Type-Options' && val && !/^nosniff$/i.test(val)) bad(`http_server_config.headers.${name} '${val}' is not nosniff`);
        if (val) out.headers[name] = val;
      }
    }
  }

  const users = top.basic_auth_users;
  if (users !== undefined && users !== null) {
    if (!isMap(users)) bad('basic_auth_users is not a mapping of user: bcrypt hash');
    const m = new Map<string, string>();
    for (const [u, h] of Object.entries(users as Record<string, unknown>)) {
      if (u === '' || u.includes(':')) bad(`basic_auth_users: user '${u}' is empty or has a ':'`);
      const hash = str(h, `basic_auth_users.${u}`);
      if (!BCRYPT.test(hash)) bad(`basic_auth_users.${u} is not a bcrypt hash ($2y$10$... from htpasswd -nBC 10)`);
      m.set(u, hash);
    }
    if (m.size) out.auth = new BasicAuth(m);
  }

  const rl = top.rate_limit;
  if (rl !== undefined && rl !== null) {
    if (!isMap(rl)) bad('rate_limit is not a mapping');
    const r = rl as Record<string, unknown>;
    for (const key of Object.keys(r)) if (!['interval', 'burst'].includes(key)) bad(`unknown key 'rate_limit.${key}'`);
    const intervalMs = r.interval === undefined ? 0 : parseDuration(r.interval, `--web-config-file '${where}': rate_limit.interval`);
    const burst = r.burst === undefined ? 0 : Number(r.burst);
    if (!Number.isInteger(burst) || burst < 0) bad('rate_limit.burst is not a non-negative integer');
    if (intervalMs > 0) out.rateLimit = { intervalMs, burst: Math.max(1, burst) };
  }
  return out;
}

/** A valid bcrypt hash of a random string: an unknown user costs the same bcrypt as a known one. */
const DUMMY = '$2b$10$JWm90oQ/S4RpMfWUh.OGCuSIBNUcro38NdO.sg/eibp4tFmOxyaE6';

/**
 * basic_auth_users: a bcrypt check per new password (costly on purpose, ~0.1 s at cost 10),
 * then a cached digest compared in constant time (exporter-toolkit caches successes too), so
 * a scrape every 15 s costs one SHA-256. At most two bcrypt checks run at once and 32 wait:
 * a flood of wrong passwords cannot take every core nor every request slot.
 */
export class BasicAuth {
  private readonly ok = new Map<string, Buffer>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly users: Map<string, string>) {}

  private digest(user: string, pass: string, hash: string): Buffer {
    return createHash('sha256').update(user).update('\0').update(pass).update('\0').update(hash).digest();
  }

  /** Whether the Authorization header names a user of the file with the right password. */
  async check(header: string | undefined): Promise<boolean> {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const pass = decoded.slice(colon + 1);
    const hash = this.users.get(user);
    const d = this.digest(user, pass, hash ?? DUMMY);
    const cached = this.ok.get(user);
    if (cached && timingSafeEqual(cached, d)) return true;
    // bcrypt truncates at 72 bytes; refuse longer passwords rather than accept a prefix.
    if (Buffer.byteLength(pass) > 72) return false;
    const good = await this.bcrypt(pass, hash ?? DUMMY);
    if (good && hash !== undefined) {
      this.ok.set(user, d);
      return true;
    }
    return false;
  }

  private async bcrypt(pass: string, hash: string): Promise<boolean> {
    // A queue this long is a flood of wrong passwords: refuse at once rather than hold a
    // request slot each (--max-requests) for seconds.
    if (this.running >= 2 && this.waiting.length >= 32) return false;
    while (this.running >= 2) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const b = require('bcryptjs') as typeof import('bcryptjs');
      return await b.compare(pass, hash);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
