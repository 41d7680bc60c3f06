/**
 * `lvsha generate --check DIR`: reads a tree laid out like the generator's output
 * (DIR/<host>/etc/...), generated or hand-made, back through the same readers the checks
 * use — Heartbeat/ldirectord native files (readNativeDir) or keepalived.conf
 * (src/model/keepalivedConf.ts), boot sysctls and the loopback
 * VIP's boot files — and lists where it differs from the deployment.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { keepalivedOf } from '../model/ha';
import { deploymentFromKeepalived, KeepalivedConf, parseKeepalivedConf } from '../model/keepalivedConf';
import { diskConfFiles, readNativeDir } from '../model/load';
import { parseLvsstate } from '../model/native';
import { Deployment } from '../model/types';
import { bootValue, sysctlKeyPath } from '../parsers/sysctl';
import { probeAliasPersistence, probeBootSysctl } from '../probes/realserver';
import { errorMessage } from '../runtime/errors';
import { LocalSource } from '../sources/local';
import { RootSource } from '../sources/root';
import { cmp, drVipsOf, hostPort, isV6, realHostsOf, Stack, vipInterface } from './common';

export interface Drift {
  host: string;
  /** Field of the deployment (`heartbeat.deadtime`) or the setting (`net.ipv4.conf.all.arp_ignore`). */
  what: string;
  expected: string;
  found: string;
}

export interface CheckReport {
  drifts: Drift[];
  /** Files that could not be read or parsed. */
  errors: string[];
  hosts: string[];
}

type Flat = Record<string, string>;

/** The parts of a deployment a director's native files carry, flattened to comparable strings. */
export function projectDirector(d: Deployment, me: string): Flat {
  const f: Flat = {};
  f['directors'] = d.directors.map((x) => x.name).join(' ');
  for (const x of d.directors) if (x.address) f[`directors[${x.name}].address`] = x.address;
  const mine = d.directors.find((x) => x.name === me);
  if (mine) f[`directors[${me}].interface`] = mine.interface;
  f['vips'] = d.vips.map((v) => v.address).join(' ');
  for (const v of d.vips) {
    f[`vips[${v.address}].prefix`] = String(v.prefix);
    f[`vips[${v.address}].interface`] = vipInterface(d, v.label);
  }
  f['services'] = d.services.map((s) => s.name).join(' ');
  for (const s of d.services) {
    const k = (x: string) => `services[${s.name}].${x}`;
    f[k('protocol')] = s.protocol;
    f[k('virtual')] = s.protocol === 'fwm' ? `fwmark ${s.fwmark}` : hostPort(s.address ?? '', s.port ?? 0);
    f[k('scheduler')] = s.scheduler;
    f[k('persistent')] = s.persistent === undefined ? 'no' : String(s.persistent);
    if (s.persistent !== undefined && s.persistentNetmask) f[k('persistentNetmask')] = s.persistentNetmask;
    f[k('quiescent')] = s.quiescent ? 'yes' : 'no';
    f[k('checktype')] = s.checktype;
    f[k('fallback')] = s.fallback ? hostPort(s.fallback.address, s.fallback.port) : 'none';
    f[k('realServers')] = s.realServers.map((r) => `${hostPort(r.address, r.port)} ${r.forwarding} ${r.weight}`).join(', ');
  }
  const hb = d.heartbeat;
  for (const key of ['keepalive', 'warntime', 'deadtime', 'initdead', 'udpport', 'preferred', 'media', 'auth'] as const) f[`heartbeat.${key}`] = String(hb[key]);
  f['heartbeat.autoFailback'] = hb.autoFailback ? 'on' : 'off';
  f['heartbeat.pingNodes'] = hb.pingNodes.join(' ');
  f['sync.syncid'] = String(d.sync.syncid);
  f['sync.interface'] = d.sync.interface;
  f['sync.mode'] = d.sync.mode;
  return f;
}

function diff(host: string, expected: Flat, found: Flat, skipAbsent = false): Drift[] {
  const out: Drift[] = [];
  for (const k of [...new Set([...Object.keys(expected), ...Object.keys(found)])].sort(cmp)) {
    const e = expected[k];
    const f = found[k];
    if (e === f) continue;
    if (skipAbsent && (e === undefined || f === undefined)) continue;
    out.push({ host, what: k, expected: e ?? '(absent)', found: f ?? '(absent)' });
  }
  return out;
}

const readOpt = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined);

/** The active key line of an authkeys file, to compare directors without printing it. */
function activeKey(text: string): string | undefined {
  const active = /^\s*auth\s+(\d+)/m.exec(text)?.[1];
  if (!active) return undefined;
  return new RegExp(`^\\s*${active}\\s+(\\S+)\\s*(.*?)\\s*$`, 'm').exec(text)?.slice(1).join(' ');
}

async function checkDirector(dir: string, d: Deployment, name: string, r: CheckReport, keys: Map<string, string>): Promise<void> {
  const etc = join(dir, name, 'etc');
  const haDir = join(etc, 'ha.d');
  if (!existsSync(join(haDir, 'ha.cf'))) {
    r.drifts.push({ host: name, what: '/etc/ha.d/ha.cf', expected: 'present', found: '(absent)' });
    return;
  }
  const peers = d.directors.filter((x) => x.name !== name);
  const peerHaCf = peers.length === 1 ? readOpt(join(dir, peers[0]!.name, 'etc', 'ha.d', 'ha.cf')) : undefined;
  let found: Deployment;
  try {
    found = readNativeDir(haDir, { localNode: name, peerHaCf });
  } catch (e) {
    r.errors.push(`${name}: ${errorMessage(e)}`);
    return;
  }
  // Addresses the files do not tell (no /etc/hosts, no peer at hand) are not drift.
  const fp = projectDirector(found, name);
  for (const k of Object.keys(fp)) if (/^directors\[.*\]\.address$/.test(k) && fp[k] === '') delete fp[k];
  const ep = projectDirector(d, name);
  for (const k of Object.keys(ep)) if (/^directors\[.*\]\.address$/.test(k) && !(k in fp)) delete ep[k];
  r.drifts.push(...diff(name, ep, fp));

  const authPath = join(haDir, 'authkeys');
  if (!existsSync(authPath)) r.drifts.push({ host: name, what: '/etc/ha.d/authkeys', expected: 'present', found: '(absent)' });
  else {
    const mode = statSync(authPath).mode & 0o777;
    // Heartbeat refuses to start when authkeys is readable by group or others.
    if (mode & 0o077) r.drifts.push({ host: name, what: '/etc/ha.d/authkeys mode', expected: '0600', found: `0${mode.toString(8)}` });
    const key = activeKey(readFileSync(authPath, 'utf8'));
    if (key !== undefined) keys.set(name, key);
  }
  // The systemd unit must say what the init script says.
  const unit = readOpt(join(etc, 'systemd', 'system', 'lvsstate.service'));
  if (unit !== undefined) {
    const u = parseLvsstate(unit, d.sync.interface);
    const e = d.sync;
    r.drifts.push(
      ...diff(
        name,
        { 'lvsstate.service syncid': String(e.syncid), 'lvsstate.service interface': e.interface, 'lvsstate.service mode': e.mode },
        { 'lvsstate.service syncid': String(u.syncid), 'lvsstate.service interface': u.interface, 'lvsstate.service mode': u.mode },
      ),
    );
  }
}

/** A checktype as keepalived.conf can say it (src/generate/keepalived.ts checkBlock, read back by keepalivedConf.ts). */
function keepalivedChecktype(s: Deployment['services'][number]): string {
  if (s.checktype === 'negotiate' && s.protocol === 'tcp') return 'negotiate';
  if (s.checktype === 'off' || s.checktype === 'on') return 'off';
  return s.checktype === 'ping' ? 'ping' : 'connect';
}

/**
 * What keepalived.conf carries of a deployment for one director, flattened: the
 * director-side projection without Heartbeat's settings and the sync mode (keepalived's sync
 * daemon always follows the VRRP state), checktypes in keepalived's terms, firewall-mark real
 * servers without their port (the file has none), and the VRRP instance.
 */
export function projectKeepalived(d: Deployment, me: string, vrid?: number): Flat {
  const f = projectDirector({ ...d, services: d.services.map((s) => ({ ...s, checktype: keepalivedChecktype(s) })) }, me);
  for (const k of Object.keys(f)) if (k.startsWith('heartbeat.') || k === 'sync.mode') delete f[k];
  f['directors'] = d.directors
    .map((x) => x.name)
    .sort(cmp)
    .join(' ');
  for (const s of d.services)
    if (s.protocol === 'fwm') f[`services[${s.name}].realServers`] = s.realServers.map((r) => `${r.address} ${r.forwarding} ${r.weight}`).join(', ');
  const k = keepalivedOf(d);
  f['keepalived.instance'] = k.instance;
  f['keepalived.vrid'] = String(vrid ?? k.vrid);
  f['keepalived.advertInt'] = String(k.advertInt);
  f['keepalived.nopreempt'] = String(k.nopreempt);
  f[`keepalived.priorities[${me}]`] = String(k.priorities[me]);
  return f;
}

async function checkKeepalivedDirector(dir: string, d: Deployment, name: string, r: CheckReport, vrid?: number): Promise<void> {
  const path = join(dir, name, 'etc', 'keepalived', 'keepalived.conf');
  if (!existsSync(path)) {
    r.drifts.push({ host: name, what: '/etc/keepalived/keepalived.conf', expected: 'present', found: '(absent)' });
    return;
  }
  const peers = d.directors.filter((x) => x.name !== name);
  const peerPath = peers.length === 1 ? join(dir, peers[0]!.name, 'etc', 'keepalived', 'keepalived.conf') : undefined;
  let peer: KeepalivedConf | undefined;
  try {
    // the peer's file names the peer and its priority; its own errors are reported under its name
    peer = peerPath && existsSync(peerPath) ? parseKeepalivedConf(peerPath, diskConfFiles, { configId: peers[0]!.name }) : undefined;
  } catch {
    peer = undefined;
  }
  let found: Deployment;
  try {
    found = deploymentFromKeepalived(parseKeepalivedConf(path, diskConfFiles, { configId: name }), path, { peer, localNode: name });
  } catch (e) {
    r.errors.push(`${name}: ${errorMessage(e)}`);
    return;
  }
  const mode = statSync(path).mode & 0o777;
  // it holds the VRRP password
  if (mode & 0o077) r.drifts.push({ host: name, what: '/etc/keepalived/keepalived.conf mode', expected: '0600', found: `0${mode.toString(8)}` });
  r.drifts.push(...diff(name, projectKeepalived(d, name, vrid), projectKeepalived(found, name)));
}

const ARP = [
  ['net.ipv4.conf.all.arp_ignore', '1'],
  ['net.ipv4.conf.all.arp_announce', '2'],
  ['net.ipv4.conf.lo.arp_ignore', '1'],
  ['net.ipv4.conf.lo.arp_announce', '2'],
] as const;

async function checkRealServer(dir: string, d: Deployment, h: { name: string; address: string }, r: CheckReport): Promise<void> {
  const vips = drVipsOf(d, h.address);
  if (vips.length === 0) return;
  const root = join(dir, h.name);
  if (!existsSync(root)) {
    r.drifts.push({ host: h.name, what: 'files', expected: 'present', found: '(absent)' });
    return;
  }
  const src = new RootSource(root, new LocalSource());
  try {
    const boot = await probeBootSysctl(src);
    r.errors.push(...boot.unreadable.map((x) => `${h.name}: ${x}`));
    for (const [key, want] of ARP) {
      const v = bootValue(boot.files, sysctlKeyPath(key));
      if (v?.value !== want) r.drifts.push({ host: h.name, what: key, expected: want, found: v ? `${v.value} (${v.path}:${v.line})` : '(unset)' });
    }
    const alias = await probeAliasPersistence(src, 'lo');
    r.errors.push(...alias.errors.map((x) => `${h.name}: ${x}`));
    for (const vip of vips) {
      const want = isV6(vip) ? 128 : 32;
      const at = alias.addresses.filter((a) => a.address === vip);
      if (at.length === 0) r.drifts.push({ host: h.name, what: `VIP ${vip} on lo at boot`, expected: `${vip}/${want}`, found: '(absent)' });
      for (const a of at) {
        if (a.prefixlen !== want) r.drifts.push({ host: h.name, what: `VIP ${vip} on lo (${a.file})`, expected: `/${want}`, found: `/${a.prefixlen}` });
        if (!a.atBoot) r.drifts.push({ host: h.name, what: `VIP ${vip} on lo (${a.file})`, expected: 'brought up at boot', found: 'not at boot' });
      }
    }
    const known = new Set(vips);
    for (const a of alias.addresses)
      if (!known.has(a.address) && !a.address.startsWith('127.') && a.address !== '::1')
        r.drifts.push({ host: h.name, what: `address on lo (${a.file})`, expected: '(none)', found: `${a.address}/${a.prefixlen}` });
  } finally {
    await src.close();
  }
}

/**
 * Compares the tree under `dir` with the deployment: the directors' Heartbeat/ldirectord files,
 * or with `stack: keepalived` their keepalived.conf (`vrid`: the --vrid it was generated with).
 */
export async function checkTree(dir: string, d: Deployment, o: { stack?: Stack; vrid?: number } = {}): Promise<CheckReport> {
  const r: CheckReport = { drifts: [], errors: [], hosts: [] };
  const keys = new Map<string, string>();
  for (const x of d.directors) {
    r.hosts.push(x.name);
    if (o.stack === 'keepalived') await checkKeepalivedDirector(dir, d, x.name, r, o.vrid);
    else await checkDirector(dir, d, x.name, r, keys);
  }
  if (new Set(keys.values()).size > 1)
    r.drifts.push({ host: [...keys.keys()].join(','), what: '/etc/ha.d/authkeys key', expected: 'the same key on every director', found: 'different keys' });
  for (const h of realHostsOf(d)) {
    r.hosts.push(h.name);
    await checkRealServer(dir, d, h, r);
  }
  return r;
}
