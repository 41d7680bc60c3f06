import { existsSync, readdirSync, statSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { PluginError, UsageError } from '../runtime/errors';
import { readConfigFile } from '../runtime/readBounded';
import { keepalivedOf, pacemakerOf } from './ha';
import type { ConfFiles } from './keepalivedConf';
import { deploymentFromNative, NativeFiles } from './native';
import { referenceDeployment } from './reference';
import { Deployment } from './types';
import { assertValid, Problem } from './validate';

export interface LoadedDeployment {
  deployment: Deployment;
  /** Where it came from: `embedded reference`, a file, or a native directory. */
  origin: string;
  warnings: Problem[];
}

function readOpt(p: string): string | undefined {
  try {
    return readConfigFile(p);
  } catch {
    return undefined;
  }
}

/**
 * Reads a director's native files from a directory laid out like /etc/ha.d. `localNode`
 * (default: this machine's name) and the peer's ha.cf let it tell both directors' addresses.
 */
export function readNativeDir(dir: string, o: { localNode?: string; peerHaCf?: string } = {}): Deployment {
  const files: NativeFiles = {
    haCf: readConfigFile(join(dir, 'ha.cf')),
    haresources: readConfigFile(join(dir, 'haresources')),
    authkeys: readOpt(join(dir, 'authkeys')),
    ldirectord: {},
    hosts: readOpt(join(dirname(dir), 'hosts')),
    lvsstate: readOpt(join(dirname(dir), 'init.d', 'lvsstate')) ?? readOpt(join(dirname(dir), 'systemd', 'system', 'lvsstate.service')),
    localNode: o.localNode ?? hostname().split('.')[0],
    peerHaCf: o.peerHaCf,
  };
  const confDir = join(dir, 'conf');
  for (const d of [confDir, dir]) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (f.endsWith('.cf') && f !== 'ha.cf') files.ldirectord[f.slice(0, -3)] ??= readConfigFile(join(d, f));
  }
  // Named after the directory (ha.d), not its path: an absolute path is no deployment name.
  return deploymentFromNative(files, basename(resolve(dir)) || 'native');
}

/** The keepalived.conf reader, loaded only for a keepalived --config (checks start lean). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const keepalivedConf = () => require('./keepalivedConf') as typeof import('./keepalivedConf');

/** The disk as keepalived sees it: bounded reads, glob(3) over directories (no braces). */
export const diskConfFiles: ConfFiles = {
  read: readConfigFile,
  glob(pattern) {
    const { globRegExp, MAX_FILES } = keepalivedConf();
    let found = ['/'];
    const segs = pattern.split('/').filter((x) => x !== '');
    segs.forEach((seg, i) => {
      const last = i === segs.length - 1;
      const next: string[] = [];
      for (const dir of found) {
        if (!/[*?[]/.test(seg)) {
          next.push(join(dir, seg));
          continue;
        }
        const re = globRegExp(seg);
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          continue; // glob(3): an unreadable directory matches nothing
        }
        for (const n of names.sort()) if (re.test(n) && (seg.startsWith('.') || !n.startsWith('.'))) next.push(join(dir, n));
        if (next.length > MAX_FILES) throw new UsageError(`keepalived include ${pattern} matches more than ${MAX_FILES} files`);
      }
      found = last ? next.filter((f) => existsSync(f) && statSync(f).isFile()) : next;
    });
    return found;
  },
};

/**
 * A director's keepalived configuration: `/etc/keepalived` (its keepalived.conf) or a
 * keepalived.conf path, with its includes; /etc/hosts beside /etc/keepalived names the peer.
 */
export function readKeepalivedConfig(path: string, o: { localNode?: string } = {}): Deployment {
  const isDir = statSync(path).isDirectory();
  const main = resolve(isDir ? join(path, 'keepalived.conf') : path);
  const localNode = o.localNode ?? hostname().split('.')[0];
  const { parseKeepalivedConf, deploymentFromKeepalived } = keepalivedConf();
  const conf = parseKeepalivedConf(main, diskConfFiles, { configId: localNode });
  // multicast VRRP names no source address: this machine's, when the file is this machine's own
  const localAddress = (name: string, iface: string) =>
    name === localNode ? (networkInterfaces()[iface] ?? []).find((a) => !a.internal && a.family === 'IPv4')?.address : undefined;
  return deploymentFromKeepalived(conf, main, { hosts: readOpt(join(dirname(dirname(main)), 'hosts')), localNode, localAddress });
}

/** The corosync.conf and CIB reader, loaded only for a Pacemaker --config (checks start lean). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pacemakerConf = () => require('./pacemakerConf') as typeof import('./pacemakerConf');

/**
 * A Pacemaker director's configuration: `/etc/corosync` (its corosync.conf) with the CIB from
 * `cib.xml` in the same directory (a `cibadmin -Q > /etc/corosync/cib.xml` snapshot) or else the
 * on-disk CIB, `/var/lib/pacemaker/cib/cib.xml` under the same root; ldirectord's file as the
 * ldirectord primitive names it, under that root too (so a copied tree reads like the host).
 */
export function readPacemakerConfig(dir: string): Deployment {
  const root = dirname(dirname(resolve(dir)));
  const { parseCorosyncConf, parseCib, deploymentFromPacemaker } = pacemakerConf();
  const cs = parseCorosyncConf(readConfigFile(join(dir, 'corosync.conf')));
  const local = join(dir, 'cib.xml');
  const cibPath = existsSync(local) ? local : join(root, 'var', 'lib', 'pacemaker', 'cib', 'cib.xml');
  const cib = parseCib(readConfigFile(cibPath));
  return deploymentFromPacemaker(cs, cib, { ldirectord: (p) => readOpt(join(root, p)) });
}

/** `--config DIR` names a Pacemaker director's configuration: its /etc/corosync. */
export function isPacemakerPath(path: string, isDir: boolean): boolean {
  return isDir && existsSync(join(path, 'corosync.conf'));
}

/** `--config` names keepalived's configuration: a directory holding keepalived.conf, or a *.conf file. */
export function isKeepalivedPath(path: string, isDir: boolean): boolean {
  return isDir ? existsSync(join(path, 'keepalived.conf')) && !existsSync(join(path, 'ha.cf')) : /\.conf$/i.test(path);
}

/** Fills the optional sections of a YAML/JSON deployment from the reference's defaults. */
function withDefaults(raw: Partial<Deployment>): Deployment {
  const r = referenceDeployment;
  const heartbeat = { ...r.heartbeat, ...(raw.heartbeat ?? {}) };
  const directors = raw.directors ?? [];
  return {
    name: raw.name ?? 'deployment',
    ...(raw.ha !== undefined && { ha: raw.ha }),
    // A partial keepalived section (just `vrid: 52`) takes the rest from the deployment.
    ...(raw.keepalived !== undefined && { keepalived: keepalivedOf({ keepalived: raw.keepalived, directors, heartbeat }) }),
    // likewise a partial pacemaker section (just `group: lvs_www`)
    ...(raw.pacemaker !== undefined && { pacemaker: pacemakerOf({ pacemaker: raw.pacemaker, vips: raw.vips ?? [], heartbeat }) }),
    directors,
    vips: raw.vips ?? [],
    services: (raw.services ?? []).map((s) => {
      const p = s as Partial<typeof s>;
      return {
        ...s,
        quiescent: p.quiescent ?? true,
        checktype: p.checktype ?? 'connect',
        scheduler: p.scheduler ?? 'wlc',
        realServers: (p.realServers ?? []).map((x) => ({ ...x, weight: x.weight ?? 1, forwarding: x.forwarding ?? ('gate' as const) })),
      };
    }),
    realHosts: raw.realHosts ?? [],
    heartbeat,
    // keepalived's lvs_sync_daemon follows the VRRP state (master on MASTER, backup on BACKUP):
    // one daemon per director, never both.
    sync: { ...r.sync, ...(raw.ha === 'keepalived' ? { mode: 'follow-role' as const } : {}), ...(raw.sync ?? {}) },
    sorry: { ...r.sorry, ...(raw.sorry ?? {}) },
  };
}

export function parseDeploymentText(text: string, file: string): Deployment {
  let raw: unknown;
  try {
    if (/\.json$/i.test(file)) raw = JSON.parse(text);
    else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const YAML = require('yaml') as typeof import('yaml');
      raw = YAML.parse(text);
    }
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`${file}: a deployment must be a mapping`);
  // The document as a whole, against the published schema (types, ranges, unknown fields), before
  // any code walks it. Loaded here only: a check without --config never pays for Ajv.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./schema') as typeof import('./schema')).assertSchema(raw, file);
  return withDefaults(raw as Partial<Deployment>);
}

const ERRNO: Record<string, string> = {
  ENOENT: 'does not exist',
  ELOOP: 'is a loop of symbolic links (ELOOP)',
  EISDIR: 'is a directory (EISDIR)',
  ENOTDIR: 'has a path component that is not a directory (ENOTDIR)',
  EACCES: 'cannot be read: permission denied (EACCES)',
  EPERM: 'cannot be read: operation not permitted (EPERM)',
  ENAMETOOLONG: 'is a path too long (ENAMETOOLONG)',
};

/** A file system error on --config as one line naming the path and the errno; else undefined. */
export function configPathError(path: string, e: unknown): UsageError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (e instanceof PluginError || typeof code !== 'string') return undefined;
  const at = (e as NodeJS.ErrnoException).path;
  const where = at && resolve(at) !== resolve(path) ? `config ${path}: ${at}` : `config ${path}`;
  return new UsageError(`${where} ${ERRNO[code] ?? `cannot be read (${code})`}`);
}

/**
 * The deployment the checks work against: `--config FILE` (YAML/JSON, or a keepalived *.conf),
 * `--config DIR` (a director's /etc/ha.d, /etc/keepalived or /etc/corosync), else $LVSHA_CONFIG, else the
 * embedded reference.
 */
export function loadDeployment(config?: string): LoadedDeployment {
  const path = config ?? process.env.LVSHA_CONFIG;
  let deployment: Deployment;
  let origin: string;
  if (!path) {
    deployment = referenceDeployment;
    origin = 'embedded reference';
  } else {
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      throw configPathError(path, e) ?? e;
    }
    if (isPacemakerPath(path, st.isDirectory())) {
      try {
        deployment = readPacemakerConfig(path);
      } catch (e) {
        throw configPathError(path, e) ?? e;
      }
    } else if (isKeepalivedPath(path, st.isDirectory())) {
      try {
        deployment = readKeepalivedConfig(path);
      } catch (e) {
        throw configPathError(path, e) ?? e;
      }
    } else if (st.isDirectory()) {
      if (!existsSync(join(path, 'ha.cf'))) throw new UsageError(`config ${path} is a directory (EISDIR) without ha.cf, keepalived.conf or corosync.conf: give a YAML/JSON file, a director's /etc/ha.d, /etc/keepalived or /etc/corosync`);
      try {
        deployment = readNativeDir(path);
      } catch (e) {
        throw configPathError(path, e) ?? e;
      }
    } else {
      let text: string;
      try {
        text = readConfigFile(path);
      } catch (e) {
        throw configPathError(path, e) ?? e;
      }
      deployment = parseDeploymentText(text, path);
    }
    origin = path;
  }
  let warnings: Problem[];
  try {
    warnings = assertValid(deployment);
  } catch (e) {
    throw new UsageError(`invalid deployment (${origin}): ${(e as Error).message}`);
  }
  return { deployment, origin, warnings };
}
