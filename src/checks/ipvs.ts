import { Command, Option } from 'commander';
import * as domain from '../domain/ipvs';
import { configKey, fallbackTest, LDIRECTORD_FWD, sameReal, vipsOf, WantedService } from '../domain/ipvs';
import { Deployment, VirtualService } from '../model/types';
import { findAddress, Interface } from '../parsers/ipAddr';
import { endpoint, IpvsForwarding, IpvsRealServer, IpvsService, normaliseAddress, serviceKey } from '../parsers/procIpvs';
import { probeAddresses } from '../probes/addresses';
import { applyHz, detectHz, HzInfo, IpvsSnapshot, IpvsUnavailableError, probeIpvs } from '../probes/ipvs';
import { GatherEnv, remaining } from '../runtime/check';
import { UsageError } from '../runtime/errors';
import { Perf, stableLabels } from '../runtime/perfdata';
import { CheckDef } from '../runtime/plugin';
import { parseRange, Range, rangeAlerts } from '../runtime/range';
import { combine, Finding, Result } from '../runtime/result';
import { State, worst } from '../runtime/state';

export interface IpvsOptions {
  role: 'auto' | 'active';
  ip: string;
  probe: 'proc' | 'ipvsadm';
  ipvsadm: string;
  stats: boolean;
  rate: boolean;
  hz?: number;
  service: string[];
  all: boolean;
  drained: string[];
  warningPercent?: string;
  criticalPercent?: string;
}

export type { WantedService } from '../domain/ipvs';
export { configKey } from '../domain/ipvs';

export interface IpvsPolicy {
  /** --all: the services are the table's own (so an empty table leaves none, whatever the deployment says). */
  all?: boolean;
  /** Live real servers (weight > 0) as a count range; default: alert below the expected count. */
  warning?: Range;
  /** Default: alert below 1. */
  critical?: Range;
  /** Live real servers as a percentage of the configured ones. */
  warningPercent?: Range;
  criticalPercent?: Range;
  /** Drained on purpose: `ADDR` or `ADDR:PORT` (normalised). */
  drained: string[];
  /** HZ used to read /proc's persistence jiffies (for messages on drift). */
  hz?: HzInfo;
  /** Which counters to put in perfdata (--stats, --rate). */
  stats?: boolean;
  rate?: boolean;
}

// ----------------------------------------------------------------- selection

const FWD_WORD: Record<IpvsForwarding, string> = { route: 'Route', masq: 'Masq', tunnel: 'Tunnel', local: 'Local' };

/**
 * `tcp:VIP:PORT`, `udp:VIP:PORT`, `sctp:VIP:PORT`, `tcp:[V6]:PORT`, `fwm:MARK`, `fwm:MARK:ipv6` → the service key.
 * Port 0 is a persistent all-ports service (`ipvsadm -A -t VIP:0 -p`, shown `TCP VIP:0 rr persistent 600`).
 */
export function parseServiceSpec(spec: string): string {
  const bad = () => new UsageError(`--service '${spec}': expected tcp:VIP:PORT, udp:VIP:PORT, sctp:VIP:PORT, tcp:[IPv6]:PORT or fwm:MARK[:ipv6]`);
  const f = /^fwm:(\d{1,10})(:ipv6)?$/i.exec(spec);
  if (f) {
    const mark = Number(f[1]);
    if (mark < 1 || mark > 0xffffffff) throw bad();
    return `fwm:${mark}${f[2] ? ':ipv6' : ''}`;
  }
  const m = /^(tcp|udp|sctp):(?:\[([^\]]+)\]|([\d.]+)):(\d{1,5})$/i.exec(spec);
  if (!m) throw bad();
  const address = normaliseAddress(m[2] ?? m[3]!);
  const port = Number(m[4]);
  if (address === undefined || (m[2] !== undefined) !== address.includes(':') || port > 65535) throw bad();
  return `${m[1]!.toLowerCase()}:${endpoint(address, port)}`;
}

/** Which services to check: --all, --service specs (with their deployment description when it has one), else the deployment's. */
export function selectServices(snap: IpvsSnapshot, services: VirtualService[], specs: string[], all: boolean): WantedService[] {
  return domain.selectServices(snap.table, services, specs.map(parseServiceSpec), all);
}

// ----------------------------------------------------------------- policy

function describeReal(r: IpvsRealServer): string {
  return `${endpoint(r.address, r.port)} ${FWD_WORD[r.forwarding]} weight ${r.weight} active ${r.activeConns} inactive ${r.inactiveConns}`;
}

/** Short stable perfdata tags: `rs4_80` (last IPv4 octet / IPv6 group and port), longer when that collides. */
function realTags(reals: { address: string; port: number }[]): string[] {
  const short = (r: { address: string; port: number }, full: boolean) => {
    const parts = r.address.includes(':') ? r.address.split(':') : r.address.split('.');
    const a = full ? parts.filter((x) => x !== '').join('_') : parts[parts.length - 1] || '0';
    return `rs${a}_${r.port}`;
  };
  const tags = reals.map((r) => short(r, false));
  return tags.map((t, i) => (tags.indexOf(t) !== tags.lastIndexOf(t) ? short(reals[i]!, true) : t));
}

function pct(n: number, d: number): number {
  return d === 0 ? 0 : Math.round((1000 * n) / d) / 10;
}

interface ServiceVerdict {
  findings: Finding[];
  long: string[];
  perf: Perf[];
  live: number;
  configured: number;
}

function evaluateService(w: WantedService, svc: IpvsService | undefined, p: IpvsPolicy, name: string, sp: string, tableEmpty: boolean): ServiceVerdict {
  const v: ServiceVerdict = { findings: [], long: [], perf: [], live: 0, configured: 0 };
  const cfg = w.config;
  if (!svc) {
    const why = tableEmpty ? ' (table empty: passive director, or ldirectord not running?)' : '';
    v.findings.push({ state: State.CRITICAL, text: `${w.key} not in the IPVS table${why}` });
    v.perf.push({ label: `${sp}live`, value: 0, min: 0 });
    return v;
  }
  const head = `${serviceKey(svc)} ${svc.scheduler}${svc.persistent ? ` persistent ${svc.persistentSeconds ?? `${svc.persistentJiffies} jiffies`}${svc.persistentSeconds !== undefined ? ' s' : ''}` : ''}`;
  v.long.push(`${head}: ${svc.realServers.length} in the table`);
  for (const r of svc.realServers) v.long.push(`  ${describeReal(r)}`);

  const isFallback = fallbackTest(svc, cfg);
  const isDrainedAddr = (a: string, port: number) => p.drained.some((d) => d === a || d === endpoint(a, port));

  // What should be there: the deployment's real servers, else what the table holds.
  const configured = cfg
    ? cfg.realServers.map((r) => ({ address: normaliseAddress(r.address) ?? r.address, port: r.port, weight: r.weight, forwarding: LDIRECTORD_FWD[r.forwarding] }))
    : svc.realServers.filter((r) => !isFallback(r)).map((r) => ({ address: r.address, port: r.port, weight: undefined as number | undefined, forwarding: undefined as IpvsForwarding | undefined }));
  v.configured = configured.length;
  const down: string[] = [];
  const drained: string[] = [];
  for (const c of configured) {
    const e = svc.realServers.find((r) => sameReal(svc, r, c.address, c.port));
    const id = endpoint(c.address, svc.protocol === 'fwm' ? (e?.port ?? 0) : c.port);
    const isDrained = c.weight === 0 || isDrainedAddr(c.address, c.port);
    if (e && e.weight > 0) {
      if (c.weight !== undefined && c.weight > 0 && e.weight !== c.weight) v.findings.push({ state: State.WARNING, text: `${name}${id} weight ${e.weight}, configured ${c.weight}` });
      if (c.weight === 0) v.findings.push({ state: State.WARNING, text: `${name}${id} weight ${e.weight}, configured 0 (drained)` });
    } else if (isDrained) {
      drained.push(`${id} drained${e ? ' (weight 0)' : ' (not in the table)'}`);
    } else if (e) {
      down.push(
        !cfg
          ? `${id} weight 0 (failed check or drained: --drained to tell)`
          : cfg.quiescent
            ? `${id} weight 0 after a failed check (quiescent=yes)`
            : `${id} weight 0 (by hand? --drained if on purpose)`,
      );
    } else {
      down.push(cfg && !cfg.quiescent ? `${id} removed from the table (failed check, quiescent=no)` : `${id} missing from the table`);
    }
    if (e && c.forwarding && e.forwarding !== c.forwarding)
      v.findings.push({ state: State.WARNING, text: `${name}${id} forwarding ${FWD_WORD[e.forwarding]}, configured ${FWD_WORD[c.forwarding]}` });
  }
  if (cfg) {
    for (const r of svc.realServers) {
      if (isFallback(r) || configured.some((c) => sameReal(svc, r, c.address, c.port))) continue;
      v.findings.push({ state: State.WARNING, text: `${name}${endpoint(r.address, r.port)} in the table but not configured` });
    }
    if (cfg.scheduler !== svc.scheduler) v.findings.push({ state: State.WARNING, text: `${name}scheduler ${svc.scheduler}, configured ${cfg.scheduler}` });
    const hzNote = p.hz && svc.persistentJiffies !== undefined ? ` (HZ ${p.hz.hz}: ${p.hz.origin})` : '';
    if (cfg.persistent !== undefined && !svc.persistent) v.findings.push({ state: State.WARNING, text: `${name}not persistent, configured ${cfg.persistent} s` });
    else if (cfg.persistent === undefined && svc.persistent) v.findings.push({ state: State.WARNING, text: `${name}persistent in the table, not configured` });
    else if (cfg.persistent !== undefined && svc.persistentSeconds !== undefined && svc.persistentSeconds !== cfg.persistent)
      v.findings.push({ state: State.WARNING, text: `${name}persistent ${svc.persistentSeconds} s, configured ${cfg.persistent} s${hzNote}` });
    if (cfg.persistent !== undefined && svc.persistent) {
      const want = cfg.persistentNetmask ?? (svc.family === 'inet' ? '255.255.255.255' : '128');
      const wantN = want.replace(/^\//, ''); // IPv6: '/64' or '64'; a dotted IPv4 mask is already canonical (no leading zeros pass isIPv4)
      if (svc.persistenceNetmask !== undefined && svc.persistenceNetmask !== wantN)
        v.findings.push({ state: State.WARNING, text: `${name}persistence netmask ${svc.persistenceNetmask}, configured ${wantN}` });
    }
  }

  // With a description, only its real servers count: extras are drift, not capacity.
  const liveReals = svc.realServers.filter((r) => r.weight > 0 && !isFallback(r) && (!cfg || configured.some((c) => sameReal(svc, r, c.address, c.port))));
  const fallbacks = svc.realServers.filter((r) => isFallback(r) && r.weight > 0);
  v.live = liveReals.length;
  const expected = configured.length - drained.length;
  const crit = p.critical ?? parseRange('1:');
  const warn = p.warning ?? (expected >= 1 ? parseRange(`${expected}:`) : undefined);
  let state = State.OK;
  if (rangeAlerts(crit, v.live)) state = State.CRITICAL;
  else if (warn && rangeAlerts(warn, v.live)) state = State.WARNING;
  const percent = pct(v.live, configured.length);
  if (p.criticalPercent && rangeAlerts(p.criticalPercent, percent)) state = worst(state, State.CRITICAL);
  else if (p.warningPercent && rangeAlerts(p.warningPercent, percent)) state = worst(state, State.WARNING);

  let text: string;
  // The service the clients use is what a sysadmin needs in the first line; the fallback's
  // own address follows in the long output.
  if (v.live === 0 && fallbacks.length > 0) text = `${name}all real servers down, sorry server serving ${svc.protocol === 'fwm' ? `fwm:${svc.fwmark}` : endpoint(svc.address ?? '', svc.port ?? 0)}`;
  else if (configured.length === 0) text = `${name}no real server and no fallback`; // a live fallback took the branch above
  else text = `${name}${v.live} of ${configured.length} real servers live`;
  const detail = [...down, ...drained];
  if (detail.length && !(v.live === 0 && fallbacks.length > 0 && state !== State.OK)) text += `: ${detail.join(', ')}`;
  else if (detail.length) v.long.push(`  ${detail.join(', ')}`);
  v.findings.unshift({ state, text });
  if (state === State.OK && drained.length) v.long.push(`  drained on purpose: ${drained.join(', ')}`);

  v.perf.push({ label: `${sp}live`, value: v.live, warn, crit, min: 0, max: configured.length });
  const tags = realTags(svc.realServers);
  svc.realServers.forEach((r, j) => {
    v.perf.push({ label: `${sp}${tags[j]}_act`, value: r.activeConns, min: 0 });
    v.perf.push({ label: `${sp}${tags[j]}_inact`, value: r.inactiveConns, min: 0 });
    v.perf.push({ label: `${sp}${tags[j]}_w`, value: r.weight, min: 0 });
  });
  if (svc.rates) {
    v.perf.push({ label: `${sp}cps`, value: svc.rates.cps, min: 0 });
    v.perf.push({ label: `${sp}inbps`, value: svc.rates.inBps, min: 0 });
    v.perf.push({ label: `${sp}outbps`, value: svc.rates.outBps, min: 0 });
  }
  if (svc.stats) v.perf.push({ label: `${sp}conns`, value: svc.stats.conns, uom: 'c', min: 0 });
  return v;
}

/**
 * Perfdata prefix of a service when several are checked, from its own identity (never its
 * position): `t3_80_` (protocol letter, last address group, port; `tv6_3_80_` for IPv6), `f5_` for a
 * fwmark; the full address when two wanted services would share the short form.
 */
export function serviceTags(keys: string[]): string[] {
  const parse = (k: string, full: boolean) => {
    const f = /^fwm:(\d+)(:ipv6)?$/.exec(k);
    if (f) return `f${f[1]}${f[2] ? '_6' : ''}_`;
    const m = /^(\w+):(?:\[([^\]]+)\]|([\d.]+)):(\d+)$/.exec(k);
    if (!m) return `${k.replace(/\W+/g, '_')}_`;
    const v6 = m[2] !== undefined;
    const parts = v6 ? m[2]!.split(':') : m[3]!.split('.');
    const a = full ? parts.filter((x) => x !== '').join('_') : parts[parts.length - 1] || '0';
    return `${m[1]![0]}${v6 ? 'v6_' : ''}${a}_${m[4]}_`;
  };
  const short = keys.map((k) => parse(k, false));
  return short.map((t, i) => (short.indexOf(t) !== short.lastIndexOf(t) ? parse(keys[i]!, true) : t));
}

/** The policy of check_lvs_ipvs: the real servers behind each wanted virtual service. */
export function evaluateIpvs(snap: IpvsSnapshot, wanted: WantedService[], p: IpvsPolicy): Result {
  if (wanted.length === 0) {
    return {
      state: State.UNKNOWN,
      summary:
        snap.table.services.length > 0
          ? 'no service to check (give --service or --all)'
          : p.all
            ? 'no service to check: --all and the IPVS table is empty'
            : 'no service to check: the deployment has none and the IPVS table is empty',
    };
  }
  const findings: Finding[] = [];
  const long: string[] = [];
  const perf: Perf[] = [];
  let live = 0;
  let configured = 0;
  const multi = wanted.length > 1;
  // Every label carries its service's tag, even with one service: adding a service later
  // must not rename the labels graphers already key history by.
  const tags = serviceTags(wanted.map((w) => w.key));
  wanted.forEach((w, i) => {
    const svc = snap.table.services.find((s) => serviceKey(s) === w.key);
    const r = evaluateService(w, svc, p, multi ? `${w.key}: ` : '', tags[i]!, snap.table.services.length === 0);
    // The service's own verdict carries its perfdata (live count, per real server).
    r.findings[0]!.perf = r.perf;
    for (const x of r.findings) findings.push(x); // not push(...): a huge table overflows the stack
    for (const x of r.long) long.push(x);
    live += r.live;
    configured += r.configured;
  });
  if (snap.totals) {
    // /proc only has namespace-wide totals (all services), hence `total_`.
    const t = snap.totals;
    if (p.rate) {
      perf.push({ label: 'total_cps', value: t.rates.cps, min: 0 });
      perf.push({ label: 'total_inbps', value: t.rates.inBps, min: 0 });
      perf.push({ label: 'total_outbps', value: t.rates.outBps, min: 0 });
    }
    if (p.stats) perf.push({ label: 'total_conns', value: t.stats.conns, uom: 'c', min: 0 });
  }
  const ok = multi ? `${wanted.length} services, ${live} of ${configured} real servers live` : `${wanted[0]!.key}: ${live} of ${configured} real servers live`;
  const result = combine(findings, ok, perf, long);
  result.perf = stableLabels(result.perf!); // combine() always returns perf
  // combine() lists the findings in long output; the OK ones are already in the summary.
  return result;
}

// ----------------------------------------------------------------- the check

/** check_lvs_ipvs's whole config: what to read and the policy. */
export interface IpvsConfig extends Omit<IpvsPolicy, 'hz'> {
  role: 'auto' | 'active';
  probe: 'proc' | 'ipvsadm';
  ipvsadm: string;
  ip: string;
  /** --hz; undefined = read CONFIG_HZ. */
  hz?: number;
  /** The deployment's services (descriptions). */
  services: VirtualService[];
  /** --service keys; empty = the deployment's services. */
  keys: string[];
  all: boolean;
}

/** What gather saw. */
export interface IpvsModel {
  snapshot?: IpvsSnapshot;
  /** The kernel has no IPVS (why). */
  unavailable?: string;
  hz?: HzInfo;
  /** This host's addresses, read only when none of the wanted services is in the table (active or passive director?). */
  interfaces?: Interface[];
}

/** check_lvs_ipvs with no option, for the exporter and doctor. */
export function ipvsDefaults(d: Deployment): IpvsConfig {
  return { role: 'auto', probe: 'proc', ipvsadm: 'ipvsadm', ip: 'ip', services: d.services, keys: [], all: false, drained: [], stats: false, rate: false };
}

export async function gatherIpvs(c: IpvsConfig, env: GatherEnv): Promise<IpvsModel> {
  const src = env.source();
  const m: IpvsModel = {};
  // HZ and the table are read side by side (over SSH: one round trip less); HZ turns the
  // table's persistence jiffies into seconds once both are in.
  const hz: Promise<HzInfo | undefined> =
    c.probe !== 'proc' ? Promise.resolve(undefined) : c.hz !== undefined ? Promise.resolve({ hz: c.hz, origin: '--hz' }) : detectHz(src, remaining(env));
  try {
    const [snapshot, h] = await Promise.all([probeIpvs(src, { probe: c.probe, ipvsadm: c.ipvsadm, stats: c.stats, rate: c.rate, timeoutMs: remaining(env) }), hz]);
    m.snapshot = snapshot;
    m.hz = h;
  } catch (e) {
    hz.catch(() => undefined);
    if (!(e instanceof IpvsUnavailableError)) throw e;
    m.unavailable = e.message;
    return m;
  }
  if (m.hz) {
    applyHz(m.snapshot.table, m.hz.hz);
    env.trace(1, `HZ ${m.hz.hz} (${m.hz.origin})`);
  }
  for (const w of m.snapshot.warnings ?? []) env.trace(1, w);
  // Whether this director holds the VIP matters only when the table lacks every wanted service.
  const wanted = domain.selectServices(m.snapshot.table, c.services, c.keys, c.all);
  const present = new Set(m.snapshot.table.services.map((x) => serviceKey(x)));
  if (c.role === 'auto' && !c.all && wanted.length > 0 && wanted.every((w) => !present.has(w.key)) && vipsOf(wanted).length > 0)
    m.interfaces = await probeAddresses(src, { ip: c.ip, timeoutMs: remaining(env) });
  return m;
}

/** The whole policy of check_lvs_ipvs: kernel without IPVS, passive director, then each service. */
export function evaluateIpvsCheck(m: IpvsModel, c: IpvsConfig): Result {
  if (!m.snapshot) return { state: State.CRITICAL, summary: m.unavailable ?? 'IPVS not available' }; // gather sets unavailable without a snapshot
  const snap = m.snapshot;
  const wanted = domain.selectServices(snap.table, c.services, c.keys, c.all);
  const present = new Set(snap.table.services.map((x) => serviceKey(x)));
  const noneInTable = wanted.every((w) => !present.has(w.key)); // no wanted service: no VIP either, below
  const vips = vipsOf(wanted);
  if (c.role === 'auto' && noneInTable && !c.all && vips.length > 0 && m.interfaces) {
    // On the passive director an empty table is normal: Heartbeat starts ldirectord only
    // where the VIP is. Say so rather than raising a false CRITICAL every night.
    const held = vips.filter((v) => findAddress(m.interfaces!, v).some((h) => !h.iface.noarp));
    if (held.length === 0)
      return {
        state: State.OK,
        summary: `passive director: ${vips.join(', ')} not held here, no IPVS service expected`,
        long: [`${wanted.map((w) => w.key).join(', ')} absent from the table; use --role active where the table must always be loaded`],
        perf: [{ label: 'services', value: 0, min: 0 }],
      };
  }
  return evaluateIpvs(snap, wanted, { ...c, hz: c.probe === 'proc' ? m.hz : undefined });
}

// ----------------------------------------------------------------- plugin

const collect = (v: string, prev: string[]) => [...prev, v];

export const ipvsCheck: CheckDef<IpvsConfig, IpvsModel, IpvsOptions, Deployment> = {
  name: 'ipvs',
  prefix: 'LVS IPVS',
  description:
    'The real servers behind each virtual service in the IPVS table (/proc/net/ip_vs, or ipvsadm -Ln).\n\n' +
    'Thresholds count live real servers (weight > 0, the fallback not counted) per service:\n' +
    '  -w/-c take ranges of counts (-w 2: -c 1: = warn below 2, critical below 1);\n' +
    '  --warning-percent/--critical-percent take ranges of the percentage of configured\n' +
    '  real servers that are live (--warning-percent 100: --critical-percent 50:).\n' +
    'Defaults: WARNING when a configured, not drained real server is not live; CRITICAL when none\n' +
    'is, or only the fallback (sorry server) is left. Drained real servers (configured weight 0\n' +
    'or --drained) are reported, not alerted on. Drift from the deployment (extra or missing real\n' +
    'servers, weight, forwarding, scheduler, persistence) is a WARNING.',
  options(cmd: Command) {
    cmd
      .addOption(new Option('--probe <how>', 'read /proc/net/ip_vs (no root needed) or run ipvsadm -Ln').choices(['proc', 'ipvsadm']).default('proc'))
      .option('--ipvsadm <path>', 'ipvsadm program (with --probe ipvsadm; privileged through --sudo)', 'ipvsadm')
      .addOption(
        new Option('--role <role>', 'auto: a director that does not hold the VIP (Heartbeat runs ldirectord on the active one only) is OK with no table; active: the table is always expected')
          .choices(['auto', 'active'])
          .default('auto'),
      )
      .option('--ip <path>', 'ip program (to tell the active director from the passive one)', 'ip')
      .option('--stats', 'connection counters in perfdata: per service with --probe ipvsadm (-Ln --stats --exact), namespace totals from /proc/net/ip_vs_stats', false)
      .option('--rate', 'rates (conns/s, bytes/s) in perfdata: per service with --probe ipvsadm (-Ln --rate --exact), namespace totals from /proc/net/ip_vs_stats', false)
      .option('--hz <n>', 'kernel HZ to read /proc persistence jiffies (default: CONFIG_HZ from /boot/config-*, else 250)', (x: string) => {
        if (!/^\d+$/.test(x) || Number(x) < 1 || Number(x) > 10000) throw new UsageError(`--hz '${x}' is not a tick rate (100, 250, 300, 1000)`);
        return Number(x);
      })
      .option('--service <spec>', 'service to check, repeatable: tcp:VIP:PORT, udp:VIP:PORT, sctp:VIP:PORT, tcp:[IPv6]:PORT, fwm:MARK[:ipv6] (default: the deployment\'s)', collect, [])
      .option('--all', 'check every service in the IPVS table', false)
      .option('--drained <addr>', 'real server drained on purpose (ADDR or ADDR:PORT), repeatable', collect, [])
      .option('-w, --warning <range>', 'live real servers per service, as a count range (default: all configured, not drained)')
      .option('-c, --critical <range>', 'live real servers per service, as a count range (default: 1:)')
      .option('--warning-percent <range>', 'live real servers as a percentage of the configured ones (e.g. 100:)')
      .option('--critical-percent <range>', 'same, for CRITICAL (e.g. 50:)');
  },
  configure(o, ctx): IpvsConfig {
    if (o.all && o.service.length) throw new UsageError('--all and --service exclude each other');
    const keys = o.service.map(parseServiceSpec); // bad input is UNKNOWN before any probing
    const drained = o.drained.map((d) => {
      const m = /^\[([^\]]+)\]:(\d+)$/.exec(d) ?? /^([\d.]+):(\d+)$/.exec(d);
      const a = normaliseAddress(m ? m[1]! : d);
      if (a === undefined) throw new UsageError(`--drained '${d}' is not ADDR or ADDR:PORT`);
      return m ? endpoint(a, Number(m[2])) : a;
    });
    // With --all the deployment only adds descriptions: a broken one must not stop the check.
    let services: VirtualService[] = [];
    if (o.all) {
      try {
        services = ctx.deployment().services;
      } catch (e) {
        ctx.trace(1, `deployment not used: ${(e as Error).message}`);
      }
    } else services = ctx.deployment().services;
    return {
      role: o.role,
      probe: o.probe,
      ipvsadm: o.ipvsadm,
      ip: o.ip,
      hz: o.hz,
      services,
      keys,
      all: o.all,
      warning: ctx.warning,
      critical: ctx.critical,
      warningPercent: o.warningPercent !== undefined ? parseRange(o.warningPercent) : undefined,
      criticalPercent: o.criticalPercent !== undefined ? parseRange(o.criticalPercent) : undefined,
      drained,
      stats: o.stats,
      rate: o.rate,
    };
  },
  defaults: ipvsDefaults,
  gather: gatherIpvs,
  evaluate: evaluateIpvsCheck,
};
