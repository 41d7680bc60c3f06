/**
 * `lvsha install`: puts the single-file bundle (build/lvsha.js) where Nagios and a shell find it:
 *   LIB/lvsha.js            the bundle (default LIB /usr/lib/lvsha)
 *   LIB/lvsha.js.cache      its V8 code cache, when the bundle has one beside it (a derived
 *                           file: faster start-up; the bundle works without it)
 *   PREFIX/check_lvs_NAME   symbolic links to it, one per check (default /usr/lib/nagios/plugins)
 *   BIN/lvsha               a symbolic link to it (default /usr/local/bin)
 * The bundle tells which check to be from the name it is called by, so links are enough.
 * Never replaces an existing file without --force (except a code cache of the same build:
 * derived, refreshed freely); --dry-run prints the plan only.
 */
import { chmodSync, closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, readSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { CHECK_NAMES } from '../checks/registry';
import { errorMessage } from '../runtime/errors';

export const DEFAULTS = { prefix: '/usr/lib/nagios/plugins', libDir: '/usr/lib/lvsha', binDir: '/usr/local/bin' } as const;

/** Exit codes of `lvsha install`. */
export const EXIT = { OK: 0, REFUSED: 2, IO: 3 } as const;

export interface InstallOptions {
  prefix?: string;
  libDir?: string;
  binDir?: string;
  /** Do not install the `lvsha` link. */
  noBin?: boolean;
  force?: boolean;
  dryRun?: boolean;
  /** The bundle to install (default: the running bundle, else build/lvsha.js of this checkout). */
  from?: string;
}

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** One thing to put in place. */
export type Step = { kind: 'file'; path: string; from: string } | { kind: 'cache'; path: string; from: string } | { kind: 'link'; path: string; target: string };

/**
 * The V8 code cache the bundle's loader reads (scripts/bundle.js): `<bundle>.cache`, whose
 * first line is `LVSHA-V8-CACHE <build id> ...`.
 */
export const codeCacheOf = (bundle: string): string => `${bundle}.cache`;

/** The build id in a code cache's header, undefined when the file is not one (or unreadable). */
export function codeCacheBuild(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const b = Buffer.alloc(256);
    const head = b.toString('latin1', 0, readSync(fd, b, 0, b.length, 0)).split('\n')[0]!.split(' ');
    return head[0] === 'LVSHA-V8-CACHE' && head[1] ? head[1] : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Set by src/bundle.ts: the path of the running single-file bundle. */
export const BUNDLE_MARK = Symbol.for('lvsha.bundle');

/**
 * The bundle to install: the running one (a bundle copies itself), else build/lvsha.js of the
 * checkout this dist/ belongs to. Throws with the fix when there is none.
 */
export function findBundle(from?: string, checkout = join(__dirname, '..', '..')): string {
  if (from) return resolve(from);
  const running = (globalThis as Record<symbol, unknown>)[BUNDLE_MARK];
  if (typeof running === 'string') return running;
  // dist/install/command.js (or src/install/command.ts under ts-jest) → <checkout>/build/lvsha.js
  const built = join(checkout, 'build', 'lvsha.js');
  if (!existsSync(built)) {
    throw new InstallRefused(`no bundle to install: ${built} does not exist; run \`npm run build\` first (it writes build/lvsha.js), or run install from the bundle itself`);
  }
  return built;
}

export class InstallRefused extends Error {}

export function planInstall(o: InstallOptions, bundle: string): Step[] {
  const lib = resolve(o.libDir ?? DEFAULTS.libDir);
  const main = join(lib, 'lvsha.js');
  const steps: Step[] = [{ kind: 'file', path: main, from: bundle }];
  const cache = codeCacheOf(bundle);
  if (existsSync(cache)) steps.push({ kind: 'cache', path: codeCacheOf(main), from: cache });
  for (const n of CHECK_NAMES) steps.push({ kind: 'link', path: join(resolve(o.prefix ?? DEFAULTS.prefix), `check_lvs_${n}`), target: main });
  if (!o.noBin) steps.push({ kind: 'link', path: join(resolve(o.binDir ?? DEFAULTS.binDir), 'lvsha'), target: main });
  return steps;
}

/**
 * What is at a step's path now: nothing, exactly what the step would put there, a code cache of
 * the same build (derived: replaced without --force), or something else.
 */
function current(s: Step): 'absent' | 'same' | 'derived' | 'other' {
  let st;
  try {
    st = lstatSync(s.path);
  } catch {
    return 'absent';
  }
  if (s.kind === 'link') return st.isSymbolicLink() && readlinkSync(s.path) === s.target ? 'same' : 'other';
  if (!st.isFile()) return 'other';
  if (resolve(s.path) === resolve(s.from)) return 'same';
  if (st.size === statSync(s.from).size && readFileSync(s.path).equals(readFileSync(s.from))) return 'same';
  if (s.kind === 'cache') {
    const build = codeCacheBuild(s.path);
    if (build !== undefined && build === codeCacheBuild(s.from)) return 'derived';
  }
  return 'other';
}

function apply(s: Step): void {
  mkdirSync(dirname(s.path), { recursive: true });
  if (s.kind === 'file' || s.kind === 'cache') {
    // Copy beside, then rename: a check starting meanwhile sees the old or the new bundle, never half of one.
    // (A check seeing a new bundle with the old cache, or the reverse, rejects the cache: another build id.)
    const tmp = `${s.path}.tmp-${process.pid}`;
    try {
      copyFileSync(s.from, tmp);
      chmodSync(tmp, s.kind === 'file' ? 0o755 : 0o644);
      renameSync(tmp, s.path);
    } finally {
      rmSync(tmp, { force: true });
    }
    return;
  }
  rmSync(s.path, { force: true });
  symlinkSync(s.target, s.path);
}

export function runInstall(o: InstallOptions, io: Io): number {
  let bundle: string;
  let steps: Step[];
  try {
    bundle = findBundle(o.from);
    if (!statSync(bundle).isFile()) throw new InstallRefused(`${bundle} is not a file`);
    steps = planInstall(o, bundle);
  } catch (e) {
    io.err(e instanceof InstallRefused ? `refused: ${e.message}` : `error: ${errorMessage(e)}`);
    return e instanceof InstallRefused ? EXIT.REFUSED : EXIT.IO;
  }
  const state = steps.map(current);
  const conflicts = steps.filter((_, i) => state[i] === 'other');
  const describe = (s: Step) =>
    s.kind === 'file' ? `${s.path} (copy of ${s.from}, mode 755)` : s.kind === 'cache' ? `${s.path} (code cache, copy of ${s.from}, mode 644)` : `${s.path} -> ${s.target}`;
  if (o.dryRun) {
    const plan = { same: 'unchanged', other: o.force ? 'would replace' : 'exists', derived: 'would replace', absent: 'would write' } as const;
    steps.forEach((s, i) => io.out(`${plan[state[i]!]} ${describe(s)}`));
    io.out(`dry run: nothing written${conflicts.length && !o.force ? ` (${conflicts.length} path(s) exist: --force to replace them)` : ''}`);
    return conflicts.length && !o.force ? EXIT.REFUSED : EXIT.OK;
  }
  if (conflicts.length && !o.force) {
    conflicts.forEach((s) => io.err(`exists: ${s.path}`));
    io.err(`refused: ${conflicts.length} path(s) already exist; nothing written (use --force to replace them)`);
    return EXIT.REFUSED;
  }
  try {
    steps.forEach((s, i) => {
      if (state[i] === 'same') return io.out(`unchanged ${describe(s)}`);
      apply(s);
      io.out(`${s.kind === 'link' ? 'linked' : 'wrote'} ${describe(s)}`);
    });
  } catch (e) {
    io.err(`error: ${errorMessage(e)}`);
    return EXIT.IO;
  }
  return EXIT.OK;
}

/** Adds `install` to the lvsha program. */
export function registerInstall(program: Command): void {
  program
    .command('install')
    .description('install the single-file bundle: the check_lvs_* plugins (links) and lvsha')
    .option('--prefix <dir>', "the checks' directory", DEFAULTS.prefix)
    .option('--lib-dir <dir>', 'where lvsha.js itself goes', DEFAULTS.libDir)
    .option('--bin-dir <dir>', 'where the lvsha link goes', DEFAULTS.binDir)
    .option('--no-bin', 'do not install the lvsha link')
    .option('--from <file>', 'bundle to install (default: the running bundle, else build/lvsha.js)')
    .option('--force', 'replace existing files and links', false)
    .option('-n, --dry-run', 'print what would be written, write nothing', false)
    .addHelpText(
      'after',
      `
Layout: LIB/lvsha.js is the bundle; PREFIX/check_lvs_NAME and BIN/lvsha are symbolic links to
it (the bundle is the check its name says); LIB/lvsha.js.cache, when the bundle has one beside
it, is its V8 code cache (faster start-up; replaced freely when of the same build). Run from a
checkout, it installs build/lvsha.js (npm run build first). Exit status: 0 installed, 2 refused (existing paths without --force,
no bundle), 3 I/O error.`,
    )
    .action((opts: InstallOptions & { bin?: boolean }) => {
      process.exitCode = runInstall(
        { ...opts, noBin: opts.bin === false },
        {
          out: (l) => process.stdout.write(`${l}\n`),
          err: (l) => process.stderr.write(`lvsha install: ${l}\n`),
        },
      );
    });
}
