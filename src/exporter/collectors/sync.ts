import type { Registry } from 'prom-client';
import { countConnSync, probeConnSync, probeSyncDaemons } from '../../probes/sync';
import { Collector, remainingMs, ScrapeEnv } from '../collector';
import { gauge } from '../metrics';

const ROLES = ['master', 'backup'] as const;

/** The IPVS connection-sync daemons (`ipvsadm -L --daemon`) and what they carried (/proc/net/ip_vs_conn_sync). */
export const syncCollector: Collector = {
  name: 'sync',
  async collect(env: ScrapeEnv, reg: Registry): Promise<void> {
    const [daemons, conns] = await Promise.all([probeSyncDaemons(env.source, { ipvsadm: env.programs.ipvsadm, timeoutMs: remainingMs(env) }), probeConnSync(env.source).then((t) => t.connections)]);
    const running = gauge(reg, 'lvsha_sync_daemon_running', 'Whether the IPVS sync daemon of this role runs on this director (1) or not (0).', ['role']);
    const syncid = gauge(reg, 'lvsha_sync_daemon_syncid', 'The syncid of the running sync daemon of this role.', ['role']);
    for (const role of ROLES) {
      const d = daemons.find((x) => x.role === role);
      running.set({ role }, d ? 1 : 0);
      if (d) syncid.set({ role }, d.syncid);
    }
    const c = countConnSync(conns);
    const byState = gauge(reg, 'lvsha_ipvs_sync_connections', 'IPVS connection entries (persistence templates apart) by origin (LOCAL: scheduled here, SYNC: received from the master) and state.', ['origin', 'state']);
    // Both origins always present, so a backup that stops receiving reads 0, not absent.
    for (const origin of ['LOCAL', 'SYNC']) byState.add({ origin, state: 'ESTABLISHED' }, 0);
    for (const [k, n] of Object.entries(c.byOriginState)) {
      const [origin, state] = k.split(' ');
      byState.add({ origin: origin!, state: state! }, n);
    }
    const templates = gauge(reg, 'lvsha_ipvs_sync_templates', 'IPVS persistence templates by origin.', ['origin']);
    templates.add({ origin: 'LOCAL' }, 0);
    templates.add({ origin: 'SYNC' }, 0);
    for (const x of conns) if (x.template) templates.add({ origin: x.origin ?? 'LOCAL' }, 1);
  },
};
