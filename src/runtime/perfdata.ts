import { Range } from './range';

export type Uom = '' | 's' | 'ms' | 'us' | '%' | 'B' | 'KB' | 'MB' | 'TB' | 'c';

export interface Perf {
  label: string;
  value: number;
  uom?: Uom;
  warn?: Range | string;
  crit?: Range | string;
  min?: number;
  max?: number;
}

/** Plain decimal, never exponent notation, NaN or locale separators. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`perfdata value is not a finite number: ${n}`);
  // toFixed switches to exponent notation at 1e21; BigInt prints every digit.
  if (Number.isInteger(n)) return Math.abs(n) >= 1e21 ? BigInt(n).toString() : n.toFixed(0);
  let s = n.toFixed(12);
  s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (s === '-0') s = '0';
  return s;
}

/** Labels: never `=` or `'`; quoted only when they hold characters outside [A-Za-z0-9_]. */
export function formatLabel(label: string): string {
  const clean = label.replace(/[='|]/g, '_');
  return /^[A-Za-z0-9_]+$/.test(clean) ? clean : `'${clean}'`;
}

/** A simple upper bound (`10`, `0:10`) is written as the plain number, since Icinga 2
 * drops non-numeric thresholds; any other range keeps its text. */
export function rangePerf(r: Range | string | undefined): string {
  if (r === undefined) return '';
  if (typeof r === 'string') return r;
  if (!r.inside && r.start === 0 && Number.isFinite(r.end)) return formatNumber(r.end);
  return r.text;
}

const thr = rangePerf;

export function formatPerf(p: Perf): string {
  const fields = [
    formatNumber(p.value) + (p.uom ?? ''),
    thr(p.warn),
    thr(p.crit),
    p.min === undefined ? '' : formatNumber(p.min),
    p.max === undefined ? '' : formatNumber(p.max),
  ];
  // fields[0] (value and unit) is never empty: the loop stops there
  while (fields[fields.length - 1] === '') fields.pop();
  return `${formatLabel(p.label)}=${fields.join(';')}`;
}

/** FNV-1a, 32 bits: a short stable tag of a label's own text. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Labels unique in their first 19 characters (RRD data source names, as PNP4Nagios keys
 * graphs), without positional renames: a label that collides with another in those 19
 * characters gets a tag computed from its own full text in front (`h1a2b3c_…`), so it is the
 * same whatever other objects are added or removed, and the rest stays readable.
 */
export function stableLabels(perf: Perf[]): Perf[] {
  const count = new Map<string, number>();
  for (const p of perf) count.set(p.label.slice(0, 19), (count.get(p.label.slice(0, 19)) ?? 0) + 1);
  if ([...count.values()].every((n) => n === 1)) return perf;
  const tag = (label: string, n: number) => `h${fnv1a(label).toString(16).padStart(8, '0').slice(0, n)}_${label}`;
  const clashes = (p: Perf) => count.get(p.label.slice(0, 19))! > 1;
  // A clash of the 6-digit tags themselves (likely only with tens of thousands of labels, far
  // past what Nagios keeps of 8 KiB) takes 8 digits; what still clashes is left out rather than
  // printed as two equal keys.
  const seen = new Set<string>();
  const kept: Perf[] = [];
  for (const p of perf) {
    let q = clashes(p) ? { ...p, label: tag(p.label, 6) } : p;
    if (seen.has(q.label.slice(0, 19)) && clashes(p)) q = { ...p, label: tag(p.label, 8) };
    if (seen.has(q.label.slice(0, 19))) continue;
    seen.add(q.label.slice(0, 19));
    kept.push(q);
  }
  return kept;
}
