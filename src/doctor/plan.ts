import type { CheckName } from '../checks/registry';
import type { Deployment } from '../model/types';

/** One row of the doctor's table: a check run against one host. */
export interface DoctorItem {
  check: CheckName;
  /** Host name shown in the table. */
  host: string;
  /** Address the check probes (-H), or undefined for a deployment-wide check run from here. */
  address?: string;
  args: string[];
}

/**
 * Every check against the whole deployment: the VIP once (it looks at both directors), each
 * director's Heartbeat, IPVS table, sync daemons and sorry page, each real server's ARP setup.
 */
export function doctorPlan(d: Deployment): DoctorItem[] {
  const items: DoctorItem[] = [{ check: 'vip', host: d.directors.map((x) => x.name).join('+'), args: [] }];
  for (const dir of d.directors) {
    for (const check of ['heartbeat', 'ipvs', 'sync', 'sorry'] as const) items.push({ check, host: dir.name, address: dir.address, args: ['-H', dir.address] });
  }
  const reals = new Map<string, string>();
  for (const h of d.realHosts) reals.set(h.address, h.name);
  for (const s of d.services) for (const r of s.realServers) if (!reals.has(r.address)) reals.set(r.address, r.name ?? r.address);
  for (const [address, name] of reals) items.push({ check: 'arp', host: name, address, args: ['-H', address] });
  return items;
}
