import type { Registry } from 'prom-client';
import { probeHeartbeat } from '../../probes/heartbeat';
import { Collector, remainingMs, ScrapeEnv } from '../collector';
import { gauge, setEnum } from '../metrics';

const DAEMON_STATES = ['running', 'stopped', 'refused', 'unresponsive'] as const;
const NODE_STATES = ['init', 'up', 'active', 'ping', 'dead'] as const;

/** Heartbeat as `cl_status` sees it on this director (never touches udp/694). */
export const heartbeatCollector: Collector = {
  name: 'heartbeat',
  async collect(env: ScrapeEnv, reg: Registry): Promise<void> {
    const s = await probeHeartbeat(env.source, { clStatus: env.programs['cl-status'], timeoutMs: remainingMs(env) });
    gauge(reg, 'lvsha_heartbeat_up', 'Whether Heartbeat runs on this director and answers cl_status (1) or not (0).').set(s.daemon === 'running' ? 1 : 0);
    setEnum(gauge(reg, 'lvsha_heartbeat_daemon_state', 'State of the local Heartbeat daemon, one series per state (1 on the current one).', ['state']), {}, DAEMON_STATES, s.daemon);
    if (s.daemon !== 'running') return;

    const nodeUp = gauge(reg, 'lvsha_heartbeat_node_up', 'Whether Heartbeat sees the node alive (active, up or ping) (1) or not (0).', ['node', 'type']);
    const nodeState = gauge(reg, 'lvsha_heartbeat_node_status', 'Status Heartbeat gives each node, one series per status (1 on the current one).', ['node', 'state']);
    const linkUp = gauge(reg, 'lvsha_heartbeat_link_up', 'Whether the Heartbeat link to the node is up (1) or dead (0). In ucast mode the local node\'s own link always reads dead.', ['node', 'link']);
    for (const n of s.nodes) {
      nodeUp.set({ node: n.name, type: n.type }, n.status === 'dead' || n.status === 'init' ? 0 : 1);
      setEnum(nodeState, { node: n.name }, NODE_STATES, n.status);
      for (const l of n.links) linkUp.set({ node: n.name, link: l.name }, l.status === 'up' ? 1 : 0);
    }
    // Only when Heartbeat could tell which node it runs on (uname -n, or cl_status test).
    const me = s.nodes.find((n) => n.local);
    if (me) gauge(reg, 'lvsha_heartbeat_local_node', 'The Heartbeat node this director is (1).', ['node']).set({ node: me.name }, 1);
    const param = (name: string, help: string, v: number | undefined) => {
      if (v !== undefined) gauge(reg, name, help).set(v);
    };
    param('lvsha_heartbeat_keepalive_seconds', 'Heartbeat keepalive: interval between heartbeats, in seconds.', s.keepalive);
    param('lvsha_heartbeat_warntime_seconds', 'Heartbeat warntime: silence after which a late heartbeat is logged, in seconds.', s.warntime);
    param('lvsha_heartbeat_deadtime_seconds', 'Heartbeat deadtime: silence after which a node is declared dead, in seconds.', s.deadtime);
  },
};
