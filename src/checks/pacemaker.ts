import { Command } from 'commander';
import { hostname } from 'node:os';
import { pacemakerOf } from '../model/ha';
import type { Deployment } from '../model/types';
import type { CrmMon, PmResource } from '../parsers/crmMon';
import { PacemakerReading, PacemakerStatus, probePacemaker } from '../probes/pacemaker';
import { remaining } from '../runtime/check';
import { Perf } from '../runtime/perfdata';
import { CheckDef } from '../runtime/plugin';
import { combine, Finding, Result } from '../runtime/result';
import { State } from '../runtime/state';

export interface PacemakerOptions extends PacemakerReading {
  requireFencing: boolean;
}

export interface PacemakerCheckConfig extends PacemakerReading {
  /** The group holding the VIPs then ldirectord. */
  group: string;
  vipResources: string[];
  ldirectordResource: string;
  /** The directors: the cluster's nodes. */
  directors: string[];
  /** The node the group belongs on while it is healthy (haresources' node). */
  preferred: string;
  /** The group goes back to the preferred node (its location score beats the stickiness). */
  autoFailback: boolean;
  /** Fencing disabled is a WARNING (else a line of the long output). */
  requireFencing: boolean;
}

export interface PacemakerModel {
  status: PacemakerStatus;
  /** Where crm_mon ran, for messages. */
  host: string;
}

const list = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** Where a resource runs, as one phrase: "on frontal1", "stopped", "on frontal1 and frontal2". */
function where(r: PmResource): string {
  if (r.nodes.length === 0) return r.targetRole === 'Stopped' ? 'stopped (target-role Stopped)' : 'stopped';
  return `on ${list(r.nodes)}`;
}

function resourceFindings(m: CrmMon, id: string, what: string): { r?: PmResource; findings: Finding[] } {
  const r = m.resources.find((x) => x.id === id);
  if (!r) return { findings: [{ state: State.CRITICAL, text: `no resource ${id} (${what}) in the cluster` }] };
  const f: Finding[] = [];
  if (r.nodes.length > 1) f.push({ state: State.CRITICAL, text: `split brain: ${id} runs on ${list(r.nodes)}` });
  else if (r.failed) f.push({ state: State.CRITICAL, text: `${id} FAILED ${where(r)}` });
  else if (r.nodes.length === 0) f.push({ state: State.CRITICAL, text: `${id} (${what}) is ${where(r)}` });
  if (r.blocked) f.push({ state: State.CRITICAL, text: `${id} is blocked (a stop failed and no fencing to recover)` });
  else if (!r.managed) f.push({ state: State.WARNING, text: `${id} is unmanaged: Pacemaker will not recover it` });
  return { r, findings: f };
}

/** The policy of check_lvs_pacemaker: which state for what crm_mon showed. */
export function evaluatePacemaker(model: PacemakerModel, c: PacemakerCheckConfig): Result {
  const s = model.status;
  const at = model.host;
  if (s.daemon === 'stopped') return { state: State.CRITICAL, summary: `Pacemaker is not running on ${at}`, long: [s.detail] };
  if (s.daemon === 'hung') return { state: State.CRITICAL, summary: `Pacemaker on ${at} does not answer (crm_mon timed out)`, long: [s.detail] };
  if (s.daemon === 'refused') return { state: State.UNKNOWN, summary: `crm_mon refused on ${at}: run as root or in group haclient`, long: [s.detail] };
  const m = s.mon!;
  const findings: Finding[] = [];
  const long: string[] = [s.detail];

  // The cluster as a whole
  if (m.status.code !== 0) findings.push({ state: State.WARNING, text: `crm_mon status ${m.status.code}: ${m.status.message}` });
  if (!m.dc) findings.push({ state: State.WARNING, text: 'no DC elected (the cluster is forming or split)' });
  if (!m.quorum) {
    const policy = m.noQuorumPolicy ?? 'stop';
    findings.push({ state: policy === 'ignore' ? State.WARNING : State.CRITICAL, text: `${at}'s partition has no quorum (no-quorum-policy ${policy})` });
  }
  if (m.maintenanceMode) findings.push({ state: State.WARNING, text: 'cluster in maintenance-mode: Pacemaker neither starts, stops nor moves anything' });
  if (m.stopAllResources) findings.push({ state: State.CRITICAL, text: 'stop-all-resources is set: every resource is stopped' });

  // The nodes: the directors
  const byName = new Map(m.nodes.map((n) => [n.name, n]));
  for (const d of c.directors) {
    const n = byName.get(d);
    if (!n) findings.push({ state: State.WARNING, text: `${d} is not a node of the cluster (nodes: ${m.nodes.map((x) => x.name).join(', ') || 'none'})` });
    else if (n.unclean) findings.push({ state: State.CRITICAL, text: `${d} UNCLEAN: to be fenced before the cluster trusts it` });
    else if (!n.online) findings.push({ state: State.WARNING, text: `${d} OFFLINE: no failover target` });
    else if (n.pending) findings.push({ state: State.WARNING, text: `${d} is pending (joining)` });
    if (n?.maintenance) findings.push({ state: State.WARNING, text: `${d} is in maintenance: its resources are unmanaged` });
    if (n?.standbyOnfail) findings.push({ state: State.WARNING, text: `${d} was put in standby by a failure (on-fail=standby)` });
  }
  for (const n of m.nodes) long.push(`node ${n.name}: ${n.unclean ? 'UNCLEAN' : n.online ? 'online' : 'OFFLINE'}${n.standby ? ', standby' : ''}${n.maintenance ? ', maintenance' : ''}${n.isDc ? ', DC' : ''}, ${n.resourcesRunning} resources`);

  // The VIPs and ldirectord, together
  const vips = c.vipResources.map((id) => resourceFindings(m, id, 'VIP'));
  const ld = resourceFindings(m, c.ldirectordResource, 'ldirectord');
  const vipSplit = vips.some((x) => (x.r?.nodes.length ?? 0) > 1);
  for (const x of vips) findings.push(...x.findings);
  // ldirectord active twice with a VIP active twice is the same split brain: said once
  findings.push(...ld.findings.filter((f) => !(vipSplit && f.text.startsWith('split brain: '))));
  if (vipSplit && (ld.r?.nodes.length ?? 0) > 1) long.push(`${c.ldirectordResource} too runs on ${list(ld.r!.nodes)}`);
  const holders = [...new Set(vips.flatMap((x) => x.r?.nodes ?? []))];
  const holder = holders.length === 1 ? holders[0] : undefined;
  if (holder && ld.r && ld.r.nodes.length === 1 && ld.r.nodes[0] !== holder)
    findings.push({ state: State.CRITICAL, text: `${c.ldirectordResource} runs on ${ld.r.nodes[0]}, the VIP on ${holder}: nothing drives IPVS where the VIP is` });
  else if (holders.length > 1 && !vips.some((x) => (x.r?.nodes.length ?? 0) > 1))
    findings.push({ state: State.CRITICAL, text: `the VIPs are split: ${vips.map((x, i) => `${c.vipResources[i]} ${x.r ? where(x.r) : 'missing'}`).join(', ')}` });

  // Placement: the preferred node, auto_failback, bans and moves left behind
  const pref = byName.get(c.preferred);
  if (holder && holder !== c.preferred) {
    const prefUsable = pref && pref.online && !pref.standby && !pref.unclean;
    const why = !pref ? 'not a node' : pref.unclean ? 'UNCLEAN' : !pref.online ? 'OFFLINE' : pref.standby ? 'in standby' : 'online';
    // an OFFLINE or UNCLEAN preferred node has its own finding above: the placement adds nothing
    const reported = pref !== undefined && (pref.unclean || !pref.online);
    if (c.autoFailback && !reported) findings.push({ state: State.WARNING, text: `${c.group} on ${holder}, preferred ${c.preferred} ${why} (auto_failback)` });
    else long.push(`${c.group} runs on ${holder}, failed over from ${c.preferred} (${why})${c.autoFailback ? '; it goes back once ' + c.preferred + ' is online' : '; no auto_failback: it stays'}`);
    if (prefUsable && c.autoFailback) long.push(`${c.preferred} is online and not in standby: a ban, a move or a failure keeps ${c.group} away (crm_simulate -sL shows the scores)`);
  }
  for (const n of m.nodes.filter((x) => x.standby)) if (!(c.autoFailback && n.name === c.preferred)) long.push(`${n.name} is in standby (planned: crm node online ${n.name} to bring it back)`);

  // Failures and fail counts: one finding per resource and node
  const failed = new Map<string, string>();
  for (const h of m.history.filter((x) => x.failCount > 0)) failed.set(`${h.resource}\0${h.node}`, `${h.resource} fail-count ${h.failCount >= 1000000 ? 'INFINITY' : h.failCount} on ${h.node}`);
  for (const f of m.failures) {
    const k = `${f.resource}\0${f.node}`;
    const what = `${f.task || 'operation'} ${f.exitstatus || `exit ${f.exitcode}`}${f.exitreason ? ` (${f.exitreason})` : ''}`;
    failed.set(k, failed.has(k) ? `${failed.get(k)}, ${what}` : `${f.resource} failed on ${f.node}: ${what}`);
  }
  for (const [k, text] of failed) findings.push({ state: State.WARNING, text: `${text}: crm resource cleanup ${k.split('\0')[0]}` });

  const cli = new Map<string, string>();
  for (const x of s.cli) cli.set(x.id, `${x.id} (${x.kind === 'ban' ? 'crm resource ban' : 'crm resource move'} ${x.resource} ${x.node}) is left in the CIB: crm resource clear ${x.resource}`);
  for (const b of m.bans) {
    if (/^cli-(ban|prefer)-/.test(b.id)) {
      if (!cli.has(b.id)) cli.set(b.id, `${b.id} (crm resource ban ${b.resource} ${b.node}) is left in the CIB: crm resource clear ${b.resource}`);
    } else long.push(`ban ${b.id}: ${b.resource} never on ${b.node} (score ${b.weight})`);
  }
  for (const text of cli.values()) findings.push({ state: State.WARNING, text });
  if (s.cliError) long.push(`cli-* constraints not read: ${s.cliError}`);

  // Fencing: a two-node cluster without it lets both nodes run the VIP when the link is cut
  if (!m.stonithEnabled) {
    const text = `fencing disabled (stonith-enabled=false) on a ${m.nodes.length}-node cluster: a cut link lets both nodes run the VIP`;
    if (c.requireFencing) findings.push({ state: State.WARNING, text });
    else long.push(`risk: ${text}`);
  }

  const online = m.nodes.filter((n) => n.online && !n.unclean).length;
  const fails = m.history.reduce((a, h) => a + Math.min(h.failCount, 1000000), 0);
  const perf: Perf[] = [
    { label: 'nodes_online', value: online, min: 0, max: m.nodes.length },
    { label: 'resources_active', value: m.resources.filter((r) => r.active).length, min: 0, max: m.resourcesConfigured },
    { label: 'fail_count', value: fails, min: 0 },
    { label: 'failed_actions', value: m.failures.length, min: 0 },
  ];
  // Shown only when every finding is OK: no quorum and no DC are findings of their own.
  const ok = `${c.group} on ${holder ?? '?'}, ${online}/${m.nodes.length} nodes online, quorum, DC ${m.dc}`;
  return combine(findings, ok, perf, long);
}

export const pacemakerCheck: CheckDef<PacemakerCheckConfig, PacemakerModel, PacemakerOptions, Deployment> = {
  name: 'pacemaker',
  prefix: 'LVS PACEMAKER',
  description:
    'the Pacemaker cluster runs the LVS group (VIPs then ldirectord) on exactly one node, on the preferred one when auto_failback is wanted; ' +
    'nodes, quorum, failures, fail counts and crm resource move/ban leftovers. Asks crm_mon (root or group haclient) and cibadmin.',
  options(cmd: Command) {
    cmd
      .option('--crm-mon <path>', 'crm_mon program', 'crm_mon')
      .option('--cibadmin <path>', "cibadmin program (the cli-prefer constraints crm_mon does not list); '' to skip", 'cibadmin')
      .option('--require-fencing', 'fencing disabled is a WARNING (default: a risk named in the long output)', false);
  },
  configure(o, ctx): PacemakerCheckConfig {
    return { ...pacemakerDefaults(ctx.deployment()), crmMon: o.crmMon, cibadmin: o.cibadmin, requireFencing: !!o.requireFencing };
  },
  defaults: (d) => pacemakerDefaults(d),
  async gather(c, env): Promise<PacemakerModel> {
    const src = env.source();
    const status = await probePacemaker(src, { crmMon: c.crmMon, cibadmin: c.cibadmin, timeoutMs: remaining(env) });
    const local = src.host === 'localhost' || src.host === '127.0.0.1' || src.host === '::1';
    return { status, host: local ? hostname().split('.')[0]! : src.host };
  },
  evaluate: (m, c) => evaluatePacemaker(m, c),
};

export function pacemakerDefaults(d: Deployment): PacemakerCheckConfig {
  const p = pacemakerOf(d);
  return {
    crmMon: 'crm_mon',
    cibadmin: 'cibadmin',
    group: p.group,
    vipResources: p.vipResources,
    ldirectordResource: p.ldirectordResource,
    directors: d.directors.map((x) => x.name),
    preferred: d.heartbeat.preferred,
    autoFailback: p.stickiness < p.preferredScore,
    requireFencing: false,
  };
}
