/**
 * Deployment → the list of files to write ({host, path, mode, content}). Pure: no clock,
 * no randomness (the authkeys secret comes in through the options), no I/O — the same
 * input gives byte-identical output.
 */
import { isIP } from 'node:net';
import { Problem, assertValid } from '../model/validate';
import { ConfigError } from '../model/validate';
import { Deployment } from '../model/types';
import { GeneratedFile, GenerateOptions, MODE_CONFIG, cmp, realHostsOf } from './common';
import { heartbeatFiles } from './heartbeat';
import { icingaFiles } from './icinga';
import { keepalivedFiles } from './keepalived';
import { ldirectordFiles } from './ldirectord';
import { nagiosFiles } from './nagios';
import { pacemakerFiles } from './pacemaker';
import { prometheusFiles } from './prometheus';
import { realServerFiles } from './realserver';
import { sorryFiles } from './sorry';
import { sudoersFiles } from './sudoers';
import { syncFiles } from './sync';

/** The output folder of the monitoring files. */
export const MONITORING_HOST = 'monitoring';

const HOST = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;

export interface GenerationPolicy {
  /** Accept Heartbeat md5/crc authentication (refused by default). */
  allowWeakAuth?: boolean;
}

/**
 * What the generator needs beyond validateDeployment: every value it writes into a file is
 * a plain token (no spaces, newlines or quotes that would change the file's meaning), host
 * and service names are safe as file and folder names, and the authentication is strong.
 */
export function generationProblems(d: Deployment, o: GenerateOptions, policy: GenerationPolicy = {}): Problem[] {
  const p: Problem[] = [];
  const err = (field: string, message: string) => p.push({ severity: 'error', field, message });
  const tok = (field: string, v: unknown, re = TOKEN, what = 'a plain word') => {
    if (typeof v !== 'string' || !re.test(v)) err(field, `'${String(v)}' is not ${what}`);
  };
  if (typeof d.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9 ._/:@+-]*$/.test(d.name)) err('name', `'${String(d.name)}' is not a usable deployment name`);
  d.directors.forEach((x, i) => {
    tok(`directors[${i}].interface`, x.interface, TOKEN, 'an interface name');
    if (x.name === MONITORING_HOST) err(`directors[${i}].name`, `'${x.name}' is reserved for the monitoring folder`);
  });
  d.vips.forEach((v, i) => v.label !== undefined && tok(`vips[${i}].label`, v.label, TOKEN, 'an interface label'));
  const svcNames = new Set<string>();
  d.services.forEach((s, i) => {
    const f = `services[${i}]`;
    tok(`${f}.name`, s.name, HOST, 'a file name (letters, digits, . _ -)');
    if (svcNames.has(s.name)) err(`${f}.name`, `'${s.name}' is used by two services (one ldirectord file each)`);
    svcNames.add(s.name);
    tok(`${f}.scheduler`, s.scheduler, /^[a-z0-9]+$/, 'a scheduler name');
    tok(`${f}.checktype`, s.checktype, /^[a-z0-9-]+$/, 'an ldirectord checktype');
    if (s.persistentNetmask !== undefined && isIP(s.persistentNetmask) === 0) err(`${f}.persistentNetmask`, `'${s.persistentNetmask}' is not a netmask`);
    s.realServers.forEach((r, j) => r.name !== undefined && tok(`${f}.realServers[${j}].name`, r.name, HOST, 'a host name'));
  });
  (d.realHosts ?? []).forEach((h, i) => {
    tok(`realHosts[${i}].name`, h.name, HOST, 'a host name');
    if (h.name === MONITORING_HOST || d.directors.some((x) => x.name === h.name)) err(`realHosts[${i}].name`, `'${h.name}' is already a director or the monitoring folder`);
    if (typeof h.address !== 'string' || isIP(h.address) === 0) err(`realHosts[${i}].address`, `'${String(h.address)}' is not a valid IP address`);
    tok(`realHosts[${i}].interface`, h.interface, TOKEN, 'an interface name');
  });
  for (const h of realHostsOf(d)) if (d.directors.some((x) => x.name === h.name)) err('realHosts', `'${h.name}' is both a director and a real server`);
  d.heartbeat.pingNodes.forEach((n, i) => tok(`heartbeat.pingNodes[${i}]`, n, TOKEN, 'an address'));
  tok('sync.interface', d.sync.interface, TOKEN, 'an interface name');
  if (['md5', 'crc'].includes(d.heartbeat.auth) && !policy.allowWeakAuth)
    err('heartbeat.auth', `'${d.heartbeat.auth}' is weak authentication and is refused; use sha1 (or pass --allow-weak-auth)`);
  if (d.heartbeat.auth !== 'crc') {
    if (!/^[\x21-\x7e]+$/.test(o.authKey)) err('authkey', 'the key must be printable ASCII without spaces');
    else if (o.authKey.length < 16 && !policy.allowWeakAuth) err('authkey', `a ${o.authKey.length}-character key is too short (16 at least; or pass --allow-weak-auth)`);
  }
  if (o.stack === 'keepalived' && o.vrid !== undefined && (!Number.isInteger(o.vrid) || o.vrid < 1 || o.vrid > 255)) err('vrid', `'${o.vrid}' is not a VRRP router id (1-255)`);
  tok('monitoringUser', o.monitoringUser, /^[a-z_][a-z0-9_-]*$/, 'a user name');
  if (!/^\/[A-Za-z0-9._/-]+$/.test(o.deploymentPath)) err('deploymentPath', `'${o.deploymentPath}' is not an absolute path`);
  return p;
}

/** JSON with keys sorted at every level (arrays keep their order), 2-space indented. */
export function stableJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x !== null && typeof x === 'object'
        ? Object.fromEntries(
            Object.keys(x as object)
              .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
              .sort(cmp)
              .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
          )
        : x;
  return JSON.stringify(sort(v), null, 2) + '\n';
}

/**
 * Every file of a deployment, sorted by host then path. Throws ConfigError (with the field
 * of each problem) when the deployment or the options cannot be generated; returns the
 * validation warnings alongside.
 */
export function planFiles(d: Deployment, o: GenerateOptions, policy: GenerationPolicy = {}): { files: GeneratedFile[]; warnings: Problem[] } {
  const warnings = assertValid(d).filter((w) => !(w.field === 'heartbeat.auth' && !policy.allowWeakAuth));
  const problems = generationProblems(d, o, policy);
  if (problems.length) throw new ConfigError(problems);
  const files: GeneratedFile[] = [
    ...(o.stack === 'keepalived'
      ? keepalivedFiles(d, o)
      : o.stack === 'pacemaker'
        ? [...pacemakerFiles(d, o), ...ldirectordFiles(d), ...syncFiles(d)]
        : [...heartbeatFiles(d, o), ...ldirectordFiles(d), ...syncFiles(d)]),
    ...sorryFiles(d),
    ...sudoersFiles(d, o),
    ...realServerFiles(d),
    ...nagiosFiles(d, o),
    ...icingaFiles(d, o),
    ...prometheusFiles(d, o),
    { host: MONITORING_HOST, path: o.deploymentPath, mode: MODE_CONFIG, content: stableJson(d) },
  ];
  files.sort((a, b) => cmp(a.host, b.host) || cmp(a.path, b.path));
  for (let i = 1; i < files.length; i++)
    if (files[i]!.host === files[i - 1]!.host && files[i]!.path === files[i - 1]!.path) throw new Error(`internal: ${files[i]!.host}${files[i]!.path} generated twice`);
  return { files, warnings };
}
