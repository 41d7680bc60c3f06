import { UsageError } from './errors';

/**
 * A monitoring-plugins threshold range `[@]start:end`, both ends inclusive.
 * `10` → alert outside 0..10; `10:` → below 10; `~:10` → above 10;
 * `10:20` → outside 10..20; `@10:20` → inside 10..20.
 */
export interface Range {
  readonly start: number; // -Infinity for `~`
  readonly end: number; // +Infinity when omitted after `:`
  readonly inside: boolean; // `@`: alert when inside
  readonly text: string;
}

const NUM = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function num(s: string, spec: string): number {
  if (!NUM.test(s)) throw new UsageError(`invalid range '${spec}': '${s}' is not a number`);
  return Number(s);
}

export function parseRange(spec: string): Range {
  const text = spec.trim();
  if (text === '') throw new UsageError('invalid range: empty');
  let body = text;
  let inside = false;
  if (body.startsWith('@')) {
    inside = true;
    body = body.slice(1);
  }
  let start = 0;
  let end: number;
  const colon = body.indexOf(':');
  if (colon === -1) {
    end = num(body, text);
  } else {
    if (body.indexOf(':', colon + 1) !== -1) throw new UsageError(`invalid range '${text}': more than one ':'`);
    const a = body.slice(0, colon);
    const b = body.slice(colon + 1);
    start = a === '~' ? -Infinity : a === '' ? 0 : num(a, text);
    end = b === '' ? Infinity : num(b, text);
    if (a === '' && b === '') throw new UsageError(`invalid range '${text}': no bounds`);
  }
  if (start > end) throw new UsageError(`invalid range '${text}': start ${start} is greater than end ${end}`);
  return { start, end, inside, text };
}

/** True when `value` should raise an alert for this range. */
export function rangeAlerts(r: Range, value: number): boolean {
  const within = value >= r.start && value <= r.end;
  return r.inside ? within : !within;
}

