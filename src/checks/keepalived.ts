import { Command, Option } from 'commander';
import { hostname } from 'node:os';
import { keepalivedOf } from '../model/ha';
import type { Deployment } from '../model/types';
import type { VrrpStats } from '../parsers/keepalived';
import { KEEPALIVED_FILES, KeepalivedInstance, KeepalivedReading, KeepalivedStatus, probeKeepalived } from '../probes/keepalived';
import { remaining } from '../runtime/check';
import { Perf } from '../runtime/perfdata';
import { CheckDef } from '../runtime/plugin';
import { combine, Finding, Result } from '../runtime/result';
import { State } from '../runtime/state';

export interface KeepalivedOptions extends KeepalivedReading {
  node?: string;
  root?: string;
}

export interface KeepalivedCheckConfig extends KeepalivedReading {
  /** This director's name (messages; which priority is its own), when known. */
  node?: string;
  /** The deployment's VRRP instance. */
  instance: string;
  vrid: number;
  /** DBus object paths use the instance's interface: the directors' (eth0). */
  interface: string;
  /** Configured priorities per director; the highest is the preferred director. */
  priorities: Record<string, number>;
  /** The directors' names and addresses: which one -H (or this host's name) is. */
  directors: { name: string; address: string }[];
  nopreempt: boolean;
  /** A captured tree (--root): the dumps are read as they are. */
  captured: boolean;
}

export interface KeepalivedModel {
  status: KeepalivedStatus;
  /** Where keepalived was asked, for messages: the director's name when the deployment knows the host. */
  host: string;
  /** The director this is, when --node or the host (name or address) tells. */
  director?: string;
  /** Epoch seconds at gather time (age of the last transition). */
  now: number;
}

/** The counters that mean a bad packet or a password/auth mismatch (stats of vrrp_json.c). */
const ERROR_COUNTERS: (keyof VrrpStats)[] = ['packetLenErr', 'advertIntervalErr', 'ipTtlErr', 'invalidTypeRcvd', 'addrListErr', 'invalidAuthtype', 'authtypeMismatch', 'authFailure'];

function age(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** The preferred director: the one with the highest configured priority (unique), if any. */
function preferredOf(p: Record<string, number>): string | undefined {
  const top = Math.max(...Object.values(p));
  const names = Object.keys(p).filter((n) => p[n] === top);
  return names.length === 1 ? names[0] : undefined;
}

function instanceFindings(i: KeepalivedInstance, c: KeepalivedCheckConfig, me: string | undefined, now: number): { findings: Finding[]; perf: Perf[]; long: string[] } {
  const findings: Finding[] = [];
  const long: string[] = [];
  const perf: Perf[] = [];
  const d = i.dump;
  const preferred = preferredOf(c.priorities);
  const ours = i.name === c.instance;
  const since = d ? ` for ${age(Math.max(0, now - d.lastTransition))}` : '';
  if (i.state === 'FAULT') findings.push({ state: State.CRITICAL, text: `${i.name} is FAULT${since} (interface or tracked object down)` });
  else if (i.state === 'INIT') findings.push({ state: State.WARNING, text: `${i.name} is INIT${since}` });
  else if (d && d.wantState !== d.state) findings.push({ state: State.WARNING, text: `${i.name} is ${d.state}, going ${d.wantState}` });
  if (d && d.effectivePriority < d.basePriority) {
    const failed = i.failedScripts ?? [];
    const why = failed.length ? `: ${failed.map((s) => `${s.name} ${s.status}`).join(', ')}` : ' (a tracked script or interface)';
    findings.push({ state: State.WARNING, text: `${i.name} priority ${d.effectivePriority} of ${d.basePriority}${why}` });
  }
  // The preferred director holds the VIP while it is healthy, unless nopreempt lets the other keep it.
  const nopreempt = d ? d.nopreempt : c.nopreempt;
  if (ours && !nopreempt && preferred && me && (i.state === 'MASTER' || i.state === 'BACKUP')) {
    if (me === preferred && i.state === 'BACKUP' && !(d && d.effectivePriority < d.basePriority))
      findings.push({ state: State.WARNING, text: `${i.name} is BACKUP on ${me}, the preferred director (auto_failback)` });
    if (me !== preferred && i.state === 'MASTER') findings.push({ state: State.WARNING, text: `${i.name} is MASTER on ${me}: failed over from ${preferred}` });
  }
  if (d) {
    const errs = ERROR_COUNTERS.filter((k) => d.stats[k] > 0);
    if (errs.length) long.push(`${i.name} packet/auth errors since start: ${errs.map((k) => `${k} ${d.stats[k]}`).join(', ')}`);
    long.push(`${i.name}: ${d.state} since ${new Date(d.lastTransition * 1000).toISOString()}, VRID ${d.vrid} on ${d.interface}, priority ${d.effectivePriority}/${d.basePriority}${d.nopreempt ? ', nopreempt' : ''}`);
    perf.push(
      { label: 'prio', value: d.effectivePriority, min: 0, max: 255 },
      { label: 'prio_base', value: d.basePriority, min: 0, max: 255 },
      { label: 'since', value: Math.max(0, Math.round(now - d.lastTransition)), uom: 's', min: 0 },
      { label: 'become_master', value: d.stats.becomeMaster, uom: 'c' },
      { label: 'errors', value: ERROR_COUNTERS.reduce((a, k) => a + d.stats[k], 0), uom: 'c' },
    );
  }
  return { findings, perf, long };
}

/** The policy of check_lvs_keepalived: which state for what keepalived said. */
export function evaluateKeepalived(m: KeepalivedModel, c: KeepalivedCheckConfig): Result {
  const s = m.status;
  const where = m.host;
  if (s.daemon === 'stopped') return { state: State.CRITICAL, summary: `keepalived is not running on ${where}`, long: [s.detail] };
  if (s.daemon === 'hung') return { state: State.CRITICAL, summary: `keepalived on ${where} does not answer`, long: [s.detail] };
  if (s.daemon === 'refused') return { state: State.UNKNOWN, summary: `keepalived runs on ${where} but its state is not readable`, long: [s.detail] };
  if (s.daemon === 'nobus') return { state: State.UNKNOWN, summary: `no DBus system bus on ${where} (--method dbus)`, long: [s.detail] };
  // Which director this is: --node or the host (when it is a director), else the one whose configured priority is this base priority.
  const own = s.instances.find((i) => i.name === c.instance);
  const byPrio = own?.dump ? Object.keys(c.priorities).filter((n) => c.priorities[n] === own.dump!.basePriority) : [];
  const me = m.director !== undefined && m.director in c.priorities ? m.director : byPrio.length === 1 ? byPrio[0] : undefined;
  const findings: Finding[] = [];
  const perf: Perf[] = [];
  const long: string[] = [s.detail];
  if (!own) findings.push({ state: State.CRITICAL, text: `no VRRP instance ${c.instance} (VRID ${c.vrid}) in keepalived` });
  for (const name of s.missing) long.push(`not on DBus: ${name}`);
  const multi = s.instances.length > 1;
  for (const i of s.instances) {
    const r = instanceFindings(i, c, me, m.now);
    findings.push(...r.findings);
    long.push(...r.long);
    perf.push(...r.perf.map((p) => (multi ? { ...p, label: `${i.name}_${p.label}` } : p)));
  }
  const okText = s.instances.map((i) => `${i.name} ${i.state}${i.dump ? ` prio ${i.dump.effectivePriority}` : ''}`).join(', ');
  return combine(findings, `${me ?? where}: ${okText}`, perf, long); // no instance at all is the CRITICAL above
}

export const keepalivedCheck: CheckDef<KeepalivedCheckConfig, KeepalivedModel, KeepalivedOptions, Deployment> = {
  name: 'keepalived',
  prefix: 'LVS KEEPALIVED',
  description:
    'keepalived runs here and its VRRP instance is in the state the deployment wants. ' +
    '--method json (default): root, or --sudo for kill and cat; signals a JSON dump and trusts only a dump written after the signal. ' +
    '--method dbus: no root, needs enable_dbus; state only.',
  options(cmd: Command) {
    cmd
      .addOption(new Option('--method <how>', 'json (dump, root or --sudo) or dbus (no root; enable_dbus)').choices(['json', 'dbus']).default('json'))
      .option('--pid-file <file>', "keepalived's pid file", '/run/keepalived.pid')
      .option('--vrrp-pid-file <file>', "keepalived's VRRP process pid file", '/run/vrrp.pid')
      .option('--dump-dir <dir>', 'where keepalived writes keepalived.json and keepalived.data', '/tmp')
      .option('--kill <path>', 'kill program (privileged through --sudo)', 'kill')
      .option('--stat <path>', 'stat program (mtime of the dump)', 'stat')
      .option('--dbus-send <path>', 'dbus-send program', 'dbus-send')
      .option('--node <name>', "this director's name in the deployment (default: told by its configured priority)");
  },
  configure(o, ctx): KeepalivedCheckConfig {
    const d = ctx.deployment();
    return { ...keepalivedDefaults(d), method: o.method, pidFile: o.pidFile, vrrpPidFile: o.vrrpPidFile, dumpDir: o.dumpDir, kill: o.kill, stat: o.stat, dbusSend: o.dbusSend, node: o.node, captured: !!o.root };
  },
  defaults: (d) => keepalivedDefaults(d),
  async gather(c, env): Promise<KeepalivedModel> {
    const src = env.source();
    const status = await probeKeepalived(src, {
      ...c,
      instances: [{ name: c.instance, interface: c.interface, vrid: c.vrid }],
      deadline: Date.now() + remaining(env),
    });
    const local = src.host === 'localhost' || src.host === '127.0.0.1' || src.host === '::1';
    const name = local ? hostname().split('.')[0]! : src.host;
    const director = c.node ?? c.directors.find((x) => x.name === name || x.address === src.host)?.name;
    return { status, host: director ?? (local ? hostname() : src.host), director, now: Date.now() / 1000 };
  },
  evaluate: (m, c) => evaluateKeepalived(m, c),
};

export function keepalivedDefaults(d: Deployment): KeepalivedCheckConfig {
  const k = keepalivedOf(d);
  return {
    method: 'json',
    ...KEEPALIVED_FILES,
    kill: 'kill',
    stat: 'stat',
    dbusSend: 'dbus-send',
    instance: k.instance,
    vrid: k.vrid,
    interface: d.directors[0]?.interface ?? 'eth0',
    priorities: k.priorities,
    directors: d.directors.map((x) => ({ name: x.name, address: x.address })),
    nopreempt: k.nopreempt,
    captured: false,
  };
}
