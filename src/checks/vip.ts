import { Command } from 'commander';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { findAddress, Interface } from '../parsers/ipAddr';
import { probeAddresses, probeLinks } from '../probes/addresses';
import { probeArping } from '../probes/arping';
import { errorMessage, PluginError, UsageError } from '../runtime/errors';
import { Perf } from '../runtime/perfdata';
import type { Deployment } from '../model/types';
import { GatherEnv } from '../runtime/check';
import { CheckDef } from '../runtime/plugin';
import { combine, Finding, Result } from '../runtime/result';
import { State } from '../runtime/state';
import { CommandTimeoutError, SpawnError, SshAuthError, UnreachableError } from '../sources/source';

export interface VipOptions {
  vip?: string[];
  director?: string[];
  ip: string;
  arping: string;
  arpFrom?: string;
  arpInterface?: string;
  arpCount: number;
}

/** What one director showed (`ip -j addr`), or why it could not be asked. */
export type DirectorView =
  | { name: string; address: string; ok: true; interfaces: Interface[] }
  /** unreachable: the host did not answer (a failure of the monitored thing); else our side failed (key, path). */
  | { name: string; address: string; ok: false; unreachable: boolean; error: string };

/** The ARP view of one VIP: the distinct MACs that answered broadcast requests. */
export interface ArpView {
  from: string;
  interface: string;
  sent?: number;
  received?: number;
  macs: string[];
  /** arping could not run or its output could not be read. */
  error?: string;
}

export interface VipModel {
  vips: string[];
  directors: DirectorView[];
  /** Per VIP, when the ARP view ran. */
  arp?: Record<string, ArpView>;
  /** MAC (lower case) → host name, from the directors' and real servers' interfaces. */
  macOwners?: Record<string, string>;
  /** Extra long-output lines from gathering (a real server whose MACs could not be read). */
  notes?: string[];
}

export interface VipPolicy {
  /** Node named first in haresources. */
  preferred?: string;
  autoFailback: boolean;
  /** Probe wall time in seconds (perfdata). */
  seconds?: number;
}

interface Holding {
  director: string;
  iface: Interface;
  label: string;
}

/** An interface that carries traffic: up, with carrier (a crashed host's stale VIP does not count). */
function live(i: Interface): boolean {
  return i.flags.includes('UP') && !i.flags.includes('NO-CARRIER') && i.operstate !== 'DOWN' && i.operstate !== 'LOWERLAYERDOWN';
}

function holdings(d: DirectorView, vip: string): Holding[] {
  if (!d.ok) return [];
  return findAddress(d.interfaces, vip)
    .filter((h) => !(h.iface.linkType === 'loopback' || h.iface.flags.includes('LOOPBACK')))
    .map((h) => ({ director: d.name, iface: h.iface, label: h.addr.label }));
}

function macOf(d: DirectorView | undefined, ifname: string): string | undefined {
  return d && d.ok ? d.interfaces.find((i) => i.name === ifname)?.mac : undefined;
}

function perfLabel(base: string, short: string, vip: string, i: number, many: boolean): string {
  if (!many) return base;
  // Labels must be unique in their first 19 characters.
  return `${short}_${vip}`.length <= 19 ? `${short}_${vip}` : `${short}_${i + 1}`;
}

/** The policy of check_lvs_vip: exactly one director holds each VIP, and only it answers ARP. */
export function evaluateVip(m: VipModel, p: VipPolicy): Result {
  const findings: Finding[] = [];
  const perf: Perf[] = [];
  const long: string[] = [];
  const okParts: string[] = [];
  const reachable = m.directors.filter((d) => d.ok);
  const failed = m.directors.filter((d): d is Extract<DirectorView, { ok: false }> => !d.ok);
  const many = m.vips.length > 1;
  const owner = (mac: string) => m.macOwners?.[mac];
  const macText = (mac: string) => (owner(mac) ? `${mac} (${owner(mac)})` : mac);

  for (const d of m.directors) {
    if (!d.ok) continue;
    const held = m.vips.flatMap((v) => holdings(d, v).map((h) => `${v} on ${h.label}${live(h.iface) ? '' : ' (link down)'}`));
    long.push(`${d.name} (${d.address}): ${held.length ? held.join(', ') : 'holds no VIP'}`);
  }

  if (reachable.length === 0) {
    // Nothing seen at all: with at least one host down this is an outage, else our own failure.
    const anyDown = failed.some((d) => d.unreachable);
    findings.push({
      state: anyDown ? State.CRITICAL : State.UNKNOWN,
      text: `${anyDown ? 'no director reachable' : 'no director could be probed'} (${failed.map((d) => d.name).join(', ')})`,
    });
  }

  let oneHolder = false;
  m.vips.forEach((vip, i) => {
    const all = m.directors.flatMap((d) => holdings(d, vip));
    const liveH = all.filter((h) => live(h.iface));
    const stale = all.filter((h) => !live(h.iface));
    const names = [...new Set(liveH.map((h) => h.director))];
    perf.push({ label: perfLabel('holders', 'vip', vip, i, many), value: names.length, min: 0 });

    if (reachable.length > 0) {
      if (names.length >= 2) {
        findings.push({ state: State.CRITICAL, text: `split brain: ${names.join(', ')} hold ${vip}` });
      } else if (names.length === 1) {
        const h = liveH[0]!;
        const where = `${vip} on ${h.director} (${h.label})`;
        if (p.autoFailback && p.preferred && h.director !== p.preferred) findings.push({ state: State.WARNING, text: `${vip} running on backup ${h.director}` });
        else findings.push({ state: State.OK, text: where });
        okParts.push(where);
        oneHolder = true;
      } else {
        const down = failed.filter((d) => d.unreachable).map((d) => d.name);
        findings.push({ state: State.CRITICAL, text: `no director holds ${vip}${down.length ? ` (${down.join(', ')} unreachable)` : ''}` });
      }
      for (const h of stale) findings.push({ state: State.WARNING, text: `${h.director} also has ${vip} on ${h.label}, link down` });
    }

    const arp = m.arp?.[vip];
    if (arp) {
      const where = `from ${arp.from} on ${arp.interface}`;
      if (arp.error !== undefined) {
        findings.push({ state: State.UNKNOWN, text: `ARP view ${where} failed: ${arp.error}` });
      } else {
        perf.push({ label: perfLabel('arp_macs', 'arp', vip, i, many), value: arp.macs.length, min: 0 });
        long.push(`ARP ${where}: ${arp.received ?? '?'} replies to ${arp.sent ?? '?'} requests, MACs: ${arp.macs.map(macText).join(', ') || 'none'}`);
        if (arp.macs.length >= 2) {
          findings.push({ state: State.CRITICAL, text: `${arp.macs.length} MACs answer ARP for ${vip}: ${arp.macs.map(macText).join(', ')}` });
        } else if (arp.macs.length === 0) {
          findings.push({ state: State.WARNING, text: `no ARP reply for ${vip} ${where}` });
        } else if (names.length === 1) {
          const holderMac = macOf(
            m.directors.find((d) => d.name === names[0]),
            liveH[0]!.iface.name,
          );
          const mac = arp.macs[0]!;
          if (holderMac && mac !== holderMac) {
            findings.push({
              state: owner(mac) ? State.CRITICAL : State.WARNING,
              text: `ARP for ${vip} answered by ${macText(mac)}, not by holder ${names[0]} (${holderMac})`,
            });
          }
        }
      }
    }
  });

  for (const d of failed) {
    // One holder seen, but a silent director might hold the VIP as well.
    if (d.unreachable && oneHolder) findings.push({ state: State.WARNING, text: `${d.name} unreachable: split brain cannot be ruled out` });
    if (!d.unreachable && reachable.length > 0) findings.push({ state: State.UNKNOWN, text: `${d.name} could not be probed` });
    long.push(`${d.name} (${d.address}): ${d.unreachable ? 'unreachable' : 'not probed'}: ${d.error}`);
  }
  if (p.seconds !== undefined) perf.push({ label: 'time', value: Math.round(p.seconds * 1000) / 1000, uom: 's', min: 0 });
  long.push(...(m.notes ?? []));
  return combine(findings, okParts.join('; ') || 'no VIP to check', perf, long);
}

/** `NAME=ADDR` pairs of --director. */
export function parseDirectorSpecs(specs: string[]): { name: string; address: string }[] {
  return specs.map((s) => {
    const m = /^([^=\s]+)=([^=\s]+)$/.exec(s);
    if (!m) throw new UsageError(`--director '${s}' is not NAME=ADDRESS`);
    return { name: m[1]!, address: m[2]! };
  });
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/;

/** The host did not answer: a failure of the monitored thing. */
const isDown = (e: unknown) => e instanceof UnreachableError || e instanceof CommandTimeoutError;
/** We could not ask (key, host key, program path, output): our side, UNKNOWN-worthy. */
const isOurs = (e: unknown) => e instanceof SshAuthError || e instanceof SpawnError || e instanceof PluginError;

function failure(name: string, address: string, e: unknown): DirectorView {
  if (isDown(e) || isOurs(e)) return { name, address, ok: false, unreachable: isDown(e), error: errorMessage(e) };
  throw e;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export const vipCheck: CheckDef<VipConfig, VipModel & { seconds: number }, VipOptions, Deployment> = {
  name: 'vip',
  prefix: 'LVS VIP',
  description: 'exactly one director holds each VIP (ip -j addr on every director), and optionally only it answers ARP (arping -b)',
  options(cmd: Command) {
    cmd
      .option('--vip <address>', 'VIP to check (repeatable; default: every VIP of the deployment)', collect)
      .option('--director <name=address>', 'director to probe (repeatable; default: the deployment\'s directors)', collect)
      .option('--ip <path>', 'ip program (iproute2)', 'ip')
      .option('--arping <path>', 'arping program (iputils)', 'arping')
      .option('--arp-from <host>', 'also send broadcast ARP requests for the VIP from this host on the same L2 (localhost or SSH)')
      .option('--arp-interface <if>', 'interface of --arp-from facing the VIP\'s L2')
      .option('--arp-count <n>', 'ARP requests to send', (v: string) => {
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 100) throw new UsageError(`--arp-count '${v}' is not a whole number from 1 to 100`);
        return Number(v);
      }, 3);
  },
  configure(o, ctx): VipConfig {
    const dep = ctx.deployment();
    const vips = o.vip?.length ? o.vip : dep.vips.map((v) => v.address);
    for (const v of vips) if (!isIP(v)) throw new UsageError(`--vip '${v}' is not an IP address`);
    if (vips.length === 0) throw new UsageError('no VIP: the deployment has none; give --vip');
    const directors = o.director?.length ? parseDirectorSpecs(o.director) : dep.directors.map((d) => ({ name: d.name, address: d.address }));
    if (directors.length === 0) throw new UsageError('no director: the deployment has none; give --director NAME=ADDRESS');
    if (o.arpFrom !== undefined && o.arpInterface === undefined) throw new UsageError('--arp-from needs --arp-interface');
    return {
      ...vipDefaults(dep),
      vips,
      directors,
      ip: o.ip,
      arping: o.arping,
      arpFrom: o.arpFrom,
      arpInterface: o.arpInterface,
      arpCount: o.arpCount,
      hostname: o.hostname,
    };
  },
  defaults: vipDefaults,
  gather: gatherVip,
  evaluate: (m, c) => evaluateVip(m, { preferred: c.preferred, autoFailback: c.autoFailback, seconds: m.seconds }),
};

/** check_lvs_vip's config: which VIPs on which directors, the optional ARP view, the failback policy. */
export interface VipConfig {
  vips: string[];
  directors: { name: string; address: string }[];
  /** Real servers, to name a MAC that answers ARP for the VIP. */
  realHosts: { name: string; address: string }[];
  ip: string;
  arping: string;
  arpFrom?: string;
  arpInterface?: string;
  arpCount: number;
  /** -H: where the check runs (undefined = here). */
  hostname?: string;
  preferred?: string;
  autoFailback: boolean;
}

/** check_lvs_vip with no option, for the exporter and doctor. */
export function vipDefaults(dep: Deployment): VipConfig {
  return {
    vips: dep.vips.map((v) => v.address),
    directors: dep.directors.map((d) => ({ name: d.name, address: d.address })),
    realHosts: dep.realHosts.map((r) => ({ name: r.name, address: r.address })),
    ip: 'ip',
    arping: 'arping',
    arpCount: 3,
    preferred: dep.heartbeat.preferred,
    autoFailback: dep.heartbeat.autoFailback,
  };
}

export async function gatherVip(o: VipConfig, env: GatherEnv): Promise<VipModel & { seconds: number }> {
    const { vips, directors } = o;
    const arpWanted = o.arpInterface !== undefined;
    const t0 = process.hrtime.bigint();
    const ipOpts = { ip: o.ip };

    // This host's own view, asked once: a director whose address is here is probed locally, not over SSH to itself.
    let here: Promise<Interface[]> | undefined;
    const hereView = () => (here ??= probeAddresses(env.source(), ipOpts));
    const myName = o.hostname === undefined ? hostname() : undefined;
    const probeDirector = async (d: { name: string; address: string }): Promise<DirectorView> => {
      try {
        if (LOOPBACK.test(d.address)) return { ...d, ok: true, interfaces: await probeAddresses(env.source(d.address), ipOpts) };
        const mine = await hereView();
        if (d.name === myName || findAddress(mine, d.address).length > 0) {
          env.trace(1, `${d.name} is this host: using the local view`);
          return { ...d, ok: true, interfaces: mine };
        }
        return { ...d, ok: true, interfaces: await probeAddresses(env.source(d.address), ipOpts) };
      } catch (e) {
        return failure(d.name, d.address, e);
      }
    };

    const resolveHost = (h: string) => directors.find((d) => d.name === h)?.address ?? o.realHosts.find((r) => r.name === h)?.address ?? h;
    const arpFrom = o.arpFrom ?? 'localhost';
    const probeArp = async (vip: string): Promise<[string, ArpView]> => {
      const base = { from: arpFrom, interface: o.arpInterface! };
      try {
        const r = await probeArping(env.source(resolveHost(arpFrom)), { arping: o.arping, interface: o.arpInterface!, target: vip, count: o.arpCount });
        return [vip, { ...base, sent: r.sent, received: r.received, macs: r.macs }];
      } catch (e) {
        if (isDown(e) || isOurs(e)) return [vip, { ...base, macs: [], error: errorMessage(e) }];
        throw e;
      }
    };

    const [views, arpEntries] = await Promise.all([Promise.all(directors.map(probeDirector)), arpWanted ? Promise.all(vips.map(probeArp)) : Promise.resolve([])]);

    const model: VipModel = { vips, directors: views, notes: [] };
    if (arpWanted) {
      model.arp = Object.fromEntries(arpEntries);
      const owners: Record<string, string> = {};
      const addOwner = (ifs: Interface[], name: string) => {
        for (const i of ifs) if (i.mac && !i.noarp && i.mac !== '00:00:00:00:00:00') owners[i.mac] ??= name;
      };
      for (const v of views) if (v.ok) addOwner(v.interfaces, v.name);
      // Name the strangers: ask the real servers for their MACs only when a MAC is not a director's.
      const strangers = arpEntries.some(([, a]) => a.macs.some((mac) => !owners[mac]));
      if (strangers) {
        await Promise.all(
          o.realHosts.map(async (r) => {
            try {
              addOwner(await probeLinks(env.source(r.address), ipOpts), r.name);
            } catch (e) {
              model.notes!.push(`${r.name} (${r.address}): MACs unknown: ${errorMessage(e)}`);
            }
          }),
        );
      }
      model.macOwners = owners;
    }
    return { ...model, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}
