import { Command } from 'commander';
import { hostname } from 'node:os';
import { HeartbeatNodeView, HeartbeatStatus, probeHeartbeat } from '../probes/heartbeat';
import { Perf } from '../runtime/perfdata';
import type { Deployment } from '../model/types';
import { CheckDef } from '../runtime/plugin';
import { combine, Finding, Result } from '../runtime/result';
import { State } from '../runtime/state';

export interface HeartbeatOptions {
  clStatus: string;
  node?: string;
}

export interface HeartbeatPolicy {
  /** ha.cf media: in ucast mode the local node's own links always read `dead`. */
  media: 'ucast' | 'bcast' | 'mcast';
  /** Where cl_status ran, for messages. */
  host: string;
  /** Probe wall time in seconds (perfdata). */
  seconds?: number;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function peerFinding(n: HeartbeatNodeView): Finding {
  const up = n.links.filter((l) => l.status === 'up');
  const dead = n.links.filter((l) => l.status !== 'up');
  const linkText = `${up.length}/${n.links.length} links up`;
  if (n.status === 'dead') return { state: State.CRITICAL, text: `peer ${n.name} is dead` };
  if (n.status === 'init' || n.status === 'up') return { state: State.WARNING, text: `peer ${n.name} is '${n.status}', not active (${linkText})` };
  if (n.links.length === 0) return { state: State.WARNING, text: `peer ${n.name} is ${n.status} but has no Heartbeat link` };
  if (up.length === 0) return { state: State.CRITICAL, text: `peer ${n.name}: all ${plural(n.links.length, 'link')} dead (${dead.map((l) => l.name).join(', ')})` };
  if (dead.length > 0) return { state: State.WARNING, text: `peer ${n.name}: ${plural(dead.length, 'link')} dead (${dead.map((l) => l.name).join(', ')}), ${linkText}` };
  return { state: State.OK, text: `peer ${n.name} ${n.status}, ${linkText}` };
}

/** The policy of check_lvs_heartbeat: which state for what cl_status showed. */
export function evaluateHeartbeat(s: HeartbeatStatus, p: HeartbeatPolicy): Result {
  const timePerf: Perf[] = p.seconds === undefined ? [] : [{ label: 'time', value: Math.round(p.seconds * 1000) / 1000, uom: 's', min: 0 }];
  if (s.daemon === 'stopped') return { state: State.CRITICAL, summary: `Heartbeat is not running on ${p.host}`, long: [s.detail], perf: timePerf };
  if (s.daemon === 'unresponsive') return { state: State.CRITICAL, summary: `Heartbeat on ${p.host} does not answer (cl_status timed out)`, long: [s.detail], perf: timePerf };
  if (s.daemon === 'refused')
    return {
      state: State.UNKNOWN,
      summary: `Heartbeat runs on ${p.host} but refuses cl_status (run as root or in group haclient)`,
      long: [s.detail],
      perf: timePerf,
    };
  const names = s.nodes.map((n) => n.name);
  const local = s.nodes.find((n) => n.local);
  if (!local) {
    return {
      state: State.UNKNOWN,
      summary: s.localNode
        ? `${s.localNode} is not a Heartbeat node (nodes: ${names.join(', ')})`
        : `cannot tell which Heartbeat node ${p.host} is (nodes: ${names.join(', ')}); give --node`,
      perf: timePerf,
    };
  }

  const findings: Finding[] = [];
  const long: string[] = [];
  const peers = s.nodes.filter((n) => n.type === 'normal' && !n.local);
  for (const n of peers) findings.push(peerFinding(n));
  if (peers.length === 0) findings.push({ state: State.WARNING, text: `no peer: ${local.name} is the only Heartbeat node` });
  for (const n of s.nodes.filter((x) => x.type === 'ping')) {
    findings.push(n.status === 'dead' ? { state: State.WARNING, text: `ping node ${n.name} is dead` } : { state: State.OK, text: `ping node ${n.name} answers` });
  }
  for (const n of s.nodes.filter((x) => x.type === 'unknown')) long.push(`node ${n.name}: type unknown, status ${n.status} (ignored)`);

  if (local.status !== 'active') findings.push({ state: State.WARNING, text: `${local.name} (this node) is '${local.status}', not active` });
  if (p.media === 'ucast') {
    // Heartbeat never hears its own unicast packets: the local links always read dead.
    if (local.links.length) long.push(`local links (not judged in ucast mode): ${local.links.map((l) => `${l.name} ${l.status}`).join(', ')}`);
  } else {
    const dead = local.links.filter((l) => l.status !== 'up');
    if (dead.length) findings.push({ state: State.WARNING, text: `local ${plural(dead.length, 'link')} dead on ${local.name} (${dead.map((l) => l.name).join(', ')})` });
  }

  const peerLinks = peers.flatMap((n) => n.links);
  const up = peerLinks.filter((l) => l.status === 'up').length;
  const perf: Perf[] = [
    { label: 'links_up', value: up, min: 0, max: peerLinks.length },
    { label: 'links_total', value: peerLinks.length, min: 0 },
  ];
  if (s.deadtime !== undefined) perf.push({ label: 'deadtime', value: s.deadtime, uom: 's', min: 0 });
  if (s.warntime !== undefined) perf.push({ label: 'warntime', value: s.warntime, uom: 's', min: 0 });
  if (s.keepalive !== undefined) perf.push({ label: 'keepalive', value: s.keepalive, uom: 's', min: 0 });
  perf.push(...timePerf);
  if (s.keepalive !== undefined && s.warntime !== undefined && s.deadtime !== undefined)
    long.push(`timings: keepalive ${s.keepalive} s, warntime ${s.warntime} s, deadtime ${s.deadtime} s`);

  const peerOk = peers.map((n) => peerFinding(n).text).join('; ');
  return combine(findings, `${local.name}: ${peerOk}`, perf, long);
}

export interface HeartbeatConfig {
  clStatus: string;
  node?: string;
  media: HeartbeatPolicy['media'];
}

export interface HeartbeatModel {
  status: HeartbeatStatus;
  /** Where cl_status ran, for messages. */
  host: string;
  seconds: number;
}

export const heartbeatCheck: CheckDef<HeartbeatConfig, HeartbeatModel, HeartbeatOptions, Deployment> = {
  name: 'heartbeat',
  prefix: 'LVS HEARTBEAT',
  description: 'Heartbeat runs here and sees its peer alive over its links (asks cl_status; never touches udp/694)',
  options(cmd: Command) {
    cmd
      .option('--cl-status <path>', 'cl_status program', 'cl_status')
      .option('--node <name>', "this node's Heartbeat name (default: uname -n, else what cl_status test says)");
  },
  configure(o, ctx): HeartbeatConfig {
    return { clStatus: o.clStatus, node: o.node, media: ctx.deployment().heartbeat.media };
  },
  defaults: (d) => ({ clStatus: 'cl_status', media: d.heartbeat.media }),
  async gather(c, env): Promise<HeartbeatModel> {
    const src = env.source();
    const t0 = process.hrtime.bigint();
    const status = await probeHeartbeat(src, { clStatus: c.clStatus, node: c.node });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const host = status.localNode ?? c.node ?? (src.host === 'localhost' ? hostname() : src.host);
    return { status, host, seconds };
  },
  evaluate: (m, c) => evaluateHeartbeat(m.status, { media: c.media, host: m.host, seconds: m.seconds }),
};
