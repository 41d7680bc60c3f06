/**
 * Many file reads and directory listings in ONE remote command. Over SSH each command is a
 * channel, a process and a round trip; a real server's check reads ~30 small files, so the
 * SSH source gathers the reads issued in the same event-loop turn and sends them together.
 *
 * The script is a constant: the paths travel as positional arguments (quoted like every
 * argv word), never spliced into shell text. POSIX sh (dash, bash, busybox ash).
 *
 * Output, per request, in order:
 *   BOUNDARY \n  <the file's bytes, or one name per line>  \n BOUNDARY ' ' rc ' ' why \n
 * where why is `-` on success, else ENOENT / EISDIR / EACCES / EIO. BOUNDARY is random per
 * call, so file content cannot forge a record end.
 */
export const READ_BATCH_SCRIPT = [
  // Shell builtins where it is exact: no process per file (a fork costs ~1.5 ms on a busy
  // host; a real server's check reads ~30 files). A file is read line by line, its last line
  // kept even without a newline; a directory is listed by globbing (dot files included, no
  // . or ..). NOT /proc and /sys: dash and busybox `read` one byte per read(2), and a sysctl
  // file answers a read at a non-zero offset with EOF (ip_default_ttl 64 reads as "6",
  // measured here), so those go through cat.
  'b=$1; shift',
  'while [ $# -ge 2 ]; do',
  '  printf "%s\\n" "$b"; rc=0; l=',
  '  if [ "$1" = d ]; then',
  '    if [ -d "$2" ]; then',
  '      for f in "$2"/* "$2"/.[!.]* "$2"/..?*; do',
  '        if [ -e "$f" ] || [ -L "$f" ]; then printf "%s\\n" "${f##*/}"; fi',
  '      done',
  '    else rc=2; fi',
  '  elif [ -d "$2" ]; then rc=1',
  '  else',
  '    case $2 in',
  '    /proc/*|/sys/*) cat -- "$2" 2>/dev/null || rc=$? ;;',
  '    *) { while IFS= read -r l; do printf "%s\\n" "$l"; done; } 2>/dev/null < "$2" || rc=$?',
  '      [ -z "$l" ] || printf "%s" "$l" ;;',
  '    esac',
  '  fi',
  '  why=-',
  '  if [ $rc -ne 0 ]; then',
  '    if [ -d "$2" ]; then why=EISDIR; elif [ ! -e "$2" ]; then why=ENOENT; elif [ ! -r "$2" ]; then why=EACCES; else why=EIO; fi',
  '  fi',
  '  printf "\\n%s %s %s\\n" "$b" "$rc" "$why"',
  '  shift 2',
  'done',
].join('\n');

export type ReadKind = 'f' | 'd';
export interface ReadRequest {
  kind: ReadKind;
  path: string;
}

/** One answer: the text (file content, or the names in the directory, one per line), or why it failed. */
export type ReadAnswer = { ok: true; text: string } | { ok: false; code: string; rc: number };

/** The argv that runs the batch (after the `sh -c SCRIPT`'s $0). */
export function readBatchArgv(boundary: string, reqs: readonly ReadRequest[]): string[] {
  return ['sh', '-c', READ_BATCH_SCRIPT, 'lvsha-read', boundary, ...reqs.flatMap((r) => [r.kind, r.path])];
}

export class ReadBatchError extends Error {
  override name = 'ReadBatchError';
}

/**
 * Splits the batch's stdout into one answer per request. Pure. Throws ReadBatchError when
 * the output is not what the script prints (cut short: killed, output cap, a foreign shell).
 */
export function parseReadBatch(out: string, boundary: string, count: number): ReadAnswer[] {
  if (!/^[0-9a-f]{16,}$/.test(boundary)) throw new ReadBatchError('boundary must be 16+ hex digits');
  const res: ReadAnswer[] = [];
  const start = `${boundary}\n`;
  const end = `\n${boundary} `;
  let pos = 0;
  for (let i = 0; i < count; i++) {
    if (!out.startsWith(start, pos)) throw new ReadBatchError(`read batch: record ${i + 1} of ${count} missing`);
    const from = pos + start.length;
    const stop = out.indexOf(end, from);
    if (stop < 0) throw new ReadBatchError(`read batch: record ${i + 1} of ${count} not terminated`);
    const eol = out.indexOf('\n', stop + end.length);
    if (eol < 0) throw new ReadBatchError(`read batch: record ${i + 1} of ${count} trailer cut short`);
    const m = /^(\d+) (-|ENOENT|EISDIR|EACCES|EIO)$/.exec(out.slice(stop + end.length, eol));
    if (!m) throw new ReadBatchError(`read batch: record ${i + 1} of ${count} has a malformed trailer`);
    const rc = Number(m[1]);
    const text = out.slice(from, stop);
    if (rc === 0) res.push({ ok: true, text });
    else res.push({ ok: false, code: m[2] === '-' ? 'EIO' : m[2]!, rc });
    pos = eol + 1;
  }
  if (pos !== out.length) throw new ReadBatchError(`read batch: ${out.length - pos} bytes after the last record`);
  return res;
}

const WHY: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EISDIR: 'Is a directory',
  EACCES: 'Permission denied',
  EIO: 'read failed',
};

/** The error a failed read answer becomes (with `code`, like fs errors, so isNotFound works). */
export function readAnswerError(path: string, host: string, a: { code: string; rc: number }): NodeJS.ErrnoException {
  const e = new Error(`cannot read ${path} on ${host}: ${a.code}: ${WHY[a.code] ?? 'failed'}${a.code === 'EIO' ? ` (status ${a.rc})` : ''}`) as NodeJS.ErrnoException;
  e.code = a.code;
  return e;
}
