import { ParseError } from '../runtime/errors';

/**
 * Parsers for keepalived 2.2's state, as it gives it:
 * - the JSON dump (`kill -s $(keepalived --signum=JSON) PID` → /tmp/keepalived.json, vrrp_json.c);
 * - the data dump (`--signum=DATA` → /tmp/keepalived.data): only what the JSON lacks, the
 *   tracked scripts' names and status;
 * - DBus answers printed by `dbus-send --print-reply` (org.keepalived.Vrrp1, no root needed).
 * keepalived's maintainer calls the dumps debug output: every field read here is checked for
 * type, and anything unexpected is a ParseError naming the field, never a guess.
 * The dumps carry the VRRP password in clear (`auth_data`, `Password = `): it is never read.
 */

/** keepalived's VRRP states (vrrp.h: VRRP_STATE_INIT 0, BACKUP 1, MASTER 2, FAULT 3). */
export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';
const STATES: readonly VrrpState[] = ['INIT', 'BACKUP', 'MASTER', 'FAULT'];

export interface VrrpStats {
  advertRcvd: number;
  advertSent: number;
  becomeMaster: number;
  releaseMaster: number;
  packetLenErr: number;
  advertIntervalErr: number;
  ipTtlErr: number;
  invalidTypeRcvd: number;
  addrListErr: number;
  invalidAuthtype: number;
  authtypeMismatch: number;
  authFailure: number;
  priZeroRcvd: number;
  priZeroSent: number;
}

export interface VrrpInstanceDump {
  name: string;
  vrid: number;
  interface: string;
  state: VrrpState;
  wantState: VrrpState;
  basePriority: number;
  effectivePriority: number;
  /** Seconds since the epoch (keepalived's clock). */
  lastTransition: number;
  nopreempt: boolean;
  /** VIPs as keepalived prints them (`192.168.0.3/24 dev eth0 scope global label eth0:0 set`). */
  vips: string[];
  stats: VrrpStats;
}

const STAT_FIELDS: Record<keyof VrrpStats, string> = {
  advertRcvd: 'advert_rcvd',
  advertSent: 'advert_sent',
  becomeMaster: 'become_master',
  releaseMaster: 'release_master',
  packetLenErr: 'packet_len_err',
  advertIntervalErr: 'advert_interval_err',
  ipTtlErr: 'ip_ttl_err',
  invalidTypeRcvd: 'invalid_type_rcvd',
  addrListErr: 'addr_list_err',
  invalidAuthtype: 'invalid_authtype',
  authtypeMismatch: 'authtype_mismatch',
  authFailure: 'auth_failure',
  priZeroRcvd: 'pri_zero_rcvd',
  priZeroSent: 'pri_zero_sent',
};

const WHAT_JSON = 'keepalived JSON dump';

function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ParseError(WHAT_JSON, `${where} is not an object`);
  return v as Record<string, unknown>;
}
function num(o: Record<string, unknown>, k: string, where: string, int = true): number {
  const v = o[k];
  // JSON.parse never gives NaN or Infinity
  if (typeof v !== 'number' || v < 0 || (int && !Number.isInteger(v))) throw new ParseError(WHAT_JSON, `${where}.${k} is not a ${int ? 'count' : 'number'}`);
  return v;
}
function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length > 256) throw new ParseError(WHAT_JSON, `${where}.${k} is not a name`);
  return v;
}
function state(o: Record<string, unknown>, k: string, where: string): VrrpState {
  const n = num(o, k, where);
  const s = STATES[n];
  if (!s) throw new ParseError(WHAT_JSON, `${where}.${k} ${n} is no VRRP state (0-3)`);
  return s;
}
/** keepalived writes booleans as true/false or, for some flags, 0/1. */
function flag(o: Record<string, unknown>, k: string, where: string): boolean {
  const v = o[k];
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  throw new ParseError(WHAT_JSON, `${where}.${k} is not a flag`);
}

/** The JSON dump: one entry per VRRP instance. An empty array is valid (no instance). */
export function parseKeepalivedJson(text: string): VrrpInstanceDump[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ParseError(WHAT_JSON, `not JSON (${(e as Error).message.slice(0, 80)}); half-written?`);
  }
  if (!Array.isArray(doc)) throw new ParseError(WHAT_JSON, 'not an array of instances');
  return doc.map((entry, i) => {
    const where = `[${i}]`;
    const e = obj(entry, where);
    const d = obj(e.data, `${where}.data`);
    const s = obj(e.stats, `${where}.stats`);
    const dw = `${where}.data`;
    const vips = d.vips ?? [];
    if (!Array.isArray(vips) || vips.some((v) => typeof v !== 'string')) throw new ParseError(WHAT_JSON, `${dw}.vips is not a list of addresses`);
    const stats = {} as VrrpStats;
    for (const [key, field] of Object.entries(STAT_FIELDS) as [keyof VrrpStats, string][]) stats[key] = num(s, field, `${where}.stats`);
    const vrid = num(d, 'vrid', dw);
    if (vrid < 1 || vrid > 255) throw new ParseError(WHAT_JSON, `${dw}.vrid ${vrid} is not a VRRP router id (1-255)`);
    return {
      name: str(d, 'iname', dw),
      vrid,
      interface: str(d, 'ifp_ifname', dw),
      state: state(d, 'state', dw),
      wantState: state(d, 'wantstate', dw),
      basePriority: num(d, 'base_priority', dw),
      effectivePriority: num(d, 'effective_priority', dw),
      lastTransition: num(d, 'last_transition', dw, false),
      nopreempt: flag(d, 'nopreempt', dw),
      vips: vips as string[],
      stats,
    };
  });
}

export interface TrackedScript {
  name: string;
  /** GOOD, BAD, or what keepalived printed (INIT...). */
  status: string;
  weight: number;
}

export interface KeepalivedData {
  /** Per instance: the tracked scripts' names and weights (`Tracked scripts :`). */
  instances: { name: string; state: string; tracked: { script: string; weight: number }[] }[];
  scripts: TrackedScript[];
}

const WHAT_DATA = 'keepalived data dump';

/**
 * The data dump's `VRRP Topology` and `VRRP Scripts` sections: which scripts each instance
 * tracks and their status. Other sections are skipped.
 */
export function parseKeepalivedData(text: string): KeepalivedData {
  const lines = text.split(/\r?\n/); // a CR was stripped per line before, after line 1's header test
  if (!/^------< .* >------$/.test(lines[0]!)) throw new ParseError(WHAT_DATA, 'no section header on line 1', 1);
  const out: KeepalivedData = { instances: [], scripts: [] };
  let section = '';
  let inst: KeepalivedData['instances'][number] | undefined;
  let script: TrackedScript | undefined;
  let inTracked = false;
  const kv = (l: string) => /^\s*([^=]+?)\s*=\s*(.*)/.exec(l);
  for (const [i, l] of lines.entries()) {
    const h = /^------< (.*) >------$/.exec(l);
    if (h) {
      section = h[1]!;
      inst = undefined; // inTracked is reset by the next instance line: nothing is read before one
      script = undefined;
      continue;
    }
    if (section === 'VRRP Topology') {
      const m = /^ VRRP Instance = (\S+)$/.exec(l);
      if (m) {
        inst = { name: m[1]!, state: '', tracked: [] };
        out.instances.push(inst);
        inTracked = false;
        continue;
      }
      if (!inst) continue;
      if (/^ {3}\S/.test(l)) inTracked = /^ {3}Tracked scripts :\s*$/.test(l);
      const kvm = kv(l);
      if (/^ {3}State = /.test(l) && kvm) inst.state = kvm[2]!;
      if (inTracked && /^ {5}\S/.test(l)) {
        const t = /^ {5}(\S+) weight (-?\d+)( reverse)?$/.exec(l);
        if (!t) throw new ParseError(WHAT_DATA, `tracked script line '${l.trim().slice(0, 60)}'`, i + 1);
        inst.tracked.push({ script: t[1]!, weight: Number(t[2]) });
      }
    } else if (section === 'VRRP Scripts') {
      const m = /^ VRRP Script = (\S+)$/.exec(l);
      if (m) {
        script = { name: m[1]!, status: '', weight: 0 };
        out.scripts.push(script);
        continue;
      }
      if (!script || !/^ {3}\S/.test(l)) continue;
      const kvm = kv(l);
      if (!kvm) continue;
      if (kvm[1] === 'Status') script.status = kvm[2]!;
      if (kvm[1] === 'Weight') {
        if (!/^-?\d{1,3}( reverse)?$/.test(kvm[2]!)) throw new ParseError(WHAT_DATA, `script ${script.name}: weight '${kvm[2]!.slice(0, 20)}'`, i + 1);
        script.weight = parseInt(kvm[2]!, 10);
      }
    }
  }
  for (const s of out.scripts) if (!s.status) throw new ParseError(WHAT_DATA, `script ${s.name} has no Status line`);
  return out;
}

/** What a DBus call said: an answer, or the error dbus-send printed (keepalived not on the bus...). */
export type DbusReply = { ok: true; value: string[] } | { ok: false; error: string; message: string };

/**
 * `dbus-send --print-reply` output: the quoted strings and numbers of the reply, in order
 * (`variant struct { uint32 2 string "Master" }` → ['2', 'Master']), or its error line
 * (`Error org.freedesktop.DBus.Error.ServiceUnknown: The name ... was not provided ...`).
 */
export function parseDbusReply(stdout: string, stderr = ''): DbusReply {
  const errorLine = /^Error (\S+): ?(.*)/m;
  const err = errorLine.exec(stderr) ?? errorLine.exec(stdout);
  if (err) return { ok: false, error: err[1]!, message: err[2]!.slice(0, 200) };
  const fail = /^Failed to open connection to "?(\w+)"? message bus: (.*)/m.exec(stderr + '\n' + stdout);
  if (fail) return { ok: false, error: 'NoBus', message: fail[2]!.slice(0, 200) };
  if (!/^method return /.test(stdout)) throw new ParseError('dbus-send output', `no 'method return' line: '${stdout.split('\n')[0]!.slice(0, 60)}'`, 1);
  const value: string[] = [];
  const re = /\b(?:u?int(?:16|32|64)|byte|double|boolean) (\S+)|\bstring "((?:[^"\\]|\\.)*)"/g;
  for (const line of stdout.split('\n').slice(1)) {
    for (const m of line.matchAll(re)) value.push(m[1] ?? m[2]!);
  }
  return { ok: true, value };
}

/** The `State` property of org.keepalived.Vrrp1.Instance: (uint32 code, string name). */
export function dbusState(r: DbusReply & { ok: true }): VrrpState {
  const code = r.value[0];
  const s = code !== undefined && /^\d$/.test(code) ? STATES[Number(code)] : undefined;
  if (!s) throw new ParseError('keepalived DBus State', `'${r.value.join(' ').slice(0, 40)}' is no VRRP state`);
  return s;
}

/** Child node names of an Introspect answer (`<node name="eth0"/>`). */
export function introspectChildren(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<node name="([A-Za-z0-9_.:@-]{1,64})"\s*\/?>/g)) out.push(m[1]!);
  return out;
}
