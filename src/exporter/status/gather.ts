/**
 * One gather of the whole deployment for the status page: each director through the same
 * probes as the exporter's collectors and the same checks (gather → evaluate through runCheck,
 * with checkConfig of the director module) as lvsha_check_status, on the memoised sources of
 * one scrape. This director is read locally; the others over SSH through the /probe machinery
 * (pool, deadline, allow list), handed in by server.ts as `sourceFor`.
 */
import { hostname } from 'node:os';
import { loadCheck } from '../../checks/registry';
import { configKey, fallbackTest } from '../../domain/ipvs';
import { haLayer, keepalivedOf, pacemakerOf } from '../../model/ha';
import type { Deployment, VirtualService } from '../../model/types';
import { findAddress, Interface } from '../../parsers/ipAddr';
import { endpoint, IpvsService, IpvsTable, normaliseAddress, serviceKey } from '../../parsers/procIpvs';
import { probeAddresses } from '../../probes/addresses';
import { probeHeartbeat } from '../../probes/heartbeat';
import { probeIpvs } from '../../probes/ipvs';
import { KEEPALIVED_FILES, probeKeepalived } from '../../probes/keepalived';
import { probePacemaker } from '../../probes/pacemaker';
import { countConnSync, probeConnSync, probeSyncDaemons } from '../../probes/sync';
import { runCheck } from '../../runtime/check';
import { VERSION } from '../../runtime/version';
import type { Source } from '../../sources/source';
import { moduleSpec } from '../modules';
import { checkConfig } from '../scrape';
import type { CheckStatus, DirectorStatus, HaView, Part, RealServerStatus, ServiceStatus, StatusSnapshot, SyncView, VipStatus } from './model';

export interface StatusEnv {
  deployment: Deployment;
  programs: Record<string, string>;
  ipvsProbe?: 'proc' | 'ipvsadm';
  /** Epoch ms by which the gather must end. */
  deadline: number;
  /** The scrape's memoised source for a host: undefined = this director. */
  sourceFor(host?: string): Source;
  /** This director's name (--node); else Heartbeat's local node, else the host name. */
  self?: string;
  /** Read the other directors over SSH (/probe's machinery). */
  peers: boolean;
  /** Why /probe may not reach this director (allow list), or undefined. */
  refusal(director: string): string | undefined;
}

function withDeadline<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out`)), Math.max(1, deadline - Date.now()));
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function part<T>(deadline: number, what: string, fn: () => Promise<T>): Promise<Part<T>> {
  try {
    const value = await withDeadline(fn(), deadline, what);
    return { at: Date.now(), value };
  } catch (e) {
    return { at: Date.now(), error: oneLine((e as Error).message ?? String(e)) };
  }
}

const oneLine = (s: string) => s.split('\n')[0]!.slice(0, 500);
const left = (deadline: number) => Math.max(1, deadline - Date.now());

/** An interface that carries traffic (as the vip collector judges it): up, with carrier. */
function carries(i: Interface): boolean {
  return i.flags.includes('UP') && !i.flags.includes('NO-CARRIER') && i.operstate !== 'DOWN' && i.operstate !== 'LOWERLAYERDOWN';
}

interface DirectorReading {
  status: DirectorStatus;
  table?: { table: IpvsTable; at: number };
  localNode?: string;
}

/** Reads one director: `src(host?)` gives its sources (the director's own for undefined). */
async function readDirector(env: StatusEnv, name: string, address: string, local: boolean, src: (host?: string) => Source): Promise<DirectorReading> {
  const d = env.deployment;
  const p = env.programs;
  const deadline = env.deadline;
  const ha = haLayer(d);
  let localNode: string | undefined;
  let table: { table: IpvsTable; at: number } | undefined;

  const [vips, haPart, sync, ipvs, checks] = await Promise.all([
    part(deadline, 'ip addr', async () => {
      const ifs = await probeAddresses(src(), { ip: p.ip, timeoutMs: left(deadline) });
      const held: Record<string, boolean> = {};
      for (const v of d.vips) {
        const vip = normaliseAddress(v.address) ?? v.address;
        held[vip] = findAddress(ifs, vip).some((h) => !(h.iface.linkType === 'loopback' || h.iface.flags.includes('LOOPBACK')) && carries(h.iface));
      }
      return held;
    }),
    part(deadline, ha, async (): Promise<HaView> => {
      if (ha === 'keepalived') {
        const k = keepalivedOf(d);
        const s = await probeKeepalived(src(), {
          method: p['keepalived-method'] === 'dbus' ? 'dbus' : 'json',
          ...KEEPALIVED_FILES,
          kill: p.kill ?? 'kill',
          stat: p.stat ?? 'stat',
          dbusSend: p['dbus-send'] ?? 'dbus-send',
          instances: [{ name: k.instance, interface: d.directors[0]?.interface ?? 'eth0', vrid: k.vrid }],
          captured: false,
          deadline,
        });
        return { layer: ha, daemon: s.daemon, detail: s.detail, nodes: s.instances.map((i) => ({ name: `${name} ${i.name}`, status: i.state, local: true })) };
      }
      if (ha === 'pacemaker') {
        const pm = pacemakerOf(d);
        const s = await probePacemaker(src(), { crmMon: p['crm-mon'] ?? 'crm_mon', cibadmin: p.cibadmin ?? 'cibadmin', timeoutMs: left(deadline) });
        const vipNodes = s.mon?.resources.find((r) => r.id === pm.vipResources[0])?.nodes ?? [];
        // The word crm_mon shows in front of a node, the worst first (as the pacemaker collector).
        const word = (n: { online: boolean; standby: boolean; maintenance: boolean; pending: boolean; unclean: boolean }) =>
          n.unclean ? 'unclean' : !n.online ? 'offline' : n.pending ? 'pending' : n.maintenance ? 'maintenance' : n.standby ? 'standby' : 'online';
        return {
          layer: ha,
          daemon: s.daemon,
          detail: s.detail,
          nodes: (s.mon?.nodes ?? []).map((n) => ({ name: n.name, status: word(n), local: n.name === name, holdsVip: vipNodes.includes(n.name) })),
        };
      }
      if (ha !== 'heartbeat') throw new Error(`the status page does not read the ${ha} HA layer`);
      const s = await probeHeartbeat(src(), { clStatus: p['cl-status'], timeoutMs: left(deadline), node: local ? env.self : name });
      localNode = s.localNode;
      return { layer: ha, daemon: s.daemon, detail: s.detail, nodes: s.nodes.filter((n) => n.type !== 'ping').map((n) => ({ name: n.name, status: n.status, local: n.local })) };
    }),
    part(deadline, 'sync', async (): Promise<SyncView> => {
      const [daemons, conns] = await Promise.all([probeSyncDaemons(src(), { ipvsadm: p.ipvsadm, timeoutMs: left(deadline) }), probeConnSync(src())]);
      const c = countConnSync(conns.connections);
      return { daemons: daemons.map((x) => ({ role: x.role, syncid: x.syncid, interface: x.interface })), local: c.local, sync: c.sync, note: conns.note };
    }),
    part(deadline, 'ipvs', async () => {
      const viaIpvsadm = env.ipvsProbe === 'ipvsadm';
      const snap = await probeIpvs(src(), viaIpvsadm ? { probe: 'ipvsadm', ipvsadm: p.ipvsadm, rate: true, exact: true, timeoutMs: left(deadline) } : { probe: 'proc', stats: true });
      table = { table: snap.table, at: Date.now() };
      return { services: snap.table.services.length, cps: snap.totals?.rates.cps };
    }),
    // The director module's checks, with the config lvsha_check_status uses.
    Promise.all(
      moduleSpec('director', local ? undefined : address, { programs: p, deployment: d }).checks.map(async (c): Promise<CheckStatus> => {
        const never = new AbortController().signal;
        try {
          // The director is known here (--node, or its name in the deployment): Heartbeat's
          // check is told which node it runs on, as `check_lvs_heartbeat --node` would be.
          let config = checkConfig(c, env);
          const node = local ? env.self : name;
          if (c.name === 'heartbeat' && node && !(config as { node?: string }).node) config = { ...(config as object), node };
          const r = await withDeadline(runCheck(loadCheck(c.name), config, { source: src, deadline, signal: never, trace: () => {} }), deadline, `check ${c.name}`);
          return { check: c.name, state: r.state, summary: oneLine(r.summary), at: Date.now() };
        } catch (e) {
          return { check: c.name, state: 3, summary: oneLine((e as Error).message), at: Date.now() };
        }
      }),
    ),
  ]);
  return { status: { name, address, local, read: local ? 'local' : 'ssh', vips, ha: haPart, sync, ipvs, checks }, table, localNode };
}

function notRead(name: string, address: string, note: string): DirectorReading {
  const at = Date.now();
  const none = { at, error: note };
  return { status: { name, address, local: false, read: 'not-read', note, vips: none, ha: none, sync: none, ipvs: none, checks: [] } };
}

const serviceLabel = (s: { protocol: string; address?: string; port?: number; fwmark?: number }) =>
  s.protocol === 'fwm' ? `FWM ${s.fwmark ?? 0}` : `${s.protocol.toUpperCase()} ${endpoint(normaliseAddress(s.address ?? '') ?? s.address ?? '', s.port ?? 0)}`;

/** The services as the holder of their VIP has them in its table, the deployment's real servers marked failed/removed when missing. */
export function servicesOf(d: Deployment, vips: VipStatus[], readings: DirectorReading[]): ServiceStatus[] {
  const byName = new Map(readings.map((r) => [r.status.name, r]));
  const holderOf = (vip: string | undefined): DirectorReading | undefined => {
    const v = vips.find((x) => x.address === vip) ?? (vip === undefined ? vips[0] : undefined);
    for (const h of v?.holders ?? []) if (byName.get(h)?.table) return byName.get(h);
    return undefined;
  };
  const out: ServiceStatus[] = [];
  const seen = new Set<string>();
  const tableService = (r: DirectorReading | undefined, key: string) => r?.table?.table.services.find((s) => serviceKey(s) === key);
  const build = (key: string, cfg: VirtualService | undefined, owner: DirectorReading | undefined, svc: IpvsService | undefined): ServiceStatus => {
    const isFallback = svc ? fallbackTest(svc, cfg) : () => false;
    const names = new Map((cfg?.realServers ?? []).map((r) => [`${normaliseAddress(r.address) ?? r.address} ${r.port}`, r.name]));
    const rows: RealServerStatus[] = [];
    const inTable = new Set<string>();
    for (const r of svc?.realServers ?? []) {
      inTable.add(`${r.address} ${svc?.protocol === 'fwm' ? '*' : r.port}`);
      rows.push({
        address: r.address,
        port: r.port,
        name: names.get(`${r.address} ${r.port}`),
        weight: r.weight,
        active: r.activeConns,
        inactive: r.inactiveConns,
        rate: r.rates && !r.rates.approximate ? r.rates.cps : undefined,
        state: r.weight > 0 ? 'live' : 'drained',
        fallback: isFallback(r),
      });
    }
    for (const r of cfg?.realServers ?? []) {
      const a = normaliseAddress(r.address) ?? r.address;
      if (inTable.has(`${a} ${cfg?.protocol === 'fwm' ? '*' : r.port}`)) continue;
      rows.push({ address: a, port: r.port, name: r.name, state: !owner ? 'unknown' : svc ? 'failed' : 'removed', fallback: false });
    }
    const real = rows.filter((r) => !r.fallback);
    const live = real.filter((r) => r.state === 'live').length;
    return {
      key,
      name: cfg?.name,
      label: svc ? serviceLabel(svc) : cfg ? serviceLabel(cfg) : key,
      director: owner?.status.name,
      scheduler: svc?.scheduler ?? cfg?.scheduler,
      realServers: rows,
      live,
      total: real.length,
      fallbackEngaged: live === 0 && rows.some((r) => r.fallback && r.state === 'live'),
      connections: rows.reduce((n, r) => n + (r.active ?? 0) + (r.inactive ?? 0), 0),
      at: owner?.table?.at,
      note: owner ? (svc ? undefined : `not in ${owner.status.name}'s IPVS table`) : 'no table read from a director holding its VIP',
    };
  };
  for (const cfg of d.services) {
    const key = configKey(cfg);
    seen.add(key);
    // fwmark services have no address: the holder of the first VIP schedules them.
    const owner = holderOf(cfg.address ? normaliseAddress(cfg.address) ?? cfg.address : undefined);
    out.push(build(key, cfg, owner, tableService(owner, key)));
  }
  // Services in a holder's table that the deployment does not describe.
  for (const r of readings) {
    if (!r.table || !vips.some((v) => v.holders.includes(r.status.name))) continue;
    for (const s of r.table.table.services) {
      const key = serviceKey(s);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(build(key, undefined, r, s));
    }
  }
  return out;
}

/** Who holds each VIP: the directors' own reads; for a director not read, what a read director's HA layer says. */
export function vipHolders(d: Deployment, dirs: DirectorStatus[]): VipStatus[] {
  return d.vips.map((v) => {
    const vip = normaliseAddress(v.address) ?? v.address;
    const holders = dirs.filter((x) => x.vips.value?.[vip] === true).map((x) => x.name);
    if (holders.length) return { address: vip, holders, how: 'read' as const };
    const unread = dirs.filter((x) => !x.vips.value);
    // Heartbeat on a director that was read and holds nothing: a single other node it sees
    // active holds the resources (two-node Heartbeat).
    for (const x of dirs) {
      const h = x.ha.value;
      if (!x.vips.value || !h || h.layer !== 'heartbeat' || h.daemon !== 'running') continue;
      const others = h.nodes.filter((n) => !n.local && n.status === 'active' && unread.some((u) => u.name === n.name));
      if (others.length === 1) return { address: vip, holders: [others[0]!.name], how: 'ha' as const };
    }
    // Pacemaker says where the VIP resource runs.
    for (const x of dirs) {
      const h = x.ha.value;
      if (!x.vips.value || !h || h.layer !== 'pacemaker' || h.daemon !== 'running') continue;
      const on = h.nodes.filter((n) => n.holdsVip && unread.some((u) => u.name === n.name)).map((n) => n.name);
      if (on.length) return { address: vip, holders: on, how: 'ha' as const };
    }
    for (const x of dirs) {
      const h = x.ha.value;
      if (!x.vips.value || !h || h.layer !== 'keepalived' || h.daemon !== 'running' || unread.length !== 1) continue;
      if (h.nodes.every((n) => n.status === 'BACKUP')) return { address: vip, holders: [unread[0]!.name], how: 'ha' as const };
    }
    return { address: vip, holders: [], how: unread.length ? ('unknown' as const) : ('read' as const) };
  });
}

/** Reads the whole deployment once. */
export async function gatherStatus(env: StatusEnv): Promise<StatusSnapshot> {
  const d = env.deployment;
  const startedAt = Date.now();
  const short = hostname().split('.')[0];
  let self = env.self ?? d.directors.find((x) => x.name === short)?.name;
  const addressOf = (n: string) => d.directors.find((x) => x.name === n)?.address ?? '';
  // This director first: its Heartbeat may name it when neither --node nor the host name does.
  const localReading = await readDirector(env, self ?? short ?? 'localhost', self ? addressOf(self) : '', true, (h) => env.sourceFor(h));
  if (!self && localReading.localNode && d.directors.some((x) => x.name === localReading.localNode)) {
    self = localReading.localNode;
    localReading.status.name = self;
    localReading.status.address = addressOf(self);
  }
  const readings: DirectorReading[] = [];
  const peers = d.directors.filter((x) => x.name !== self);
  const peerReadings = await Promise.all(
    peers.map((x) => {
      if (!env.peers) return notRead(x.name, x.address, 'not read (--no-status-peers)');
      // Reached at its address, as Prometheus' /probe job for directors does.
      const refused = env.refusal(x.address);
      if (refused) return notRead(x.name, x.address, `not read: ${refused}`);
      return readDirector(env, x.name, x.address, false, (h) => env.sourceFor(h ?? x.address));
    }),
  );
  // Deployment order; this host first when it is not in the deployment.
  if (!self) readings.push(localReading);
  for (const x of d.directors) readings.push(x.name === self ? localReading : peerReadings[peers.indexOf(x)]!);
  const directors = readings.map((r) => r.status);
  const vips = vipHolders(d, directors);
  return {
    deployment: d.name,
    version: VERSION,
    haLayer: haLayer(d),
    self,
    startedAt,
    at: Date.now(),
    vips,
    directors,
    services: servicesOf(d, vips, readings),
  };
}
