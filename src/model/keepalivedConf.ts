/**
 * A reader for keepalived.conf (keepalived 2.2 syntax): one director's file, with its
 * `include`s, into the deployment model (`ha: keepalived`). Pure: the files come in through a
 * `ConfFiles` (load.ts reads the disk; tests hand in texts), nothing else is touched.
 *
 * What is read: global_defs (router_id, lvs_sync_daemon), vrrp_instance blocks (state,
 * interface, virtual_router_id, priority, advert_int, nopreempt, unicast_src_ip/unicast_peer,
 * virtual_ipaddress[_excluded], track_script) and virtual_server blocks (address port or
 * fwmark, lb_algo, lb_kind, protocol, persistence, sorry_server, inhibit_on_failure,
 * real_server with weight, lvs_method and its checker). Everything else is skipped, as
 * keepalived skips what another build does not know. Malformed input throws ParseError naming
 * the file and the line; an include that cannot be followed throws UsageError.
 */
import { isIP } from 'node:net';
import { posix } from 'node:path';
import { ParseError, UsageError } from '../runtime/errors';
import { OTHER_PRIORITY, PREFERRED_PRIORITY } from './ha';
import { parseEtcHosts } from './native';
import { Deployment, Director, Forwarding, KeepalivedConfig, Protocol, RealServer, VipConfig, VirtualService } from './types';

/** Where the reader gets files: absolute paths in, text out; `glob` lists the matches of a pattern, sorted. */
export interface ConfFiles {
  read(path: string): string;
  glob(pattern: string): string[];
}

/** keepalived follows includes this deep (the main file is depth 0). */
export const MAX_INCLUDE_DEPTH = 8;
/** All files of one configuration together (each file is bounded by readConfigFile too). */
export const MAX_TOTAL_BYTES = 1024 * 1024;
/** Files one configuration may pull in. */
export const MAX_FILES = 256;
const MAX_BLOCK_DEPTH = 32;

interface Line {
  tokens: string[];
  file: string;
  line: number;
  /** The comment on the line just above (the generator names services there: `# www`). */
  comment?: string;
}

/** One statement: `key args... [{ block }]`. */
export interface Stmt {
  key: string;
  args: string[];
  block?: Stmt[];
  file: string;
  line: number;
  comment?: string;
}

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) || '/' : '.');
const joinPath = (dir: string, p: string) => posix.normalize(p.startsWith('/') ? p : `${dir.replace(/\/+$/, '')}/${p}`);

/** Tokens of one line: quotes kept together, `{` `}` on their own, `#`/`!` at a word start begins a comment. */
function tokenize(raw: string, file: string, no: number): { tokens: string[]; comment?: string } {
  const tokens: string[] = [];
  const n = raw.length;
  let i = 0;
  while (i < n) {
    const c = raw.charCodeAt(i);
    // space, tab, CR, VT, FF
    if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
      i++;
      continue;
    }
    if (c === 35 || c === 33) return { tokens, comment: raw.slice(i + 1).trim() }; // # !
    if (c === 123 || c === 125) {
      tokens.push(c === 123 ? '{' : '}');
      i++;
      continue;
    }
    // a word: runs of plain characters and quoted parts, up to a space or a brace
    let word = '';
    let from = i;
    while (i < n) {
      const d = raw.charCodeAt(i);
      if (d === 32 || d === 9 || d === 13 || d === 11 || d === 12 || d === 123 || d === 125) break;
      if (d === 34) {
        const close = raw.indexOf('"', i + 1);
        if (close < 0) throw new ParseError(file, 'a quoted string is not closed', no);
        word += raw.slice(from, i) + raw.slice(i + 1, close);
        i = close + 1;
        from = i;
        continue;
      }
      i++;
    }
    tokens.push(word + raw.slice(from, i));
  }
  return { tokens };
}

interface Expand {
  files: ConfFiles;
  total: number;
  count: number;
  vars: Map<string, string>;
  configId?: string;
}

/** The file's lines with includes expanded in place (keepalived reads an include as if inline). */
function expand(path: string, depth: number, x: Expand, out: Line[]): void {
  if (++x.count > MAX_FILES) throw new UsageError(`${path}: more than ${MAX_FILES} keepalived configuration files (include loop?)`);
  const text = x.files.read(path);
  x.total += Buffer.byteLength(text);
  if (x.total > MAX_TOTAL_BYTES) throw new UsageError(`${path}: the keepalived configuration with its includes exceeds ${MAX_TOTAL_BYTES / 1024 / 1024} MiB`);
  const raw = text.split('\n');
  let lastComment: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const no = i + 1;
    let s = raw[i]!;
    // a backslash at the end continues the line
    while (/\\\s*$/.test(s) && i + 1 < raw.length) s = s.replace(/\\\s*$/, ' ') + raw[++i]!;
    // @ID / @^ID: the line applies only on (or everywhere but) the host with that config_id
    const cond = /^\s*@(\^?)([^\s]+)\s+(.*)$/.exec(s);
    if (cond) {
      const match = cond[2] === x.configId;
      if ((cond[1] === '^') === match) continue;
      s = cond[3]!;
    }
    const def = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(s);
    if (def) {
      x.vars.set(def[1]!, def[2]!);
      continue;
    }
    if (s.includes('$')) s = s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, a?: string, b?: string) => x.vars.get((a ?? b)!) ?? m);
    const { tokens, comment } = tokenize(s, path, no);
    if (tokens.length === 0) {
      lastComment = comment !== undefined && comment !== '' ? comment : undefined;
      continue;
    }
    if (tokens[0] === 'include') {
      if (tokens.length !== 2) throw new ParseError(path, `include needs one file or pattern: '${tokens.join(' ')}'`, no);
      if (depth + 1 > MAX_INCLUDE_DEPTH) throw new UsageError(`${path}:${no}: includes nested deeper than ${MAX_INCLUDE_DEPTH} (an include loop?)`);
      const pattern = joinPath(dirOf(path), tokens[1]!);
      const matches = /[*?[]/.test(pattern) ? x.files.glob(pattern) : [pattern];
      for (const m of matches) expand(m, depth + 1, x, out);
      lastComment = undefined;
      continue;
    }
    out.push({ tokens, file: path, line: no, comment: lastComment });
    lastComment = undefined;
  }
}

/** Statements as a tree of blocks. */
function tree(lines: Line[], main: string): Stmt[] {
  const root: Stmt[] = [];
  const stack: { list: Stmt[]; opener?: Stmt }[] = [{ list: root }];
  for (const l of lines) {
    let pending: string[] = [];
    const flush = () => {
      if (pending.length === 0) return undefined;
      const s: Stmt = { key: pending[0]!, args: pending.slice(1), file: l.file, line: l.line, comment: l.comment };
      stack[stack.length - 1]!.list.push(s);
      pending = [];
      return s;
    };
    for (const t of l.tokens) {
      if (t === '{') {
        const top = stack[stack.length - 1]!.list;
        // `virtual_ipaddress` then `{` on the next line: the brace opens the previous statement
        const s = flush() ?? (top.length && top[top.length - 1]!.block === undefined ? top[top.length - 1] : undefined);
        if (!s) throw new ParseError(l.file, "'{' opens no block (no keyword before it)", l.line);
        if (stack.length > MAX_BLOCK_DEPTH) throw new ParseError(l.file, `blocks nested deeper than ${MAX_BLOCK_DEPTH}`, l.line);
        s.block = [];
        stack.push({ list: s.block, opener: s });
      } else if (t === '}') {
        flush();
        if (stack.length === 1) throw new ParseError(l.file, "'}' closes no block", l.line);
        stack.pop();
      } else pending.push(t);
    }
    flush();
  }
  if (stack.length > 1) {
    const o = stack[stack.length - 1]!.opener!;
    throw new ParseError(o.file, `block '${o.key}' is not closed (end of ${main})`, o.line);
  }
  return root;
}

/**
 * keepalived.conf and its includes as statements. `main` is the main file's path (includes are
 * relative to the file that names them); `configId` selects `@ID` lines (keepalived's
 * config_id, by default the host name).
 */
export function readKeepalivedStatements(main: string, files: ConfFiles, o: { configId?: string } = {}): Stmt[] {
  const lines: Line[] = [];
  expand(main, 0, { files, total: 0, count: 0, vars: new Map(), configId: o.configId }, lines);
  return tree(lines, main);
}

export interface VrrpVip {
  address: string;
  prefix: number;
  dev?: string;
  label?: string;
}

export interface VrrpInstanceConf {
  name: string;
  state?: 'MASTER' | 'BACKUP';
  interface?: string;
  vrid: number;
  /** keepalived's default: 100. */
  priority: number;
  /** Seconds; keepalived's default 1. */
  advertInt: number;
  nopreempt: boolean;
  unicastSrcIp?: string;
  unicastPeers: string[];
  vips: VrrpVip[];
  trackScripts: string[];
  file: string;
  line: number;
}

export interface KeepalivedConf {
  routerId?: string;
  /** global_defs lvs_sync_daemon IFACE INSTANCE [id N]. */
  syncDaemon?: { interface: string; instance: string; syncid?: number };
  instances: VrrpInstanceConf[];
  services: VirtualService[];
  /** What the model cannot hold and was skipped (virtual_server group...), one line each. */
  skipped: string[];
}

const int = (s: Stmt, v: string | undefined, what: string, min: number, max: number): number => {
  if (v === undefined || !/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) throw new ParseError(s.file, `${what} '${v ?? ''}' is not a number from ${min} to ${max}`, s.line);
  return Number(v);
};
const ip = (s: Stmt, v: string | undefined, what: string): string => {
  if (v === undefined || isIP(v) === 0) throw new ParseError(s.file, `${what} '${v ?? ''}' is not an IP address`, s.line);
  return v;
};
const first = (b: Stmt[] | undefined, key: string) => b?.find((x) => x.key === key);

function vrrpInstance(s: Stmt): VrrpInstanceConf {
  const name = s.args[0];
  if (!name) throw new ParseError(s.file, 'vrrp_instance has no name', s.line);
  const b = s.block ?? [];
  const vr = first(b, 'virtual_router_id');
  if (!vr) throw new ParseError(s.file, `vrrp_instance ${name} has no virtual_router_id`, s.line);
  const st = first(b, 'state')?.args[0]?.toUpperCase();
  if (st !== undefined && st !== 'MASTER' && st !== 'BACKUP') throw new ParseError(first(b, 'state')!.file, `state '${st}' is not MASTER or BACKUP`, first(b, 'state')!.line);
  const pr = first(b, 'priority');
  const ad = first(b, 'advert_int');
  let advertInt = 1;
  if (ad) {
    const v = ad.args[0] ?? '';
    if (!/^\d{1,3}(\.\d{1,6})?$/.test(v) || !(Number(v) > 0) || Number(v) > 255) throw new ParseError(ad.file, `advert_int '${v}' is not a number of seconds (at most 255)`, ad.line);
    advertInt = Number(v);
  }
  const src = first(b, 'unicast_src_ip');
  const vips: VrrpVip[] = [];
  for (const blockName of ['virtual_ipaddress', 'virtual_ipaddress_excluded'])
    for (const v of first(b, blockName)?.block ?? []) {
      const [addr, pfx] = v.key.split('/');
      const fam = isIP(addr ?? '');
      if (fam === 0) throw new ParseError(v.file, `${blockName}: '${v.key}' is not an address[/prefix]`, v.line);
      const max = fam === 6 ? 128 : 32;
      const prefix = pfx === undefined ? max : int(v, pfx, `${blockName} ${v.key}: prefix`, 0, max);
      const opt = (k: string) => {
        const i = v.args.indexOf(k);
        return i >= 0 ? v.args[i + 1] : undefined;
      };
      vips.push({ address: addr!, prefix, dev: opt('dev'), label: opt('label') });
    }
  return {
    name,
    state: st,
    interface: first(b, 'interface')?.args[0],
    vrid: int(vr, vr.args[0], 'virtual_router_id', 1, 255),
    priority: pr ? int(pr, pr.args[0], 'priority', 1, 255) : 100,
    advertInt,
    nopreempt: b.some((x) => x.key === 'nopreempt'),
    unicastSrcIp: src ? ip(src, src.args[0], 'unicast_src_ip') : undefined,
    unicastPeers: (first(b, 'unicast_peer')?.block ?? []).map((p) => ip(p, p.key, 'unicast_peer')),
    vips,
    trackScripts: (first(b, 'track_script')?.block ?? []).map((t) => t.key),
    file: s.file,
    line: s.line,
  };
}

const LB_KIND: Record<string, Forwarding> = { DR: 'gate', NAT: 'masq', TUN: 'ipip' };
/** keepalived's checkers in ldirectord's checktype words. */
const CHECKTYPE: Record<string, string> = {
  TCP_CHECK: 'connect',
  UDP_CHECK: 'connect',
  HTTP_GET: 'negotiate',
  SSL_GET: 'negotiate',
  SMTP_CHECK: 'negotiate',
  DNS_CHECK: 'negotiate',
  PING_CHECK: 'ping',
  MISC_CHECK: 'external',
  BFD_CHECK: 'external',
};

function forwarding(s: Stmt, v: string | undefined): Forwarding {
  const f = LB_KIND[(v ?? '').toUpperCase()];
  if (!f) throw new ParseError(s.file, `${s.key} '${v ?? ''}' is not DR, NAT or TUN`, s.line);
  return f;
}

/** A plain service name from the comment above the block (`# www`), else one made from the address. */
function serviceName(s: Stmt, fallback: string, taken: Set<string>): string {
  const c = s.comment;
  let n = c && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(c) ? c : fallback.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  for (let i = 2; taken.has(n); i++) n = `${n.slice(0, 60)}-${i}`;
  taken.add(n);
  return n;
}

function virtualServer(s: Stmt, taken: Set<string>): VirtualService | string {
  const b = s.block ?? [];
  const get = (k: string, ...alias: string[]) => b.find((x) => x.key === k || alias.includes(x.key));
  let protocol: Protocol;
  let address: string | undefined;
  let port: number | undefined;
  let fwmark: number | undefined;
  if (s.args[0] === 'group') return `virtual_server group ${s.args[1] ?? ''} (${s.file}:${s.line}): groups are not read`;
  if (s.args[0] === 'fwmark') {
    protocol = 'fwm';
    fwmark = int(s, s.args[1], 'virtual_server fwmark', 1, 4294967295);
  } else {
    address = ip(s, s.args[0], 'virtual_server address');
    port = int(s, s.args[1], `virtual_server ${address} port`, 0, 65535);
    const p = get('protocol');
    const v = (p?.args[0] ?? 'TCP').toUpperCase();
    if (!['TCP', 'UDP', 'SCTP'].includes(v)) throw new ParseError(p!.file, `protocol '${p!.args[0]}' is not TCP, UDP or SCTP`, p!.line);
    protocol = v.toLowerCase() as Protocol;
  }
  const kind = get('lb_kind', 'lvs_method');
  const fw = kind ? forwarding(kind, kind.args[0]) : 'masq'; // keepalived's default lb_kind is NAT
  const algo = get('lb_algo', 'lvs_sched');
  const pt = get('persistence_timeout');
  const pg = get('persistence_granularity');
  const sorry = get('sorry_server');
  const vsInhibit = b.some((x) => x.key === 'inhibit_on_failure');
  let checktype: string | undefined;
  let anyInhibit = vsInhibit;
  const realServers: RealServer[] = b
    .filter((x) => x.key === 'real_server')
    .map((r) => {
      const rb = r.block ?? [];
      const a = ip(r, r.args[0], 'real_server address');
      const checker = rb.find((x) => x.block !== undefined && /^[A-Z_]+_(CHECK|GET)$/.test(x.key));
      checktype ??= checker ? (CHECKTYPE[checker.key] ?? 'connect') : 'off';
      const cport = first(checker?.block, 'connect_port');
      const rp = r.args[1] !== undefined ? int(r, r.args[1], `real_server ${a} port`, 1, 65535) : cport ? int(cport, cport.args[0], 'connect_port', 1, 65535) : (port ?? 0);
      const w = first(rb, 'weight');
      const m = first(rb, 'lvs_method');
      if (rb.some((x) => x.key === 'inhibit_on_failure')) anyInhibit = true;
      return { address: a, port: rp, weight: w ? int(w, w.args[0], `real_server ${a} weight`, 0, 65535) : 1, forwarding: m ? forwarding(m, m.args[0]) : fw };
    });
  const head = protocol === 'fwm' ? `fwm-${fwmark}` : `${protocol}-${address}-${port}`;
  return {
    name: serviceName(s, head, taken),
    protocol,
    ...(address !== undefined && { address, port }),
    ...(fwmark !== undefined && { fwmark }),
    scheduler: (algo?.args[0] ?? 'wlc').toLowerCase(),
    // `persistence_timeout` alone: keepalived's 6 minutes
    ...(pt && { persistent: pt.args[0] === undefined ? 360 : int(pt, pt.args[0], 'persistence_timeout', 1, 2678400) }),
    ...(pg && pg.args[0] !== undefined && { persistentNetmask: pg.args[0] }),
    realServers,
    ...(sorry && { fallback: { address: ip(sorry, sorry.args[0], 'sorry_server address'), port: int(sorry, sorry.args[1], 'sorry_server port', 1, 65535) } }),
    quiescent: anyInhibit,
    checktype: checktype ?? 'off',
  };
}

/** The parts of keepalived.conf the model uses. */
export function parseKeepalivedConf(main: string, files: ConfFiles, o: { configId?: string } = {}): KeepalivedConf {
  const stmts = readKeepalivedStatements(main, files, o);
  const conf: KeepalivedConf = { instances: [], services: [], skipped: [] };
  const taken = new Set<string>();
  for (const s of stmts) {
    if (s.key === 'global_defs') {
      const b = s.block ?? [];
      conf.routerId = first(b, 'router_id')?.args[0] ?? conf.routerId;
      const sd = first(b, 'lvs_sync_daemon');
      if (sd) {
        const [iface, inst, ...rest] = sd.args;
        if (!iface || !inst) throw new ParseError(sd.file, 'lvs_sync_daemon needs an interface and a vrrp_instance', sd.line);
        const i = rest.indexOf('id');
        conf.syncDaemon = { interface: iface, instance: inst, ...(i >= 0 && { syncid: int(sd, rest[i + 1], 'lvs_sync_daemon id', 0, 255) }) };
      }
    } else if (s.key === 'vrrp_instance') conf.instances.push(vrrpInstance(s));
    else if (s.key === 'virtual_server') {
      const v = virtualServer(s, taken);
      if (typeof v === 'string') conf.skipped.push(v);
      else conf.services.push(v);
    }
  }
  return conf;
}

/** Files held in memory (tests, fuzzing): `glob` matches `*`, `?` and `[...]` within one path segment. */
export function memoryFiles(texts: Record<string, string>): ConfFiles {
  return {
    read(path) {
      const t = texts[path];
      if (t === undefined) throw new UsageError(`keepalived include ${path} does not exist`);
      return t;
    },
    glob(pattern) {
      const re = globRegExp(pattern);
      return Object.keys(texts)
        .filter((k) => re.test(k))
        .sort();
    },
  };
}

/** glob(3) without braces: `*` and `?` stay within a segment, `[...]` is a class. */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    throw new UsageError(`keepalived include pattern '${pattern}' is not a valid pattern`);
  }
}

export interface KeepalivedDeploymentOptions {
  /** Deployment name (default: the router_id, else `keepalived`). */
  name?: string;
  /** The peer director's keepalived.conf, parsed, when it is at hand: its name and priority. */
  peer?: KeepalivedConf;
  /** /etc/hosts text: names for the peer's address (and the local one's, by router_id). */
  hosts?: string;
  /** This director's name when keepalived.conf has no router_id (uname -n). */
  localNode?: string;
  /**
   * Without unicast_src_ip (multicast VRRP) keepalived speaks from the interface's address:
   * the caller may give it for a director it knows to be this machine.
   */
  localAddress?: (director: string, iface: string) => string | undefined;
}

/** A usable director name for an address: letters, digits, . _ - (IPv6 colons become -). */
const nameOfAddress = (a: string) => a.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'peer';

/**
 * One director's keepalived.conf as a deployment (ha: keepalived). The VRRP instance is the
 * one lvs_sync_daemon names, else the first with VIPs. The local director is router_id; the
 * peers are unicast_peer's addresses, named from /etc/hosts or the peer's own file when given,
 * else by address. A peer's priority that only its own file knows is taken as the generator's
 * convention: 100 under a preferred local director, 150 over a backup (both bounded to 1-254).
 */
export function deploymentFromKeepalived(conf: KeepalivedConf, main: string, o: KeepalivedDeploymentOptions = {}): Deployment {
  const inst =
    conf.instances.find((i) => i.name === conf.syncDaemon?.instance) ?? conf.instances.find((i) => i.vips.length > 0) ?? conf.instances[0];
  if (!inst) throw new ParseError(main, 'no vrrp_instance: keepalived moves no VIP here');
  const hosts = parseEtcHosts(o.hosts ?? '');
  const nameFor = (addr: string) => [...hosts.entries()].find(([n, a]) => a === addr && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n))?.[0];
  const iface = inst.interface ?? 'eth0';
  const localName = conf.routerId ?? o.localNode ?? (inst.unicastSrcIp ? nameFor(inst.unicastSrcIp) : undefined) ?? 'local';
  // /etc/hosts' name of this host is often a loopback alias (Debian's 127.0.1.1): not a director's address
  const hostsAddr = hosts.get(localName);
  const fromHosts = hostsAddr && !/^127\.|^::1$/.test(hostsAddr) ? hostsAddr : undefined;
  const me: Director = { name: localName, address: inst.unicastSrcIp ?? fromHosts ?? o.localAddress?.(localName, iface) ?? '', interface: iface };
  const peerInst = o.peer?.instances.find((i) => i.vrid === inst.vrid) ?? o.peer?.instances.find((i) => i.name === inst.name);
  const peers: Director[] = inst.unicastPeers.map((a) => {
    const fromPeer = peerInst?.unicastSrcIp === a ? o.peer?.routerId : undefined;
    return { name: fromPeer ?? nameFor(a) ?? nameOfAddress(a), address: a, interface: peerInst?.interface ?? iface };
  });
  const localPreferred = inst.state === 'MASTER' || inst.priority >= PREFERRED_PRIORITY;
  const priorities: Record<string, number> = { [me.name]: Math.min(254, inst.priority) };
  for (const p of peers) {
    const known = p.name === o.peer?.routerId && peerInst ? peerInst.priority : undefined;
    priorities[p.name] = Math.min(254, known ?? (localPreferred ? Math.max(1, Math.min(OTHER_PRIORITY, inst.priority - 1)) : Math.min(254, Math.max(PREFERRED_PRIORITY, inst.priority + 1))));
  }
  const top = Object.entries(priorities).sort((a, b) => b[1] - a[1])[0]![0];
  const keepalived: KeepalivedConfig = { instance: inst.name, vrid: inst.vrid, advertInt: inst.advertInt, priorities, nopreempt: inst.nopreempt };
  const vipList: VipConfig[] = conf.instances.flatMap((i) => i.vips).map((v) => ({ address: v.address, prefix: v.prefix, ...(v.label && { label: v.label }) }));
  const seen = new Set<string>();
  const vips = vipList.filter((v) => !seen.has(v.address) && seen.add(v.address));
  const adv = inst.advertInt;
  // keepalived's master down interval is 3 adverts plus a skew under one advert
  const deadtime = Math.ceil(3 * adv + 1);
  const fb = conf.services.find((s) => s.fallback)?.fallback;
  return {
    name: o.name ?? conf.routerId ?? 'keepalived',
    ha: 'keepalived',
    keepalived,
    directors: [me, ...peers],
    vips,
    services: conf.services,
    realHosts: [],
    heartbeat: {
      keepalive: adv,
      warntime: 2 * adv,
      deadtime,
      initdead: 2 * deadtime,
      udpport: 694,
      autoFailback: !inst.nopreempt,
      preferred: localPreferred ? me.name : top,
      media: inst.unicastPeers.length ? 'ucast' : 'mcast',
      auth: 'sha1',
      pingNodes: [],
    },
    sync: { syncid: conf.syncDaemon?.syncid ?? 0, interface: conf.syncDaemon?.interface ?? iface, mode: 'follow-role' },
    sorry: { url: fb ? `http://${isIP(fb.address) === 6 ? `[${fb.address}]` : fb.address}:${fb.port}/` : 'http://127.0.0.1:80/' },
  };
}
