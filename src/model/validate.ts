import { State } from '../runtime/state';
import { isIP } from 'node:net';
import { Netmask } from 'netmask';
import { HA_LAYERS } from './ha';
import { Deployment, HaLayer, KeepalivedConfig, PacemakerConfig } from './types';

export interface Problem {
  severity: 'error' | 'warning';
  /** Path of the field, e.g. `services[0].realServers[1].weight`. */
  field: string;
  message: string;
}

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'];

function sameSubnet(a: string, b: string, prefix: number): boolean {
  if (isIP(a) !== 4 || isIP(b) !== 4) return true; // v6 DR subnets are not judged here
  return new Netmask(`${b}/${prefix}`).contains(a);
}

/** Checks a deployment; every problem names its field and the offending value. */
export function validateDeployment(d: Deployment): Problem[] {
  const p: Problem[] = [];
  const err = (field: string, message: string) => p.push({ severity: 'error', field, message });
  const warn = (field: string, message: string) => p.push({ severity: 'warning', field, message });
  const addr = (field: string, v: unknown) => {
    if (typeof v !== 'string' || isIP(v) === 0) {
      err(field, `'${String(v)}' is not a valid IP address`);
      return false;
    }
    return true;
  };
  const port = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) err(field, `'${String(v)}' is not a port (1-65535)`);
  };
  // A document can hold anything where a list or a mapping is expected ("directors: abc"):
  // said once, never walked into (it used to end in "forEach is not a function").
  const list = <T>(field: string, v: T[] | undefined): T[] => {
    if (v === undefined || Array.isArray(v)) return v ?? [];
    err(field, `'${String(v)}' is not a list`);
    return [];
  };
  const items = <T>(field: string, v: T[]): T[] =>
    v.filter((x, i) => {
      if (x !== null && typeof x === 'object' && !Array.isArray(x)) return true;
      err(`${field}[${i}]`, `'${String(x)}' is not a mapping`);
      return false;
    });

  const directors = items('directors', list('directors', d.directors));
  if (Array.isArray(d.directors) && d.directors.length === 0) err('directors', 'at least one director is needed');
  const names = new Set<string>();
  directors.forEach((dir, i) => {
    const f = `directors[${i}]`;
    if (!dir.name || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(dir.name)) err(`${f}.name`, `'${String(dir.name)}' is not a host name`);
    if (names.has(dir.name)) err(`${f}.name`, `'${dir.name}' is named twice`);
    names.add(dir.name);
    addr(`${f}.address`, dir.address);
    if (!dir.interface) err(`${f}.interface`, 'missing');
  });

  const vips = items('vips', list('vips', d.vips));
  vips.forEach((v, i) => {
    addr(`vips[${i}].address`, v.address);
    const max = isIP(v.address) === 6 ? 128 : 32;
    if (!Number.isInteger(v.prefix) || v.prefix < 0 || v.prefix > max) err(`vips[${i}].prefix`, `'${String(v.prefix)}' is not a prefix length (0-${max})`);
  });

  const services = items('services', list('services', d.services));
  if (Array.isArray(d.services) && d.services.length === 0) err('services', 'at least one virtual service is needed');
  services.forEach((s, i) => {
    const f = `services[${i}]`;
    if (typeof s.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s.name)) err(`${f}.name`, `'${String(s.name)}' is not a service name (letters, digits, . _ -)`);
    if (!['tcp', 'udp', 'sctp', 'fwm'].includes(s.protocol)) err(`${f}.protocol`, `'${String(s.protocol)}' is not tcp, udp, sctp or fwm`);
    let vipOk = false;
    if (s.protocol === 'fwm') {
      if (!Number.isInteger(s.fwmark) || (s.fwmark ?? 0) < 1) err(`${f}.fwmark`, `'${String(s.fwmark)}' is not a firewall mark (>= 1)`);
    } else {
      vipOk = addr(`${f}.address`, s.address);
      port(`${f}.port`, s.port);
    }
    if (!SCHEDULERS.includes(s.scheduler)) warn(`${f}.scheduler`, `'${String(s.scheduler)}' is not a scheduler IPVS knows (${SCHEDULERS.join(' ')})`);
    if (s.persistent !== undefined && (!Number.isInteger(s.persistent) || s.persistent < 1))
      err(`${f}.persistent`, `'${String(s.persistent)}' is not a persistence timeout in seconds (>= 1)`);
    const vip = vipOk ? vips.find((v) => v.address === s.address) : undefined;
    if (vipOk && !vip) warn(`${f}.address`, `VIP ${s.address} is not among vips[]: no director will hold it`);
    const seen = new Set<string>();
    const reals = items(`${f}.realServers`, list(`${f}.realServers`, s.realServers));
    if (Array.isArray(s.realServers) && s.realServers.length === 0) warn(`${f}.realServers`, 'no real servers');
    reals.forEach((r, j) => {
      const rf = `${f}.realServers[${j}]`;
      const ok = addr(`${rf}.address`, r.address);
      // 0 in a firewall-mark service: IPVS keeps the packet's port (keepalived's real_server without one)
      if (typeof r.port !== 'number' || !Number.isInteger(r.port) || r.port < (s.protocol === 'fwm' ? 0 : 1) || r.port > 65535)
        err(`${rf}.port`, `'${String(r.port)}' is not a port (1-65535; 0 only in a firewall-mark service)`);
      // ipvsadm: "The valid values of weight are 0 through to 65535".
      if (typeof r.weight !== 'number' || !Number.isInteger(r.weight) || r.weight < 0 || r.weight > 65535) err(`${rf}.weight`, `'${String(r.weight)}' is not a weight (0-65535)`);
      if (!['gate', 'masq', 'ipip'].includes(r.forwarding)) err(`${rf}.forwarding`, `'${String(r.forwarding)}' is not gate, masq or ipip`);
      const key = `${r.address}:${r.port}`;
      if (seen.has(key)) err(`${rf}`, `real server ${key} is listed twice`);
      seen.add(key);
      if (ok && vip && r.forwarding === 'gate' && !sameSubnet(r.address, vip.address, vip.prefix))
        warn(`${rf}.address`, `${r.address} is outside the VIP's subnet ${vip.address}/${vip.prefix}: direct routing needs the real servers on the directors' LAN`);
    });
    if (s.fallback) {
      addr(`${f}.fallback.address`, s.fallback.address);
      port(`${f}.fallback.port`, s.fallback.port);
    }
  });

  items('realHosts', list('realHosts', d.realHosts)).forEach((h, i) => {
    if (typeof h.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(h.name)) err(`realHosts[${i}].name`, `'${String(h.name)}' is not a host name`);
    addr(`realHosts[${i}].address`, h.address);
  });

  const hb = d.heartbeat;
  if (!hb || typeof hb !== 'object') err('heartbeat', hb ? `'${String(hb)}' is not a mapping` : 'missing');
  else {
    for (const k of ['keepalive', 'warntime', 'deadtime', 'initdead'] as const)
      if (typeof hb[k] !== 'number' || !(hb[k] > 0) || hb[k] > 86400) err(`heartbeat.${k}`, `'${String(hb[k])}' is not a positive number of seconds (at most 86400)`);
    if (hb.warntime <= hb.keepalive) warn('heartbeat.warntime', `${hb.warntime} s should be longer than keepalive (${hb.keepalive} s)`);
    if (hb.deadtime <= hb.warntime) warn('heartbeat.deadtime', `${hb.deadtime} s should be longer than warntime (${hb.warntime} s)`);
    if (hb.initdead < 2 * hb.deadtime) warn('heartbeat.initdead', `${hb.initdead} s should be at least twice deadtime (${hb.deadtime} s)`);
    port('heartbeat.udpport', hb.udpport);
    if (!names.has(hb.preferred)) err('heartbeat.preferred', `node '${hb.preferred}' (haresources) is not a director in ha.cf (${[...names].join(', ')})`);
    if (hb.auth !== 'sha1') warn('heartbeat.auth', `'${hb.auth}' is a weak authentication method; use sha1`);
  }

  const ha = (d as { ha?: unknown }).ha;
  if (ha !== undefined && !HA_LAYERS.includes(ha as HaLayer)) err('ha', `'${String(ha)}' is not an HA layer (${HA_LAYERS.slice(0, -1).join(', ')} or ${HA_LAYERS[HA_LAYERS.length - 1]})`);
  if (ha === 'keepalived' && (d as Deployment).sync?.mode === 'both')
    warn('sync.mode', "'both' under keepalived: its lvs_sync_daemon runs one daemon following the VRRP state (follow-role); both only if the site starts the other itself");
  const ka = (d as { keepalived?: unknown }).keepalived;
  if (ka !== undefined) {
    if (ka === null || typeof ka !== 'object' || Array.isArray(ka)) err('keepalived', `'${String(ka)}' is not a mapping`);
    else {
      const k = ka as Partial<KeepalivedConfig>;
      if (ha !== 'keepalived') warn('keepalived', `the keepalived section is ignored: ha is '${String(ha ?? 'heartbeat')}' (set ha: keepalived)`);
      if (k.vrid !== undefined && (!Number.isInteger(k.vrid) || k.vrid < 1 || k.vrid > 255)) err('keepalived.vrid', `'${String(k.vrid)}' is not a VRRP virtual_router_id (1-255)`);
      if (k.advertInt !== undefined && (typeof k.advertInt !== 'number' || !(k.advertInt > 0) || k.advertInt > 255))
        err('keepalived.advertInt', `'${String(k.advertInt)}' is not an advert_int in seconds (at most 255)`);
      if (k.instance !== undefined && (typeof k.instance !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(k.instance)))
        err('keepalived.instance', `'${String(k.instance)}' is not a vrrp_instance name (letters, digits, _ . -)`);
      const pr = k.priorities;
      if (pr !== undefined && (pr === null || typeof pr !== 'object' || Array.isArray(pr))) err('keepalived.priorities', `'${String(pr)}' is not a mapping`);
      else if (pr) {
        for (const [n, v] of Object.entries(pr)) {
          if (!names.has(n)) err(`keepalived.priorities.${n}`, `'${n}' is not a director (${[...names].join(', ')})`);
          if (!Number.isInteger(v) || v < 1 || v > 254) err(`keepalived.priorities.${n}`, `'${String(v)}' is not a VRRP priority (1-254)`);
        }
        const vals = Object.values(pr);
        if (vals.length > 1 && new Set(vals).size < vals.length) warn('keepalived.priorities', 'two directors have the same priority: VRRP then elects by address, not by preference');
      }
    }
  }

  const pm = (d as { pacemaker?: unknown }).pacemaker;
  if (pm !== undefined) {
    if (pm === null || typeof pm !== 'object' || Array.isArray(pm)) err('pacemaker', `'${String(pm)}' is not a mapping`);
    else {
      const k = pm as Partial<PacemakerConfig>;
      if (ha !== 'pacemaker') warn('pacemaker', `the pacemaker section is ignored: ha is '${String(ha ?? 'heartbeat')}' (set ha: pacemaker)`);
      const rid = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
      const ids: string[] = [];
      for (const f of ['group', 'ldirectordResource'] as const) {
        const v = k[f];
        if (v === undefined) continue;
        if (typeof v !== 'string' || !rid.test(v)) err(`pacemaker.${f}`, `'${String(v)}' is not a Pacemaker resource id (a letter or _, then letters, digits, _ . -)`);
        else ids.push(v);
      }
      if (k.vipResources !== undefined) {
        if (!Array.isArray(k.vipResources)) err('pacemaker.vipResources', `'${String(k.vipResources)}' is not a list`);
        else {
          k.vipResources.forEach((v, i) => {
            if (typeof v !== 'string' || !rid.test(v)) err(`pacemaker.vipResources[${i}]`, `'${String(v)}' is not a Pacemaker resource id (a letter or _, then letters, digits, _ . -)`);
            else ids.push(v);
          });
          const nv = Array.isArray(d.vips) ? d.vips.length : 0;
          if (k.vipResources.length !== nv) err('pacemaker.vipResources', `${k.vipResources.length} resource ids for ${nv} VIPs: give one per VIP`);
        }
      }
      const dup = ids.find((x, i) => ids.indexOf(x) !== i);
      if (dup) err('pacemaker', `resource id '${dup}' is used twice`);
      if (k.clusterName !== undefined && (typeof k.clusterName !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(k.clusterName)))
        err('pacemaker.clusterName', `'${String(k.clusterName)}' is not a cluster_name (letters, digits, _ . -)`);
      for (const f of ['stickiness', 'preferredScore'] as const) {
        const v = k[f];
        if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 1000000)) err(`pacemaker.${f}`, `'${String(v)}' is not a score (0-1000000)`);
      }
    }
  }

  const sy = d.sync;
  if (sy && typeof sy === 'object') {
    if (!Number.isInteger(sy.syncid) || sy.syncid < 0 || sy.syncid > 255) err('sync.syncid', `'${String(sy.syncid)}' is not a syncid (0-255)`);
    else if (sy.syncid === 0) warn('sync.syncid', 'syncid 0 means unconfigured: any director on the LAN would be accepted');
  }
  if (d.sorry && typeof d.sorry === 'object' && (typeof d.sorry.url !== 'string' || !/^https?:\/\/\S+$/.test(d.sorry.url)))
    err('sorry.url', `'${String(d.sorry.url).replace(/\/\/[^\s/?#@]*@/, '//***@')}' is not an http:// or https:// URL`);
  return p;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** A deployment that does not validate is bad input: UNKNOWN. */
  readonly state: State = State.UNKNOWN;
  constructor(readonly problems: Problem[]) {
    super(problems.filter((x) => x.severity === 'error').map((x) => `${x.field}: ${x.message}`).join('; '));
  }
}

/** Throws on errors; returns the warnings. */
export function assertValid(d: Deployment): Problem[] {
  const problems = validateDeployment(d);
  if (problems.some((x) => x.severity === 'error')) throw new ConfigError(problems);
  return problems.filter((x) => x.severity === 'warning');
}
