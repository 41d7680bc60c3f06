import { ParseError } from '../runtime/errors';

/**
 * Kernel parameters: one value read from /proc/sys, and the boot-time configuration
 * (sysctl.conf, sysctl.d) that sets them.
 */

/** One integer from a /proc/sys file (`1\n`). */
export function parseSysctlValue(text: string, what = '/proc/sys value'): number {
  const t = text.trim();
  if (!/^-?\d{1,10}$/.test(t)) throw new ParseError(what, `'${t.slice(0, 40)}' is not an integer`);
  return Number(t);
}

/** One assignment of a sysctl.conf / sysctl.d file. */
export interface SysctlAssignment {
  /** Path under /proc/sys with `/` separators: `net/ipv4/conf/eth0.100/arp_ignore`. */
  key: string;
  /** Value as written, whitespace trimmed; undefined for a `-pattern` glob exclusion. */
  value?: string;
  /** `-key = value`: failures are ignored (systemd), or `-glob` without a value: excluded. */
  ignoreFailure: boolean;
  /** The key holds a glob (`*`, `?`, `[`): it sets every matching key without an explicit one. */
  glob: boolean;
  line: number;
}

export interface SysctlFile {
  assignments: SysctlAssignment[];
  /** Lines that are neither comments nor assignments: systemd and procps skip them with a warning. */
  ignored: { line: number; text: string }[];
}

/**
 * Normalises a sysctl variable name to its path under /proc/sys. The first separator decides:
 * a `/` leaves the rest intact; a `.` interchanges dots and slashes, so
 * `net.ipv4.conf.eth0/100.arp_ignore` and `net/ipv4/conf/eth0.100/arp_ignore` are the same
 * key (sysctl.d(5), procps sysctl(8)).
 */
export function sysctlKeyPath(name: string): string {
  const k = name.trim().replace(/^\/+/, '');
  const firstSep = k.search(/[./]/);
  if (k[firstSep] === '/') return k; // no separator (-1): the replace below changes nothing
  return k.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/**
 * Parses one sysctl.conf or sysctl.d file. Empty lines and lines whose first non-blank
 * character is `#` or `;` are comments. Malformed lines are reported in `ignored` (as the
 * boot tools skip them), never thrown: one bad line does not void the file at boot.
 */
export function parseSysctlConf(text: string): SysctlFile {
  const out: SysctlFile = { assignments: [], ignored: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim(); // a CR too
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    let body = line;
    let ignoreFailure = false;
    if (body.startsWith('-')) {
      ignoreFailure = true;
      body = body.slice(1); // the name and the value are trimmed below
    }
    const eq = body.indexOf('=');
    const name = (eq === -1 ? body : body.slice(0, eq)).trim();
    const glob = /[*?[]/.test(name);
    // name holds no '=' (cut at the first one); '' and '/' are no key
    const validName = !/\s/.test(name) && sysctlKeyPath(name) !== '';
    if (eq === -1) {
      // Only `-glob` (an exclusion from glob matching) may stand without a value.
      if (ignoreFailure && validName) {
        out.assignments.push({ key: sysctlKeyPath(name), ignoreFailure, glob, line: i + 1 });
      } else {
        out.ignored.push({ line: i + 1, text: line });
      }
      return;
    }
    if (!validName) {
      out.ignored.push({ line: i + 1, text: line });
      return;
    }
    out.assignments.push({ key: sysctlKeyPath(name), value: body.slice(eq + 1).trim(), ignoreFailure, glob, line: i + 1 });
  });
  return out;
}

/** glob(7) for one key path: `*` and `?` never cross `/`; `[...]` classes. */
export function sysctlGlobMatch(pattern: string, key: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) {
        re += '\\[';
        continue;
      }
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += '[' + cls.replace(/\\/g, '\\\\') + ']';
      i = end;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  re += '$';
  try {
    return new RegExp(re).test(key);
  } catch {
    return false;
  }
}

/** One file as read at boot, in application order. */
export interface SysctlSourceFile {
  path: string;
  parsed: SysctlFile;
}

/** The value boot would write to one key, and where it comes from. */
export interface BootValue {
  value: string;
  path: string;
  line: number;
  glob: boolean;
}

/**
 * What boot writes to `key` after applying `files` in order: later assignments win; an
 * explicit (non-glob) assignment anywhere beats every glob; `-glob` without a value excludes
 * the key from globs (systemd-sysctl semantics; procps applies explicit keys the same way).
 */
export function bootValue(files: SysctlSourceFile[], key: string): BootValue | undefined {
  let explicit: BootValue | undefined;
  let globbed: BootValue | undefined;
  let excluded = false;
  for (const f of files) {
    for (const a of f.parsed.assignments) {
      if (!a.glob) {
        if (a.key === key && a.value !== undefined) explicit = { value: a.value, path: f.path, line: a.line, glob: false };
        else if (a.key === key) excluded = true; // without a value: the branch above took the ones with
      } else if (sysctlGlobMatch(a.key, key)) {
        if (a.value === undefined) excluded = true;
        else globbed = { value: a.value, path: f.path, line: a.line, glob: true };
      }
    }
  }
  return explicit ?? (excluded ? undefined : globbed);
}

export const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d'] as const;

/**
 * Which sysctl.d files boot applies, in order (systemd's rules): every `*.conf` of the
 * directories, a name in an earlier directory (/etc before /run before /usr/local/lib before
 * /usr/lib) hides the same name in later ones, then all sorted by file name.
 * `/etc/sysctl.conf` comes last, as `sysctl --system` reads it (Debian links it as
 * /etc/sysctl.d/99-sysctl.conf for systemd, so it is near the end either way).
 */
export function sysctlFileOrder(listing: Record<string, string[]>, hasSysctlConf: boolean): string[] {
  const chosen = new Map<string, string>();
  for (const dir of SYSCTL_DIRS) {
    for (const name of listing[dir] ?? []) {
      if (!name.endsWith('.conf') || chosen.has(name)) continue;
      chosen.set(name, `${dir}/${name}`);
    }
  }
  const order = [...chosen.keys()].sort().map((n) => chosen.get(n)!);
  if (hasSysctlConf) order.push('/etc/sysctl.conf');
  return order;
}
