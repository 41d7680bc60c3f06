/**
 * Writing the generated tree: OUT/HOST/PATH, all or nothing.
 *
 * 1. Plan: every target is computed and checked before anything is touched: it stays inside
 *    OUT/HOST (no `..`, no `.`, no empty segment: a path is never resolved into another host's
 *    folder), no two files share a target or sit where another needs a directory, the folders on
 *    the way are real directories (no symbolic link, no file), and without `force` no target
 *    exists. Any problem: nothing is written.
 * 2. Stage: folders are created and each file is written to a temporary file beside its target,
 *    given its mode and flushed. Any failure: the temporary files and the folders made are
 *    removed, nothing is left.
 * 3. Commit: each temporary file is moved into place (link() without `force`, which also refuses
 *    a file that appeared meanwhile; rename() with it): a reader never sees half a file.
 *
 * Every loop here is bounded by the number of files or of path segments: no retry loop (Node's
 * own recursive mkdir spins forever under /proc, so folders are made one by one).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fchmodSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, parse, relative, resolve, sep } from 'node:path';
import { GeneratedFile } from './common';

export class ExistingFilesError extends Error {
  override name = 'ExistingFilesError';
  constructor(readonly paths: string[]) {
    super(`${paths.length} file(s) already exist (use --force to overwrite): ${paths.join(', ')}`);
  }
}

/** The tree cannot be written as planned (a path leaving its folder, a clash, a link on the way). */
export class WritePlanError extends Error {
  override name = 'WritePlanError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

const HOST = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Where a generated file goes: OUT/HOST/PATH. PATH is taken literally, segment by segment:
 * `.`, `..` and empty segments are refused, so no file can leave its host's folder.
 */
export function targetPath(outDir: string, f: GeneratedFile): string {
  const root = resolve(outDir);
  const segments = f.path.replace(/^\/+/, '').split('/');
  if (!HOST.test(f.host) || f.host === '..' || segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0')))
    throw new WritePlanError([`refusing to write ${f.host}${f.path.startsWith('/') ? '' : '/'}${f.path}: only plain names, no '.', '..' or '//', inside ${join(root, f.host)}`]);
  const hostDir = join(root, f.host);
  const p = join(hostDir, ...segments);
  const rel = relative(hostDir, p);
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..')) throw new WritePlanError([`refusing to write outside ${hostDir}: ${f.host}${f.path}`]);
  return p;
}

const lstatOrUndefined = (p: string) => {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a file where a folder should be, reported for that folder itself.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
};

const exists = (p: string) => lstatOrUndefined(p) !== undefined;

/** The targets that already exist. */
export function existingTargets(outDir: string, files: GeneratedFile[]): string[] {
  return files.map((f) => targetPath(outDir, f)).filter(exists);
}

/** Folders from the file system root down to `dir`, outermost first. */
function chain(dir: string): string[] {
  const out: string[] = [];
  const top = parse(dir).root;
  for (let d = dir, i = 0; d !== top && i < 4096; d = dirname(d), i++) out.unshift(d);
  return out;
}

/**
 * Checks the whole tree; returns the targets (same order as `files`). Throws WritePlanError or
 * ExistingFilesError, having written nothing.
 */
export function planWrites(outDir: string, files: GeneratedFile[], o: { force: boolean }): string[] {
  const root = resolve(outDir);
  const problems: string[] = [];
  const targets: string[] = [];
  for (const f of files) {
    try {
      targets.push(targetPath(root, f));
    } catch (e) {
      problems.push(...(e instanceof WritePlanError ? e.problems : [(e as Error).message]));
    }
  }
  if (problems.length) throw new WritePlanError(problems);

  const seen = new Set<string>();
  const dirs = new Set<string>();
  for (const t of targets) {
    if (seen.has(t)) problems.push(`two generated files would be written to ${t}`);
    seen.add(t);
    for (let d = dirname(t); d !== root && d.startsWith(root + sep); d = dirname(d)) dirs.add(d);
  }
  for (const t of targets) if (dirs.has(t)) problems.push(`${t} would be both a generated file and the folder of another`);
  // Above OUT: folders the user named (symbolic links allowed), never a file.
  for (const d of chain(root)) {
    let st;
    try {
      st = statSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
      problems.push(`cannot use ${d}: ${(e as Error).message}`);
      break;
    }
    if (!st.isDirectory()) {
      problems.push(`${d} is not a directory`);
      break;
    }
  }
  // Inside OUT: real folders only, no symbolic link that could lead out of the tree.
  for (const d of dirs) {
    const st = lstatOrUndefined(d);
    if (!st) continue;
    if (st.isSymbolicLink()) problems.push(`refusing to write through the symbolic link ${d}`);
    else if (!st.isDirectory()) problems.push(`${d} is not a directory`);
  }
  const existing: string[] = [];
  for (const t of targets) {
    const st = lstatOrUndefined(t);
    if (!st) continue;
    if (st.isDirectory()) problems.push(`${t} is a directory`);
    else existing.push(t);
  }
  if (problems.length) throw new WritePlanError([...new Set(problems)]);
  if (existing.length && !o.force) throw new ExistingFilesError(existing);
  return targets;
}

/** mkdir one folder at a time from the first missing one; returns what it made (to undo). */
function makeDirs(dir: string, made: string[]): void {
  for (const d of chain(dir)) {
    const st = lstatOrUndefined(d);
    if (st) {
      if (!st.isDirectory() && !(st.isSymbolicLink() && statSync(d).isDirectory())) throw new Error(`${d} is not a directory`);
      continue;
    }
    mkdirSync(d); // one level: fails at once where a folder cannot be made (EACCES, ENOENT under /proc, EROFS)
    made.push(d);
    chmodSync(d, 0o755); // not left to the umask
  }
}

/** Writes `content` to a new temporary file beside `target`, with its mode, flushed. */
function stage(target: string, content: string, mode: number): string {
  const tmp = join(dirname(target), `.${basename(target)}.lvsha-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    const buf = Buffer.from(content, 'utf8');
    let off = 0;
    while (off < buf.length) {
      const n = writeSync(fd, buf, off, buf.length - off);
      if (n <= 0) throw new Error(`cannot write ${target}: no progress`);
      off += n;
    }
    fchmodSync(fd, mode); // explicit: the umask must not change 0644 into 0640, nor keep 0600
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  return tmp;
}

const quietly = (f: () => void) => {
  try {
    f();
  } catch {
    /* best effort while undoing */
  }
};

/** Writes one file atomically with its mode; `force` replaces an existing file. */
export function writeAtomic(root: string, target: string, content: string, mode: number, force: boolean): void {
  writeAll(root, [{ target, content, mode }], force);
}

function writeAll(root: string, items: { target: string; content: string; mode: number }[], force: boolean): void {
  const made: string[] = [];
  const temps: string[] = [];
  const undoStage = () => {
    temps.forEach((t) => quietly(() => unlinkSync(t)));
    made.reverse().forEach((d) => quietly(() => rmdirSync(d)));
  };
  try {
    makeDirs(root, made);
    for (const it of items) {
      makeDirs(dirname(it.target), made);
      temps.push(stage(it.target, it.content, it.mode));
    }
  } catch (e) {
    undoStage();
    throw e;
  }
  const linked: string[] = [];
  try {
    items.forEach((it, i) => {
      if (force) renameSync(temps[i]!, it.target);
      else {
        linkSync(temps[i]!, it.target); // EEXIST if the file appeared since the plan
        linked.push(it.target);
        unlinkSync(temps[i]!);
      }
    });
  } catch (e) {
    // Without force every target was new: remove the ones already linked, so nothing is left.
    if (!force) linked.forEach((t) => quietly(() => unlinkSync(t)));
    undoStage();
    const err = e as NodeJS.ErrnoException & { dest?: string };
    if (err.code === 'EEXIST') throw new ExistingFilesError([err.dest ?? String(err.path)]);
    throw e;
  }
}

/** Plans then writes every file (nothing at all when anything is refused); returns their paths. */
export function writeFiles(outDir: string, files: GeneratedFile[], o: { force: boolean }): string[] {
  const root = resolve(outDir);
  const targets = planWrites(root, files, o);
  writeAll(
    root,
    files.map((f, i) => ({ target: targets[i]!, content: f.content, mode: f.mode })),
    o.force,
  );
  return targets;
}
