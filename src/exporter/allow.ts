import { redactUrls } from '../runtime/options';
/**
 * What /probe may reach. /probe is anonymous (blackbox_exporter pattern): without a bound,
 * `module=sorry&target=http://anything` fetches any URL and `module=director|realserver`
 * opens SSH to any address, which makes the exporter a scanner for whoever can reach it.
 *
 * By default:
 *   - director, realserver: the deployment's hosts (directors and realHosts), by name or
 *     address, and this host itself (localhost, 127.0.0.1, ::1: read locally, no connection);
 *   - sorry: the deployment's sorry URLs: `sorry.url`, each service's fallback
 *     (http://ADDR:PORT/) and, for a fallback on loopback, the same port on each director
 *     (the page as the directors serve it).
 * `--probe-allow` entries widen it: an address or CIDR (director, realserver), a host name
 * (director, realserver, exact match), or an http(s) URL prefix (sorry).
 * The decision is taken on the target's text alone: no DNS lookup, no connection.
 */
import { BlockList, isIP } from 'node:net';
import type { Deployment } from '../model/types';
import { UsageError } from '../runtime/errors';
import type { ModuleName } from './modules';

const LOCAL = new Set(['localhost', '127.0.0.1', '::1']);

interface UrlPrefix {
  protocol: string;
  host: string;
  port: string;
  path: string;
}

const defaultPort = (protocol: string) => (protocol === 'https:' ? '443' : '80');
const unbracket = (h: string) => h.replace(/^\[(.*)\]$/, '$1').toLowerCase();

function urlPrefix(u: URL): UrlPrefix {
  return { protocol: u.protocol, host: unbracket(u.hostname), port: u.port || defaultPort(u.protocol), path: u.pathname };
}

/** Throws a UsageError naming the entry when it is none of the accepted forms. */
function parseEntry(e: string): { kind: 'cidr'; net: string; prefix: number; family: 'ipv4' | 'ipv6' } | { kind: 'name'; name: string } | { kind: 'url'; url: UrlPrefix } {
  const s = e.trim();
  if (/^https?:\/\//i.test(s)) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new UsageError(`--probe-allow '${e}': not a URL`);
    }
    if (u.username || u.password) throw new UsageError(`--probe-allow '${e}': a URL prefix has no user info`);
    return { kind: 'url', url: urlPrefix(u) };
  }
  const m = /^(.+?)(?:\/(\d{1,3}))?$/.exec(s);
  const addr = m ? unbracket(m[1]!) : '';
  const fam = isIP(addr);
  if (fam) {
    const max = fam === 4 ? 32 : 128;
    const prefix = m![2] === undefined ? max : Number(m![2]);
    if (prefix > max) throw new UsageError(`--probe-allow '${e}': prefix length above ${max}`);
    return { kind: 'cidr', net: addr, prefix, family: fam === 4 ? 'ipv4' : 'ipv6' };
  }
  if (m && m[2] === undefined && /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(s))
    return { kind: 'name', name: s.toLowerCase() };
  throw new UsageError(`--probe-allow '${e}': not an address, CIDR, host name or http(s) URL prefix`);
}

export class ProbeAllow {
  private readonly addrs = new BlockList();
  private readonly names = new Set<string>();
  private readonly urls: UrlPrefix[] = [];

  /** Throws a UsageError naming the culprit for a malformed --probe-allow entry. */
  constructor(d: Deployment, extra: readonly string[] = []) {
    const hosts = [...d.directors, ...d.realHosts];
    for (const h of hosts) {
      this.add(h.address);
      this.add(h.name);
    }
    const sorryPorts = new Map<string, { protocol: string; port: string }>();
    const addSorry = (u: URL) => {
      this.urls.push(urlPrefix(u));
      const host = unbracket(u.hostname);
      if (host.startsWith('127.') || host === '::1' || host === 'localhost') {
        const port = u.port || defaultPort(u.protocol);
        sorryPorts.set(`${u.protocol}${port}`, { protocol: u.protocol, port });
      }
    };
    try {
      addSorry(new URL(d.sorry.url));
    } catch {
      /* no sorry URL: nothing allowed for it */
    }
    for (const s of d.services)
      if (s.fallback) {
        const a = s.fallback.address;
        try {
          addSorry(new URL(`http://${a.includes(':') ? `[${a}]` : a}:${s.fallback.port}/`));
        } catch {
          /* a malformed fallback is validation's business */
        }
      }
    for (const { protocol, port } of sorryPorts.values()) {
      for (const dir of d.directors)
        for (const host of [dir.address, dir.name]) this.urls.push({ protocol, host: host.toLowerCase(), port, path: '/' });
    }
    for (const e of extra) {
      const p = parseEntry(e);
      if (p.kind === 'cidr') this.addrs.addSubnet(p.net, p.prefix, p.family);
      else if (p.kind === 'name') this.names.add(p.name);
      else this.urls.push(p.url);
    }
  }

  private add(hostOrAddr: string): void {
    const a = unbracket(hostOrAddr);
    const fam = isIP(a);
    if (fam) this.addrs.addAddress(a, fam === 4 ? 'ipv4' : 'ipv6');
    else if (a) this.names.add(a);
  }

  private hostAllowed(target: string): boolean {
    const t = unbracket(target);
    if (LOCAL.has(t)) return true;
    const fam = isIP(t);
    if (fam) return this.addrs.check(t, fam === 4 ? 'ipv4' : 'ipv6');
    return this.names.has(t);
  }

  /** Undefined when /probe may reach the target, else a one-line reason. The target is well-formed (validTarget). */
  refusal(module: ModuleName, target: string): string | undefined {
    if (module === 'sorry') {
      let u: URL;
      try {
        u = new URL(target);
      } catch {
        return `target '${redactUrls(target).slice(0, 200)}' is not a URL`;
      }
      const p = urlPrefix(u);
      const ok = this.urls.some((a) => a.protocol === p.protocol && a.host === p.host && a.port === p.port && p.path.startsWith(a.path));
      return ok ? undefined : `target not allowed: ${p.protocol}//${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}${p.path} is not one of the deployment's sorry URLs (widen with --probe-allow URL-prefix)`;
    }
    return this.hostAllowed(target) ? undefined : `target not allowed: '${target}' is not a host of the deployment (widen with --probe-allow ADDRESS|CIDR|NAME)`;
  }
}
