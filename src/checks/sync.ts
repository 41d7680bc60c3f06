import { Command, Option } from 'commander';
import { hostname } from 'node:os';
import { findAddress } from '../parsers/ipAddr';
import { SyncDaemon } from '../parsers/ipvsadm';
import { IpvsConnection, normaliseAddress } from '../parsers/procIpvs';
import { probeAddresses } from '../probes/addresses';
import { IpvsUnavailableError } from '../probes/ipvs';
import { connectionKey, ConnSyncCounts, countConnSync, probeConnSync, probeSyncDaemons } from '../probes/sync';
import { UsageError } from '../runtime/errors';
import { collectIp } from '../runtime/options';
import { Perf } from '../runtime/perfdata';
import { CheckDef } from '../runtime/plugin';
import { parseRange } from '../runtime/range';
import { combine, Finding, Result } from '../runtime/result';
import { State } from '../runtime/state';

export interface SyncOptions {
  ipvsadm: string;
  ip: string;
  syncid?: number;
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
}

export interface SyncPolicy {
  mode: 'both' | 'follow-role';
  syncid: number;
  interface: string;
  minRatio: number;
  minConns: number;
}

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
    if (d.syncid !== p.syncid)
      findings.push({ state: State.CRITICAL, text: `${role} sync daemon has syncid ${d.syncid}${d.syncid === 0 ? ' (unconfigured)' : ''}, expected ${p.syncid}` });
    else if (d.syncid === 0) findings.push({ state: State.WARNING, text: `${role} sync daemon has syncid 0 (unconfigured)` });
    if (d.interface !== p.interface) findings.push({ state: State.WARNING, text: `${role} sync daemon on ${d.interface}, expected ${p.interface}` });
    if (d.syncid === p.syncid && d.syncid !== 0 && d.interface === p.interface) findings.push({ state: State.OK, text: `${role} sync daemon (syncid ${d.syncid}, ${d.interface})` });
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
  const running = expected.filter((r) => o.daemons.some((d) => d.role === r));
  const okText =
    `${running.join(' and ')} sync daemon${running.length > 1 ? 's' : ''} (syncid ${p.syncid}, ${p.interface}), ` +
    `${c.local} local, ${c.sync} synced connections` +
    (cmp ? `, ${cmp.synced} of ${cmp.masterEstablished} on ${cmp.backupHost}` : '');
  return combine(findings, okText, perf, long);
}

// ----------------------------------------------------------------- plugin

const collect = (v: string, prev: string[]) => [...prev, v];

export const syncCheck: CheckDef<SyncOptions> = {
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
  async run(ctx) {
    const o = ctx.opts;
    const dep = ctx.deployment();
    const policy: SyncPolicy = {
      mode: o.mode ?? dep.sync.mode,
      syncid: o.syncid ?? dep.sync.syncid,
      interface: o.interface ?? dep.sync.interface,
      minRatio: o.minSyncRatio,
      minConns: o.minConns,
    };
    const src = ctx.source();
    const timeoutMs = Math.max(1, ctx.deadline - Date.now());
    const host = o.hostname ?? (src.host === 'localhost' ? hostname() : src.host);
    try {
      const [daemons, conns] = await Promise.all([probeSyncDaemons(src, { ipvsadm: o.ipvsadm, timeoutMs }), probeConnSync(src)]);
      const obs: SyncObservation = { host, daemons, counts: countConnSync(conns) };
      if (policy.mode === 'follow-role' || o.peer) {
        const vips = (o.vip.length ? o.vip : dep.vips.map((v) => v.address)).map((v) => {
          const a = normaliseAddress(v);
          if (a === undefined) throw new UsageError(`--vip '${v}' is not an address`);
          return a;
        });
        const ifs = await probeAddresses(src, { ip: o.ip, timeoutMs });
        obs.role = vips.some((v) => findAddress(ifs, v).length > 0) ? 'active' : 'passive';
        ctx.trace(1, `role: ${obs.role} (VIP ${vips.join(', ')})`);
      }
      if (o.peer) {
        const peerConns = await probeConnSync(ctx.source(o.peer));
        obs.comparison =
          obs.role === 'active' ? compareSync(conns, peerConns, host, o.peer) : compareSync(peerConns, conns, o.peer, host);
      }
      return evaluateSync(obs, policy);
    } catch (e) {
      if (e instanceof IpvsUnavailableError) return { state: State.CRITICAL, summary: e.message };
      throw e;
    }
  },
};
