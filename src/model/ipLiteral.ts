/**
 * An IP address literal as the deployment schema accepts it (schema.ts IP_PATTERN: an IPv4
 * dotted quad of dec-octets, or RFC 3986's IPv6address, no zone id), judged by scanning the
 * text instead of by that pattern.
 *
 * Why not the pattern at run time: V8 compiles a regular expression on its first use, and
 * IP_PATTERN (1.6 kB, nine IPv6 forms with the IPv4 form inside each) costs 15-20 ms to compile
 * on this machine: every check run with a --config paid it (bench/startup.js). node:net's isIP
 * is not the same rule (it takes zone ids: fe80::1%eth0) and compiles its own IPv6 expression.
 * No library answers "RFC 3986 IPv6address" without costing as much to load; this is 40 lines,
 * and test/model/ipLiteral.test.ts holds it to IP_PATTERN on every sample and a generated corpus.
 * The published schema (docs/deployment.schema.json) keeps the pattern, for editors.
 */

const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/** A dec-octet: 0-255, no leading zero ("0" itself allowed). */
function decOctet(s: string): boolean {
  if (s.length === 0 || s.length > 3) return false;
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  if (s.length > 1 && s.charCodeAt(0) === 48) return false;
  return Number(s) <= 255;
}

/** Four dec-octets separated by dots. */
export function isIpv4Literal(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every(decOctet);
}

/** One to four hex digits. */
function h16(s: string): boolean {
  if (s.length === 0 || s.length > 4) return false;
  for (let i = 0; i < s.length; i++) if (!isHex(s.charCodeAt(i))) return false;
  return true;
}

/**
 * The 16-bit groups a run of `h16:h16:...` stands for, the last one possibly an IPv4 address
 * (two groups) when `ipv4Last`; -1 when the run is malformed. An empty run is 0 groups.
 */
function groups(run: string, ipv4Last: boolean): number {
  if (run === '') return 0;
  const parts = run.split(':');
  let n = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (h16(p)) n += 1;
    else if (ipv4Last && i === parts.length - 1 && isIpv4Literal(p)) n += 2;
    else return -1;
  }
  return n;
}

/** RFC 3986's IPv6address: eight groups, or fewer around one `::`; an IPv4 address as the last two. */
export function isIpv6Literal(s: string): boolean {
  if (s.length > 45) return false; // the longest: six h16 and a dotted quad
  const gap = s.indexOf('::');
  if (gap < 0) return groups(s, true) === 8;
  if (s.indexOf('::', gap + 1) >= 0) return false; // a second `::` (or `:::`)
  const left = groups(s.slice(0, gap), false);
  const right = groups(s.slice(gap + 2), true);
  return left >= 0 && right >= 0 && left + right <= 7; // `::` stands for one group at least
}

/** 4, 6, or 0 when `s` is not an IP address literal (as the schema's IP_PATTERN says). */
export function ipLiteralFamily(s: string): 0 | 4 | 6 {
  if (isIpv4Literal(s)) return 4;
  return isIpv6Literal(s) ? 6 : 0;
}

/** The schema's custom formats, for Ajv (test/model/schema.test.ts) and its standalone code. */
export const formats = {
  ip: (s: string): boolean => ipLiteralFamily(s) !== 0,
};
