import { vipsFor } from '../domain/arp';
import type { Deployment } from '../model/types';
import { SYSCTL_DIRS } from '../parsers/sysctl';
import { ParseError, PluginError } from '../runtime/errors';
import { ReadAnswer, readAnswerError } from '../sources/readBatch';
import { RunOptions, RunResult, Source, describeExit } from '../sources/source';
import { NETWORKD_DIRS } from './realserver';

/**
 * A real server's whole /probe in ONE remote command. Over SSH every command is a channel, a
 * shell, GNU timeout and a round trip (~50 ms each on a loaded host, measured): the realserver
 * probes used to make five of them in three waves (`ip`, `ss`, three read batches). This runs
 * `ip -j addr` and `ss` and reads every file the probes may ask for (the ARP sysctls of every
 * interface, the sysctl.d and network configuration directories with their files) in one
 * script, and answers the probes from it; they and their parsers are unchanged. Anything the
 * snapshot does not hold (a `source` line pointing elsewhere, a failed command: its stderr)
 * goes to the real source as before.
 *
 * The script is a constant; paths and programs travel as positional arguments. Output: one
 * record per request (a directory request `D` also one per file read in it), in order:
 *   BOUNDARY ' ' op ' ' arg \n  <bytes>  \n BOUNDARY ' ' rc ' ' why \n
 * op x (a command; arg its index), f (a file), d (a directory listing), s (the sysctl leaves
 * of every interface, as `grep -H` prints them). BOUNDARY is random per call. What a peer
 * prints is checked against what was asked (ParseError otherwise): no record it was not asked
 * for, none twice, none missing, nothing after the last.
 */
export const SNAPSHOT_SCRIPT = [
  'b=$1; shift; seen=; L=',
  'nl=\'',
  "'",
  'end() { printf "\\n%s %s %s\\n" "$b" "$1" "$2"; }',
  // A file through shell builtins (no process per file), as readBatch.ts does; its last line
  // kept without a newline.
  'rd() {',
  '  r=0; l=',
  '  if [ -d "$1" ]; then r=1',
  '  else { while IFS= read -r l; do printf "%s\\n" "$l"; done; } 2>/dev/null < "$1" || r=$?; [ -z "$l" ] || printf "%s" "$l"; fi',
  '  w=-',
  '  if [ $r -ne 0 ]; then if [ -d "$1" ]; then w=EISDIR; elif [ ! -e "$1" ]; then w=ENOENT; elif [ ! -r "$1" ]; then w=EACCES; else w=EIO; fi; fi',
  '  end $r $w',
  '}',
  // A regular file whose name has no newline joins L, read after the loop by ONE cat (its
  // bytes exact, split by one wc -c's sizes): dash reads byte by byte, which cost ~45 ms for
  // the ~15 KB of a Debian host's sysctl.d and networkd units (measured here).
  'add() {',
  '  case $1 in *"$nl"*) return 1 ;; esac',
  '  if [ -f "$1" ] && [ -r "$1" ]; then L="$L$1$nl"; return 0; fi; return 1',
  '}',
  'ls1() {',
  '  printf "%s d %s\\n" "$b" "$1"; r=0',
  '  if [ -d "$1" ]; then',
  '    for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do if [ -e "$f" ] || [ -L "$f" ]; then printf "%s\\n" "${f##*/}"; fi; done',
  '  else r=2; fi',
  '  end $r -',
  '}',
  'while [ $# -gt 0 ]; do',
  '  case $1 in',
  '  x1) printf "%s x %s\\n" "$b" "$2"; "$3" "$4" </dev/null 2>/dev/null; end $? -; shift 4 ;;',
  '  x2) printf "%s x %s\\n" "$b" "$2"; "$3" "$4" "$5" </dev/null 2>/dev/null; end $? -; shift 5 ;;',
  '  f) if ! add "$2"; then printf "%s f %s\\n" "$b" "$2"; rd "$2"; fi; shift 2 ;;',
  '  d) ls1 "$2"; shift 2 ;;',
  // A directory and, at most 200 of, its files matching a pattern (the names a probe keeps).
  // A name read in an earlier directory with the same pattern is not read again: the probes
  // take the first directory's (systemd's rule for sysctl.d and networkd), and /lib is
  // /usr/lib on a merged-/usr system (half the bytes, measured here).
  '  D) ls1 "$2"',
  '    if [ $r -eq 0 ]; then n=0',
  '      for g in "$2"/$3; do',
  '        case $g in *"$nl"*) continue ;; esac',
  '        k="$3/${g##*/}"',
  '        case "$nl$seen" in *"$nl$k$nl"*) continue ;; esac',
  '        if [ -e "$g" ] || [ -L "$g" ]; then n=$((n + 1)); [ $n -le 200 ] || break; seen="$seen$k$nl"; if ! add "$g"; then printf "%s f %s\\n" "$b" "$g"; rd "$g"; fi; fi',
  '      done',
  '    fi; shift 3 ;;',
  // /proc/sys files answer a read at a non-zero offset with EOF (readBatch.ts): one grep
  // reads them all with a real buffer, one process for every interface.
  '  s) printf "%s s %s\\n" "$b" "$2"; grep -s -H -e "" -- "$2"/*/"$3" "$2"/*/"$4" </dev/null; end $? -; shift 4 ;;',
  '  *) exit 64 ;;',
  '  esac',
  'done',
  // l: the files read together; w: their sizes (wc -c, one line each, then a total); c: their bytes.
  'if [ -n "$L" ]; then',
  '  printf "%s l -\\n%s" "$b" "$L"; end 0 -',
  '  IFS=$nl; set -f',
  '  printf "%s w -\\n" "$b"; wc -c -- $L </dev/null 2>/dev/null; end $? -',
  '  printf "%s c -\\n" "$b"; cat -- $L </dev/null 2>/dev/null; end $? -',
  'fi',
].join('\n');

export interface SnapshotPlan {
  /** Commands (one or two arguments each), answered when they exit 0. */
  commands: (readonly [string, string] | readonly [string, string, string])[];
  files: string[];
  /** Directories listed, with the files matching `pattern` (a shell glob on the name) read. */
  dirs: { dir: string; pattern?: string }[];
  /** DIR/IFACE/LEAF for every interface directory of DIR (the ARP sysctls). */
  sysctl?: { dir: string; leaves: readonly [string, string] };
}

/** What one snapshot holds. */
export interface Snapshot {
  /** Per command index: exit status and stdout. */
  runs: { rc: number; stdout: string }[];
  files: Map<string, ReadAnswer>;
  /** Listings (sorted names), null = not a directory. */
  dirs: Map<string, string[] | null>;
  /** The sysctl record: files read (path → text), and whether every file the glob found was read. */
  sysctl?: { values: Map<string, string>; complete: boolean };
}

/** The argv of the snapshot (after `sh -c SCRIPT`'s $0). */
export function snapshotArgv(boundary: string, plan: SnapshotPlan): string[] {
  const words: string[] = [];
  plan.commands.forEach((c, i) => words.push(c.length === 2 ? 'x1' : 'x2', String(i), ...c));
  for (const f of plan.files) words.push('f', f);
  for (const d of plan.dirs) words.push(...(d.pattern !== undefined ? ['D', d.dir, d.pattern] : ['d', d.dir]));
  if (plan.sysctl) words.push('s', plan.sysctl.dir, ...plan.sysctl.leaves);
  return ['sh', '-c', SNAPSHOT_SCRIPT, 'lvsha-snapshot', boundary, ...words];
}

const MAX_RECORDS = 4096;

/**
 * Splits the snapshot's output into its records, checked against the plan. Pure. Throws
 * ParseError on anything the script does not print: a record not asked for, twice, missing,
 * cut short, a forged or absent delimiter, bytes after the last.
 */
export function parseSnapshot(out: string, boundary: string, plan: SnapshotPlan): Snapshot {
  const what = 'realserver snapshot';
  if (!/^[0-9a-f]{16,}$/.test(boundary)) throw new ParseError(what, 'boundary must be 16+ hex digits');
  const snap: Snapshot = { runs: [], files: new Map(), dirs: new Map() };
  const askedFiles = new Set(plan.files);
  const askedDirs = new Map(plan.dirs.map((d) => [d.dir, d.pattern !== undefined]));
  const seen = new Set<string>();
  const names = new Map<string, Set<string>>();
  /** A file asked for by name, or one a D request's listing named. */
  const asked = (path: string): boolean => {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash);
    return askedFiles.has(path) || (askedDirs.get(dir) === true && (names.get(dir)?.has(path.slice(slash + 1)) ?? false));
  };
  const together: string[] = [];
  let sizes: { rc: number; text: string } | undefined;
  let bytes: { rc: number; text: string } | undefined;
  const head = `${boundary} `;
  const end = `\n${boundary} `;
  let pos = 0;
  for (let n = 1; pos < out.length; n++) {
    if (n > MAX_RECORDS) throw new ParseError(what, `more than ${MAX_RECORDS} records`);
    if (!out.startsWith(head, pos)) throw new ParseError(what, `record ${n}: no delimiter where one starts`);
    const eoh = out.indexOf('\n', pos + head.length);
    if (eoh < 0) throw new ParseError(what, `record ${n}: header cut short`);
    const h = /^([xfdslwc]) (.+)$/.exec(out.slice(pos + head.length, eoh));
    if (!h) throw new ParseError(what, `record ${n}: malformed header`);
    const [, op, arg] = h as unknown as [string, string, string];
    const stop = out.indexOf(end, eoh + 1);
    if (stop < 0) throw new ParseError(what, `record ${n} (${op} ${arg}) not terminated`);
    const eol = out.indexOf('\n', stop + end.length);
    if (eol < 0) throw new ParseError(what, `record ${n} (${op} ${arg}): trailer cut short`);
    const t = /^(\d{1,3}) (-|ENOENT|EISDIR|EACCES|EIO)$/.exec(out.slice(stop + end.length, eol));
    if (!t) throw new ParseError(what, `record ${n} (${op} ${arg}): malformed trailer`);
    const rc = Number(t[1]);
    const text = out.slice(eoh + 1, stop);
    const key = `${op} ${arg}`;
    if (seen.has(key)) throw new ParseError(what, `record ${n}: ${key} twice`);
    seen.add(key);
    if (op === 'x') {
      const i = Number(arg);
      if (!/^\d+$/.test(arg) || i >= plan.commands.length) throw new ParseError(what, `record ${n}: no command ${arg} was asked for`);
      snap.runs[i] = { rc, stdout: text };
    } else if (op === 'f') {
      if (!asked(arg)) throw new ParseError(what, `record ${n}: file ${arg} was not asked for`);
      if (together.includes(arg)) throw new ParseError(what, `record ${n}: ${key} twice`);
      snap.files.set(arg, rc === 0 ? { ok: true, text } : { ok: false, code: t[2] === '-' ? 'EIO' : t[2]!, rc });
    } else if (op === 'l' || op === 'w' || op === 'c') {
      if (arg !== '-') throw new ParseError(what, `record ${n}: malformed header`);
      if (op === 'l') {
        // Files read together: each one the plan asked for, by name or through a listing.
        for (const f of text.split('\n')) {
          if (f === '') continue;
          if (!asked(f)) throw new ParseError(what, `record ${n}: file ${f} was not asked for`);
          if (together.includes(f) || snap.files.has(f)) throw new ParseError(what, `record ${n}: file ${f} twice`);
          together.push(f);
        }
      } else if (op === 'w') sizes = { rc, text };
      else bytes = { rc, text };
    } else if (op === 'd') {
      if (!askedDirs.has(arg)) throw new ParseError(what, `record ${n}: directory ${arg} was not asked for`);
      const listing = rc === 0 ? text.split('\n').filter((l) => l !== '').sort() : null;
      snap.dirs.set(arg, listing);
      if (listing) names.set(arg, new Set(listing));
    } else {
      const s = plan.sysctl;
      if (!s || arg !== s.dir) throw new ParseError(what, `record ${n}: sysctl ${arg} was not asked for`);
      const values = new Map<string, string>();
      const prefix = `${s.dir}/`;
      for (const line of text.split('\n')) {
        if (line === '') continue;
        // DIR/IFACE/LEAF:value; an interface name has no '/' nor ':' (the kernel's dev_valid_name).
        const m = /^([^/:]+)\/([^/:]+):(.*)$/.exec(line.startsWith(prefix) ? line.slice(prefix.length) : '');
        if (!m || !s.leaves.includes(m[2]!)) throw new ParseError(what, `record ${n}: sysctl line '${line.slice(0, 60)}' is not one asked for`);
        const path = `${prefix}${m[1]}/${m[2]}`;
        values.set(path, `${values.get(path) ?? ''}${m[3]}\n`);
      }
      // grep: 0 = every file read (at least one line), else some file may have failed.
      snap.sysctl = { values, complete: rc === 0 };
    }
    pos = eol + 1;
  }
  if (together.length) {
    if (!sizes || !bytes) throw new ParseError(what, `no record for the sizes or bytes of ${together.length} file(s) read together`);
    splitTogether(together, sizes, bytes, snap.files);
  } else if (sizes || bytes) throw new ParseError(what, 'sizes or bytes of files read together, but no list');
  const missing = [
    ...plan.commands.flatMap((c, i) => (snap.runs[i] ? [] : [c.join(' ')])),
    ...plan.files.filter((f) => !snap.files.has(f) && !together.includes(f)),
    ...plan.dirs.filter((d) => !snap.dirs.has(d.dir)).map((d) => d.dir),
    ...(plan.sysctl && !snap.sysctl ? [plan.sysctl.dir] : []),
  ];
  if (missing.length) throw new ParseError(what, `no record for ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`);
  return snap;
}

/**
 * The files read by one cat, split by wc -c's sizes. Exact bytes or nothing: a size line that
 * does not name the expected file, sizes that do not add up to the bytes (a file changed
 * between wc and cat, invalid UTF-8), a failed wc or cat: none of them is answered, and the
 * probes read them from the host as before.
 */
function splitTogether(files: readonly string[], sizes: { rc: number; text: string }, bytes: { rc: number; text: string }, into: Map<string, ReadAnswer>): void {
  if (sizes.rc !== 0 || bytes.rc !== 0) return;
  const lines = sizes.text.split('\n').filter((l) => l !== '');
  if (lines.length !== files.length + (files.length > 1 ? 1 : 0)) return;
  const n: number[] = [];
  for (let i = 0; i < files.length; i++) {
    const m = /^\s*(\d{1,12}) (.*)$/.exec(lines[i]!);
    if (!m || m[2] !== files[i]) return;
    n.push(Number(m[1]));
  }
  const buf = Buffer.from(bytes.text, 'utf8');
  if (n.reduce((a, b) => a + b, 0) !== buf.length) return;
  let at = 0;
  const texts = n.map((k) => buf.subarray(at, (at += k)).toString('utf8'));
  // A file cut inside a character would come back changed: answer none.
  if (texts.some((t, i) => Buffer.byteLength(t, 'utf8') !== n[i])) return;
  files.forEach((f, i) => into.set(f, { ok: true, text: texts[i]! }));
}

/** What a direct-routing real server's probes (collector arp, check_lvs_arp) read, for `deployment`. */
export function realserverPlan(d: Deployment, programs: { ip?: string; ss?: string } = {}): SnapshotPlan {
  const protocols = [...new Set(vipsFor(d).vips.flatMap((v) => v.ports.map((p) => p.protocol)))].sort();
  const ss = programs.ss ?? 'ss';
  return {
    commands: [[programs.ip ?? 'ip', '-j', 'addr'], ...protocols.map((p) => [ss, p === 'tcp' ? '-ltnH' : '-lunH'] as const)],
    files: ['/etc/sysctl.conf', '/etc/network/interfaces'],
    dirs: [
      ...SYSCTL_DIRS.map((dir) => ({ dir, pattern: '*.conf' })),
      { dir: '/etc/sysconfig/network-scripts', pattern: 'ifcfg-lo*' },
      { dir: '/etc/network/interfaces.d', pattern: '*' },
      ...NETWORKD_DIRS.map((dir) => ({ dir, pattern: '*.network' })),
    ],
    sysctl: { dir: '/proc/sys/net/ipv4/conf', leaves: ['arp_ignore', 'arp_announce'] },
  };
}

/**
 * A source that answers from one snapshot (taken on first use, through `inner`, so within the
 * scrape's deadline), and passes anything else to `inner`. A snapshot that fails (unreachable,
 * timed out, malformed) fails every read of the source with that error, as the reads would have.
 */
export class SnapshotSource implements Source {
  private snap?: Promise<Snapshot>;
  private readonly runKeys: Map<string, number>;
  constructor(
    private readonly inner: Source,
    private readonly plan: SnapshotPlan,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    private readonly boundary: () => string = () => (require('node:crypto') as typeof import('node:crypto')).randomBytes(12).toString('hex'),
  ) {
    this.runKeys = new Map(plan.commands.map((c, i) => [JSON.stringify(c), i]));
  }

  get host(): string {
    return this.inner.host;
  }

  /** The snapshot (one remote command), taken once. */
  load(): Promise<Snapshot> {
    this.snap ??= (async () => {
      const b = this.boundary();
      const r = await this.inner.run(snapshotArgv(b, this.plan));
      try {
        return parseSnapshot(r.stdout, b, this.plan);
      } catch (e) {
        if (r.code !== 0) throw new PluginError(`realserver snapshot on ${this.host}: ${describeExit(['sh'], r)}`);
        throw e;
      }
    })();
    return this.snap;
  }

  async run(argv: readonly string[], ro: RunOptions = {}): Promise<RunResult> {
    const i = ro.fresh || ro.privileged ? undefined : this.runKeys.get(JSON.stringify(argv));
    if (i !== undefined) {
      const hit = (await this.load()).runs[i]!;
      // A command that failed runs again for its own stderr and status (rare: the message matters more than the trip).
      if (hit.rc === 0) return { stdout: hit.stdout, stderr: '', code: 0, signal: null };
    }
    return this.inner.run(argv, ro);
  }

  /** The answer the snapshot has for a path: a ReadAnswer, or undefined (ask the real source). */
  private answer(s: Snapshot, path: string): ReadAnswer | undefined {
    const a = s.files.get(path);
    if (a) return a;
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash);
    const name = path.slice(slash + 1);
    const listing = s.dirs.get(dir);
    // Listed directory, name absent: not there (a name listed but not read goes to the source,
    // as does a name the listing cannot show: one with a newline).
    if (listing !== undefined && name !== '' && name !== '.' && name !== '..' && !name.includes('\n') && !(listing ?? []).includes(name)) return { ok: false, code: 'ENOENT', rc: 1 };
    const sc = this.plan.sysctl;
    if (sc && s.sysctl && path.startsWith(`${sc.dir}/`)) {
      const v = s.sysctl.values.get(path);
      if (v !== undefined) return { ok: true, text: v };
      const m = /^([^/:]+)\/([^/:]+)$/.exec(path.slice(sc.dir.length + 1));
      // Every file the glob found was read: a leaf not among them has no interface directory.
      if (m && sc.leaves.includes(m[2]!) && s.sysctl.complete && !m[1]!.startsWith('.')) return { ok: false, code: 'ENOENT', rc: 1 };
    }
    return undefined;
  }

  async readFile(path: string): Promise<string> {
    const a = this.answer(await this.load(), path);
    if (!a) return this.inner.readFile(path);
    if (!a.ok) throw readAnswerError(path, this.host, a);
    return a.text;
  }

  async listDir(path: string): Promise<string[]> {
    const l = (await this.load()).dirs.get(path);
    if (l === undefined) return this.inner.listDir(path);
    return l ?? [];
  }

  get openTcp(): Source['openTcp'] {
    return this.inner.openTcp?.bind(this.inner);
  }

  /** The inner source belongs to whoever made it. */
  async close(): Promise<void> {}
}
