import { isIPv4, isIPv6 } from 'node:net';
import { ParseError } from '../runtime/errors';

/*
 * The IPVS table, one typed model whichever probe fed it (/proc/net/ip_vs or `ipvsadm -Ln`).
 * Formats as measured on kernel 6.1 / ipvsadm 1.31 (test/fixtures/real/ipvs/):
 * /proc prints addresses and ports in hex, the persistence timeout in jiffies, real
 * servers in reverse order of ipvsadm and services in hash order; both parsers sort, so
 * the same kernel state gives the same model.
 */

export type IpvsProtocol = 'tcp' | 'udp' | 'sctp' | 'fwm';
/** The kernel's words (ip_vs_fwd_name), lowercased: Route = direct routing (ldirectord `gate`). */
export type IpvsForwarding = 'route' | 'masq' | 'tunnel' | 'local';
export type Family = 'inet' | 'inet6';

/** Cumulated counters (ip_vs_stats, ipvsadm --stats). */
export interface IpvsCounters {
  conns: number;
  inPackets: number;
  outPackets: number;
  inBytes: number;
  outBytes: number;
  /** ipvsadm without --exact abbreviates values ≥ 1e8 (136489K): then they are lower bounds. */
  approximate?: boolean;
}

/** Rates estimated by the kernel over ~2 s (per second). */
export interface IpvsRates {
  cps: number;
  inPps: number;
  outPps: number;
  inBps: number;
  outBps: number;
  approximate?: boolean;
}

export interface IpvsRealServer {
  address: string;
  /** 0 for fwmark services. */
  port: number;
  forwarding: IpvsForwarding;
  weight: number;
  activeConns: number;
  inactiveConns: number;
  /** Only from `ipvsadm -Ln --stats` / `--rate`. */
  stats?: IpvsCounters;
  rates?: IpvsRates;
}

export interface IpvsService {
  protocol: IpvsProtocol;
  /** For fwmark services read from /proc, inferred from the real servers (inet when none). */
  family: Family;
  /** Absent for fwmark services. */
  address?: string;
  port?: number;
  fwmark?: number;
  scheduler: string;
  persistent: boolean;
  /** Persistence timeout as /proc prints it (jiffies). Only from /proc. */
  persistentJiffies?: number;
  /** Persistence timeout in seconds: from ipvsadm, or from /proc once HZ is known. */
  persistentSeconds?: number;
  /** Persistence granularity: dotted netmask (IPv4) or prefix length (IPv6, `64`). */
  persistenceNetmask?: string;
  /** One-packet scheduling (`ops`). /proc does not print it for IPv6 services: undefined there. */
  onePacket?: boolean;
  /** Scheduler flags (`sh-port`...). Only ipvsadm prints them. */
  schedulerFlags?: string[];
  /** Persistence engine (`sip`). Only ipvsadm prints it. */
  persistenceEngine?: string;
  realServers: IpvsRealServer[];
  stats?: IpvsCounters;
  rates?: IpvsRates;
}

export interface IpvsTable {
  /** `1.2.1` (absent from `ipvsadm -Ln -t SERVICE`, which prints no version line). */
  version?: string;
  /** Connection hash table size (`size=4096`). */
  connTableSize?: number;
  services: IpvsService[];
}

/** /proc/net/ip_vs_stats: the namespace-wide totals (all services). */
export interface IpvsTotals {
  stats: IpvsCounters;
  rates: IpvsRates;
}

// ----------------------------------------------------------------- addresses

/** IPv4 dotted quad, IPv6 in RFC 5952 form (lowercase, longest zero run as ::). */
export function normaliseAddress(a: string): string | undefined {
  if (isIPv4(a)) return a.split('.').map((x) => String(Number(x))).join('.');
  if (!isIPv6(a) || a.includes('.') || a.includes('%')) return undefined;
  const g = v6Groups(a).map((x) => parseInt(x, 16).toString(16));
  // The longest run of zero groups (the first of equal ones) becomes `::`; a single zero stays.
  let best = -1;
  let bestLen = 1;
  let run = 0;
  g.forEach((x, i) => {
    run = x === '0' ? run + 1 : 0;
    if (run > bestLen) [best, bestLen] = [i + 1 - run, run];
  });
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

/** The eight groups of an IPv6 address isIPv6 accepts without a dotted tail (`::` expanded). */
function v6Groups(a: string): string[] {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
}

export function addressFamily(a: string): Family {
  return a.includes(':') ? 'inet6' : 'inet';
}

/** Bytes of an address the parsers accepted, for sorting (IPv4 before IPv6 by length). */
function addressBytes(a: string): number[] {
  if (!a.includes(':')) return a.split('.').map(Number);
  return v6Groups(a).flatMap((x) => {
    const v = parseInt(x, 16);
    return [v >> 8, v & 0xff];
  });
}

function compareBytes(a: number[], b: number[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

const PROTO_NUMBER: Record<IpvsProtocol, number> = { tcp: 6, udp: 17, sctp: 132, fwm: 0 };

/** The order of `ipvsadm -Ln`: address services before fwmark ones, IPv4 first, then protocol, address, port. */
export function compareServices(a: IpvsService, b: IpvsService): number {
  return compareServicesBy(a, b, addressBytes);
}

function compareServicesBy(a: IpvsService, b: IpvsService, bytes: (a: string) => number[]): number {
  const fa = a.fwmark !== undefined ? 1 : 0;
  const fb = b.fwmark !== undefined ? 1 : 0;
  if (fa !== fb) return fa - fb;
  const family = familyRank(a) - familyRank(b);
  if (fa) return a.fwmark! - b.fwmark! || family;
  return family || PROTO_NUMBER[a.protocol] - PROTO_NUMBER[b.protocol] || compareBytes(bytes(a.address!), bytes(b.address!)) || a.port! - b.port!;
}

/** IPv4 before IPv6. */
const familyRank = (s: IpvsService) => (s.family === 'inet' ? 0 : 1);

export function compareReals(a: { address: string; port: number }, b: { address: string; port: number }): number {
  return compareBytes(addressBytes(a.address), addressBytes(b.address)) || a.port - b.port;
}

/** Sorts services and their real servers in place (ipvsadm order) and returns the table. */
export function sortTable<T extends { services: IpvsService[] }>(t: T): T {
  return sortTableWith(t, () => undefined);
}

/**
 * Address bytes computed once per address, not on every comparison. Exported for its tests:
 * the cache must be the one used (recomputing gives the same bytes, only slower).
 */
export function cachedBytes(): (a: string) => number[] {
  const bytes = new Map<string, number[]>();
  return (a: string) => {
    let b = bytes.get(a);
    if (!b) bytes.set(a, (b = addressBytes(a)));
    return b;
  };
}

/**
 * sortTable, where `realKeys(s)` may give, for service s, one number per real server that
 * orders them exactly as compareReals does (the /proc parser has them from the hex text).
 */
function sortTableWith<T extends { services: IpvsService[] }>(t: T, realKeys: (s: IpvsService) => number[] | undefined): T {
  const key = cachedBytes();
  t.services.sort((a, b) => compareServicesBy(a, b, key));
  for (const s of t.services) {
    const k = realKeys(s);
    if (k) {
      s.realServers = sortByKeys(s.realServers, k);
      procIpvsFastPaths.keyedSorts++;
    } else s.realServers.sort((a, b) => compareBytes(key(a.address), key(b.address)) || a.port - b.port);
  }
  return t;
}

/**
 * A stable sort of `items` by `keys` (same indexes). Already in order (equal keys too): as is;
 * /proc lists real servers reversed: then a reverse is enough (strictly decreasing keys only,
 * equal ones would swap). Exported for its tests: the shortcuts must be the ones taken.
 */
export function sortByKeys<T>(items: T[], keys: number[]): T[] {
  let ascending = true;
  let descending = true;
  for (let i = 1; i < keys.length; i++) {
    if (!(keys[i - 1]! <= keys[i]!)) ascending = false;
    if (!(keys[i - 1]! > keys[i]!)) descending = false;
  }
  if (ascending) return items;
  if (descending) return items.reverse();
  const order = items.map((_, i) => i);
  order.sort((a, b) => keys[a]! - keys[b]!); // Array.prototype.sort is stable
  return order.map((i) => items[i]!);
}

/**
 * How often parseProcIpvs took its fast paths: real server lines read in place (fastRealServer)
 * and services whose real servers were ordered by those lines' keys (sortByKeys). Read by its
 * tests: either path falling back to the general one would give the same model, only slower.
 */
export const procIpvsFastPaths = { realServers: 0, keyedSorts: 0 };

/** `tcp:192.168.0.3:80`, `tcp:[2001:db8::3]:80`, `fwm:5`, `fwm:6:ipv6`: the name used in output and --service. */
export function serviceKey(s: Pick<IpvsService, 'protocol' | 'address' | 'port' | 'fwmark' | 'family'>): string {
  if (s.protocol === 'fwm') return `fwm:${s.fwmark}${s.family === 'inet6' ? ':ipv6' : ''}`;
  return `${s.protocol}:${endpoint(s.address!, s.port!)}`;
}

export function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

// ----------------------------------------------------------------- /proc/net/ip_vs

const HEX = /^[0-9A-Fa-f]+$/;
const WHAT_IPVS = '/proc/net/ip_vs';

function hexNumber(s: string, bits: number, what: string, line: number): number {
  if (!HEX.test(s) || s.length > bits / 4) throw new ParseError(what, `'${s}' is not a ${bits}-bit hex number`, line);
  return Number(BigInt('0x' + s));
}

/** `C0A80003` → 192.168.0.3; `2001:0db8:...` (full %pI6 form) → 2001:db8::3. */
function procAddress(s: string, what: string, line: number): string {
  if (s.length === 8 && HEX.test(s)) {
    const v = parseInt(s, 16);
    return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
  }
  const n = s.includes(':') ? normaliseAddress(s) : undefined;
  if (n === undefined) throw new ParseError(what, `'${s}' is not an address`, line);
  return n;
}

/** `C0A80003:0050` or `[2001:0db8:...:0003]:0050`. */
function procAddrPort(s: string, what: string, line: number): { address: string; port: number } {
  const m = /^\[([^\]]+)\]:([0-9A-Fa-f]{4})$/.exec(s) ?? /^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})$/.exec(s);
  if (!m) throw new ParseError(what, `'${s}' is not ADDRESS:PORT`, line);
  const address = procAddress(m[1]!, what, line);
  if (m[0].startsWith('[') && !address.includes(':')) throw new ParseError(what, `'${s}': bracketed address is not IPv6`, line);
  return { address, port: parseInt(m[2]!, 16) };
}

const SIGNED = /^-?\d{1,15}$/;
const UNSIGNED = /^\d{1,15}$/;

function decimal(s: string, what: string, line: number, signed = false): number {
  if (!(signed ? SIGNED : UNSIGNED).test(s)) throw new ParseError(what, `'${s}' is not a number`, line);
  return Number(s);
}

const PROC_FWD: Record<string, IpvsForwarding> = { Route: 'route', Masq: 'masq', Tunnel: 'tunnel', Local: 'local' };
const PROC_PROTO: Record<string, IpvsProtocol> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp', FWM: 'fwm' };

const VERSION_LINE = /^IP Virtual Server version (\d+\.\d+\.\d+) \(size=(\d+)\)$/;

export function parseVersionLine(line: string | undefined, what: string): { version: string; connTableSize: number } {
  const m = VERSION_LINE.exec((line ?? '').trimEnd());
  if (!m) throw new ParseError(what, 'first line is not "IP Virtual Server version X.Y.Z (size=N)"', 1);
  return { version: m[1]!, connTableSize: Number(m[2]) };
}

const norm = (l: string | undefined) => (l ?? '').trim().split(/\s+/).join(' ');

/** v6 netmasks hold a prefix length that /proc prints through ntohl: 64 reads 40000000 on little-endian hosts. */
function procNetmask(hex: string, family: Family, line: number): string {
  const v = hexNumber(hex, 32, WHAT_IPVS, line);
  if (family === 'inet') return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
  const plen = v <= 128 ? v : (v & 0xffffff) === 0 && v >>> 24 <= 128 ? v >>> 24 : -1;
  if (plen < 0) throw new ParseError(WHAT_IPVS, `'${hex}' is not an IPv6 prefix length`, line);
  return String(plen);
}

/** Value of a hex digit (either case), -1 for anything else. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Index of the first non-space in text[p, end) (`end` if none). */
function skipSpaces(text: string, p: number, end: number): number {
  while (p < end && text.charCodeAt(p) === 32) p++;
  return p;
}

/** Index of the first space in text[p, end) (`end` if none). */
function fieldEnd(text: string, p: number, end: number): number {
  while (p < end && text.charCodeAt(p) !== 32) p++;
  return p;
}

/** A decimal field text[from, to) as decimal() accepts it (1 to 15 digits, '-' if signed), NaN otherwise. */
function decimalAt(text: string, from: number, to: number, signed: boolean): number {
  const neg = signed && text.charCodeAt(from) === 45; /* - */
  const i0 = neg ? from + 1 : from;
  if (to - i0 < 1 || to - i0 > 15) return NaN;
  let n = 0;
  for (let i = i0; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return neg ? -n : n;
}

function forwardingAt(text: string, from: number, to: number): IpvsForwarding | undefined {
  switch (to - from) {
    case 4:
      return text.startsWith('Masq', from) ? 'masq' : undefined;
    case 5:
      return text.startsWith('Route', from) ? 'route' : text.startsWith('Local', from) ? 'local' : undefined;
    case 6:
      return text.startsWith('Tunnel', from) ? 'tunnel' : undefined;
    default:
      return undefined;
  }
}

/**
 * The line text[from, to) if it is an IPv4 real server in the kernel's own layout
 * (`  -> %08X:%04X      %-7s %-6d %-10d %-10d`, spaces only), read in place, without
 * slicing or splitting: 20 000 such lines are most of a large table. Undefined for anything
 * else (IPv6, tabs, a malformed field): the general path then reads the line and gives the
 * same result or the same error. Pushes onto `keys` (if given) a number that orders real servers as
 * compareReals does (address, then port). Exported for its tests: the fast path must be the
 * one taken on the kernel's lines, not hidden behind the general one.
 */
export function fastRealServer(text: string, from: number, to: number, keys: number[] | undefined): IpvsRealServer | undefined {
  if (
    text.charCodeAt(from) !== 32 ||
    text.charCodeAt(from + 1) !== 32 ||
    text.charCodeAt(from + 2) !== 45 /* - */ ||
    text.charCodeAt(from + 3) !== 62 /* > */ ||
    text.charCodeAt(from + 4) !== 32 ||
    text.charCodeAt(from + 13) !== 58 /* : */
  )
    return undefined;
  let v = 0;
  for (let i = from + 5; i < from + 13; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return undefined;
    v = v * 16 + d;
  }
  let port = 0;
  for (let i = from + 14; i < from + 18; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return undefined;
    port = port * 16 + d;
  }
  // Four fields, each after at least one space: forwarding, weight, active, inactive (a
  // missing number is an empty field: NaN). A line shorter than its header ends in it.
  let p = from + 18;
  let b = skipSpaces(text, p, to);
  if (b === p) return undefined;
  p = fieldEnd(text, b, to);
  const forwarding = forwardingAt(text, b, p);
  if (!forwarding) return undefined;
  b = skipSpaces(text, p, to);
  p = fieldEnd(text, b, to);
  const weight = decimalAt(text, b, p, false);
  b = skipSpaces(text, p, to);
  p = fieldEnd(text, b, to);
  const activeConns = decimalAt(text, b, p, true);
  b = skipSpaces(text, p, to);
  p = fieldEnd(text, b, to);
  const inactiveConns = decimalAt(text, b, p, true);
  if (Number.isNaN(weight) || Number.isNaN(activeConns) || Number.isNaN(inactiveConns) || skipSpaces(text, p, to) !== to) return undefined;
  keys?.push(v * 65536 + port);
  return { address: `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`, port, forwarding, weight, activeConns, inactiveConns };
}

/** Parses /proc/net/ip_vs (readable without root). Persistence stays in jiffies: see persistentJiffies. */
export function parseProcIpvs(text: string): IpvsTable {
  // Lines are found in place (a large table has 20 000+): the same lines as text.split('\n').
  const lineEnd = (p: number) => {
    const e = text.indexOf('\n', p);
    return e < 0 ? text.length : e;
  };
  const e0 = lineEnd(0);
  const e1 = lineEnd(e0 + 1);
  const e2 = lineEnd(e1 + 1);
  const head = parseVersionLine(text.slice(0, e0), WHAT_IPVS);
  if (norm(text.slice(e0 + 1, e1)) !== 'Prot LocalAddress:Port Scheduler Flags' || norm(text.slice(e1 + 1, e2)) !== '-> RemoteAddress:Port Forward Weight ActiveConn InActConn')
    throw new ParseError(WHAT_IPVS, 'unexpected column titles', 2);
  const services: IpvsService[] = [];
  // Sort keys of each service's real servers while all came through fastRealServer.
  const keys = new Map<IpvsService, number[] | undefined>();
  let current: IpvsService | undefined;
  let currentKeys: number[] | undefined;
  for (let start = e2 + 1, n = 4; start <= text.length; n++) {
    const end = lineEnd(start);
    const from = start;
    start = end + 1;
    if (current) {
      const fast = fastRealServer(text, from, end, currentKeys);
      if (fast) {
        current.realServers.push(fast);
        procIpvsFastPaths.realServers++;
        continue;
      }
    }
    const raw = text.slice(from, end);
    // currentKeys is set only with a service (current), never before the first one.
    if (currentKeys && raw.startsWith('  -> ')) keys.set(current!, (currentKeys = undefined));
    if (raw.trim() === '') {
      if (text.slice(from).trim() === '') break;
      throw new ParseError(WHAT_IPVS, 'blank line inside the table', n);
    }
    const tok = raw.trim().split(/\s+/);
    if (raw.startsWith('  -> ')) {
      if (!current) throw new ParseError(WHAT_IPVS, 'real server before any service', n);
      if (tok.length !== 6) throw new ParseError(WHAT_IPVS, `real server line has ${tok.length - 1} fields, expected 5`, n);
      const ap = procAddrPort(tok[1]!, WHAT_IPVS, n);
      const forwarding = PROC_FWD[tok[2]!];
      if (!forwarding) throw new ParseError(WHAT_IPVS, `unknown forwarding method '${tok[2]}'`, n);
      current.realServers.push({
        address: ap.address,
        port: ap.port,
        forwarding,
        weight: decimal(tok[3]!, WHAT_IPVS, n),
        activeConns: decimal(tok[4]!, WHAT_IPVS, n, true),
        inactiveConns: decimal(tok[5]!, WHAT_IPVS, n, true),
      });
      continue;
    }
    if (/^\s/.test(raw)) throw new ParseError(WHAT_IPVS, 'indented line is not a real server', n);
    const protocol = PROC_PROTO[tok[0]!];
    if (!protocol) throw new ParseError(WHAT_IPVS, `unknown protocol '${tok[0]}'`, n);
    if (tok.length < 3) throw new ParseError(WHAT_IPVS, 'service line too short', n);
    const svc: IpvsService = { protocol, family: 'inet', scheduler: tok[2]!, persistent: false, realServers: [] };
    if (!/^[a-z][a-z0-9_-]*$/.test(svc.scheduler)) throw new ParseError(WHAT_IPVS, `'${svc.scheduler}' is not a scheduler name`, n);
    if (protocol === 'fwm') {
      if (!/^[0-9A-Fa-f]{8}$/.test(tok[1]!)) throw new ParseError(WHAT_IPVS, `'${tok[1]}' is not a hex firewall mark`, n);
      svc.fwmark = parseInt(tok[1]!, 16);
    } else {
      const ap = procAddrPort(tok[1]!, WHAT_IPVS, n);
      svc.address = ap.address;
      svc.port = ap.port;
      svc.family = addressFamily(ap.address);
    }
    let rest = tok.slice(3);
    // The kernel prints `ops` for IPv4 and fwmark services only, never for IPv6 ones.
    if (svc.family === 'inet') svc.onePacket = false;
    if (rest[0] === 'ops') {
      if (svc.family !== 'inet') throw new ParseError(WHAT_IPVS, "'ops' on an IPv6 service line", n);
      svc.onePacket = true;
      rest = rest.slice(1);
    }
    if (rest.length > 0) {
      if (rest[0] !== 'persistent' || rest.length !== 3) throw new ParseError(WHAT_IPVS, `unexpected flags '${rest.join(' ')}'`, n);
      svc.persistent = true;
      svc.persistentJiffies = decimal(rest[1]!, WHAT_IPVS, n);
      svc.persistenceNetmask = rest[2]!; // decoded once the family is known (fwmark: from reals)
    }
    services.push(svc);
    current = svc;
    currentKeys = [];
    keys.set(svc, currentKeys);
  }
  for (const s of services) {
    if (s.protocol === 'fwm') {
      // /proc does not say whether a fwmark service is IPv6; its real servers do.
      if (s.realServers.some((r) => r.address.includes(':'))) s.family = 'inet6';
    }
    if (s.persistent) s.persistenceNetmask = procNetmask(s.persistenceNetmask!, s.family, 0);
  }
  return sortTableWith({ ...head, services }, (s) => keys.get(s));
}

// ----------------------------------------------------------------- /proc/net/ip_vs_stats

const WHAT_STATS = '/proc/net/ip_vs_stats';

/** Parses /proc/net/ip_vs_stats: namespace-wide totals, all values in HEX. */
export function parseProcIpvsStats(text: string): IpvsTotals {
  const lines = text.split('\n');
  const titles = [
    'Total Incoming Outgoing Incoming Outgoing',
    'Conns Packets Packets Bytes Bytes',
    null,
    '',
    'Conns/s Pkts/s Pkts/s Bytes/s Bytes/s',
  ];
  titles.forEach((t, i) => {
    if (t !== null && norm(lines[i]) !== t) throw new ParseError(WHAT_STATS, 'unexpected layout', i + 1);
  });
  const row = (i: number) => {
    const tok = (lines[i] ?? '').trim().split(/\s+/);
    if (tok.length !== 5) throw new ParseError(WHAT_STATS, `expected 5 hex values`, i + 1);
    return tok.map((t) => hexNumber(t, 64, WHAT_STATS, i + 1));
  };
  const a = row(2);
  const r = row(5);
  if (lines.slice(6).some((l) => l.trim() !== '')) throw new ParseError(WHAT_STATS, 'trailing text', 7);
  return {
    stats: { conns: a[0]!, inPackets: a[1]!, outPackets: a[2]!, inBytes: a[3]!, outBytes: a[4]! },
    rates: { cps: r[0]!, inPps: r[1]!, outPps: r[2]!, inBps: r[3]!, outBps: r[4]! },
  };
}

// ----------------------------------------------------------------- /proc/net/ip_vs_conn(_sync)

export interface IpvsConnection {
  /** Lowercase kernel protocol name: tcp, udp, sctp, ah, esp, or ip for fwmark templates. */
  protocol: string;
  clientAddress: string;
  clientPort: number;
  /** For fwmark persistence templates the kernel stores the mark here, printed as an address. */
  virtualAddress: string;
  virtualPort: number;
  destAddress: string;
  destPort: number;
  /** ESTABLISHED, FIN_WAIT, UDP, ASSURED (persistence template), ... */
  state: string;
  expiresSeconds: number;
  /** Only in ip_vs_conn_sync: LOCAL (scheduled here) or SYNC (received from a master). */
  origin?: 'LOCAL' | 'SYNC';
  /** Persistence templates show client port 0. */
  template: boolean;
  peName?: string;
  peData?: string;
}

const CONN_TITLE = 'Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires PEName PEData';
const SYNC_TITLE = 'Pro FromIP FPrt ToIP TPrt DestIP DPrt State Origin Expires';

/** Parses /proc/net/ip_vs_conn or /proc/net/ip_vs_conn_sync (told apart by their titles). */
export function parseProcIpvsConn(text: string): IpvsConnection[] {
  const lines = text.split('\n');
  const title = norm(lines[0]);
  const sync = title === SYNC_TITLE;
  const what = sync ? '/proc/net/ip_vs_conn_sync' : '/proc/net/ip_vs_conn';
  if (!sync && title !== CONN_TITLE) throw new ParseError('/proc/net/ip_vs_conn', 'unexpected column titles', 1);
  const out: IpvsConnection[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    const n = i + 1;
    if (raw.trim() === '') {
      if (lines.slice(i).every((l) => l.trim() === '')) break;
      throw new ParseError(what, 'blank line', n);
    }
    const tok = raw.trim().split(/\s+/);
    if (sync ? tok.length !== 10 : tok.length !== 9 && tok.length < 11) throw new ParseError(what, `${tok.length} fields`, n);
    const protocol = tok[0]!;
    if (!/^[A-Z][A-Z0-9_]*$/.test(protocol)) throw new ParseError(what, `'${protocol}' is not a protocol name`, n);
    const port = (s: string) => {
      if (!/^[0-9A-Fa-f]{4}$/.test(s)) throw new ParseError(what, `'${s}' is not a hex port`, n);
      return parseInt(s, 16);
    };
    const state = tok[7]!;
    if (!/^[A-Z][A-Z0-9_]*$/.test(state)) throw new ParseError(what, `'${state}' is not a state`, n);
    const clientAddress = procAddress(tok[1]!, what, n);
    const clientPort = port(tok[2]!);
    const c: IpvsConnection = {
      protocol: protocol.toLowerCase(),
      clientAddress,
      clientPort,
      virtualAddress: procAddress(tok[3]!, what, n),
      virtualPort: port(tok[4]!),
      destAddress: procAddress(tok[5]!, what, n),
      destPort: port(tok[6]!),
      state,
      expiresSeconds: 0,
      template: clientPort === 0,
    };
    if (sync) {
      if (tok[8] !== 'LOCAL' && tok[8] !== 'SYNC') throw new ParseError(what, `origin '${tok[8]}' is neither LOCAL nor SYNC`, n);
      c.origin = tok[8];
      c.expiresSeconds = decimal(tok[9]!, what, n);
    } else {
      c.expiresSeconds = decimal(tok[8]!, what, n);
      if (tok.length > 9) {
        c.peName = tok[9];
        c.peData = tok.slice(10).join(' ');
      }
    }
    out.push(c);
  }
  return out;
}
