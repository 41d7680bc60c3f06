/**
 * The status page's state of the whole deployment, as read in one gather: what /status renders
 * and what /status?format=json returns. Plain data (JSON-safe): times are epoch milliseconds.
 */

/**
 * Real server states: live (weight > 0), drained (weight 0), failed (configured, missing while
 * its service is in the holder's table: the health checker took it out), removed (its service
 * is not in the holder's table at all), unknown (no table of the VIP's holder was read).
 */
export type RealServerState = 'live' | 'drained' | 'failed' | 'removed' | 'unknown';

export interface RealServerStatus {
  address: string;
  port: number;
  /** The deployment's name for it (reel1), when it has one. */
  name?: string;
  /** Absent when the real server is not in the table. */
  weight?: number;
  active?: number;
  inactive?: number;
  /** New connections per second (ipvsadm --rate: only with --ipvs-probe ipvsadm). */
  rate?: number;
  state: RealServerState;
  /** The service's fallback (sorry server). */
  fallback: boolean;
}

export interface ServiceStatus {
  /** serviceKey form: `tcp:192.168.0.3:80`, `fwm:5`. */
  key: string;
  /** ldirectord's name for it (www), when the deployment describes it. */
  name?: string;
  /** `TCP 192.168.0.3:80`. */
  label: string;
  /** Whose table this is (the director holding its VIP); undefined: no director's table was read. */
  director?: string;
  scheduler?: string;
  realServers: RealServerStatus[];
  /** Real servers with weight > 0, the fallback not counted. */
  live: number;
  /** Real servers configured or in the table, the fallback not counted. */
  total: number;
  /** The fallback is the only live real server. */
  fallbackEngaged: boolean;
  /** Active + inactive connections on every real server. */
  connections: number;
  /** Epoch ms of the table read. */
  at?: number;
  /** Why there is no table for it. */
  note?: string;
}

export interface HaNodeView {
  name: string;
  /** Heartbeat: init/up/active/ping/dead; keepalived: the VRRP state of this director (INIT/BACKUP/MASTER/FAULT); Pacemaker: online/standby/maintenance/pending/unclean/offline. */
  status: string;
  local: boolean;
  /** Pacemaker: the deployment's VIP resource runs on this node. */
  holdsVip?: boolean;
}

/** A director's HA layer as that director reports it. */
export interface HaView {
  layer: string;
  /** running, stopped, refused, unresponsive, hung... */
  daemon: string;
  detail: string;
  /** Heartbeat: every node as this director's Heartbeat sees it; keepalived: this director's instances. */
  nodes: HaNodeView[];
}

export interface SyncView {
  /** master/backup daemons running on the director. */
  daemons: { role: 'master' | 'backup'; syncid: number; interface: string }[];
  /** Connection entries scheduled here (LOCAL) and received from the master (SYNC), templates apart. */
  local: number;
  sync: number;
  note?: string;
}

export interface CheckStatus {
  /** check_lvs_NAME's NAME. */
  check: string;
  /** 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
  state: number;
  summary: string;
  at: number;
}

/** One part of a director's reading: its value or why it could not be read, and when. */
export interface Part<T> {
  at: number;
  value?: T;
  error?: string;
}

export interface DirectorStatus {
  name: string;
  address: string;
  /** The director this exporter runs on. */
  local: boolean;
  /** local: read here; ssh: read over SSH as /probe does; not-read: peers are not read (--no-status-peers) or /probe may not reach it. */
  read: 'local' | 'ssh' | 'not-read';
  note?: string;
  /** VIP address → held on a live interface of this director. */
  vips: Part<Record<string, boolean>>;
  ha: Part<HaView>;
  sync: Part<SyncView>;
  /** Services in this director's IPVS table (count); the rows are in `services`. */
  ipvs: Part<{ services: number; /** New connections per second, all services (/proc/net/ip_vs_stats' rates). */ cps?: number }>;
  checks: CheckStatus[];
}

export interface VipStatus {
  address: string;
  /** Directors holding it. */
  holders: string[];
  /** read: the holders' own `ip addr`; ha: inferred from the HA layer of a director that was read (the holder itself was not read); unknown: nothing says. */
  how: 'read' | 'ha' | 'unknown';
}

export interface StatusSnapshot {
  deployment: string;
  version: string;
  haLayer: string;
  /** This director's name, when known. */
  self?: string;
  /** Gather start and end, epoch ms. */
  startedAt: number;
  at: number;
  vips: VipStatus[];
  directors: DirectorStatus[];
  services: ServiceStatus[];
}

export const STATE_NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const;
