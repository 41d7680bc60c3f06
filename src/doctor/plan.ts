import type { CheckName } from '../checks/registry';
import { haLayer } from '../model/ha';
import type { Deployment } from '../model/types';

/** One row of the doctor's table: a check run against one host. */
export interface DoctorItem {
  check: CheckName;
  /** Host name shown in the table. */
  host: string;
  /** Address the check probes (-H), or undefined for a deployment-wide check run from here. */
  address?: string;
  /**
   * Set when the row is not run: why (a real server that is no host of the deployment). Doctor
   * shows it as a WARNING and connects to nothing for it.
   */
  notChecked?: string;
}

/**
 * Every check against the whole deployment: the VIP once (it looks at both directors), each
 * director's HA layer (Heartbeat or keepalived), IPVS table, sync daemons and sorry page, each real host's ARP setup.
 *
 * Doctor connects only to the hosts the deployment names as hosts (directors, realHosts): a real
 * server's service address is where the directors send traffic, not necessarily where we may
 * open SSH (the loopback test deployment serves 192.168.0.4 from a host reached at 127.0.0.4).
 * A real server covered by no realHosts entry (neither by address nor by name) gets a row that
 * says so instead of a connection to an address nobody listed as a host.
 */
export function doctorPlan(d: Deployment): DoctorItem[] {
  const items: DoctorItem[] = [{ check: 'vip', host: d.directors.map((x) => x.name).join('+') }];
  for (const dir of d.directors) {
    // The HA layer's own check first: Heartbeat's, keepalived's or Pacemaker's, as the deployment runs.
    for (const check of [haLayer(d), 'ipvs', 'sync', 'sorry'] as const) items.push({ check, host: dir.name, address: dir.address });
  }
  const hostAddresses = new Set(d.realHosts.map((h) => h.address));
  const hostNames = new Set(d.realHosts.map((h) => h.name));
  for (const h of d.realHosts) items.push({ check: 'arp', host: h.name, address: h.address });
  const uncovered = new Map<string, string>();
  for (const s of d.services)
    for (const r of s.realServers) {
      if (hostAddresses.has(r.address) || (r.name !== undefined && hostNames.has(r.name))) continue;
      const label = r.name ?? r.address;
      if (!uncovered.has(label)) uncovered.set(label, r.address);
    }
  for (const [host, address] of uncovered)
    items.push({ check: 'arp', host, notChecked: `not checked: real server ${address} is not a host of the deployment (add it to realHosts)` });
  return items;
}
