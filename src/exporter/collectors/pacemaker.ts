import type { Registry } from 'prom-client';
import { pacemakerOf } from '../../model/ha';
import { probePacemaker } from '../../probes/pacemaker';
import { Collector, remainingMs, ScrapeEnv } from '../collector';
import { gauge, setEnum } from '../metrics';

const DAEMON_STATES = ['running', 'stopped', 'refused', 'hung'] as const;
const NODE_STATES = ['online', 'standby', 'maintenance', 'pending', 'unclean', 'offline'] as const;

/** One word for a node, the worst first: what `crm_mon` shows in front of its name. */
function nodeState(n: { online: boolean; standby: boolean; maintenance: boolean; pending: boolean; unclean: boolean }): (typeof NODE_STATES)[number] {
  if (n.unclean) return 'unclean';
  if (!n.online) return 'offline';
  if (n.pending) return 'pending';
  if (n.maintenance) return 'maintenance';
  if (n.standby) return 'standby';
  return 'online';
}

/**
 * Pacemaker as `crm_mon --output-as=xml` shows it from this director (root or group haclient):
 * quorum, DC, each node's state, where each resource runs, fail counts, failed actions and the
 * cli-* constraints `crm resource move/ban` left. A stopped Pacemaker is lvsha_pacemaker_up 0 and
 * no cluster series (never the last known state).
 */
export const pacemakerCollector: Collector = {
  name: 'pacemaker',
  async collect(env: ScrapeEnv, reg: Registry): Promise<void> {
    const p = pacemakerOf(env.deployment);
    const s = await probePacemaker(env.source, { crmMon: env.programs['crm-mon'] ?? 'crm_mon', cibadmin: env.programs.cibadmin ?? 'cibadmin', timeoutMs: remainingMs(env) });
    gauge(reg, 'lvsha_pacemaker_up', 'Whether Pacemaker runs on this director and crm_mon answered this scrape (1) or not (0).').set(s.daemon === 'running' ? 1 : 0);
    setEnum(gauge(reg, 'lvsha_pacemaker_daemon_state', 'State of the local Pacemaker as crm_mon answers, one series per state (1 on the current one).', ['state']), {}, DAEMON_STATES, s.daemon);
    const m = s.mon;
    if (s.daemon !== 'running' || !m) return;
    gauge(reg, 'lvsha_pacemaker_quorate', "Whether this director's partition has quorum (1) or not (0).").set(m.quorum ? 1 : 0);
    gauge(reg, 'lvsha_pacemaker_dc_elected', 'Whether the partition has a Designated Controller (1) or not (0).').set(m.dc ? 1 : 0);
    gauge(reg, 'lvsha_pacemaker_stonith_enabled', 'Whether fencing is enabled (stonith-enabled) (1) or not (0).').set(m.stonithEnabled ? 1 : 0);
    gauge(reg, 'lvsha_pacemaker_maintenance_mode', 'Whether the cluster is in maintenance-mode (1) or not (0).').set(m.maintenanceMode ? 1 : 0);
    const state = gauge(reg, 'lvsha_pacemaker_node_state', 'State of each cluster node, one series per state (1 on the current one, the worst of unclean, offline, pending, maintenance, standby, online).', ['node', 'state']);
    const dc = gauge(reg, 'lvsha_pacemaker_node_is_dc', 'Whether the node is the Designated Controller (1) or not (0).', ['node']);
    for (const n of m.nodes) {
      setEnum(state, { node: n.name }, NODE_STATES, nodeState(n));
      dc.set({ node: n.name }, n.isDc ? 1 : 0);
    }
    const running = gauge(reg, 'lvsha_pacemaker_resource_running', 'Whether the resource runs on the node (1); a resource on two nodes is a split brain.', ['resource', 'node', 'group', 'agent']);
    const count = gauge(reg, 'lvsha_pacemaker_resource_nodes_running', 'On how many nodes the resource runs (1 for a healthy VIP; 0 stopped; 2 split brain).', ['resource', 'group', 'agent']);
    const failed = gauge(reg, 'lvsha_pacemaker_resource_failed', 'Whether Pacemaker marks the resource failed (1) or not (0).', ['resource', 'group', 'agent']);
    for (const r of m.resources) {
      const l = { resource: r.id, group: r.group ?? '', agent: r.agent };
      count.set(l, r.nodes.length);
      failed.set(l, r.failed ? 1 : 0);
      for (const n of r.nodes) running.set({ ...l, node: n }, 1);
    }
    // The LVS group as the deployment names it: where its VIP runs, one series per node (0 or 1).
    const vip = p.vipResources[0];
    const vipNodes = m.resources.find((r) => r.id === vip)?.nodes ?? [];
    const holder = gauge(reg, 'lvsha_pacemaker_group_node', "Whether the deployment's LVS group (its first VIP resource) runs on the node (1) or not (0).", ['group', 'node']);
    for (const n of m.nodes) holder.set({ group: p.group, node: n.name }, vipNodes.includes(n.name) ? 1 : 0);
    const fc = gauge(reg, 'lvsha_pacemaker_resource_failcount', 'Fail count of a resource on a node (1000000 = INFINITY: banned from the node until cleanup).', ['resource', 'node']);
    for (const h of m.history) fc.set({ resource: h.resource, node: h.node }, h.failCount);
    gauge(reg, 'lvsha_pacemaker_failed_actions', 'Failed actions crm_mon lists (crm resource cleanup clears them).').set(m.failures.length);
    const cli = gauge(reg, 'lvsha_pacemaker_cli_constraint', 'A cli-prefer/cli-ban constraint left by crm resource move/ban (1): crm resource clear removes it.', ['id', 'kind', 'resource', 'node']);
    const seen = new Set<string>();
    for (const c of s.cli) {
      seen.add(c.id);
      cli.set({ id: c.id, kind: c.kind, resource: c.resource, node: c.node }, 1);
    }
    for (const b of m.bans.filter((x) => /^cli-ban-/.test(x.id) && !seen.has(x.id))) cli.set({ id: b.id, kind: 'ban', resource: b.resource, node: b.node }, 1);
  },
};
