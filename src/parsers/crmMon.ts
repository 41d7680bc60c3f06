import { ParseError } from '../runtime/errors';
import { xmlDocument } from './xml';

/**
 * `crm_mon --output-as=xml` (Pacemaker 2.1, api-version 2.x; readable by root and the haclient
 * group): the cluster as the local node's partition sees it. Only elements and attributes are
 * read; every attribute a check or collector uses is checked for type, and a missing or odd one
 * is a ParseError naming it, never a guess. DOCTYPE/ENTITY declarations (crm_mon never writes
 * any) are refused before parsing: no entity expansion, however the text was made.
 */

export interface PmNode {
  name: string;
  id: string;
  online: boolean;
  standby: boolean;
  /** Put in standby by a failure (standby_onfail). */
  standbyOnfail: boolean;
  maintenance: boolean;
  pending: boolean;
  /** Must be fenced before the cluster trusts it again. */
  unclean: boolean;
  shutdown: boolean;
  isDc: boolean;
  resourcesRunning: number;
  /** member, remote, ping... */
  type: string;
}

export interface PmResource {
  id: string;
  /** ocf:heartbeat:IPaddr2 */
  agent: string;
  /** Started, Stopped, Starting, Stopping, Promoted... */
  role: string;
  /** target-role when set (Stopped = disabled by an admin). */
  targetRole?: string;
  active: boolean;
  failed: boolean;
  managed: boolean;
  blocked: boolean;
  orphaned: boolean;
  maintenance: boolean;
  failureIgnored: boolean;
  /** The nodes it runs on (crm_mon's nodes_running_on and the <node> children). */
  nodes: string[];
  /** The group holding it, if any. */
  group?: string;
}

export interface PmGroup {
  id: string;
  managed: boolean;
  disabled: boolean;
  resources: string[];
}

export interface PmFailure {
  /** `ldirectord_monitor_10000` */
  opKey: string;
  /** The resource, from op_key (ID_TASK_INTERVAL). */
  resource: string;
  node: string;
  task: string;
  exitstatus: string;
  exitreason: string;
  exitcode: number;
  /** `last-rc-change` as crm_mon prints it. */
  lastRcChange?: string;
}

export interface PmHistory {
  node: string;
  resource: string;
  failCount: number;
  migrationThreshold?: number;
}

export interface PmBan {
  id: string;
  resource: string;
  node: string;
  weight: number;
}

export interface CrmMon {
  /** api-version of the pacemaker-result element. */
  apiVersion: string;
  stack?: string;
  /** The Designated Controller, when one is elected. */
  dc?: string;
  /** current_dc with_quorum: the local partition has quorum. */
  quorum: boolean;
  lastUpdate?: string;
  nodesConfigured: number;
  resourcesConfigured: number;
  /** resources_configured disabled / blocked counts. */
  resourcesDisabled: number;
  resourcesBlocked: number;
  stonithEnabled: boolean;
  maintenanceMode: boolean;
  stopAllResources: boolean;
  noQuorumPolicy?: string;
  nodes: PmNode[];
  resources: PmResource[];
  groups: PmGroup[];
  failures: PmFailure[];
  history: PmHistory[];
  bans: PmBan[];
  /** <status code message>: 0 OK. */
  status: { code: number; message: string };
}

type El = Record<string, unknown>;

const WHAT = 'crm_mon XML';
/** No element is forced into a list: kids() reads one element and a repeated one alike. */
const NO_LISTS = () => false;

function bool(e: El, attr: string, where: string, dflt?: boolean): boolean {
  const v = e[attr];
  if (v === undefined && dflt !== undefined) return dflt;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ParseError(WHAT, `${where}: ${attr}=${JSON.stringify(v ?? null)} is not true or false`);
}

/** `what` names the document in errors: crm_mon's by default, cibadmin's for the constraints. */
function str(e: El, attr: string, where: string, what = WHAT): string {
  const v = e[attr];
  if (typeof v !== 'string' || v === '') throw new ParseError(what, `${where}: ${attr} is missing`);
  return v;
}

function int(e: El, attr: string, where: string, dflt?: number, what = WHAT): number {
  const v = e[attr];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || !/^-?\d{1,15}$/.test(v)) throw new ParseError(what, `${where}: ${attr}=${JSON.stringify(v ?? null)} is not an integer`);
  return Number(v);
}

/** A Pacemaker score: an integer, or ±INFINITY (1000000). */
function score(e: El, attr: string, where: string, what = WHAT): number {
  const v = e[attr];
  if (v === 'INFINITY' || v === '+INFINITY') return 1000000;
  if (v === '-INFINITY') return -1000000;
  return int(e, attr, where, undefined, what);
}

/** A child element or list, as objects (an empty element parses as ''). */
function kids(e: El | undefined, name: string): El[] {
  const v = e?.[name];
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (x !== null && typeof x === 'object' ? (x as El) : {}));
}

function one(e: El | undefined, name: string): El | undefined {
  return kids(e, name)[0];
}

function resourceOf(r: El, group: string | undefined, where: string): PmResource {
  const id = str(r, 'id', where);
  const w = `resource ${id}`;
  const nodes = kids(r, 'node').map((n) => str(n, 'name', `${w} node`));
  const running = int(r, 'nodes_running_on', w);
  if (running !== nodes.length) throw new ParseError(WHAT, `${w}: nodes_running_on=${running} but ${nodes.length} <node> listed`);
  return {
    id,
    agent: typeof r.resource_agent === 'string' ? r.resource_agent : '',
    role: str(r, 'role', w),
    ...(typeof r.target_role === 'string' && { targetRole: r.target_role }),
    active: bool(r, 'active', w),
    failed: bool(r, 'failed', w),
    managed: bool(r, 'managed', w),
    blocked: bool(r, 'blocked', w),
    orphaned: bool(r, 'orphaned', w),
    maintenance: bool(r, 'maintenance', w, false),
    failureIgnored: bool(r, 'failure_ignored', w, false),
    nodes,
    ...(group !== undefined && { group }),
  };
}

export function parseCrmMon(text: string): CrmMon {
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw new ParseError(WHAT, 'a DOCTYPE or ENTITY declaration (crm_mon writes none)');
  if (!/^\s*(<\?xml[^>]*\?>\s*)?<pacemaker-result[\s>]/.test(text)) throw new ParseError(WHAT, 'no <pacemaker-result> element (is this crm_mon --output-as=xml?)');
  const doc = xmlDocument(WHAT, text, NO_LISTS);
  // the test above found the root element: one() gives it (an empty one as {})
  const root = one(doc, 'pacemaker-result')!;
  const statusEl = one(root, 'status');
  const status = statusEl ? { code: int(statusEl, 'code', 'status'), message: typeof statusEl.message === 'string' ? statusEl.message : '' } : { code: 0, message: 'OK' };
  const summary = one(root, 'summary');
  if (!summary) {
    // an error result (status code non-zero) has no summary: the caller says what the code means
    if (status.code !== 0) return emptyResult(root, status);
    throw new ParseError(WHAT, 'no <summary>');
  }
  const dcEl = one(summary, 'current_dc');
  const dcPresent = dcEl ? bool(dcEl, 'present', 'current_dc') : false;
  const opts = one(summary, 'cluster_options') ?? {};
  const rc = one(summary, 'resources_configured') ?? {};
  const nodes = kids(one(root, 'nodes'), 'node').map((n): PmNode => {
    const name = str(n, 'name', 'node');
    const w = `node ${name}`;
    return {
      name,
      id: str(n, 'id', w),
      online: bool(n, 'online', w),
      standby: bool(n, 'standby', w),
      standbyOnfail: bool(n, 'standby_onfail', w, false),
      maintenance: bool(n, 'maintenance', w),
      pending: bool(n, 'pending', w),
      unclean: bool(n, 'unclean', w),
      shutdown: bool(n, 'shutdown', w, false),
      isDc: bool(n, 'is_dc', w),
      resourcesRunning: int(n, 'resources_running', w),
      type: str(n, 'type', w),
    };
  });
  const resEl = one(root, 'resources');
  const resources: PmResource[] = [];
  const groups: PmGroup[] = [];
  for (const r of kids(resEl, 'resource')) resources.push(resourceOf(r, undefined, 'resources'));
  for (const g of kids(resEl, 'group')) {
    const id = str(g, 'id', 'group');
    const members = kids(g, 'resource').map((r) => resourceOf(r, id, `group ${id}`));
    resources.push(...members);
    groups.push({ id, managed: bool(g, 'managed', `group ${id}`, true), disabled: bool(g, 'disabled', `group ${id}`, false), resources: members.map((m) => m.id) });
  }
  // clones and bundles: their instances, each a resource of its own (the LVS group is never cloned here)
  for (const c of [...kids(resEl, 'clone'), ...kids(resEl, 'bundle')]) {
    for (const r of kids(c, 'resource')) resources.push(resourceOf(r, undefined, `clone ${String(c.id)}`));
    for (const g of kids(c, 'group')) for (const r of kids(g, 'resource')) resources.push(resourceOf(r, undefined, `clone ${String(c.id)}`));
  }
  const failures = kids(one(root, 'failures'), 'failure').map((f): PmFailure => {
    const opKey = str(f, 'op_key', 'failure');
    const w = `failure ${opKey}`;
    const task = typeof f.task === 'string' ? f.task : '';
    // op_key is RESOURCE_TASK_INTERVAL; resource ids may hold '_'
    const m = /^(.+)_([a-z-]+)_(\d+)$/.exec(opKey);
    return {
      opKey,
      resource: m ? m[1]! : opKey,
      node: str(f, 'node', w),
      task: task || (m ? m[2]! : ''),
      exitstatus: typeof f.exitstatus === 'string' ? f.exitstatus : '',
      exitreason: typeof f.exitreason === 'string' ? f.exitreason : '',
      exitcode: int(f, 'exitcode', w),
      ...(typeof f['last-rc-change'] === 'string' && { lastRcChange: f['last-rc-change'] }),
    };
  });
  const history: PmHistory[] = [];
  for (const n of kids(one(root, 'node_history'), 'node')) {
    const node = str(n, 'name', 'node_history node');
    for (const h of kids(n, 'resource_history')) {
      const resource = str(h, 'id', `node_history ${node}`);
      const w = `node_history ${node} ${resource}`;
      history.push({
        node,
        resource,
        failCount: h['fail-count'] === undefined ? 0 : score(h, 'fail-count', w),
        ...(h['migration-threshold'] !== undefined && { migrationThreshold: score(h, 'migration-threshold', w) }),
      });
    }
  }
  const bans = kids(one(root, 'bans'), 'ban').map((b): PmBan => {
    const id = str(b, 'id', 'ban');
    return { id, resource: str(b, 'resource', `ban ${id}`), node: str(b, 'node', `ban ${id}`), weight: score(b, 'weight', `ban ${id}`) };
  });
  return {
    apiVersion: typeof root['api-version'] === 'string' ? root['api-version'] : '',
    ...(typeof one(summary, 'stack')?.type === 'string' && { stack: one(summary, 'stack')!.type as string }),
    ...(dcPresent && { dc: str(dcEl!, 'name', 'current_dc') }),
    quorum: dcPresent ? bool(dcEl!, 'with_quorum', 'current_dc') : false,
    ...(typeof one(summary, 'last_update')?.time === 'string' && { lastUpdate: one(summary, 'last_update')!.time as string }),
    nodesConfigured: int(one(summary, 'nodes_configured') ?? {}, 'number', 'nodes_configured', nodes.length),
    resourcesConfigured: int(rc, 'number', 'resources_configured', resources.length),
    resourcesDisabled: int(rc, 'disabled', 'resources_configured', 0),
    resourcesBlocked: int(rc, 'blocked', 'resources_configured', 0),
    stonithEnabled: bool(opts, 'stonith-enabled', 'cluster_options', true),
    maintenanceMode: bool(opts, 'maintenance-mode', 'cluster_options', false),
    stopAllResources: bool(opts, 'stop-all-resources', 'cluster_options', false),
    ...(typeof opts['no-quorum-policy'] === 'string' && { noQuorumPolicy: opts['no-quorum-policy'] }),
    nodes,
    resources,
    groups,
    failures,
    history,
    bans,
    status,
  };
}

function emptyResult(root: El, status: { code: number; message: string }): CrmMon {
  return {
    apiVersion: typeof root['api-version'] === 'string' ? root['api-version'] : '',
    quorum: false,
    nodesConfigured: 0,
    resourcesConfigured: 0,
    resourcesDisabled: 0,
    resourcesBlocked: 0,
    stonithEnabled: true,
    maintenanceMode: false,
    stopAllResources: false,
    nodes: [],
    resources: [],
    groups: [],
    failures: [],
    history: [],
    bans: [],
    status,
  };
}

/**
 * The location constraints `crm resource move/ban` (cli-prefer-*, cli-ban-*) leave in the CIB,
 * from `cibadmin --query --scope constraints`: crm_mon lists bans (negative scores) but never a
 * cli-prefer. Other constraints are the site's own and are not returned.
 */
export interface CliConstraint {
  id: string;
  kind: 'prefer' | 'ban';
  resource: string;
  node: string;
  score: number;
}

const CIB = 'cibadmin XML';

export function parseCliConstraints(text: string): CliConstraint[] {
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw new ParseError(CIB, 'a DOCTYPE or ENTITY declaration (cibadmin writes none)');
  if (!/^\s*(<\?xml[^>]*\?>\s*)?<(constraints|cib)[\s>/]/.test(text)) throw new ParseError(CIB, 'no <constraints> or <cib> element (is this cibadmin --query --scope constraints?)');
  const doc = xmlDocument(CIB, text, NO_LISTS);
  const cib = one(doc, 'cib');
  const cons = cib ? one(one(cib, 'configuration'), 'constraints') : one(doc, 'constraints');
  const out: CliConstraint[] = [];
  for (const l of kids(cons, 'rsc_location')) {
    const id = typeof l.id === 'string' ? l.id : '';
    const m = /^cli-(prefer|ban)-/.exec(id);
    if (!m) continue;
    const w = `rsc_location ${id}`;
    out.push({ id, kind: m[1] as 'prefer' | 'ban', resource: str(l, 'rsc', w, CIB), node: typeof l.node === 'string' ? l.node : '', score: l.score === undefined ? 0 : score(l, 'score', w, CIB) });
  }
  return out;
}
