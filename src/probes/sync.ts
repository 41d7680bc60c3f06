import { parseIpvsadmDaemon, SyncDaemon } from '../parsers/ipvsadm';
import { IpvsConnection, parseProcIpvsConn } from '../parsers/procIpvs';
import { PluginError } from '../runtime/errors';
import { describeExit, isNotFound, Source } from '../sources/source';
import { IpvsUnavailableError } from './ipvs';

export interface SyncProbeOptions {
  ipvsadm?: string;
  timeoutMs?: number;
}

/** The connection-sync daemons (`ipvsadm -L --daemon`, needs CAP_NET_ADMIN: privileged). */
export async function probeSyncDaemons(src: Source, o: SyncProbeOptions = {}): Promise<SyncDaemon[]> {
  const argv = [o.ipvsadm ?? 'ipvsadm', '-L', '--daemon'];
  const r = await src.run(argv, { privileged: true, timeoutMs: o.timeoutMs });
  if (r.code !== 0) {
    if (/Protocol not available|Are you sure that IP Virtual Server is built/.test(r.stderr))
      throw new IpvsUnavailableError(`IPVS not available in this kernel (${src.host}: ipvsadm: Protocol not available)`);
    const hint = /Permission denied|must be root|Operation not permitted/.test(r.stderr) ? ' (needs CAP_NET_ADMIN: try --sudo)' : '';
    throw new PluginError(`${src.host}: ${describeExit(argv, r)}${hint}`);
  }
  return parseIpvsadmDaemon(r.stdout);
}

export interface ConnSyncTable {
  connections: IpvsConnection[];
  /** Set when the origins are not known (no /proc/net/ip_vs_conn_sync): says why. */
  note?: string;
}

/**
 * /proc/net/ip_vs_conn_sync: every connection entry with its Origin (LOCAL or SYNC). A kernel
 * (or a captured tree) without that file but with /proc/net/ip_vs has IPVS: the connections
 * then come from /proc/net/ip_vs_conn without origins, and only a kernel with neither is
 * "IPVS not available".
 */
export async function probeConnSync(src: Source): Promise<ConnSyncTable> {
  const read = async (path: string): Promise<string | undefined> => {
    try {
      return await src.readFile(path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  const sync = await read('/proc/net/ip_vs_conn_sync');
  if (sync !== undefined) return { connections: parseProcIpvsConn(sync) };
  const conn = await read('/proc/net/ip_vs_conn');
  if (conn !== undefined) return { connections: parseProcIpvsConn(conn), note: `no /proc/net/ip_vs_conn_sync on ${src.host}: origins unknown, every connection counted as LOCAL` };
  if ((await read('/proc/net/ip_vs')) !== undefined) return { connections: [], note: `no /proc/net/ip_vs_conn_sync nor /proc/net/ip_vs_conn on ${src.host}: connections not counted` };
  throw new IpvsUnavailableError(`IPVS not available in this kernel (${src.host}: no /proc/net/ip_vs_conn_sync)`);
}

export interface ConnSyncCounts {
  local: number;
  sync: number;
  /** Persistence templates (client port 0), counted apart from connections. */
  templates: number;
  /** Connections (no templates) per `ORIGIN STATE`: `LOCAL ESTABLISHED` → 12. */
  byOriginState: Record<string, number>;
}

export function countConnSync(conns: IpvsConnection[]): ConnSyncCounts {
  const c: ConnSyncCounts = { local: 0, sync: 0, templates: 0, byOriginState: {} };
  for (const x of conns) {
    if (x.template) {
      c.templates++;
      continue;
    }
    if (x.origin === 'SYNC') c.sync++;
    else c.local++;
    const k = `${x.origin ?? 'LOCAL'} ${x.state}`;
    c.byOriginState[k] = (c.byOriginState[k] ?? 0) + 1;
  }
  return c;
}

/** Identity of a connection across directors: protocol, client and virtual endpoints. */
export function connectionKey(c: IpvsConnection): string {
  return `${c.protocol}|${c.clientAddress}|${c.clientPort}|${c.virtualAddress}|${c.virtualPort}`;
}
