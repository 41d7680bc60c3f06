/**
 * `lvsha generate`: writes every configuration file of a deployment (embedded reference by
 * default), or with --check compares an existing tree against it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { haLayer } from '../model/ha';
import { configPathError, isKeepalivedPath, parseDeploymentText, readKeepalivedConfig, readNativeDir } from '../model/load';
import { SchemaError } from '../model/schema';
import { referenceDeployment } from '../model/reference';
import { Deployment } from '../model/types';
import { ConfigError, Problem } from '../model/validate';
import { errorMessage } from '../runtime/errors';
import { checkTree } from './check';
import { DEFAULT_OPTIONS, GeneratedFile, GenerateOptions, Stack } from './common';
import { planFiles } from './plan';
import { ExistingFilesError, existingTargets, targetPath, WritePlanError, writeFiles } from './write';

/** Exit codes of `lvsha generate`. */
export const EXIT = {
  /** Files written / planned; with --check: no drift. */
  OK: 0,
  /** --check: the tree differs from the deployment. */
  DRIFT: 1,
  /** Refused: invalid deployment or options, weak auth, files that exist without --force. */
  REFUSED: 2,
  /** Could not read or write: I/O error, unreadable or unparseable file in the --check tree. */
  IO: 3,
} as const;

export interface GenerateCliOptions {
  config?: string;
  out?: string;
  force?: boolean;
  dryRun?: boolean;
  check?: string;
  stack?: Stack;
  authkeyFile?: string;
  /** Tests: a fixed key instead of one from the CSPRNG. */
  authKey?: string;
  allowWeakAuth?: boolean;
  monitoringUser?: string;
  exporterPort?: number;
  probeExporter?: string;
  deploymentPath?: string;
  vrid?: number;
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

class Refused extends Error {}

function loadInput(config?: string): Deployment {
  if (!config) return referenceDeployment;
  let isDir: boolean;
  try {
    isDir = statSync(config).isDirectory();
  } catch (e) {
    throw new Refused(errorMessage(configPathError(config, e) ?? e));
  }
  try {
    if (isKeepalivedPath(config, isDir)) return readKeepalivedConfig(config);
    return isDir ? readNativeDir(config) : parseDeploymentText(readFileSync(config, 'utf8'), config);
  } catch (e) {
    if (e instanceof SchemaError) throw e; // listed field by field by runGenerate
    throw new Refused(`cannot read deployment ${config}: ${errorMessage(configPathError(config, e) ?? e)}`);
  }
}

/**
 * --deployment-path: an absolute path written literally under monitoring/ (no `.`, `..`, `//`
 * or trailing `/`), so it can neither leave --out nor land on another host's file.
 */
export function deploymentPathProblem(v: string): string | undefined {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(v) || posix.normalize(v) !== v || v.endsWith('/') || v.split('/').some((s) => s === '.' || s === '..'))
    return `--deployment-path '${v}' is not a plain absolute path (letters, digits, . _ - and /, no '.' or '..' segments)`;
  return undefined;
}

/**
 * The key from --authkey-file: an authkeys file (its active key) or a file holding just the
 * key, so the second director of a later run can get the first one's key.
 */
export function readAuthKey(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Refused(`cannot read --authkey-file ${file}: ${errorMessage(e)}`);
  }
  const active = /^\s*auth\s+(\d+)\s*$/m.exec(text)?.[1];
  if (active !== undefined) {
    const m = new RegExp(`^\\s*${active}\\s+(?:sha1|md5)\\s+(.+?)\\s*$`, 'm').exec(text);
    if (!m) throw new Refused(`--authkey-file ${file}: auth ${active} has no sha1/md5 key`);
    return m[1]!;
  }
  const body = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (body.length !== 1) throw new Refused(`--authkey-file ${file}: expected one line with the key, or an authkeys file`);
  return body[0]!.trim();
}

const modeText = (m: number) => `0${m.toString(8)}`;
const problemLine = (p: Problem) => `${p.severity}: ${p.field}: ${p.message}`;

export async function runGenerate(o: GenerateCliOptions, io: Io): Promise<number> {
  try {
    const badPath = o.deploymentPath !== undefined ? deploymentPathProblem(o.deploymentPath) : undefined;
    if (badPath) throw new Refused(badPath);
    const d = loadInput(o.config);
    if (o.check !== undefined) return await runCheck(o.check, d, o, io);
    const authKey = o.authKey ?? (o.authkeyFile ? readAuthKey(o.authkeyFile) : randomBytes(32).toString('hex'));
    const opts: GenerateOptions = {
      ...DEFAULT_OPTIONS,
      authKey,
      // the deployment says which HA layer it runs; an explicit --stack still wins
      stack: o.stack ?? haLayer(d),
      ...(o.monitoringUser && { monitoringUser: o.monitoringUser }),
      ...(o.exporterPort !== undefined && { exporterPort: o.exporterPort }),
      ...(o.probeExporter && { probeExporter: o.probeExporter }),
      ...(o.deploymentPath && { deploymentPath: o.deploymentPath }),
      ...(o.vrid !== undefined && { vrid: o.vrid }),
    };
    let files: GeneratedFile[];
    try {
      const plan = planFiles(d, opts, { allowWeakAuth: o.allowWeakAuth });
      files = plan.files;
      plan.warnings.forEach((w) => io.err(problemLine(w)));
    } catch (e) {
      if (e instanceof ConfigError) {
        e.problems.forEach((p) => io.err(problemLine(p)));
        io.err(`refused: deployment '${d.name}' cannot be generated`);
        return EXIT.REFUSED;
      }
      // planFiles' last check: the deployment file's path is that of another monitoring file.
      if (o.deploymentPath && /generated twice/.test(errorMessage(e))) throw new Refused(`--deployment-path ${o.deploymentPath} is the path of another generated file`);
      throw e;
    }
    if (o.dryRun) {
      if (o.out) targetsOrRefuse(o.out, files);
      const existing = o.out ? new Set(existingTargets(o.out, files)) : new Set<string>();
      for (const f of files) {
        const p = o.out ? targetPath(o.out, f) : join(f.host, f.path);
        const note = existing.has(p) ? (o.force ? ' [exists: would overwrite]' : ' [exists: would refuse]') : '';
        io.out(`would write ${p} (mode ${modeText(f.mode)}, ${Buffer.byteLength(f.content)} bytes)${note}`);
      }
      io.out(`dry run: ${files.length} files for deployment '${d.name}', nothing written`);
      return existing.size && !o.force ? EXIT.REFUSED : EXIT.OK;
    }
    if (!o.out) throw new Refused('--out DIR is required (or --dry-run, or --check DIR)');
    let written: string[];
    try {
      written = writeFiles(o.out, files, { force: !!o.force });
    } catch (e) {
      if (e instanceof ExistingFilesError) {
        e.paths.forEach((p) => io.err(`exists: ${p}`));
        io.err(`refused: ${e.paths.length} file(s) already exist; nothing written (use --force to overwrite)`);
        return EXIT.REFUSED;
      }
      if (e instanceof WritePlanError) {
        e.problems.forEach((p) => io.err(`error: ${p}`));
        io.err(`refused: nothing written in ${o.out}`);
        return EXIT.REFUSED;
      }
      throw new Error(`nothing written in ${o.out}: ${errorMessage(e)}`);
    }
    written.forEach((p, i) => io.out(`wrote ${p} (mode ${modeText(files[i]!.mode)})`));
    if (opts.stack === 'heartbeat' && !o.authKey && !o.authkeyFile)
      io.err('note: authkeys holds a new random key, the same on every director of this run; keep it with --authkey-file for later runs');
    if (opts.stack === 'pacemaker') {
      if (!o.authKey && !o.authkeyFile)
        io.err("note: corosync's authkey (the same on every director) is derived from a new random secret; keep the secret with --authkey-file to get the same key on later runs");
      io.err(`note: check_lvs_pacemaker runs crm_mon without sudo: put the monitoring user in group haclient (usermod -a -G haclient ${opts.monitoringUser})`);
    }
    return EXIT.OK;
  } catch (e) {
    if (e instanceof Refused) {
      io.err(`refused: ${e.message}`);
      return EXIT.REFUSED;
    }
    if (e instanceof SchemaError) {
      e.problems.forEach((p) => io.err(`error: ${p}`));
      io.err(`refused: deployment '${e.documentName ?? e.file}' cannot be generated`);
      return EXIT.REFUSED;
    }
    io.err(`error: ${errorMessage(e)}`);
    return EXIT.IO;
  }
}

async function runCheck(dir: string, d: Deployment, o: GenerateCliOptions, io: Io): Promise<number> {
  const stack = o.stack ?? haLayer(d);
  try {
    if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  } catch (e) {
    io.err(`error: cannot read ${dir}: ${errorMessage(e)}`);
    return EXIT.IO;
  }
  const r = await checkTree(dir, d, { stack, vrid: o.vrid });
  for (const x of r.drifts) io.out(`drift: ${x.host}: ${x.what}: expected ${x.expected}, found ${x.found}`);
  for (const x of r.errors) io.err(`error: ${x}`);
  if (r.errors.length) {
    io.out(`cannot check: ${r.errors.length} unreadable file(s) (${r.drifts.length} differences found meanwhile)`);
    return EXIT.IO;
  }
  if (r.drifts.length) {
    io.out(`drift: ${r.drifts.length} difference(s) from deployment '${d.name}' in ${dir}`);
    return EXIT.DRIFT;
  }
  io.out(`no drift: ${r.hosts.join(', ')} match deployment '${d.name}'`);
  return EXIT.OK;
}

/** Every target of the tree, or Refused naming the first problem (--dry-run checks the paths too). */
function targetsOrRefuse(out: string, files: GeneratedFile[]): void {
  for (const f of files) {
    try {
      targetPath(out, f);
    } catch (e) {
      throw new Refused(errorMessage(e));
    }
  }
}

const intArg = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new InvalidArgumentError(`${name} '${v}' is not a number from ${min} to ${max}`);
  return n;
};

/** Adds `generate` to the lvsha program. */
export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description("write the deployment's configuration files (Heartbeat, ldirectord, sync, sorry server, real servers, monitoring), or --check a tree against it")
    .option('--config <file>', "deployment: YAML/JSON file, a director's /etc/ha.d or /etc/keepalived (or keepalived.conf) (default: the embedded reference)")
    .option('-o, --out <dir>', 'write into DIR/<host>/<path as on the host>')
    .option('--force', 'overwrite existing files', false)
    .option('-n, --dry-run', 'print the files that would be written, write nothing', false)
    .option('--check <dir>', 'compare a generated or hand-made tree (DIR/<host>/etc/...) with the deployment')
    .addOption(new Option('--stack <stack>', "HA stack of the directors (default: the deployment's ha, else heartbeat)").choices(['heartbeat', 'keepalived', 'pacemaker']))
    .option('--authkey-file <file>', "Heartbeat key to reuse (an authkeys file or a file with just the key), so directors of separate runs match")
    .option('--allow-weak-auth', 'accept md5/crc Heartbeat authentication and short keys', false)
    .option('--monitoring-user <user>', 'user the checks run as (sudoers, SSH user)', DEFAULT_OPTIONS.monitoringUser)
    .option('--exporter-port <port>', "port of each director's lvsha exporter", intArg('--exporter-port', 1, 65535), DEFAULT_OPTIONS.exporterPort)
    .option('--probe-exporter <host:port>', 'exporter that runs /probe for real servers and directors', DEFAULT_OPTIONS.probeExporter)
    .option('--deployment-path <path>', 'where the monitoring host keeps the deployment (the checks\' --config)', (v: string) => {
      const bad = deploymentPathProblem(v);
      if (bad) throw new InvalidArgumentError(bad);
      return v;
    }, DEFAULT_OPTIONS.deploymentPath)
    .option('--vrid <n>', "keepalived: VRRP virtual_router_id (default: the deployment's keepalived.vrid, else 51)", intArg('--vrid', 1, 255))
    .addHelpText(
      'after',
      `
Output: one folder per host (directors, real servers, monitoring/), files at their paths on
that host; written atomically, never over an existing file without --force. authkeys gets a
new random sha1 key (crypto.randomBytes), the same for every director of one run.

Exit status: 0 written (--check: no drift), 1 --check found drift, 2 refused (invalid
deployment or option, weak auth, existing files), 3 I/O error or unreadable file in --check.`,
    )
    .action(async (opts: GenerateCliOptions) => {
      process.exitCode = await runGenerate(opts, {
        out: (l) => process.stdout.write(`${l}\n`),
        err: (l) => process.stderr.write(`lvsha generate: ${l}\n`),
      });
    });
}
