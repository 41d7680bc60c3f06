/**
 * Option parsers shared by the checks, doctor, the exporter and generate: each takes the option's
 * name and returns a commander argParser that throws UsageError (UNKNOWN, exit 3) with one line
 * naming the option and the value. Kept free of heavy imports: it is on every check's start-up path.
 */
import { isIP } from 'node:net';
import { UsageError } from './errors';

/** A TCP/UDP port, 1..65535 (0 is "any" to the kernel, never a port to connect to). */
export function parsePort(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d{1,5}$/.test(v) || n < 1 || n > 65535) throw new UsageError(`${name} '${v}' is not a port (1-65535)`);
    return n;
  };
}

/** An IPv4 or IPv6 literal (no brackets, no zone). */
export function parseIp(name: string) {
  return (v: string): string => {
    if (isIP(v) === 0) throw new UsageError(`${name} '${v}' is not an IP address`);
    return v;
  };
}

/** Repeatable IP option (`--vip A --vip B`): commander's (value, previous) form. */
export function collectIp(name: string) {
  const one = parseIp(name);
  return (v: string, prev: string[] = []): string[] => [...prev, one(v)];
}

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/**
 * True for a host name as RFC 1123 (2.1) allows it: dot-separated labels of letters, digits
 * and hyphens (not at either end of a label), 63 characters a label, 253 in all, an optional
 * final dot. The last label is not all digits, so a bad dotted quad (999.1.1.1) is not a name.
 */
export function isHostName(v: string): boolean {
  const s = v.endsWith('.') ? v.slice(0, -1) : v;
  if (s.length === 0 || s.length > 253) return false;
  const labels = s.split('.');
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

/** A host to connect to: an IPv4/IPv6 literal or an RFC 1123 host name. */
export function parseHost(name: string) {
  return (v: string): string => {
    // The name rule first: isIP on a name compiles node:net's IPv6 regular expression (~10 ms).
    if (!isHostName(v) && isIP(v) === 0) throw new UsageError(`${name} '${v}' is not a host name or IP address`);
    return v;
  };
}

/** setTimeout's ceiling (2^31 - 1 ms): a longer delay fires at once, so longer -t is refused. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A positive number of seconds (decimal allowed), at most MAX_TIMEOUT_SECONDS. */
export function parseTimeout(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0)) throw new UsageError(`${name} '${v}' is not a positive number of seconds`);
    if (n > MAX_TIMEOUT_SECONDS) throw new UsageError(`${name} '${v}' is too long (at most ${MAX_TIMEOUT_SECONDS} s)`);
    return n;
  };
}

/**
 * A URL without its user info (`http://user:pw@host/` → `http://***@host/`), for every line a
 * check, doctor or the exporter prints. Text that is not a URL is returned unchanged.
 */
export function redactUrl(url: string): string {
  return redactUrls(url);
}

/** Every `scheme://user[:password]@` in a text, user info replaced by `***`. */
export function redactUrls(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#@]*@/g, '$1***@');
}
