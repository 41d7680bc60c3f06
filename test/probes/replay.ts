// Replaying captured program output (test/fixtures/real/<program>/<scenario>/<host>/<name>.{stdout,stderr,rc}):
// as a Source for probe tests, and as a shell script for end-to-end runs of bin/.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunOptions, RunResult, Source } from '../../src/sources/source';

export const REAL = join(__dirname, '..', 'fixtures', 'real');

export interface Capture {
  stdout: string;
  stderr: string;
  rc: number;
}

/** One capture by path relative to test/fixtures/real, without extension. */
export function capture(rel: string): Capture {
  const b = join(REAL, rel);
  return {
    stdout: readFileSync(`${b}.stdout`, 'utf8'),
    stderr: existsSync(`${b}.stderr`) ? readFileSync(`${b}.stderr`, 'utf8') : '',
    rc: Number(readFileSync(`${b}.rc`, 'utf8').trim()),
  };
}

export const has = (rel: string) => existsSync(join(REAL, `${rel}.stdout`));

/** Every capture under a directory (recursively), by relative name. */
export function capturesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(join(REAL, d))) return;
    for (const e of readdirSync(join(REAL, d), { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.stdout')) out.push(join(d, e.name.slice(0, -'.stdout'.length)));
    }
  };
  walk(dir);
  return out.sort();
}

/** The same naming in sh, for replay scripts: sets $name from "$*". */
export const CL_STATUS_NAME_SH = `name=$(printf '%s' "$*" | sed -e 's/^hbparameter -p /hbparameter-/' -e 's/ -\\([a-z]\\)/-\\1/g' -e 's/ /-/g')`;

/** The capture name the lab gives a cl_status call: `nodestatus frontal2` → nodestatus-frontal2, `hbstatus -v` → hbstatus-v. */
export function clStatusName(args: readonly string[]): string {
  return args.join(' ').replace(/^hbparameter -p /, 'hbparameter-').replace(/ -(\w)/g, '-$1').replace(/ /g, '-');
}

/**
 * A Source answering from captures: `resolve(argv)` names the capture (relative path) or
 * returns a RunResult directly; unknown commands fail like a missing program.
 */
export class ReplaySource implements Source {
  readonly runs: string[][] = [];
  constructor(
    readonly host: string,
    private readonly resolve: (argv: readonly string[]) => string | RunResult | undefined,
  ) {}
  async run(argv: readonly string[], _o?: RunOptions): Promise<RunResult> {
    this.runs.push([...argv]);
    const r = this.resolve(argv);
    if (r === undefined) return { stdout: '', stderr: `${argv[0]}: no capture for ${argv.join(' ')}\n`, code: 127, signal: null };
    if (typeof r !== 'string') return r;
    const c = capture(r);
    return { stdout: c.stdout, stderr: c.stderr, code: c.rc, signal: null };
  }
  async readFile(): Promise<string> {
    throw Object.assign(new Error('no files'), { code: 'ENOENT' });
  }
  async listDir(): Promise<string[]> {
    return [];
  }
  async close(): Promise<void> {}
}

/**
 * cl_status replay for one node of one scenario; `overlay` directories (checked first)
 * hold partial captures taken later in the same scenario (peer-stopping).
 */
export function clStatusSource(node: string, dirs: string[]): ReplaySource {
  return new ReplaySource('localhost', (argv) => {
    if (argv[0] === 'uname') return { stdout: `${node}\n`, stderr: '', code: 0, signal: null };
    const name = clStatusName(argv.slice(1));
    for (const d of dirs) if (has(`${d}/${name}`)) return `${d}/${name}`;
    return { stdout: '', stderr: `cl_status: ${argv[1]}: invalid sub-command.\n`, code: 11, signal: null };
  });
}

const temps: string[] = [];
/** A temporary directory, removed by `removeTempDirs` (call it in afterAll). */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lvsha-replay-'));
  temps.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Writes an executable sh script that replays captures.
 * - `dirs`: cl_status style: the capture is `<dir>/<name>` where name comes from the
 *   arguments as the lab names them (`nodestatus frontal2` → nodestatus-frontal2); first
 *   directory that has it wins; none: exit 11 like cl_status given an unknown sub-command.
 * - `byArgs`: arguments (`"$*"`, or `*` for any) → captures replayed one per call, in order
 *   (mkdir as an atomic counter: calls may run in parallel); the last one repeats.
 */
export function replayScript(path: string, o: { dirs?: string[]; byArgs?: Record<string, string[]> }): string {
  const body: string[] = ['#!/bin/sh', 'set -u'];
  // `base` is a shell word (already quoted) naming the capture without extension.
  const emit = (base: string) => [`cat ${base}.stdout`, `[ -f ${base}.stderr ] && cat ${base}.stderr >&2`, `exit "$(cat ${base}.rc)"`];
  let k = 0;
  for (const [args, seq] of Object.entries(o.byArgs ?? {})) {
    body.push(args === '*' ? 'if true; then' : `if [ "$*" = ${q(args)} ]; then`);
    seq.forEach((rel, i) => {
      const last = i === seq.length - 1;
      body.push(last ? '  if true; then' : `  if mkdir ${q(`${path}.calls.${k}.${i}`)} 2>/dev/null; then`, ...emit(q(join(REAL, rel))).map((l) => `    ${l}`), '  fi');
    });
    body.push('fi');
    k++;
  }
  if (o.dirs) {
    body.push(CL_STATUS_NAME_SH);
    for (const d of o.dirs) {
      const base = `${q(join(REAL, d))}/"$name"`;
      body.push(`if [ -f ${base}.stdout ]; then`, ...emit(base).map((l) => `  ${l}`), 'fi');
    }
    body.push('echo "cl_status: $1: invalid sub-command." >&2', 'exit 11');
  } else {
    body.push('echo "replay: no capture for: $*" >&2', 'exit 13');
  }
  writeFileSync(path, body.join('\n') + '\n');
  chmodSync(path, 0o755);
  return path;
}
