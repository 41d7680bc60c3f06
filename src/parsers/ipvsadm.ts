import { ParseError } from '../runtime/errors';
import {
  addressFamily,
  IpvsCounters,
  IpvsForwarding,
  IpvsProtocol,
  IpvsRates,
  IpvsService,
  IpvsTable,
  normaliseAddress,
  parseVersionLine,
  serviceKey,
  sortTable,
} from './procIpvs';

/*
 * ipvsadm 1.31 listings (test/fixtures/real/ipvs/): `-Ln` (optionally --exact,
 * --tun-info), `-Ln --stats` and `-Ln --rate`. Stats and rates come without weights, so
 * the probe runs `-Ln` for the table and merges the counters in (mergeCounters).
 * Rows end with trailing spaces; numbers of --stats/--rate above 1e8 are abbreviated
 * (136489K = floor(n/1000)) unless --exact.
 */

const WHAT = 'ipvsadm -Ln';

export interface CounterService {
  key: string;
  counters: number[];
  approximate: boolean;
  reals: { address: string; port: number; counters: number[]; approximate: boolean }[];
}

export type IpvsadmList =
  | { kind: 'table'; table: IpvsTable }
  | { kind: 'stats' | 'rate'; version?: string; connTableSize?: number; services: CounterService[] };

const norm = (l: string | undefined) => (l ?? '').trim().split(/\s+/).join(' ');

const TITLES: Record<string, { kind: 'table' | 'stats' | 'rate'; second: string; tunInfo?: boolean }> = {
  'Prot LocalAddress:Port Scheduler Flags': { kind: 'table', second: '-> RemoteAddress:Port Forward Weight ActiveConn InActConn' },
  'Prot LocalAddress:Port Conns InPkts OutPkts InBytes OutBytes': { kind: 'stats', second: '-> RemoteAddress:Port' },
  'Prot LocalAddress:Port CPS InPPS OutPPS InBPS OutBPS': { kind: 'rate', second: '-> RemoteAddress:Port' },
};

const PROTO: Record<string, IpvsProtocol> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp', FWM: 'fwm' };
const FWD: Record<string, IpvsForwarding> = { Route: 'route', Masq: 'masq', Tunnel: 'tunnel', Local: 'local' };

function addrPort(s: string | undefined, n: number): { address: string; port: number } {
  const t = s ?? '';
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(t) ?? /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(t);
  const address = m ? normaliseAddress(m[1]!) : undefined;
  if (!m || address === undefined || (m[0].startsWith('[') !== address.includes(':')))
    throw new ParseError(WHAT, `'${t}' is not a numeric ADDRESS:PORT (run ipvsadm with -n)`, n);
  const port = Number(m[2]);
  if (port > 65535) throw new ParseError(WHAT, `port ${port} out of range`, n);
  return { address, port };
}

function int(s: string | undefined, n: number, signed = false): number {
  const t = s ?? '';
  if (!(signed ? /^-?\d{1,15}$/ : /^\d{1,15}$/).test(t)) throw new ParseError(WHAT, `'${t}' is not a number`, n);
  return Number(t);
}

const UNIT: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** print_largenum: `136489K` → 136489000 (a lower bound, approximate). */
function largeNum(s: string, n: number): { value: number; approximate: boolean } {
  const m = /^(\d{1,20})([KMGT]?)$/.exec(s);
  if (!m) throw new ParseError(WHAT, `'${s}' is not a counter`, n);
  return { value: Number(m[1]) * UNIT[m[2]!]!, approximate: m[2] !== '' };
}

/** The service part of a line: `TCP  192.168.0.3:80`, `FWM  5`, `FWM  6 IPv6`. Returns the fields and the next token index. */
function serviceHead(tok: string[], n: number): { svc: Omit<IpvsService, 'scheduler' | 'persistent' | 'realServers'>; next: number } {
  const protocol = PROTO[tok[0]!];
  if (!protocol) throw new ParseError(WHAT, `unknown protocol '${tok[0]}'`, n);
  if (protocol === 'fwm') {
    const fwmark = int(tok[1], n);
    if (fwmark > 0xffffffff) throw new ParseError(WHAT, `firewall mark ${fwmark} out of range`, n);
    const v6 = tok[2] === 'IPv6';
    return { svc: { protocol, family: v6 ? 'inet6' : 'inet', fwmark }, next: v6 ? 3 : 2 };
  }
  const ap = addrPort(tok[1], n);
  return { svc: { protocol, family: addressFamily(ap.address), ...ap }, next: 2 };
}

/** Parses `ipvsadm -Ln` (also with --exact or --tun-info), `ipvsadm -Ln --stats` or `ipvsadm -Ln --rate`. */
export function parseIpvsadmList(text: string): IpvsadmList {
  let lines = text.split('\n');
  // `ipvsadm -Ln -t SERVICE` prints the titles without the version line.
  const noVersion = TITLES[norm(lines[0])] !== undefined;
  if (noVersion) lines = ['', ...lines];
  const head = noVersion ? {} : parseVersionLine(lines[0], WHAT);
  let title: (typeof TITLES)[string] | undefined = TITLES[norm(lines[1])];
  const second = norm(lines[2]);
  let tunInfo = false;
  if (title?.kind === 'table' && second === '-> RemoteAddress:Port Forward TunnelInfo Weight ActiveConn InActConn') tunInfo = true;
  else if (!title || second !== title.second) title = undefined;
  if (!title) throw new ParseError(WHAT, 'unexpected column titles (supported: -Ln, --stats, --rate, --exact, --tun-info)', 2);

  const services: IpvsService[] = [];
  const counted: CounterService[] = [];
  let current: IpvsService | undefined;
  let currentCounted: CounterService | undefined;
  for (let i = 3; i < lines.length; i++) {
    const raw = lines[i]!;
    const n = i + 1;
    if (raw.trim() === '') {
      if (lines.slice(i).every((l) => l.trim() === '')) break;
      throw new ParseError(WHAT, 'blank line inside the table', n);
    }
    const tok = raw.trim().split(/\s+/);
    const isReal = raw.startsWith('  -> ');
    if (!isReal && /^\s/.test(raw)) throw new ParseError(WHAT, 'indented line is not a real server', n);

    if (title.kind !== 'table') {
      // Counters: 5 numbers after the name.
      if (isReal) {
        if (!currentCounted) throw new ParseError(WHAT, 'real server before any service', n);
        if (tok.length !== 7) throw new ParseError(WHAT, `real server line has ${tok.length - 2} counters, expected 5`, n);
        const ap = addrPort(tok[1], n);
        const nums = tok.slice(2).map((t) => largeNum(t, n));
        currentCounted.reals.push({ ...ap, counters: nums.map((x) => x.value), approximate: nums.some((x) => x.approximate) });
      } else {
        const { svc, next } = serviceHead(tok, n);
        if (tok.length !== next + 5) throw new ParseError(WHAT, `service line has ${tok.length - next} counters, expected 5`, n);
        const nums = tok.slice(next).map((t) => largeNum(t, n));
        currentCounted = { key: serviceKey(svc), counters: nums.map((x) => x.value), approximate: nums.some((x) => x.approximate), reals: [] };
        counted.push(currentCounted);
      }
      continue;
    }

    if (isReal) {
      if (!current) throw new ParseError(WHAT, 'real server before any service', n);
      const want = tunInfo ? 7 : 6;
      if (tok.length !== want) throw new ParseError(WHAT, `real server line has ${tok.length - 1} fields, expected ${want - 1}`, n);
      const ap = addrPort(tok[1], n);
      const forwarding = FWD[tok[2]!];
      if (!forwarding) throw new ParseError(WHAT, `unknown forwarding method '${tok[2]}'`, n);
      const o = tunInfo ? 1 : 0;
      current.realServers.push({
        ...ap,
        forwarding,
        weight: int(tok[3 + o], n),
        activeConns: int(tok[4 + o], n, true),
        inactiveConns: int(tok[5 + o], n, true),
      });
      continue;
    }
    const { svc: base, next } = serviceHead(tok, n);
    const scheduler = tok[next];
    if (scheduler === undefined || !/^[a-z][a-z0-9_-]*$/.test(scheduler)) throw new ParseError(WHAT, `'${scheduler ?? ''}' is not a scheduler name`, n);
    const svc: IpvsService = { ...base, scheduler, persistent: false, onePacket: false, realServers: [] };
    let k = next + 1;
    if (tok[k]?.startsWith('(')) {
      const m = /^\(([a-z0-9_,-]+)\)$/.exec(tok[k]!);
      if (!m) throw new ParseError(WHAT, `bad scheduler flags '${tok[k]}'`, n);
      svc.schedulerFlags = m[1]!.split(',');
      k++;
    }
    while (k < tok.length) {
      const word = tok[k]!;
      if (word === 'persistent' && !svc.persistent) {
        svc.persistent = true;
        svc.persistentSeconds = int(tok[k + 1], n);
        svc.persistenceNetmask = svc.family === 'inet' ? '255.255.255.255' : '128';
        k += 2;
      } else if (word === 'mask' && svc.persistent) {
        const m = tok[k + 1] ?? '';
        const ok = svc.family === 'inet' ? /^\d{1,3}(\.\d{1,3}){3}$/.test(m) && normaliseAddress(m) !== undefined : /^\d{1,3}$/.test(m) && Number(m) <= 128;
        if (!ok) throw new ParseError(WHAT, `bad persistence mask '${m}'`, n);
        svc.persistenceNetmask = svc.family === 'inet' ? normaliseAddress(m)! : String(Number(m));
        k += 2;
      } else if (word === 'pe' && tok[k + 1] !== undefined && /^[a-z0-9_-]+$/.test(tok[k + 1]!)) {
        svc.persistenceEngine = tok[k + 1];
        k += 2;
      } else if (word === 'ops') {
        svc.onePacket = true;
        k++;
      } else throw new ParseError(WHAT, `unexpected word '${word}' on a service line`, n);
    }
    services.push(svc);
    current = svc;
  }
  if (title.kind === 'table') return { kind: 'table', table: sortTable({ ...head, services }) };
  return { kind: title.kind, ...head, services: counted };
}

const counters = (v: number[], approximate: boolean): IpvsCounters => ({
  conns: v[0]!,
  inPackets: v[1]!,
  outPackets: v[2]!,
  inBytes: v[3]!,
  outBytes: v[4]!,
  ...(approximate ? { approximate } : {}),
});
const rates = (v: number[], approximate: boolean): IpvsRates => ({
  cps: v[0]!,
  inPps: v[1]!,
  outPps: v[2]!,
  inBps: v[3]!,
  outBps: v[4]!,
  ...(approximate ? { approximate } : {}),
});

/** Puts the counters of a --stats or --rate listing into the table of `-Ln` (matched by service and real server). */
export function mergeCounters(table: IpvsTable, list: IpvsadmList): IpvsTable {
  if (list.kind === 'table') return table;
  const byKey = new Map(list.services.map((s) => [s.key, s]));
  for (const s of table.services) {
    const c = byKey.get(serviceKey(s));
    if (!c) continue; // changed between the two runs
    if (list.kind === 'stats') s.stats = counters(c.counters, c.approximate);
    else s.rates = rates(c.counters, c.approximate);
    for (const r of s.realServers) {
      const rc = c.reals.find((x) => x.address === r.address && x.port === r.port);
      if (!rc) continue;
      if (list.kind === 'stats') r.stats = counters(rc.counters, rc.approximate);
      else r.rates = rates(rc.counters, rc.approximate);
    }
  }
  return table;
}

// ----------------------------------------------------------------- ipvsadm -L --daemon

export interface SyncDaemon {
  role: 'master' | 'backup';
  /** The multicast interface (`mcast=eth0`). */
  interface: string;
  syncid: number;
  /** Printed by ipvsadm ≥ 1.29 only. */
  maxlen?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

/**
 * Parses `ipvsadm -L --daemon`: nothing when no daemon runs, else one line per daemon,
 * `master sync daemon (mcast=eth0, syncid=1, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)`
 * (1.31) or `master sync daemon (mcast=eth0, syncid=1)` (older).
 */
export function parseIpvsadmDaemon(text: string): SyncDaemon[] {
  const what = 'ipvsadm -L --daemon';
  const out: SyncDaemon[] = [];
  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === '') return;
    const m = /^(master|backup) sync daemon \((.*)\)$/.exec(line);
    if (!m) throw new ParseError(what, `unexpected line '${line.slice(0, 60)}'`, n);
    const kv = new Map<string, string>();
    for (const part of m[2]!.split(', ')) {
      const p = /^([a-z]+)=([^\s,()=]+)$/.exec(part);
      if (!p || kv.has(p[1]!)) throw new ParseError(what, `bad field '${part}'`, n);
      kv.set(p[1]!, p[2]!);
    }
    const num = (k: string, max: number) => {
      const v = kv.get(k);
      if (v === undefined) return undefined;
      if (!/^\d{1,10}$/.test(v) || Number(v) > max) throw new ParseError(what, `${k}=${v} is not a number`, n);
      return Number(v);
    };
    const iface = kv.get('mcast');
    const syncid = num('syncid', 255);
    if (iface === undefined || syncid === undefined) throw new ParseError(what, 'mcast= and syncid= are required', n);
    const d: SyncDaemon = { role: m[1] as 'master' | 'backup', interface: iface, syncid };
    const maxlen = num('maxlen', 65535);
    const port = num('port', 65535);
    const ttl = num('ttl', 255);
    if (maxlen !== undefined) d.maxlen = maxlen;
    if (kv.has('group')) {
      const g = normaliseAddress(kv.get('group')!);
      if (g === undefined) throw new ParseError(what, `group=${kv.get('group')} is not an address`, n);
      d.group = g;
    }
    if (port !== undefined) d.port = port;
    if (ttl !== undefined) d.ttl = ttl;
    out.push(d);
  });
  return out;
}
