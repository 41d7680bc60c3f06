import {
  DbusReply,
  dbusState,
  parseDbusReply,
  parseKeepalivedData,
  parseKeepalivedJson,
  TrackedScript,
  VrrpInstanceDump,
  VrrpState,
} from '../parsers/keepalived';
import { ParseError, PluginError } from '../runtime/errors';
import { RootSource } from '../sources/root';
import { isNotFound, Source } from '../sources/source';

/**
 * Asks keepalived for its VRRP state, two ways:
 * - `json` (root, or --sudo for `kill` and `cat`): checks the daemon and its VRRP child are
 *   alive through their pid files and /proc, signals a JSON dump and takes only a dump written
 *   after the signal (its mtime must change: a dump left by a dead or hung daemon is never read
 *   as the state). The data dump (tracked scripts) is asked for only when a priority dropped.
 * - `dbus` (no root: keepalived's `enable_dbus`): the `State` property of each instance on
 *   org.keepalived.Vrrp1; keepalived gone = its name gone from the bus, never a stale answer.
 * With a captured tree (--root) nothing is signalled: the captured dumps are the state.
 */
export interface KeepalivedProbeOptions {
  method: 'json' | 'dbus';
  /** Parent pid file (keepalived -p; default /run/keepalived.pid). */
  pidFile: string;
  /** VRRP child pid file (keepalived -r; default /run/vrrp.pid). */
  vrrpPidFile: string;
  /** Where keepalived writes keepalived.json / keepalived.data (its tmp directory: /tmp). */
  dumpDir: string;
  kill: string;
  stat: string;
  dbusSend: string;
  /** The instances to ask over DBus (its object paths are /Instance/IFACE/VRID/IPv4). */
  instances: { name: string; interface: string; vrid: number }[];
  /** A captured tree: read the dumps as they are, send no signal. */
  captured: boolean;
  /** Epoch ms by which the probe must have answered. */
  deadline: number;
}

/** How keepalived is read: what the check's options, its config and the exporter set. */
export type KeepalivedReading = Pick<KeepalivedProbeOptions, 'method' | 'pidFile' | 'vrrpPidFile' | 'dumpDir' | 'kill' | 'stat' | 'dbusSend'>;

/** keepalived's own defaults (Debian's unit: no -p/-r; tmp dir /tmp). */
export const KEEPALIVED_FILES = { pidFile: '/run/keepalived.pid', vrrpPidFile: '/run/vrrp.pid', dumpDir: '/tmp' } as const;

export type KeepalivedDaemon = 'running' | 'stopped' | 'hung' | 'refused' | 'nobus';

export interface KeepalivedInstance {
  name: string;
  state: VrrpState;
  /** The rest comes with the JSON method only. */
  dump?: VrrpInstanceDump;
  /** Tracked scripts of this instance that are not GOOD (read when the priority dropped). */
  failedScripts?: TrackedScript[];
}

export interface KeepalivedStatus {
  daemon: KeepalivedDaemon;
  method: 'json' | 'dbus';
  /** What the probe saw of the daemon, for messages. */
  detail: string;
  pid?: number;
  instances: KeepalivedInstance[];
  /** Configured instances DBus does not know. */
  missing: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** /proc/PID/stat: `pid (comm) S ...` → comm and state letter. */
export function procStat(text: string): { comm: string; state: string } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ParseError('/proc/PID/stat', 'no (comm)');
  const state = text.slice(close + 2, close + 3);
  if (!/^[A-Za-z]$/.test(state)) throw new ParseError('/proc/PID/stat', 'no state letter after (comm)');
  return { comm: text.slice(open + 1, close), state };
}

async function readPid(src: Source, file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await src.readFile(file);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  const t = text.trim();
  if (!/^\d{1,9}$/.test(t) || Number(t) < 1) throw new ParseError(`pid file ${file}`, `'${t.slice(0, 20)}' is not a process id`);
  return Number(t);
}

/** Why the process behind a pid file is not a live keepalived, or undefined when it is. */
async function deadReason(src: Source, pid: number, file: string): Promise<{ why: string; hung: boolean } | undefined> {
  let stat: string;
  try {
    stat = await src.readFile(`/proc/${pid}/stat`);
  } catch (e) {
    if (isNotFound(e)) return { why: `stale pid file ${file}: process ${pid} is gone`, hung: false };
    throw e;
  }
  const s = procStat(stat);
  if (s.comm !== 'keepalived') return { why: `stale pid file ${file}: process ${pid} is '${s.comm.slice(0, 16)}', not keepalived`, hung: false };
  if (s.state === 'Z' || s.state === 'X') return { why: `keepalived ${pid} is a zombie`, hung: false };
  if (s.state === 'T' || s.state === 't') return { why: `keepalived ${pid} is stopped (state ${s.state}: SIGSTOP or a debugger)`, hung: true };
  return undefined;
}

/**
 * A root-only dump, read now (`cat`, privileged: through sudo with --sudo; never memoised, the
 * file changes under the probe). A captured tree's file is read as a file.
 */
async function readDump(src: Source, o: KeepalivedProbeOptions, path: string): Promise<string> {
  if (o.captured) return src.readFile(path);
  const r = await src.run(['cat', '--', path], { privileged: true, fresh: true, timeoutMs: Math.max(1, o.deadline - Date.now()) });
  if (r.code !== 0) throw new Refused(`cannot read ${path} (mode 0600, root's): ${r.stderr.trim().split('\n')[0] ?? ''}`);
  return r.stdout;
}

class Refused extends Error {}

async function mtime(src: Source, o: KeepalivedProbeOptions, path: string): Promise<string> {
  const r = await src.run([o.stat, '-c', '%.9Y', '--', path], { fresh: true, timeoutMs: Math.max(1, o.deadline - Date.now()) });
  return r.code === 0 ? r.stdout.trim() : '';
}

/**
 * Signals keepalived and returns the dump written after the signal, parsed; undefined when
 * none came before the deadline (keepalived hung, or its VRRP process gone).
 */
async function freshDump<T>(src: Source, o: KeepalivedProbeOptions, pid: number, signal: number, file: string, parse: (t: string) => T): Promise<T | undefined> {
  const path = `${o.dumpDir.replace(/\/+$/, '')}/${file}`;
  if (o.captured) return parse(await readDump(src, o, path));
  const before = await mtime(src, o, path);
  const k = await src.run([o.kill, '-s', String(signal), String(pid)], { privileged: true, fresh: true, timeoutMs: Math.max(1, o.deadline - Date.now()) });
  if (k.code !== 0) {
    const err = k.stderr.trim().split('\n')[0] ?? '';
    if (/not permitted|permission/i.test(err)) throw new Refused(`cannot signal keepalived ${pid} (${err}): run as root, with --sudo, or use --method dbus`);
    throw new PluginError(`${o.kill} -s ${signal} ${pid}: ${err || `exit ${k.code}`}`);
  }
  // Leave a margin for the verdict; poll the dump's mtime, then parse (a half-written dump
  // fails to parse and is read again).
  const until = o.deadline - 150;
  let lastErr: unknown;
  let seen = before;
  for (let n = 0; n < 400 && Date.now() < until; n++) {
    const now = await mtime(src, o, path);
    if (now && now !== seen) {
      try {
        return parse(await readDump(src, o, path));
      } catch (e) {
        // Half-written: wait for the next write.
        if (!(e instanceof ParseError)) throw e;
        lastErr = e;
        seen = now;
      }
    }
    await sleep(Math.min(50, 10 + n * 5));
  }
  if (lastErr) throw lastErr;
  return undefined;
}

async function probeJson(src: Source, o: KeepalivedProbeOptions): Promise<KeepalivedStatus> {
  const base = { method: 'json' as const, instances: [], missing: [] };
  const pid = await readPid(src, o.pidFile);
  if (pid === undefined) return { ...base, daemon: 'stopped', detail: `keepalived is not running (no pid file ${o.pidFile})` };
  const dead = await deadReason(src, pid, o.pidFile);
  if (dead) return { ...base, daemon: dead.hung ? 'hung' : 'stopped', detail: dead.why, pid };
  const vrrp = await readPid(src, o.vrrpPidFile);
  if (vrrp === undefined) return { ...base, daemon: 'stopped', detail: `keepalived ${pid} runs but its VRRP process does not (no pid file ${o.vrrpPidFile})`, pid };
  const vdead = await deadReason(src, vrrp, o.vrrpPidFile);
  if (vdead) return { ...base, daemon: vdead.hung ? 'hung' : 'stopped', detail: `keepalived ${pid} runs but its VRRP process does not: ${vdead.why}`, pid };
  try {
    const dump = await freshDump(src, o, pid, 36, 'keepalived.json', parseKeepalivedJson);
    if (!dump) {
      const ms = Math.max(0, Math.round(o.deadline - Date.now()));
      return { ...base, daemon: 'hung', detail: `keepalived ${pid} wrote no JSON dump after the signal (waited until ${ms} ms before the deadline)`, pid };
    }
    const instances: KeepalivedInstance[] = dump.map((d) => ({ name: d.name, state: d.state, dump: d }));
    if (dump.some((d) => d.effectivePriority < d.basePriority)) {
      const data = await freshDump(src, o, pid, 10, 'keepalived.data', parseKeepalivedData);
      if (data) {
        for (const inst of instances) {
          const tracked = data.instances.find((i) => i.name === inst.name)?.tracked ?? [];
          inst.failedScripts = tracked
            .map((t) => data.scripts.find((s) => s.name === t.script) ?? { name: t.script, status: 'unknown', weight: t.weight })
            .filter((s) => s.status !== 'GOOD');
        }
      }
    }
    return { ...base, daemon: 'running', detail: `keepalived ${pid}, VRRP process ${vrrp}`, pid, instances };
  } catch (e) {
    if (e instanceof Refused) return { ...base, daemon: 'refused', detail: e.message, pid };
    throw e;
  }
}

const DBUS_DEST = 'org.keepalived.Vrrp1';

async function probeDbus(src: Source, o: KeepalivedProbeOptions): Promise<KeepalivedStatus> {
  const out: KeepalivedStatus = { daemon: 'running', method: 'dbus', detail: `${DBUS_DEST} on the system bus`, instances: [], missing: [] };
  for (const inst of o.instances) {
    const left = Math.max(1, o.deadline - Date.now());
    const path = `/org/keepalived/Vrrp1/Instance/${inst.interface}/${inst.vrid}/IPv4`;
    const r = await src.run(
      [o.dbusSend, '--system', '--print-reply', `--reply-timeout=${Math.min(left, 5000)}`, `--dest=${DBUS_DEST}`, path, 'org.freedesktop.DBus.Properties.Get', `string:${DBUS_DEST}.Instance`, 'string:State'],
      { timeoutMs: left },
    );
    const reply: DbusReply = parseDbusReply(r.stdout, r.stderr);
    if (!reply.ok) {
      if (reply.error === 'NoBus') return { ...out, daemon: 'nobus', detail: `no system bus: ${reply.message}` };
      if (/ServiceUnknown|NameHasNoOwner/.test(reply.error)) return { ...out, daemon: 'stopped', detail: `keepalived is not on the system bus (no owner of ${DBUS_DEST})` };
      if (/NoReply|Timeout/.test(reply.error)) return { ...out, daemon: 'hung', detail: `keepalived does not answer on DBus (${reply.error.replace(/^.*\./, '')})` };
      if (/UnknownObject|UnknownMethod|UnknownInterface/.test(reply.error)) {
        out.missing.push(`${inst.name} (${inst.interface}/${inst.vrid})`);
        continue;
      }
      if (/AccessDenied/.test(reply.error)) return { ...out, daemon: 'refused', detail: `DBus refused: ${reply.message}` };
      throw new PluginError(`dbus-send: ${reply.error}: ${reply.message}`);
    }
    out.instances.push({ name: inst.name, state: dbusState(reply) });
  }
  return out;
}

/**
 * One probe per source object and options: the exporter's collector and check share one signal
 * per scrape (the exporter makes a source per scrape; a plugin run makes one).
 */
const inflight = new WeakMap<Source, Map<string, Promise<KeepalivedStatus>>>();

export function probeKeepalived(src: Source, o: KeepalivedProbeOptions): Promise<KeepalivedStatus> {
  const key = JSON.stringify([o.method, o.pidFile, o.vrrpPidFile, o.dumpDir, o.kill, o.stat, o.dbusSend, o.captured, o.instances.map((i) => [i.name, i.interface, i.vrid])]);
  let bySrc = inflight.get(src);
  if (!bySrc) inflight.set(src, (bySrc = new Map()));
  let p = bySrc.get(key);
  if (!p) {
    // A captured tree (--root, the exporter's too) is read as it is: nothing to signal.
    const oo = src instanceof RootSource ? { ...o, captured: true } : o;
    p = oo.method === 'dbus' ? probeDbus(src, oo) : probeJson(src, oo);
    bySrc.set(key, p);
  }
  return p;
}
