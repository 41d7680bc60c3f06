import { hostname as osHostname } from 'node:os';
import { Command, Option } from 'commander';
import { ArpingResult } from '../parsers/arping';
import { IfAddress, Interface, findAddress } from '../parsers/ipAddr';
import { isIpv4 } from '../parsers/netconfig';
import { Listener, listensFor } from '../parsers/ss';
import { SysctlSourceFile, bootValue } from '../parsers/sysctl';
import {
  AliasPersistence,
  ArpSysctl,
  probeAliasPersistence,
  probeArpSysctls,
  probeBootSysctl,
  probeInterfaces,
  probeListeners,
} from '../probes/realserver';
import { probeArping } from '../probes/arping';
import { UsageError } from '../runtime/errors';
import { Perf } from '../runtime/perfdata';
import { CheckDef } from '../runtime/plugin';
import { Finding, Result, combine } from '../runtime/result';
import { State } from '../runtime/state';
import { Deployment } from '../model/types';
import { ArpPort, ArpVip, arpAnnounceSafe, arpIgnoreSuppresses, facingInterfaces, maxOf, vipsFor } from '../domain/arp';
import { GatherEnv, remaining } from '../runtime/check';

/**
 * check_lvs_arp — on a direct-routing real server: the VIP sits on lo as a /32, the
 * kernel never answers ARP for it (arp_ignore/arp_announce as the kernel really applies
 * them: max(all, interface)), the service listens on it, and boot would restore all that.
 */

export type { ArpPort, ArpVip } from '../domain/arp';
export { arpAnnounceSafe, arpIgnoreSuppresses, facingInterfaces, vipsFor } from '../domain/arp';

/** Everything the policy needs, gathered by the probes (or built by a test). */
export interface ArpModel {
  /** Real server's name for messages (reel2). */
  server: string;
  vips: ArpVip[];
  interfaces: Interface[];
  /** Keyed by `all`, `default`, `lo`, `eth0`... */
  sysctl: Record<string, ArpSysctl>;
  listeners?: { tcp?: Listener[]; udp?: Listener[] };
  /** Boot-time sysctl files; undefined when persistence is not checked. */
  boot?: { files: SysctlSourceFile[]; unreadable: string[] };
  alias?: AliasPersistence;
  /** Active view: arping from another host on the LAN. */
  arping?: { from: string; interface: string; vip: string; result: ArpingResult }[];
}

// --- the kernel's rules: src/domain/arp.ts ---------------------------------------------


/** The values boot would give `iface` (max of all and the interface, 0 when unset). */
function bootEffective(files: SysctlSourceFile[], iface: string, param: 'arp_ignore' | 'arp_announce'): { value: number; where: string } {
  const get = (name: string) => {
    const b = bootValue(files, `net/ipv4/conf/${name}/${param}`);
    const v = b && /^-?\d+$/.test(b.value) ? Number(b.value) : 0;
    return { v, where: b ? `${b.path}:${b.line}` : '' };
  };
  const all = get('all');
  const dev = get(iface);
  return all.v >= dev.v ? { value: all.v, where: all.where } : { value: dev.v, where: dev.where };
}

const portText = (p: ArpPort) => `${p.port}/${p.protocol}`;

// --- the policy ---------------------------------------------------------------------------

export interface ArpPolicy {
  /** State for "runtime fine, boot would not restore it". */
  persistenceState: State;
}

export function evaluateArp(m: ArpModel, policy: ArpPolicy = { persistenceState: State.WARNING }): Result {
  const findings: Finding[] = [];
  const long: string[] = [];
  const perf: Perf[] = [];
  const srv = m.server;
  const ownMacs = new Set(m.interfaces.map((i) => i.mac)); // lo's all-zero MAC and undefined never come back in an ARP reply
  let runtimeArpOk = true;
  let vipOk = true;

  const sysFor = (name: string): ArpSysctl => m.sysctl[name] ?? {};
  const all = sysFor('all');
  if (all.arp_ignore === undefined || all.arp_announce === undefined) {
    findings.push({ state: State.UNKNOWN, text: `cannot read /proc/sys/net/ipv4/conf/all/arp_ignore and arp_announce on ${srv}` });
  }
  const lo = sysFor('lo');
  const perIf = new Map<string, { ignore: number; announce: number }>();

  for (const vip of m.vips) {
    // 1. The VIP on lo (or another NOARP interface) as a /32.
    const held = findAddress(m.interfaces, vip.address);
    let scope = 'global';
    if (held.length === 0) {
      vipOk = false;
      findings.push({ state: State.CRITICAL, text: `${srv} lacks ${vip.address} on lo: DR traffic for ${vip.address} would be dropped` });
    } else {
      for (const { iface, addr } of held) {
        scope = addr.scope || scope;
        if (!iface.noarp) {
          vipOk = false;
          findings.push({
            state: State.CRITICAL,
            text: `${srv} holds ${vip.address} on ${addr.label}, an ARP interface: it answers ARP for the VIP (put it on lo)`,
          });
        } else if (addr.prefixlen < 32) {
          findings.push({
            state: State.WARNING,
            text: `${vip.address}/${addr.prefixlen} on ${addr.label} is wider than /32: ${srv} treats the whole subnet as local`,
          });
        } else {
          findings.push({ state: State.OK, text: `${vip.address}/32 on ${addr.label}` });
        }
      }
    }

    // 2. ARP sysctls, effective per interface facing the VIP's subnet.
    const facing = facingInterfaces(m.interfaces, vip);
    if (facing.length === 0) long.push(`no ARP-capable interface with an IPv4 address on ${srv}: nothing to answer ARP`);
    for (const iface of facing) {
      const dev = sysFor(iface.name);
      if (dev.arp_ignore === undefined || dev.arp_announce === undefined) {
        findings.push({ state: State.UNKNOWN, text: `cannot read the ARP sysctls of ${iface.name} on ${srv}` });
        continue;
      }
      const ignore = maxOf(all.arp_ignore, dev.arp_ignore)!;
      const announce = maxOf(all.arp_announce, dev.arp_announce)!;
      perIf.set(iface.name, { ignore, announce });
      const badIgnore = !arpIgnoreSuppresses(ignore, scope);
      const badAnnounce = !arpAnnounceSafe(announce);
      if (!badIgnore && !badAnnounce) {
        findings.push({ state: State.OK, text: `${iface.name}: arp_ignore=${ignore} arp_announce=${announce} (max of all and ${iface.name})` });
        continue;
      }
      runtimeArpOk = false;
      const vals = [badIgnore ? `arp_ignore=${ignore}` : '', badAnnounce ? `arp_announce=${announce}` : ''].filter(Boolean).join(', ');
      let text = badIgnore
        ? `${srv} answers ARP for ${vip.address} on ${iface.name} (${vals})`
        : `${srv} announces ${vip.address} in its ARP requests on ${iface.name} (${vals})`;
      // The lo hint only where lo's values, raised onto all, would fix it: an effective value
      // above lo's (all.arp_ignore=3 over lo's 1) is too high, not set on lo only.
      const loRight =
        lo.arp_ignore !== undefined &&
        lo.arp_announce !== undefined &&
        (!badIgnore || (arpIgnoreSuppresses(lo.arp_ignore, scope) && ignore < lo.arp_ignore)) &&
        (!badAnnounce || (arpAnnounceSafe(lo.arp_announce) && announce < lo.arp_announce));
      if (loRight) text += `: set on lo only; the kernel uses max(all, ${iface.name})`;
      else if (badIgnore && ignore === 3) text += `: 3 only hides scope host addresses, set 1`;
      findings.push({ state: State.CRITICAL, text });
    }

    // 3. A listener on the VIP (or on any address) for each port of its services.
    for (const p of vip.ports) {
      const ls = m.listeners?.[p.protocol];
      if (!ls) continue;
      const good = ls.filter((l) => listensFor(l, vip.address, p.port));
      if (good.length > 0) {
        findings.push({ state: State.OK, text: `listening on ${good[0]!.address}:${p.port}/${p.protocol}` });
        perf.push({ label: `listen_${p.protocol}_${p.port}`, value: 1, min: 0, max: 1 });
        continue;
      }
      perf.push({ label: `listen_${p.protocol}_${p.port}`, value: 0, min: 0, max: 1 });
      const ownAddrs = new Set(m.interfaces.flatMap((i) => i.addresses.map((a: IfAddress) => a.address)));
      const onOwn = ls.filter((l) => l.port === p.port && l.address !== vip.address && ownAddrs.has(l.address) && !l.address.startsWith('127.'));
      if (onOwn.length > 0) {
        findings.push({
          state: State.CRITICAL,
          text: `${srv} listens on ${onOwn[0]!.address}:${p.port} only, not on ${vip.address}: DR packets to the VIP are refused (listen on the VIP or 0.0.0.0)`,
        });
      } else {
        const other = ls.find((l) => l.port === p.port);
        findings.push({
          state: State.CRITICAL,
          text: `nothing on ${srv} listens on ${vip.address}:${portText(p)}${other ? ` (only ${other.address}${other.device ? '%' + other.device : ''}:${p.port})` : ''}`,
        });
      }
    }

    // 4. Active view: this server's own MAC among the answers to a broadcast arping.
    for (const a of (m.arping ?? []).filter((x) => x.vip === vip.address)) {
      const macs = a.result.macs;
      const mine = macs.filter((x) => ownMacs.has(x));
      const where = `arping from ${a.from} on ${a.interface}`;
      if (mine.length > 0) {
        findings.push({ state: State.CRITICAL, text: `${srv} (${mine.join(', ')}) answered ARP for ${vip.address} (${where})` });
      } else if (macs.length === 0) {
        long.push(`${where}: no answer for ${vip.address} (no director holds it?)`);
        findings.push({ state: State.OK, text: `${srv} did not answer ARP for ${vip.address} (${where}, no replies at all)` });
      } else {
        findings.push({ state: State.OK, text: `${srv} did not answer ARP for ${vip.address} (${where}: ${macs.join(', ')})` });
      }
      perf.push({ label: `arp_replies_${srv}`.replace(/[^A-Za-z0-9_]/g, '_'), value: a.result.replies.filter((r) => ownMacs.has(r.mac)).length, min: 0 });
    }
  }

  // 5. Persistence: only meaningful when the runtime state is right.
  if (m.boot) {
    for (const f of m.boot.unreadable) long.push(`sysctl file not readable: ${f}`);
    if (runtimeArpOk && perIf.size > 0) {
      const leaks: string[] = [];
      for (const name of perIf.keys()) {
        const scope = findAddress(m.interfaces, m.vips[0]!.address)[0]?.addr.scope ?? 'global'; // perIf has entries: there is a VIP
        const bi = bootEffective(m.boot.files, name, 'arp_ignore');
        const ba = bootEffective(m.boot.files, name, 'arp_announce');
        if (!arpIgnoreSuppresses(bi.value, scope)) leaks.push(`arp_ignore=${bi.value} on ${name}`);
        if (!arpAnnounceSafe(ba.value)) leaks.push(`arp_announce=${ba.value} on ${name}`);
        if (bi.where || ba.where) long.push(`boot: ${name} arp_ignore=${bi.value}${bi.where ? ` (${bi.where})` : ''} arp_announce=${ba.value}${ba.where ? ` (${ba.where})` : ''}`);
      }
      const read = m.boot.files.map((f) => f.path);
      if (leaks.length > 0) {
        findings.push({
          state: policy.persistenceState,
          text: `${srv} will leak after reboot: sysctl files give ${leaks.join(', ')}`,
        });
        long.push(`sysctl files read: ${read.length ? read.join(' ') : 'none'}`);
      } else findings.push({ state: State.OK, text: `sysctl files restore arp_ignore/arp_announce at boot` });
    }
  }
  if (m.alias) {
    for (const e of m.alias.errors) long.push(`cannot parse ${e}`);
    if (vipOk) {
      if (m.alias.read.length === 0) {
        long.push('lo alias persistence not verified (no ifcfg-lo*, /etc/network/interfaces or .network file readable)');
      } else {
        for (const vip of m.vips) {
          const p = m.alias.addresses.filter((a) => a.address === vip.address);
          const boot = p.filter((a) => a.atBoot);
          if (boot.length > 0) {
            const b = boot[0]!;
            findings.push({ state: State.OK, text: `${vip.address}/${b.prefixlen} on ${b.interface} is restored at boot (${b.file})` });
            if (b.prefixlen < 32) findings.push({ state: State.WARNING, text: `${b.file} restores ${vip.address} on ${b.interface} as /${b.prefixlen}, not /32` });
          } else if (p.length > 0) {
            findings.push({
              state: policy.persistenceState,
              text: `${vip.address} on ${p[0]!.interface} is in ${p[0]!.file} but not brought up at boot: will be lost after reboot`,
            });
          } else {
            findings.push({
              state: policy.persistenceState,
              text: `${vip.address} on lo will be lost after reboot: no network file restores it`,
            });
            long.push(`network files read: ${m.alias.read.join(' ')}`);
          }
        }
      }
    }
  }

  for (const [name, v] of perIf) {
    perf.push({ label: `arp_ignore_${name}`, value: v.ignore, min: 0 });
    perf.push({ label: `arp_announce_${name}`, value: v.announce, min: 0 });
  }
  if (lo.arp_ignore !== undefined && lo.arp_announce !== undefined) {
    const li = maxOf(all.arp_ignore, lo.arp_ignore)!;
    const la = maxOf(all.arp_announce, lo.arp_announce)!;
    long.push(`lo: arp_ignore=${li} arp_announce=${la} (effective; lo itself never sends or answers ARP)`);
    perf.push({ label: 'arp_ignore_lo', value: li, min: 0 });
    perf.push({ label: 'arp_announce_lo', value: la, min: 0 });
  }
  const vipList = m.vips.map((v) => v.address).join(', ');
  return combine(findings, `${srv} holds ${vipList} on lo and does not answer ARP for it`, perf, long);
}

// --- gathering ------------------------------------------------------------------------------

interface ArpOptions {
  vip?: string[];
  port?: ArpPort[];
  ip: string;
  ss: string;
  arping: string;
  arpFrom?: string;
  arpInterface?: string;
  arpCount: number;
  persistence: boolean;
}

const collect = <T>(parse: (v: string) => T) => (v: string, prev: T[] | undefined) => [...(prev ?? []), parse(v)];

function parsePort(v: string): ArpPort {
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(v);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new UsageError(`--port '${v}' is not PORT or PORT/tcp or PORT/udp`);
  return { port: Number(m[1]), protocol: (m[2] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}

function parseVip(v: string): string {
  if (!isIpv4(v)) throw new UsageError(`--vip '${v}' is not an IPv4 address`);
  return v;
}

/** The real server's name: a deployment.realHosts entry holding one of its addresses, else the host name. */
export function serverName(realHosts: { name: string; address: string }[], ifs: Interface[], fallback: string): string {
  const mine = new Set(ifs.flatMap((i) => i.addresses.map((a) => a.address)));
  return realHosts.find((h) => mine.has(h.address))?.name ?? fallback;
}

export const arpCheck: CheckDef<ArpConfig, ArpModel, ArpOptions, Deployment> = {
  name: 'arp',
  prefix: 'LVS ARP',
  description:
    'On a direct-routing real server: the VIP is on lo as a /32, the kernel does not answer ARP for it ' +
    '(effective arp_ignore/arp_announce = max(all, interface)), the service listens on it, and boot restores it.',
  options(cmd: Command) {
    cmd
      .option('--vip <address>', 'VIP to check (repeatable; default: every VIP of the deployment)', collect(parseVip))
      .option('--port <port[/proto]>', 'port the service must listen on (repeatable; default: the VIP services of the deployment)', collect(parsePort))
      .option('--ip <path>', 'ip program (iproute2)', 'ip')
      .option('--ss <path>', 'ss program (iproute2)', 'ss')
      .option('--arping <path>', 'arping program (iputils)', 'arping')
      .option('--arp-from <host>', 'also run a broadcast arping for the VIP on this host (same LAN) and look for our MAC among the answers')
      .option('--arp-interface <if>', 'interface for --arp-from', 'eth0')
      .addOption(
        new Option('--arp-count <n>', 'ARP probes for --arp-from').default(3).argParser((v: string) => {
          if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 20) throw new UsageError(`--arp-count '${v}' is not 1..20`);
          return Number(v);
        }),
      )
      .option('--no-persistence', 'do not check that sysctl and network files restore the settings at boot');
  },
  configure(o, ctx): ArpConfig {
    const d = ctx.deployment();
    const { vips, notes } = vipsFor(d, o.vip, o.port);
    if (vips.length === 0) throw new UsageError('no VIP to check: the deployment has none; give --vip');
    return {
      ...arpDefaults(d),
      vips,
      notes,
      ip: o.ip,
      ss: o.ss,
      arping: o.arping,
      arpFrom: o.arpFrom,
      arpInterface: o.arpInterface ?? 'eth0',
      arpCount: o.arpCount,
      persistence: o.persistence,
      hostname: o.hostname,
    };
  },
  defaults: arpDefaults,
  gather: gatherArp,
  evaluate(m, c): Result {
    const r = evaluateArp(m);
    return { ...r, long: [...r.long!, ...c.notes] }; // combine() always gives long
  },
};

/** check_lvs_arp's config: which VIPs and ports, the programs, the optional ARP view. */
export interface ArpConfig {
  vips: ArpVip[];
  /** What the deployment could not say (listening not checked...), for long output. */
  notes: string[];
  /** To name the server from its addresses. */
  realHosts: { name: string; address: string }[];
  ip: string;
  ss: string;
  arping: string;
  arpFrom?: string;
  arpInterface: string;
  arpCount: number;
  persistence: boolean;
  hostname?: string;
}

/** check_lvs_arp with no option, for the exporter and doctor. */
export function arpDefaults(d: Deployment): ArpConfig {
  const { vips, notes } = vipsFor(d);
  return { vips, notes, realHosts: d.realHosts.map((h) => ({ name: h.name, address: h.address })), ip: 'ip', ss: 'ss', arping: 'arping', arpInterface: 'eth0', arpCount: 3, persistence: true };
}

export async function gatherArp(o: ArpConfig, env: GatherEnv): Promise<ArpModel> {
  const src = env.source();
  const vips = o.vips;
  // Over SSH each wave of reads is one round trip (SshSource batches what is asked for in
  // the same turn): boot files are fetched alongside the live state, not after it.
  const persistence = o.persistence ? Promise.all([probeBootSysctl(src), probeAliasPersistence(src, 'lo')]) : undefined;
  persistence?.catch(() => {}); // awaited below; an earlier failure must not leave it unhandled
  const interfaces = await probeInterfaces(src, { ip: o.ip });
  const names = ['all', 'default', 'lo', ...new Set(vips.flatMap((v) => facingInterfaces(interfaces, v).map((i) => i.name)))];
  const protocols = [...new Set(vips.flatMap((v) => v.ports.map((p) => p.protocol)))];
  const [sysctl, perProtocol] = await Promise.all([
    probeArpSysctls(src, names),
    Promise.all(protocols.map((p) => probeListeners(src, { ss: o.ss, protocol: p }))),
  ]);
  const listeners: ArpModel['listeners'] = {};
  protocols.forEach((p, i) => (listeners[p] = perProtocol[i]!));
  const fallbackName = o.hostname ?? (src.host === 'localhost' ? osHostname() : src.host);
  const model: ArpModel = { server: serverName(o.realHosts, interfaces, fallbackName), vips, interfaces, sysctl, listeners };
  if (persistence) [model.boot, model.alias] = await persistence;
  if (o.arpFrom) {
    const from = env.source(o.arpFrom);
    model.arping = [];
    for (const v of vips) {
      const result = await probeArping(from, { arping: o.arping, interface: o.arpInterface, target: v.address, count: o.arpCount, timeoutMs: remaining(env, 1000) });
      model.arping.push({ from: o.arpFrom, interface: o.arpInterface, vip: v.address, result });
    }
  }
  return model;
}
