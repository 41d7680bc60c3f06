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
  while (fields.length > 1 && fields[fields.length - 1] === '') fields.pop();
  return `${formatLabel(p.label)}=${fields.join(';')}`;
}
