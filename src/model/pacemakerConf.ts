/**
 * The deployment a Pacemaker director holds: its /etc/corosync/corosync.conf (the nodes), the
 * CIB (`cibadmin -Q`, or the on-disk /var/lib/pacemaker/cib/cib.xml: the LVS group, its IPaddr2
 * and ldirectord primitives, the location constraint and stickiness) and the ldirectord file
 * the ldirectord primitive names. Pure functions: text in, typed value out; the file reading is
 * load.ts's. corosync.conf has no library in Node's world: its format (sections in braces,
 * `key: value`, `#` comments) is small enough to read here, bounded in depth and size.
 */
import { xmlDocument } from '../parsers/xml';
import { ParseError } from '../runtime/errors';
import { PREFERRED_SCORE } from './ha';
import { servicesFromLdirectord } from './native';
import { referenceDeployment } from './reference';
import { Deployment, VipConfig } from './types';

export interface CorosyncConf {
  clusterName?: string;
  nodes: { name: string; address: string; nodeid?: number }[];
  twoNode: boolean;
  crypto: { cipher?: string; hash?: string };
}

type Section = { name: string; keys: Record<string, string>; sections: Section[] };

const MAX_DEPTH = 8;

export function parseCorosyncConf(text: string): CorosyncConf {
  const root: Section = { name: '', keys: {}, sections: [] };
  const stack: Section[] = [root];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const no = i + 1;
    let m: RegExpExecArray | null;
    if ((m = /^([A-Za-z0-9_.-]+)\s*\{$/.exec(line))) {
      if (stack.length > MAX_DEPTH) throw new ParseError('corosync.conf', `sections nested deeper than ${MAX_DEPTH}`, no);
      const s: Section = { name: m[1]!, keys: {}, sections: [] };
      stack[stack.length - 1]!.sections.push(s);
      stack.push(s);
    } else if (line === '}') {
      if (stack.length === 1) throw new ParseError('corosync.conf', "a '}' without its section", no);
      stack.pop();
    } else if ((m = /^([A-Za-z0-9_.-]+)\s*:\s*(.*)$/.exec(line))) {
      stack[stack.length - 1]!.keys[m[1]!] = m[2]!.trim();
    } else throw new ParseError('corosync.conf', `'${line.slice(0, 60)}' is neither 'key: value', 'section {' nor '}'`, no);
  });
  if (stack.length !== 1) throw new ParseError('corosync.conf', `section ${stack[stack.length - 1]!.name} is not closed`);
  const sec = (name: string) => root.sections.find((s) => s.name === name);
  const totem = sec('totem');
  const nodelist = sec('nodelist');
  const nodes = (nodelist?.sections ?? [])
    .filter((s) => s.name === 'node')
    .map((n, i) => {
      const address = n.keys.ring0_addr ?? '';
      const name = n.keys.name ?? '';
      if (!name) throw new ParseError('corosync.conf', `nodelist node ${i + 1} has no name (Pacemaker names its nodes by it)`);
      if (!address) throw new ParseError('corosync.conf', `nodelist node ${name} has no ring0_addr`);
      const id = n.keys.nodeid;
      if (id !== undefined && !/^\d{1,10}$/.test(id)) throw new ParseError('corosync.conf', `nodelist node ${name}: nodeid '${id}' is not a number`);
      return { name, address, ...(id !== undefined && { nodeid: Number(id) }) };
    });
  if (nodes.length === 0) throw new ParseError('corosync.conf', 'no nodelist with a node');
  return {
    ...(totem?.keys.cluster_name !== undefined && { clusterName: totem.keys.cluster_name }),
    nodes,
    twoNode: sec('quorum')?.keys.two_node === '1',
    crypto: { cipher: totem?.keys.crypto_cipher, hash: totem?.keys.crypto_hash },
  };
}

export interface CibPrimitive {
  id: string;
  /** class:provider:type, as crm_mon prints it (ocf:heartbeat:IPaddr2). */
  agent: string;
  params: Record<string, string>;
  /** The group holding it. */
  group?: string;
}

export interface Cib {
  properties: Record<string, string>;
  primitives: CibPrimitive[];
  groups: { id: string; members: string[] }[];
  locations: { id: string; rsc: string; node: string; score: number }[];
  /** rsc_defaults resource-stickiness (the group's own meta attribute wins). */
  stickiness?: number;
}

type El = Record<string, unknown>;
const kids = (e: El | undefined, name: string): El[] => {
  const v = e?.[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => (x !== null && typeof x === 'object' ? (x as El) : {}));
};
const attr = (e: El, k: string): string | undefined => (typeof e[k] === 'string' ? (e[k] as string) : undefined);
const LISTS = new Set(['primitive', 'group', 'nvpair', 'rsc_location', 'cluster_property_set', 'instance_attributes', 'meta_attributes', 'node', 'clone']);

function score(v: string | undefined, where: string): number {
  if (v === undefined) throw new ParseError('CIB', `${where}: no score`);
  if (/^\+?INFINITY$/.test(v)) return 1000000;
  if (v === '-INFINITY') return -1000000;
  if (!/^-?\d{1,7}$/.test(v)) throw new ParseError('CIB', `${where}: score '${v}' is not a number or INFINITY`);
  return Number(v);
}

function nvpairs(sets: El[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) for (const p of kids(s, 'nvpair')) if (attr(p, 'name') && attr(p, 'value') !== undefined) out[attr(p, 'name')!] = attr(p, 'value')!;
  return out;
}

export function parseCib(text: string): Cib {
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw new ParseError('CIB', 'a DOCTYPE or ENTITY declaration (a CIB has none)');
  if (!/^\s*(<\?xml[^>]*\?>\s*)?<cib[\s>]/.test(text)) throw new ParseError('CIB', 'no <cib> element (is this cibadmin -Q or cib.xml?)');
  const doc = xmlDocument('CIB', text, (n, isAttribute) => !isAttribute && LISTS.has(n));
  const conf = kids(kids(doc, 'cib')[0], 'configuration')[0];
  if (!conf) throw new ParseError('CIB', 'no <configuration>');
  const properties = nvpairs(kids(kids(conf, 'crm_config')[0], 'cluster_property_set'));
  const res = kids(conf, 'resources')[0];
  const primitives: CibPrimitive[] = [];
  const prim = (p: El, group?: string): CibPrimitive => {
    const id = attr(p, 'id');
    if (!id) throw new ParseError('CIB', 'a primitive without an id');
    const agent = [attr(p, 'class'), attr(p, 'provider'), attr(p, 'type')].filter(Boolean).join(':');
    return { id, agent, params: nvpairs(kids(p, 'instance_attributes')), ...(group && { group }) };
  };
  for (const p of kids(res, 'primitive')) primitives.push(prim(p));
  const groups: Cib['groups'] = [];
  let groupStickiness: number | undefined;
  for (const g of kids(res, 'group')) {
    const id = attr(g, 'id');
    if (!id) throw new ParseError('CIB', 'a group without an id');
    const members = kids(g, 'primitive').map((p) => prim(p, id));
    primitives.push(...members);
    groups.push({ id, members: members.map((m) => m.id) });
    const st = nvpairs(kids(g, 'meta_attributes'))['resource-stickiness'];
    if (st !== undefined && members.some((m) => /IPaddr2?$/.test(m.agent))) groupStickiness = score(st, `group ${id} resource-stickiness`);
  }
  const locations = kids(kids(conf, 'constraints')[0], 'rsc_location')
    .filter((l) => attr(l, 'node') !== undefined && attr(l, 'score') !== undefined)
    .map((l) => {
      const id = attr(l, 'id') ?? '';
      return { id, rsc: attr(l, 'rsc') ?? '', node: attr(l, 'node')!, score: score(attr(l, 'score'), `rsc_location ${id}`) };
    });
  const defSt = nvpairs(kids(kids(conf, 'rsc_defaults')[0], 'meta_attributes'))['resource-stickiness'];
  const stickiness = groupStickiness ?? (defSt !== undefined ? score(defSt, 'rsc_defaults resource-stickiness') : undefined);
  return { properties, primitives, groups, locations, ...(stickiness !== undefined && { stickiness }) };
}

/** What deploymentFromPacemaker needs beside the two parsed files. */
export interface PacemakerSources {
  /** ldirectord's file by the path the primitive names (configfile), or undefined when not readable. */
  ldirectord: (path: string) => string | undefined;
  name?: string;
}

/**
 * corosync.conf + CIB (+ ldirectord's file) → the deployment: the corosync nodes are the
 * directors, each IPaddr2 of the LVS group a VIP (its nic the directors' interface), the
 * ldirectord primitive's configfile the services, the highest site location score (never a
 * cli-* one) the preferred director, auto_failback = stickiness below that score.
 */
export function deploymentFromPacemaker(cs: CorosyncConf, cib: Cib, src: PacemakerSources): Deployment {
  const isVip = (p: CibPrimitive) => /:IPaddr2?$/.test(p.agent);
  const group = cib.groups.find((g) => g.members.some((m) => isVip(cib.primitives.find((p) => p.id === m)!))) ?? undefined;
  const inLvs = (p: CibPrimitive) => (group ? p.group === group.id : true);
  const vipPrims = cib.primitives.filter((p) => isVip(p) && inLvs(p));
  if (vipPrims.length === 0) throw new ParseError('CIB', 'no IPaddr2 primitive (the VIP)');
  const ld = cib.primitives.find((p) => /:ldirectord$/.test(p.agent) && inLvs(p));
  const iface = vipPrims[0]!.params.nic ?? 'eth0';
  const vips: VipConfig[] = vipPrims.map((p) => {
    const address = p.params.ip;
    if (!address) throw new ParseError('CIB', `primitive ${p.id}: no ip parameter`);
    const prefix = p.params.cidr_netmask !== undefined ? Number(p.params.cidr_netmask) : 32;
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 128) throw new ParseError('CIB', `primitive ${p.id}: cidr_netmask '${p.params.cidr_netmask}' is not a prefix length`);
    const label = p.params.iflabel !== undefined ? `${p.params.nic ?? iface}:${p.params.iflabel}` : undefined;
    return { address, prefix, ...(label && { label }) };
  });
  const configfile = ld?.params.configfile ?? '/etc/ha.d/ldirectord.cf';
  const ldText = ld ? src.ldirectord(configfile) : undefined;
  if (ld && ldText === undefined) throw new ParseError('CIB', `primitive ${ld.id}: its configfile ${configfile} cannot be read`);
  const services = ldText !== undefined ? servicesFromLdirectord(configfile.replace(/^.*\//, '').replace(/\.cf$/, ''), ldText) : [];
  const targets = new Set([group?.id, ...vipPrims.map((p) => p.id)].filter(Boolean));
  const prefs = cib.locations.filter((l) => targets.has(l.rsc) && l.score > 0 && !/^cli-/.test(l.id)).sort((a, b) => b.score - a.score);
  const names = cs.nodes.map((n) => n.name);
  const preferred = prefs[0] && names.includes(prefs[0].node) ? prefs[0].node : names[0]!;
  const preferredScore = prefs[0]?.score ?? PREFERRED_SCORE;
  const stickiness = cib.stickiness ?? 0;
  const r = referenceDeployment;
  return {
    name: src.name ?? cs.clusterName ?? 'pacemaker',
    ha: 'pacemaker',
    pacemaker: {
      clusterName: cs.clusterName ?? 'lvsha',
      group: group?.id ?? vipPrims[0]!.id,
      vipResources: vipPrims.map((p) => p.id),
      ldirectordResource: ld?.id ?? 'ldirectord',
      stickiness,
      preferredScore,
    },
    directors: cs.nodes.map((n) => ({ name: n.name, address: n.address, interface: iface })),
    vips,
    services,
    realHosts: [],
    heartbeat: { ...r.heartbeat, preferred, autoFailback: stickiness < preferredScore },
    sync: { ...r.sync, interface: iface },
    sorry: { url: services[0]?.fallback ? `http://${services[0].fallback.address}:${services[0].fallback.port}/` : 'http://127.0.0.1:80/' },
  };
}
