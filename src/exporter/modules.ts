import type { ArpConfig } from '../checks/arp';
import type { HeartbeatConfig } from '../checks/heartbeat';
import type { KeepalivedCheckConfig } from '../checks/keepalived';
import type { PacemakerCheckConfig } from '../checks/pacemaker';
import { haLayer } from '../model/ha';
import type { CheckName } from '../checks/registry';
import type { SorryConfig } from '../checks/sorry';
import type { SyncConfig } from '../checks/sync';
import type { Deployment } from '../model/types';
import { collectorsFor } from './collectors';
import type { Collector } from './collector';

export const MODULES = ['director', 'realserver', 'sorry'] as const;
export type ModuleName = (typeof MODULES)[number];

/** What a module needs of the exporter's options (server.ts's ExporterOptions has these). */
export interface ModuleOptions {
  /** Program path overrides (`cl-status`, `ipvsadm`, `ip`, `ss`), as the checks' --ipvsadm... */
  programs: Record<string, string>;
  /** The deployment: its HA layer picks Heartbeat's or keepalived's collector and check. */
  deployment?: Pick<Deployment, 'ha'>;
}

/**
 * A check whose verdict becomes lvsha_check_status{check}: its config is the check's own
 * defaults for the deployment, adjusted in TypeScript (the same config a plugin run without
 * options builds), then the same gather → evaluate as the plugin.
 */
export interface CheckSpec {
  name: CheckName;
  // The check's own config type; each spec below is typed through `spec()`.
  adjust?(config: never, d: Deployment): unknown;
}

export interface ModuleSpec {
  collectors: Collector[];
  checks: CheckSpec[];
}

const spec = <C>(name: CheckName, adjust?: (c: C, d: Deployment) => C): CheckSpec => ({ name, adjust: adjust as CheckSpec['adjust'] });

/** Which collectors and checks each module runs. */
export function moduleSpec(module: ModuleName, target: string | undefined, o: ModuleOptions): ModuleSpec {
  const p = o.programs;
  const ha = haLayer(o.deployment ?? {});
  switch (module) {
    case 'director':
      return {
        collectors: collectorsFor('director', ha),
        checks: [
          // check_lvs_ipvs with its defaults: the passive-director rule is in its evaluate, so a
          // healthy backup director is OK here as it is for the plugin. The table is parsed once
          // per scrape (probeIpvs keeps the last text's table) for the collector and the check.
          spec('ipvs'),
          ha === 'keepalived'
            ? spec<KeepalivedCheckConfig>('keepalived', (c) => ({
                ...c,
                method: p['keepalived-method'] === 'dbus' ? 'dbus' : c.method,
                kill: p.kill ?? c.kill,
                stat: p.stat ?? c.stat,
                dbusSend: p['dbus-send'] ?? c.dbusSend,
              }))
            : ha === 'pacemaker'
              ? spec<PacemakerCheckConfig>('pacemaker', (c) => ({ ...c, crmMon: p['crm-mon'] ?? c.crmMon, cibadmin: p.cibadmin ?? c.cibadmin }))
              : spec<HeartbeatConfig>('heartbeat', (c) => ({ ...c, clStatus: p['cl-status'] ?? c.clStatus })),
          spec<SyncConfig>('sync', (c) => ({ ...c, ipvsadm: p.ipvsadm ?? c.ipvsadm, ip: p.ip ?? c.ip })),
          // sorry with /probe's target: the page on the director's loopback is fetched through
          // its SSH connection (without it, the exporter's own 127.0.0.1 was asked: CRITICAL on
          // a healthy lab, found by lab/netns/probe.sh).
          spec<SorryConfig>('sorry', (c) => (target ? { ...c, hostname: target } : c)),
        ],
      };
    case 'realserver':
      return { collectors: collectorsFor('realserver'), checks: [spec<ArpConfig>('arp', (c) => ({ ...c, ip: p.ip ?? c.ip, ss: p.ss ?? c.ss }))] };
    case 'sorry':
      return { collectors: collectorsFor('sorry'), checks: [spec<SorryConfig>('sorry', (c) => ({ ...c, url: target ?? c.url, engaged: false }))] };
  }
}
