/**
 * Readers for the files a director already has: /etc/ha.d/ha.cf, haresources,
 * authkeys (method only — the secret is never kept) and ldirectord's *.cf.
 * Pure functions: text in, typed value out.
 */
import { ParseError } from '../runtime/errors';
import { AuthMethod, Deployment, Forwarding, Protocol, RealServer, VirtualService } from './types';

/** Lines without comments, with backslash continuations joined. */
function logicalLines(text: string): { line: string; no: number }[] {
  const out: { line: string; no: number }[] = [];
  let acc = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const noComment = raw.replace(/(^|\s)#.*$/, '');
    if (acc === '') start = i + 1;
    if (/\\\s*$/.test(noComment)) {
      acc += noComment.replace(/\\\s*$/, ' ');
      return;
    }
    acc += noComment;
    if (acc.trim() !== '') out.push({ line: acc, no: start });
    acc = '';
  });
  if (acc.trim() !== '') out.push({ line: acc, no: start });
  return out;
}

/** Heartbeat time values: plain seconds, or with ms/s suffix ("500ms"). */
export function parseHbTime(v: string, what: string, line?: number): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|us)?$/.exec(v.trim());
  if (!m) throw new ParseError('ha.cf', `${what} '${v}' is not a time`, line);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'us' ? n / 1e6 : n;
}

export interface HaCf {
  nodes: string[];
  ucast: { interface: string; address: string }[];
  bcast: string[];
  mcast: { interface: string; group: string }[];
  ping: string[];
  keepalive?: number;
  warntime?: number;
  deadtime?: number;
  initdead?: number;
  udpport?: number;
  autoFailback?: boolean;
  other: Record<string, string>;
}

export function parseHaCf(text: string): HaCf {
  const cf: HaCf = { nodes: [], ucast: [], bcast: [], mcast: [], ping: [], other: {} };
  for (const { line, no } of logicalLines(text)) {
    const [key, ...rest] = line.trim().split(/\s+/);
    const k = key!.toLowerCase();
    const v = rest.join(' ');
    switch (k) {
      case 'node':
        cf.nodes.push(...rest);
        break;
      case 'ucast':
        if (rest.length < 2) throw new ParseError('ha.cf', `ucast needs an interface and an address: '${line.trim()}'`, no);
        for (const a of rest.slice(1)) cf.ucast.push({ interface: rest[0]!, address: a });
        break;
      case 'bcast':
        cf.bcast.push(...rest);
        break;
      case 'mcast':
        cf.mcast.push({ interface: rest[0] ?? '', group: rest[1] ?? '' });
        break;
      case 'ping':
        cf.ping.push(...rest);
        break;
      case 'keepalive':
      case 'warntime':
      case 'deadtime':
      case 'initdead':
        cf[k] = parseHbTime(v, k, no);
        break;
      case 'udpport': {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ParseError('ha.cf', `udpport '${v}' is not a port`, no);
        cf.udpport = n;
        break;
      }
      case 'auto_failback': {
        const b = v.toLowerCase();
        if (!['on', 'off', 'legacy', 'yes', 'no', 'true', 'false'].includes(b)) throw new ParseError('ha.cf', `auto_failback '${v}' is not on/off`, no);
        cf.autoFailback = b === 'on' || b === 'yes' || b === 'true';
        break;
      }
      default:
        cf.other[k] = v;
    }
  }
  return cf;
}

export interface HaResourceLine {
  node: string;
  resources: { agent: string; args: string[] }[];
}

/** `frontal1 IPaddr::192.168.0.3 ldirectord::www.cf` — started left to right, stopped right to left. */
export function parseHaresources(text: string): HaResourceLine[] {
  return logicalLines(text).map(({ line }) => {
    const [node, ...res] = line.trim().split(/\s+/);
    return {
      node: node!,
      resources: res.map((r) => {
        const [agent, ...args] = r.split('::');
        return { agent: agent!, args };
      }),
    };
  });
}

export interface Authkeys {
  active: number;
  /** Method of each key index; the secrets are deliberately not kept. */
  methods: Record<number, AuthMethod>;
  activeMethod: AuthMethod;
}

export function parseAuthkeys(text: string): Authkeys {
  let active: number | undefined;
  const methods: Record<number, AuthMethod> = {};
  for (const { line, no } of logicalLines(text)) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'auth') {
      active = Number(f[1]);
      if (!Number.isInteger(active)) throw new ParseError('authkeys', `'auth ${f[1] ?? ''}' needs a key number`, no);
      continue;
    }
    const idx = Number(f[0]);
    const m = (f[1] ?? '').toLowerCase();
    if (!Number.isInteger(idx) || !['sha1', 'md5', 'crc'].includes(m)) throw new ParseError('authkeys', `line ${no} is not 'N sha1|md5|crc [key]'`, no);
    methods[idx] = m as AuthMethod;
  }
  if (active === undefined) throw new ParseError('authkeys', "no 'auth N' line");
  const activeMethod = methods[active];
  if (!activeMethod) throw new ParseError('authkeys', `auth ${active} names a key that is not defined`);
  return { active, methods, activeMethod };
}

export interface LdirectordVirtual {
  /** `192.168.0.3:80`, `[2001:db8::3]:80` or a firewall mark number. */
  virtual: string;
  options: Record<string, string>;
  reals: { address: string; port: number; forwarding: Forwarding; weight: number }[];
}

export interface LdirectordCf {
  global: Record<string, string>;
  virtuals: LdirectordVirtual[];
}

/** `192.168.0.4:80`, `[2001:db8::4]:80`, `192.168.0.4` (port from the virtual). */
export function splitHostPort(s: string, defPort?: number): { address: string; port: number } | undefined {
  const m6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  const m4 = /^([^:]+)(?::(\d+))?$/.exec(s);
  const m = m6 ?? m4;
  if (!m) return undefined;
  const port = m[2] !== undefined ? Number(m[2]) : defPort;
  if (port === undefined) return undefined;
  return { address: m[1]!, port };
}

/**
 * ldirectord's file: global `key = value` lines, then `virtual = ...` blocks whose lines are
 * indented. The seed article writes its one block unindented; with a single virtual that is
 * unambiguous, so lines after `virtual=` belong to it whatever their indentation.
 */
export function parseLdirectordCf(text: string): LdirectordCf {
  const cf: LdirectordCf = { global: {}, virtuals: [] };
  let cur: LdirectordVirtual | undefined;
  const lines = logicalLines(text);
  const virtualCount = lines.filter((l) => /^\s*virtual6?\s*=/.test(l.line)).length;
  for (const { line, no } of lines) {
    const m = /^(\s*)([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) throw new ParseError('ldirectord config', `'${line.trim()}' is not 'key = value'`, no);
    const [, indent, key, value] = m as unknown as [string, string, string, string];
    // ldirectord spells IPv6 blocks virtual6= / real6=; the model does not care.
    const k = key.toLowerCase().replace(/^(virtual|real)6$/, '$1');
    if (k === 'virtual') {
      cur = { virtual: value, options: {}, reals: [] };
      cf.virtuals.push(cur);
      continue;
    }
    const inBlock = cur !== undefined && (indent.length > 0 || virtualCount === 1);
    if (!inBlock) {
      cf.global[k] = value;
      continue;
    }
    if (k === 'real') {
      const f = value.split(/\s+/);
      const hp = splitHostPort(f[0] ?? '', cur!.virtual.includes(':') ? Number(cur!.virtual.split(':').pop()) : undefined);
      if (!hp) throw new ParseError('ldirectord config', `real '${value}' has no address:port`, no);
      const fw = (f[1] ?? 'gate').toLowerCase();
      if (!['gate', 'masq', 'ipip'].includes(fw)) throw new ParseError('ldirectord config', `real '${value}': forwarding '${fw}' is not gate, masq or ipip`, no);
      const w = f[2] === undefined ? 1 : Number(f[2]);
      if (!Number.isFinite(w)) throw new ParseError('ldirectord config', `real '${value}': weight '${f[2]}' is not a number`, no);
      cur!.reals.push({ address: hp.address, port: hp.port, forwarding: fw as Forwarding, weight: w });
    } else cur!.options[k] = value;
  }
  return cf;
}

export interface NativeFiles {
  haCf: string;
  haresources: string;
  authkeys?: string;
  /** ldirectord files by name without .cf. */
  ldirectord: Record<string, string>;
  /** ha.cf of the peer, when it is at hand (its ucast line names this director). */
  peerHaCf?: string;
  /** This director's node name (uname -n), to tell which ucast address is the peer's. */
  localNode?: string;
  /** /etc/hosts text, to resolve node names. */
  hosts?: string;
  /** The sync daemons' init script or systemd unit (`--syncid=N`). */
  lvsstate?: string;
}

export function parseEtcHosts(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const { line } of logicalLines(text)) {
    const [addr, ...names] = line.trim().split(/\s+/);
    for (const n of names) if (!m.has(n)) m.set(n, addr!);
  }
  return m;
}

/** syncid, interface and mode from the seed's /etc/init.d/lvsstate or an equivalent unit. */
export function parseLvsstate(text: string, defaultInterface: string): { syncid: number; interface: string; mode: 'both' | 'follow-role' } {
  const id = /--syncid[= ](\d+)/.exec(text);
  const ifc = /--mcast-interface[= ](\S+)/.exec(text);
  const both = /--start-daemon[= ]master/.test(text) && /--start-daemon[= ]backup/.test(text);
  return { syncid: id ? Number(id[1]) : 0, interface: ifc ? ifc[1]! : defaultInterface, mode: both || !text ? 'both' : 'follow-role' };
}

const yes = (v: string | undefined, def: boolean) => (v === undefined ? def : ['yes', 'on', 'true', '1'].includes(v.toLowerCase()));

/** Builds a deployment from a director's native files. */
export function deploymentFromNative(files: NativeFiles, name = 'native'): Deployment {
  const hacf = parseHaCf(files.haCf);
  const hares = parseHaresources(files.haresources);
  const auth = files.authkeys !== undefined ? parseAuthkeys(files.authkeys).activeMethod : 'sha1';
  const first = hares[0];
  if (!first) throw new ParseError('haresources', 'no resource line');
  const media = hacf.ucast.length ? 'ucast' : hacf.mcast.length ? 'mcast' : 'bcast';
  const vips = first.resources
    .filter((r) => /^IPaddr2?$/.test(r.agent))
    .map((r) => {
      const [address, prefix, iface] = (r.args[0] ?? '').split('/');
      return { address: address ?? '', prefix: prefix ? Number(prefix) : 24, label: iface ? `${iface}:0` : undefined, iface };
    });
  // Director addresses: /etc/hosts first (where Heartbeat node names usually live), then
  // ucast lines: a node's ha.cf names its peer's address.
  const hosts = parseEtcHosts(files.hosts ?? '');
  const iface = hacf.ucast[0]?.interface ?? vips[0]?.iface ?? 'eth0';
  const directors = hacf.nodes.map((n) => ({ name: n, address: hosts.get(n) ?? '', interface: iface }));
  if (directors.length === 2 && files.localNode) {
    const peer = directors.find((x) => x.name !== files.localNode);
    if (peer && !peer.address && hacf.ucast[0]) peer.address = hacf.ucast[0].address;
    const me = directors.find((x) => x.name === files.localNode);
    const peerUcast = files.peerHaCf ? parseHaCf(files.peerHaCf).ucast[0] : undefined;
    if (me && !me.address && peerUcast) me.address = peerUcast.address;
  }
  const sync = parseLvsstate(files.lvsstate ?? '', iface);
  const services: VirtualService[] = [];
  for (const r of first.resources.filter((x) => x.agent === 'ldirectord')) {
    const fname = (r.args[0] ?? 'ldirectord.cf').replace(/\.cf$/, '');
    const text = files.ldirectord[fname];
    if (text === undefined) continue;
    services.push(...servicesFromLdirectord(fname, text));
  }
  return {
    name,
    directors,
    vips: vips.map(({ address, prefix, label }) => ({ address, prefix, label })),
    services,
    realHosts: [],
    heartbeat: {
      keepalive: hacf.keepalive ?? 2,
      warntime: hacf.warntime ?? (hacf.deadtime ?? 30) / 2,
      deadtime: hacf.deadtime ?? 30,
      initdead: hacf.initdead ?? 2 * (hacf.deadtime ?? 30),
      udpport: hacf.udpport ?? 694,
      autoFailback: hacf.autoFailback ?? true,
      preferred: first.node,
      media,
      auth,
      pingNodes: hacf.ping,
    },
    sync,
    sorry: { url: services[0]?.fallback ? `http://${services[0].fallback.address}:${services[0].fallback.port}/` : 'http://127.0.0.1:80/' },
  };
}

/** The virtual services of one ldirectord file (FNAME: its name without .cf, the services' names). */
export function servicesFromLdirectord(fname: string, text: string): VirtualService[] {
  const services: VirtualService[] = [];
  const cf = parseLdirectordCf(text);
  cf.virtuals.forEach((v, i) => {
    const o = { ...cf.global, ...v.options };
    const fwm = /^\d+$/.test(v.virtual);
    const hp = fwm ? undefined : splitHostPort(v.virtual);
    const protocol = (fwm ? 'fwm' : (o.protocol ?? 'tcp').toLowerCase()) as Protocol;
    const fb = o.fallback ? splitHostPort(o.fallback.split(/\s+/)[0]!, hp?.port) : undefined;
    services.push({
      name: cf.virtuals.length > 1 ? `${fname}${i}` : fname,
      protocol,
      address: hp?.address,
      port: hp?.port,
      fwmark: fwm ? Number(v.virtual) : undefined,
      scheduler: (o.scheduler ?? 'wrr').toLowerCase(),
      persistent: o.persistent !== undefined ? Number(o.persistent) : undefined,
      persistentNetmask: o.netmask,
      realServers: v.reals.map((x): RealServer => ({ ...x })),
      fallback: fb,
      quiescent: yes(o.quiescent, true), // ldirectord's default is quiescent=yes
      checktype: o.checktype ?? 'negotiate',
    });
  });
  return services;
}
