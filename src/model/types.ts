/** The deployment model: one typed description of an LVS + Heartbeat installation. */

export type Protocol = 'tcp' | 'udp' | 'sctp' | 'fwm';
/** ldirectord's words: gate = direct routing, masq = NAT, ipip = tunnel. */
export type Forwarding = 'gate' | 'masq' | 'ipip';
export type AuthMethod = 'sha1' | 'md5' | 'crc';

export interface Director {
  name: string;
  address: string;
  /** Interface facing the LAN, carrying the VIP alias (eth0 → eth0:0). */
  interface: string;
}

export interface RealServer {
  /** Host name when known (reel1); ldirectord files only know addresses. */
  name?: string;
  address: string;
  port: number;
  weight: number;
  forwarding: Forwarding;
}

export interface Endpoint {
  address: string;
  port: number;
}

export interface VirtualService {
  /** ldirectord file name without .cf (www). */
  name: string;
  protocol: Protocol;
  /** VIP address; absent for fwmark services. */
  address?: string;
  port?: number;
  fwmark?: number;
  scheduler: string;
  /** Persistence timeout in seconds; absent = not persistent. */
  persistent?: number;
  persistentNetmask?: string;
  realServers: RealServer[];
  fallback?: Endpoint;
  quiescent: boolean;
  checktype: string;
}

export interface HeartbeatConfig {
  keepalive: number; // seconds
  warntime: number;
  deadtime: number;
  initdead: number;
  udpport: number;
  autoFailback: boolean;
  /** Node named first in haresources: holds the resources when both are up. */
  preferred: string;
  media: 'ucast' | 'bcast' | 'mcast';
  auth: AuthMethod;
  /** ping nodes (ha.cf `ping`), if any. */
  pingNodes: string[];
}

export interface SyncConfig {
  /** 1 = PROD, 2 = QUALIF, 3 = TEST, 0 = unconfigured. */
  syncid: number;
  /**
   * A different syncid per daemon role, when a site uses one per direction (master syncid 1,
   * backup syncid 2): absent = `syncid` for both.
   */
  masterSyncid?: number;
  backupSyncid?: number;
  interface: string;
  /** `both`: master and backup daemons on each director (the seed's lvsstate);
   * `follow-role`: master on the active director, backup on the passive one. */
  mode: 'both' | 'follow-role';
}

export interface VipConfig {
  address: string;
  /** Prefix length on the director's interface (24 in the reference). */
  prefix: number;
  /** Alias label on the director (eth0:0). */
  label?: string;
}

/** The HA layer that moves the VIP between the directors. */
export type HaLayer = 'heartbeat' | 'keepalived' | 'pacemaker';

/** keepalived's VRRP instance for the VIPs (`ha: keepalived`). */
export interface KeepalivedConfig {
  /** vrrp_instance name (VI_1). */
  instance: string;
  /** virtual_router_id, 1-255. */
  vrid: number;
  /** advert_int in seconds. */
  advertInt: number;
  /** Configured (base) priority per director name; the preferred director has the highest. */
  priorities: Record<string, number>;
  /** `nopreempt`: the MASTER keeps the VIP when a higher priority returns (auto_failback off). */
  nopreempt: boolean;
}

/**
 * The Pacemaker/Corosync cluster that moves the VIP (`ha: pacemaker`): the seed's haresources
 * line as a group, VIP (`ocf:heartbeat:IPaddr2`) first, then `ocf:heartbeat:ldirectord`.
 * The nodes are the directors (their names are the cluster's node names, `uname -n`).
 */
export interface PacemakerConfig {
  /** corosync.conf totem cluster_name. */
  clusterName: string;
  /** The resource group holding the VIPs then ldirectord. */
  group: string;
  /** One IPaddr2 resource id per VIP, in the order of `vips`. */
  vipResources: string[];
  /** The ldirectord resource id. */
  ldirectordResource: string;
  /**
   * resource-stickiness of the group. With auto_failback the preferred director's location
   * score beats it (the group moves back); without, stickiness wins (the group stays).
   */
  stickiness: number;
  /** Location constraint score for the preferred director (heartbeat.preferred). */
  preferredScore: number;
}

export interface Deployment {
  name: string;
  /** Which HA layer runs: absent = heartbeat (every deployment written before keepalived). */
  ha?: HaLayer;
  /** With `ha: keepalived`: the VRRP instance. */
  keepalived?: KeepalivedConfig;
  /** With `ha: pacemaker`: the cluster's resource ids and placement scores. */
  pacemaker?: PacemakerConfig;
  directors: Director[];
  vips: VipConfig[];
  services: VirtualService[];
  /** Real server hosts by name, for checks that run on them. */
  realHosts: { name: string; address: string; interface: string }[];
  heartbeat: HeartbeatConfig;
  sync: SyncConfig;
  /** The sorry server's page, as the directors serve it. */
  sorry: { url: string };
}
