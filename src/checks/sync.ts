import { Command, Option } from 'commander';
import { hostname } from 'node:os';
import { findAddress, Interface } from '../parsers/ipAddr';
import { SyncDaemon } from '../parsers/ipvsadm';
import { IpvsConnection, normaliseAddress } from '../parsers/procIpvs';
import { probeAddresses } from '../probes/addresses';
import { IpvsUnavailableError } from '../probes/ipvs';
import { connectionKey, ConnSyncCounts, countConnSync, probeConnSync, probeSyncDaemons } from '../probes/sync';
import { remaining } from '../runtime/check';
import { UsageError } from '../runtime/errors';
import { collectIp } from '../runtime/options';
import { Perf } from '../runtime/perfdata';
import type { Deployment } from '../model/types';
import { CheckDef } from '../runtime/plugin';
import { parseRange } from '../runtime/range';
import { combine, Finding, Result } from '../runtime/result';
import { State } from '../runtime/state';

export interface SyncOptions {
  ipvsadm: string;
  ip: string;
  syncid?: number;
  masterSyncid?: number;
  backupSyncid?: number;
  interface?: string;
  mode?: 'both' | 'follow-role';
  vip: string[];
  peer?: string;
  minSyncRatio: number;
  minConns: number;
}

export type Role = 'active' | 'passive';

/** How well the backup side follows the master: the master's ESTABLISHED connections found as SYNC entries on the backup. */
export interface SyncComparison {
  masterHost: string;
  backupHost: string;
  /** ESTABLISHED, LOCAL, non-template entries on the master side. */
  masterEstablished: number;
  /** How many of those the backup holds as SYNC entries. */
  synced: number;
}

export interface SyncObservation {
  host: string;
  daemons: SyncDaemon[];
  /** From VIP ownership (only looked up when needed: follow-role mode or --peer). */
  role?: Role;
  counts: ConnSyncCounts;
  comparison?: SyncComparison;
  /** Why the counts lack something (a kernel without /proc/net/ip_vs_conn_sync). */
  note?: string;
}

export interface SyncPolicy {
  mode: 'both' | 'follow-role';
  syncid: number;
  /** Per-role syncids (master syncid 1, backup syncid 2); absent = syncid. */
  masterSyncid?: number;
  backupSyncid?: number;
  interface: string;
  minRatio: number;
  minConns: number;
}

const expectedSyncid = (p: SyncPolicy, role: 'master' | 'backup'): number => (role === 'master' ? p.masterSyncid : p.backupSyncid) ?? p.syncid;

/** Pure: compares the master side's connection table with the backup side's. */
export function compareSync(master: IpvsConnection[], backup: IpvsConnection[], masterHost: string, backupHost: string): SyncComparison {
  const established = master.filter((c) => !c.template && (c.origin ?? 'LOCAL') === 'LOCAL' && c.state === 'ESTABLISHED');
  const onBackup = new Set(backup.filter((c) => c.origin === 'SYNC').map(connectionKey));
  return { masterHost, backupHost, masterEstablished: established.length, synced: established.filter((c) => onBackup.has(connectionKey(c))).length };
}

/** The policy of check_lvs_sync. */
export function evaluateSync(o: SyncObservation, p: SyncPolicy): Result {
  const findings: Finding[] = [];
  const long: string[] = [];
  const expected: ('master' | 'backup')[] =
    p.mode === 'both' ? ['master', 'backup'] : o.role === 'active' ? ['master'] : ['backup'];
  const where = p.mode === 'follow-role' ? ` (this director is ${o.role ?? 'passive'})` : '';
  for (const role of expected) {
    const d = o.daemons.find((x) => x.role === role);
    if (!d) {
      findings.push({ state: State.CRITICAL, text: `${role} sync daemon not running on ${o.host}${where}` });
      continue;
    }
    const want = expectedSyncid(p, role);
    if (d.syncid !== want)
      findings.push({ state: State.CRITICAL, text: `${role} sync daemon has syncid ${d.syncid}${d.syncid === 0 ? ' (unconfigured)' : ''}, expected ${want}` });
    else if (d.syncid === 0) findings.push({ state: State.WARNING, text: `${role} sync daemon has syncid 0 (unconfigured)` });
    if (d.interface !== p.interface) findings.push({ state: State.WARNING, text: `${role} sync daemon on ${d.interface}, expected ${p.interface}` });
    if (d.syncid === want && d.syncid !== 0 && d.interface === p.interface) findings.push({ state: State.OK, text: `${role} sync daemon (syncid ${d.syncid}, ${d.interface})` });
  }
  for (const d of o.daemons) {
    if (!expected.includes(d.role)) findings.push({ state: State.WARNING, text: `unexpected ${d.role} sync daemon on the ${o.role ?? 'passive'} director ${o.host}` });
    long.push(
      `${d.role} sync daemon: mcast=${d.interface} syncid=${d.syncid}` +
        (d.maxlen !== undefined ? ` maxlen=${d.maxlen}` : '') +
        (d.group !== undefined ? ` group=${d.group}` : '') +
        (d.port !== undefined ? ` port=${d.port}` : '') +
        (d.ttl !== undefined ? ` ttl=${d.ttl}` : ''),
    );
  }
  const c = o.counts;
  long.push(`connections on ${o.host}: ${c.local} LOCAL, ${c.sync} SYNC, ${c.templates} persistence templates`);
  if (o.note) long.push(o.note);
  for (const [k, n] of Object.entries(c.byOriginState).sort()) long.push(`  ${k}: ${n}`);
  if (o.role) long.push(`role: ${o.host} is the ${o.role} director (VIP ownership)`);

  const perf: Perf[] = [
    { label: 'conns_local', value: c.local, min: 0 },
    { label: 'conns_sync', value: c.sync, min: 0 },
  ];
  const cmp = o.comparison;
  if (cmp) {
    const ratio = cmp.masterEstablished === 0 ? 1 : cmp.synced / cmp.masterEstablished;
    const text = `${cmp.synced} of ${cmp.masterEstablished} connections on ${cmp.backupHost}`;
    if (cmp.masterEstablished >= p.minConns && ratio < p.minRatio) findings.push({ state: State.WARNING, text: `sync lagging: ${text}` });
    else
      findings.push({
        state: State.OK,
        text: cmp.masterEstablished < p.minConns ? `${text} (fewer than ${p.minConns} on ${cmp.masterHost}: ratio not judged)` : `synced: ${text}`,
      });
    perf.push({ label: 'ratio', value: Math.round(ratio * 1000) / 1000, warn: parseRange(`${p.minRatio}:`), min: 0, max: 1 });
  }
  // Read only when every finding is OK: each expected daemon is then running.
  const ids = [...new Set(expected.map((r) => expectedSyncid(p, r)))];
  const okText =
    `${expected.join(' and ')} sync daemon${expected.length > 1 ? 's' : ''} (syncid ${ids.join('/')}, ${p.interface}), ` +
    `${c.local} local, ${c.sync} synced connections` +
    (cmp ? `, ${cmp.synced} of ${cmp.masterEstablished} on ${cmp.backupHost}` : '');
  return combine(findings, okText, perf, long);
}

// ----------------------------------------------------------------- plugin

const collect = (v: string, prev: string[]) => [...prev, v];

/** check_lvs_sync's config: what to read and the policy. */
export interface SyncConfig extends SyncPolicy {
  ipvsadm: string;
  ip: string;
  /** VIPs whose owner is the active director. */
  vips: string[];
  /** The other director (--peer). */
  peer?: string;
  /** -H, for messages. */
  hostname?: string;
}

export interface SyncModel {
  host: string;
  unavailable?: string;
  daemons: SyncDaemon[];
  conns: IpvsConnection[];
  note?: string;
  /** This host's addresses (VIP ownership), read in follow-role mode or with --peer. */
  interfaces?: Interface[];
  peerConns?: IpvsConnection[];
}

export const syncCheck: CheckDef<SyncConfig, SyncModel, SyncOptions, Deployment> = {
  name: 'sync',
  prefix: 'LVS SYNC',
  description:
    'The IPVS connection-sync daemons (ipvsadm -L --daemon, needs CAP_NET_ADMIN: --sudo) and the\n' +
    'synchronised connections (/proc/net/ip_vs_conn_sync). CRITICAL when an expected daemon is\n' +
    'missing or has another syncid; WARNING for syncid 0 or another interface; with --peer,\n' +
    "WARNING when the backup holds fewer than --min-sync-ratio of the master's ESTABLISHED connections.",
  options(cmd: Command) {
    cmd
      .option('--ipvsadm <path>', 'ipvsadm program (privileged through --sudo)', 'ipvsadm')
      .option('--ip <path>', "iproute2's ip (VIP ownership tells this director's role)", 'ip')
      .option('--syncid <n>', 'expected syncid (default: the deployment\'s)', (x: string) => {
        if (!/^\d+$/.test(x) || Number(x) > 255) throw new UsageError(`--syncid '${x}' is not 0-255`);
        return Number(x);
      })
      .option('--master-syncid <n>', "expected syncid of the master daemon, when it differs from the backup's (default: --syncid)", (x: string) => {
        if (!/^\d+$/.test(x) || Number(x) > 255) throw new UsageError(`--master-syncid '${x}' is not 0-255`);
        return Number(x);
      })
      .option('--backup-syncid <n>', "expected syncid of the backup daemon (default: --syncid)", (x: string) => {
        if (!/^\d+$/.test(x) || Number(x) > 255) throw new UsageError(`--backup-syncid '${x}' is not 0-255`);
        return Number(x);
      })
      .option('--interface <name>', "expected multicast interface (default: the deployment's)")
      .addOption(new Option('--mode <mode>', "which daemons to expect: both = master and backup on each director, follow-role = master on the active, backup on the passive (default: the deployment's)").choices(['both', 'follow-role']))
      .option('--vip <addr>', "VIP whose owner is the active director, repeatable (default: the deployment's)", collectIp('--vip'), [])
      .option('--peer <host>', 'the other director (SSH): compare its connection table with ours')
      .option('--min-sync-ratio <r>', 'WARNING below this share of ESTABLISHED connections synced (0-1)', (x: string) => {
        if (!/^(0(\.\d+)?|1(\.0*)?)$/.test(x)) throw new UsageError(`--min-sync-ratio '${x}' is not between 0 and 1`);
        return Number(x);
      }, 0.5)
      .option('--min-conns <n>', 'judge the ratio only when the master has at least this many ESTABLISHED connections', (x: string) => {
        if (!/^\d+$/.test(x)) throw new UsageError(`--min-conns '${x}' is not a whole number`);
        return Number(x);
      }, 10);
  },
  configure(o, ctx): SyncConfig {
    const dep = ctx.deployment();
    const vips = (o.vip.length ? o.vip : dep.vips.map((v) => v.address)).map((v) => {
      const a = normaliseAddress(v);
      if (a === undefined) throw new UsageError(`--vip '${v}' is not an address`);
      return a;
    });
    return {
      ipvsadm: o.ipvsadm,
      ip: o.ip,
      vips,
      peer: o.peer,
      hostname: o.hostname,
      mode: o.mode ?? dep.sync.mode,
      syncid: o.syncid ?? dep.sync.syncid,
      masterSyncid: o.masterSyncid ?? (o.syncid === undefined ? dep.sync.masterSyncid : undefined),
      backupSyncid: o.backupSyncid ?? (o.syncid === undefined ? dep.sync.backupSyncid : undefined),
      interface: o.interface ?? dep.sync.interface,
      minRatio: o.minSyncRatio,
      minConns: o.minConns,
    };
  },
  defaults: (d) => ({
    ipvsadm: 'ipvsadm',
    ip: 'ip',
    vips: d.vips.map((v) => normaliseAddress(v.address) ?? v.address),
    mode: d.sync.mode,
    syncid: d.sync.syncid,
    masterSyncid: d.sync.masterSyncid,
    backupSyncid: d.sync.backupSyncid,
    interface: d.sync.interface,
    minRatio: 0.5,
    minConns: 10,
  }),
  async gather(c, env): Promise<SyncModel> {
    const src = env.source();
    const host = c.hostname ?? (src.host === 'localhost' ? hostname() : src.host);
    try {
      const [daemons, table] = await Promise.all([probeSyncDaemons(src, { ipvsadm: c.ipvsadm, timeoutMs: remaining(env) }), probeConnSync(src)]);
      const m: SyncModel = { host, daemons, conns: table.connections, note: table.note };
      if (c.mode === 'follow-role' || c.peer) m.interfaces = await probeAddresses(src, { ip: c.ip, timeoutMs: remaining(env) });
      if (c.peer) m.peerConns = (await probeConnSync(env.source(c.peer))).connections;
      return m;
    } catch (e) {
      if (e instanceof IpvsUnavailableError) return { host, unavailable: e.message, daemons: [], conns: [] };
      throw e;
    }
  },
  evaluate(m, c): Result {
    if (m.unavailable !== undefined) return { state: State.CRITICAL, summary: m.unavailable };
    const obs: SyncObservation = { host: m.host, daemons: m.daemons, counts: countConnSync(m.conns), note: m.note };
    if (m.interfaces) obs.role = c.vips.some((v) => findAddress(m.interfaces!, v).length > 0) ? 'active' : 'passive';
    if (c.peer && m.peerConns)
      obs.comparison = obs.role === 'active' ? compareSync(m.conns, m.peerConns, m.host, c.peer) : compareSync(m.peerConns, m.conns, c.peer, m.host);
    return evaluateSync(obs, c);
  },
};
