/**
 * Writing the generated tree: OUT/HOST/PATH. Each file is written to a temporary file in
 * its own directory, given its mode, flushed, then moved into place — a reader never sees
 * half a file. Without `force` nothing is overwritten: existing files are listed and
 * nothing at all is written; the final link() also refuses a file that appeared meanwhile.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fchmodSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { GeneratedFile } from './common';

export class ExistingFilesError extends Error {
  override name = 'ExistingFilesError';
  constructor(readonly paths: string[]) {
    super(`${paths.length} file(s) already exist (use --force to overwrite): ${paths.join(', ')}`);
  }
}

/** Where a generated file goes: OUT/HOST/PATH, refusing anything that would leave OUT. */
export function targetPath(outDir: string, f: GeneratedFile): string {
  const root = resolve(outDir);
  const p = resolve(root, f.host, `.${f.path.startsWith('/') ? f.path : `/${f.path}`}`);
  const rel = relative(root, p);
  if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..')) throw new Error(`refusing to write outside ${root}: ${f.host}${f.path}`);
  return p;
}

const exists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
};

/** The targets that already exist. */
export function existingTargets(outDir: string, files: GeneratedFile[]): string[] {
  return files.map((f) => targetPath(outDir, f)).filter(exists);
}

/** mkdir -p below `root`, refusing symbolic links on the way (they could lead out of the tree). */
function ensureDir(root: string, dir: string): void {
  let cur = root;
  mkdirSync(root, { recursive: true, mode: 0o755 });
  for (const part of relative(root, dir).split(sep).filter(Boolean)) {
    cur = join(cur, part);
    let st;
    try {
      st = lstatSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(cur);
      chmodSync(cur, 0o755); // not left to the umask
      continue;
    }
    if (st.isSymbolicLink()) throw new Error(`refusing to write through the symbolic link ${cur}`);
    if (!st.isDirectory()) throw new Error(`${cur} is not a directory`);
  }
}

/** Writes one file atomically with its mode; `force` replaces an existing file. */
export function writeAtomic(root: string, target: string, content: string, mode: number, force: boolean): void {
  ensureDir(root, dirname(target));
  const tmp = join(dirname(target), `.${basename(target)}.lvsha-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    const buf = Buffer.from(content, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fchmodSync(fd, mode); // explicit: the umask must not change 0644 into 0640, nor keep 0600
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    if (force) renameSync(tmp, target);
    else linkSync(tmp, target); // fails with EEXIST if the file appeared since the check
  } catch (e) {
    unlinkSync(tmp);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ExistingFilesError([target]);
    throw e;
  }
  if (!force) unlinkSync(tmp);
}

/** Writes every file (after checking that none exists unless `force`); returns their paths. */
export function writeFiles(outDir: string, files: GeneratedFile[], o: { force: boolean }): string[] {
  const root = resolve(outDir);
  const targets = files.map((f) => targetPath(root, f));
  if (!o.force) {
    const existing = targets.filter(exists);
    if (existing.length) throw new ExistingFilesError(existing);
  }
  files.forEach((f, i) => writeAtomic(root, targets[i]!, f.content, f.mode, o.force));
  return targets;
}
