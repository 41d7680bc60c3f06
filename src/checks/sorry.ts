import { Command, Option } from 'commander';
import type { IpvsTable } from '../parsers/procIpvs';
import { DEFAULT_MAX_SIZE, HttpOutcome, probeHttp } from '../probes/http';
import { IpvsUnavailableError, probeIpvs } from '../probes/ipvs';
import { Deployment, Endpoint } from '../model/types';
import { GatherEnv } from '../runtime/check';
import { UsageError, errorMessage } from '../runtime/errors';
import { Perf } from '../runtime/perfdata';
import { CheckDef } from '../runtime/plugin';
import { Range } from '../runtime/range';
import { Finding, Result, combine, evaluate } from '../runtime/result';
import { State } from '../runtime/state';

/**
 * check_lvs_sorry — the sorry (fallback) server serves its page, and whether IPVS is
 * sending it visitors right now (every real server down).
 */

// --- the IPVS view this check needs (adapter over probes/ipvs) ----------------------------

/** The minimal view of the IPVS table: enough to see a fallback in service. */
export interface IpvsView {
  services: { address?: string; port?: number; fwmark?: number; protocol: string; reals: { address: string; port: number; weight: number }[] }[];
}

export function ipvsViewOf(t: IpvsTable): IpvsView {
  return {
    services: t.services.map((s) => ({
      address: s.address,
      port: s.port,
      fwmark: s.fwmark,
      protocol: s.protocol,
      reals: s.realServers.map((r) => ({ address: r.address, port: r.port, weight: r.weight })),
    })),
  };
}

export interface Engaged {
  /** `192.168.0.3:80` (or `fwmark 1`). */
  service: string;
  fallback: string;
  /** Other real servers of the service and how many still get traffic (weight > 0). */
  others: number;
  othersLive: number;
}

const svcName = (s: IpvsView['services'][number]) =>
  s.fwmark !== undefined ? `fwmark ${s.fwmark}` : `${s.address?.includes(':') ? `[${s.address}]` : s.address}:${s.port}`;

/** Services whose real servers include one of the fallback endpoints (ldirectord adds it when all real servers are down). */
export function engagedServices(view: IpvsView, fallbacks: Endpoint[]): Engaged[] {
  const out: Engaged[] = [];
  for (const s of view.services) {
    const fb = s.reals.find((r) => fallbacks.some((f) => f.address === r.address && (r.port === f.port || (s.fwmark !== undefined && r.port === 0))));
    if (!fb) continue;
    const others = s.reals.filter((r) => r !== fb);
    out.push({ service: svcName(s), fallback: `${fb.address}:${fb.port}`, others: others.length, othersLive: others.filter((r) => r.weight > 0).length });
  }
  return out;
}

// --- the policy ---------------------------------------------------------------------------------

export interface SorryModel {
  url: string;
  http: HttpOutcome;
  /** undefined: not looked at (--no-engaged); string: why the table could not be read. */
  engaged?: Engaged[] | { unreadable: string };
}

export interface SorryPolicy {
  /** Allowed status codes as [from, to] ranges. */
  expectStatus: [number, number][];
  expectText: string;
  string?: string;
  regex?: RegExp;
  invertRegex?: boolean;
  warning?: Range;
  critical?: Range;
  engagedState: State;
  maxSize: number;
  verbose: number;
}

const sec = (n: number) => (Math.round(n * 1000) / 1000).toFixed(3);

export function evaluateSorry(m: SorryModel, p: SorryPolicy): Result {
  const findings: Finding[] = [];
  const long: string[] = [];
  const perf: Perf[] = [];
  const h = m.http;
  let okSummary: string;
  if (!h.ok) {
    findings.push({ state: State.CRITICAL, text: h.message });
    okSummary = h.message;
  } else {
    const statusLine = `HTTP/${h.httpVersion} ${h.status}${h.statusText ? ' ' + h.statusText : ''}`;
    okSummary = `${statusLine}, ${h.size} B in ${sec(h.timings.total)} s from ${m.url}`;
    if (!p.expectStatus.some(([a, b]) => h.status >= a && h.status <= b)) {
      findings.push({ state: State.CRITICAL, text: `${statusLine} from ${m.url} (expected ${p.expectText})` });
    }
    const where = h.truncated ? ` in the first ${h.size} B` : '';
    const body = h.body.toString('utf8');
    if (p.string !== undefined && !body.includes(p.string)) findings.push({ state: State.CRITICAL, text: `'${p.string}' not found in the page${where}` });
    if (p.regex) {
      const found = p.regex.test(body);
      if (found && p.invertRegex) findings.push({ state: State.CRITICAL, text: `pattern /${p.regex.source}/ found in the page` });
      if (!found && !p.invertRegex) findings.push({ state: State.CRITICAL, text: `pattern /${p.regex.source}/ not found in the page${where}` });
    }
    const t = h.timings.total;
    const ts = evaluate(t, p.warning, p.critical);
    if (ts !== State.OK) {
      const r = ts === State.CRITICAL ? p.critical! : p.warning!;
      findings.push({ state: ts, text: `response time ${sec(t)} s (${ts === State.CRITICAL ? 'critical' : 'warning'} ${r.text})` });
    }
    if (h.truncated) {
      long.push(`read only the first ${h.size} B of the body (--max-size ${p.maxSize})${h.contentLength !== undefined ? `; Content-Length ${h.contentLength}` : ''}`);
    }
    if (findings.length === 0) findings.push({ state: State.OK, text: okSummary });
    perf.push({ label: 'time', value: Number(sec(t)), uom: 's', warn: p.warning, crit: p.critical, min: 0 });
    perf.push({ label: 'size', value: h.size, uom: 'B', min: 0 });
  }
  if (p.verbose >= 1) {
    const tm = h.timings;
    if (tm.connect !== undefined) perf.push({ label: 'time_connect', value: Number(sec(tm.connect)), uom: 's', min: 0 });
    if (tm.tls !== undefined) perf.push({ label: 'time_tls', value: Number(sec(tm.tls)), uom: 's', min: 0 });
    if (tm.firstByte !== undefined) perf.push({ label: 'time_firstbyte', value: Number(sec(tm.firstByte)), uom: 's', min: 0 });
    long.push(
      `timings: connect ${tm.connect !== undefined ? sec(tm.connect) : '-'} s` +
        (tm.tls !== undefined ? `, TLS ${sec(tm.tls)} s` : '') +
        `, first byte ${tm.firstByte !== undefined ? sec(tm.firstByte) : '-'} s, total ${sec(tm.total)} s`,
    );
  }

  // Engaged: is IPVS sending visitors to the sorry server now?
  let engagedSummary: string | undefined;
  if (m.engaged !== undefined) {
    if (!Array.isArray(m.engaged)) {
      long.push(`${m.engaged.unreadable}: whether the sorry server is in service is unknown`);
    } else {
      for (const e of m.engaged) {
        const why = e.othersLive === 0 ? (e.others === 0 ? 'since all real servers are down' : `since all ${e.others} real servers are quiesced (weight 0)`) : `alongside ${e.othersLive} real server(s)`;
        const text = `sorry server in service for ${e.service} ${why}`;
        findings.push({ state: p.engagedState, text });
        engagedSummary ??= text;
      }
      if (m.engaged.length === 0) long.push('sorry server not in service: no virtual service has the fallback among its real servers');
      perf.push({ label: 'engaged', value: m.engaged.length, min: 0 });
    }
  }
  const r = combine(findings, okSummary, perf, long);
  // An engaged fallback with a healthy page and engagedState OK still deserves the first line.
  if (r.state === State.OK && engagedSummary) r.summary = `${engagedSummary}; ${okSummary}`;
  return r;
}

// --- options and gathering ----------------------------------------------------------------------

interface SorryOptions {
  url?: string;
  hostHeader?: string;
  expectStatus: string;
  string?: string;
  regex?: string;
  invertRegex: boolean;
  sni?: string;
  insecure: boolean;
  maxSize: number;
  engaged: boolean;
  engagedState: 'ok' | 'warning' | 'critical';
}

/** `200`, `200,301`, `200-299`, `2xx`. */
export function parseExpectStatus(v: string): [number, number][] {
  const out: [number, number][] = [];
  for (const part of v.split(',').map((x) => x.trim())) {
    let m: RegExpExecArray | null;
    if ((m = /^([1-5])xx$/i.exec(part))) out.push([Number(m[1]) * 100, Number(m[1]) * 100 + 99]);
    else if ((m = /^(\d{3})-(\d{3})$/.exec(part)) && Number(m[1]) <= Number(m[2])) out.push([Number(m[1]), Number(m[2])]);
    else if (/^\d{3}$/.test(part)) out.push([Number(part), Number(part)]);
    else throw new UsageError(`--expect-status '${v}': '${part}' is not a status code, a range (200-299) or 2xx`);
  }
  return out;
}

/** `1048576`, `512K`, `1M` (powers of 1024). */
export function parseSize(v: string): number {
  const m = /^(\d+)([KMG]i?B?)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--max-size '${v}' is not a size (bytes, or with K/M/G)`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m[2] ?? '').charAt(0).toUpperCase() as '' | 'K' | 'M' | 'G'];
  const n = Number(m[1]) * mult;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--max-size '${v}' is out of range`);
  return n;
}

function parseUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`--url '${v}' is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--url '${v}': only http and https`);
  return u.toString();
}

const LOOPBACK = /^(127\.|localhost$|\[?::1\]?$)/;

export const sorryCheck: CheckDef<SorryConfig, SorryModel, SorryOptions, Deployment> = {
  name: 'sorry',
  prefix: 'LVS SORRY',
  description: "The sorry (fallback) server serves its page, and whether IPVS sends it visitors now (ldirectord's fallback in service).",
  options(cmd: Command) {
    cmd
      .option('-u, --url <url>', 'page to fetch (default: the deployment\'s sorry.url, http://127.0.0.1:80/)', parseUrl)
      .option('--host-header <name>', 'Host header to send')
      .option('--expect-status <list>', 'accepted status codes: 200,301 or 200-299 or 2xx', '200')
      .option('-s, --string <text>', 'the page must contain this text')
      .option('-r, --regex <pattern>', 'the page must match this regular expression (JavaScript syntax)')
      .option('--invert-regex', 'CRITICAL when --regex matches instead', false)
      .option('-w, --warning <range>', 'response time in seconds (range)')
      .option('-c, --critical <range>', 'response time in seconds (range)')
      .option('--sni <name>', 'TLS server name (default: the URL host name)')
      .option('--insecure', 'accept any TLS certificate', false)
      .addOption(new Option('--max-size <bytes>', 'read at most this much of the body (K/M suffixes)').default(DEFAULT_MAX_SIZE, '1M').argParser(parseSize))
      .option('--no-engaged', 'do not read the IPVS table to see whether the sorry server is in service')
      .addOption(new Option('--engaged-state <state>', 'state while the sorry server is in service').choices(['ok', 'warning', 'critical']).default('warning'));
  },
  configure(o, ctx): SorryConfig {
    const d = ctx.deployment();
    let regex: RegExp | undefined;
    if (o.regex !== undefined) {
      try {
        // A match cannot outlive -t (catastrophic backtracking): vm with a timeout, loaded only with -r.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        regex = new (require('../runtime/deadlineRegExp') as typeof import('../runtime/deadlineRegExp')).DeadlineRegExp(o.regex, Date.now() + o.timeout * 1000);
      } catch (e) {
        throw new UsageError(`--regex: ${errorMessage(e)}`);
      }
    }
    return {
      ...sorryDefaults(d),
      url: o.url ?? parseUrl(d.sorry.url),
      hostHeader: o.hostHeader,
      sni: o.sni,
      insecure: o.insecure,
      expectStatus: parseExpectStatus(o.expectStatus),
      expectText: o.expectStatus,
      string: o.string,
      regex,
      invertRegex: o.invertRegex,
      warning: ctx.warning,
      critical: ctx.critical,
      engaged: o.engaged,
      engagedState: { ok: State.OK, warning: State.WARNING, critical: State.CRITICAL }[o.engagedState],
      maxSize: o.maxSize,
      verbose: o.verbose,
      hostname: o.hostname,
    };
  },
  defaults: sorryDefaults,
  gather: gatherSorry,
  evaluate: evaluateSorry,
};

/** check_lvs_sorry's config: the page, what it must hold, and whether to look at the IPVS table. */
export interface SorryConfig extends SorryPolicy {
  url: string;
  hostHeader?: string;
  sni?: string;
  insecure: boolean;
  /** Look at the IPVS table: is the sorry server in service? */
  engaged: boolean;
  /** The deployment's fallbacks (the page's own host and port are added). */
  fallbacks: Endpoint[];
  /** -H: the page is fetched from that host (through its SSH connection). */
  hostname?: string;
}

/** check_lvs_sorry with no option, for the exporter and doctor. */
export function sorryDefaults(d: Deployment): SorryConfig {
  return {
    url: parseUrl(d.sorry.url),
    insecure: false,
    invertRegex: false,
    expectStatus: parseExpectStatus('200'),
    expectText: '200',
    engaged: true,
    engagedState: State.WARNING,
    maxSize: DEFAULT_MAX_SIZE,
    verbose: 0,
    fallbacks: d.services.flatMap((s) => (s.fallback ? [s.fallback] : [])),
  };
}

export async function gatherSorry(c: SorryConfig, env: GatherEnv): Promise<SorryModel> {
  const url = c.url;
  const u = new URL(url);
  // With -H the page is fetched FROM that director through the SSH connection (a
  // direct-tcpip channel), so its loopback sorry server is reachable as it sees it.
  const remote = !!c.hostname && !/^(localhost|127\.0\.0\.1|::1)$/.test(c.hostname);
  const src = env.source();
  const tunnel = remote && src.openTcp ? src.openTcp.bind(src) : undefined;
  if (remote && !tunnel && LOOPBACK.test(u.hostname)) {
    throw new UsageError(`${url} is on the loopback of ${c.hostname}, not reachable from here`);
  }
  // Leave a margin before the deadline so a silent server is our CRITICAL, not a timeout.
  const left = env.deadline - Date.now();
  const timeoutMs = Math.max(100, left - Math.min(1000, left * 0.1));
  env.trace(2, `GET ${url}${c.hostHeader ? ` (Host: ${c.hostHeader})` : ''}, timeout ${(timeoutMs / 1000).toFixed(1)} s`);
  const httpOutcome = await probeHttp({
    url,
    hostHeader: c.hostHeader,
    sni: c.sni,
    insecure: c.insecure,
    maxSize: c.maxSize,
    timeoutMs,
    signal: env.signal,
    connect: tunnel,
  });
  if (tunnel) env.trace(1, `fetched from ${c.hostname} through its SSH connection`);
  const model: SorryModel = { url, http: httpOutcome };
  if (c.engaged) {
    const fallbacks: Endpoint[] = [...c.fallbacks];
    const urlPort = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    fallbacks.push({ address: u.hostname.replace(/^\[|\]$/g, ''), port: urlPort });
    try {
      const snap = await probeIpvs(env.source(), { probe: 'proc' });
      model.engaged = engagedServices(ipvsViewOf(snap.table), fallbacks);
    } catch (e) {
      if (e instanceof IpvsUnavailableError) model.engaged = { unreadable: 'IPVS table not readable here' };
      else model.engaged = { unreadable: `IPVS table not readable here (${errorMessage(e)})` };
    }
  }
  return model;
}
