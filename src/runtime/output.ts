import { redactUrls } from './options';
import { formatPerf, Perf } from './perfdata';
import { State } from './state';

/** Nagios reads at most 8 KiB of plugin output. */
export const MAX_OUTPUT = 8192;

/**
 * `|` separates perfdata in plugin output; text must never carry it. Newlines split lines.
 * URL user info (http://user:password@) is never printed, whatever -v.
 */
export function clean(text: string): string {
  return redactUrls(text).replace(/\|/g, '/').replace(/[\r\n]+/g, ' ').trimEnd();
}

export interface Rendered {
  text: string;
  exitCode: number;
}

export function render(prefix: string, state: State, summary: string, long: string[] = [], perf: Perf[] = []): Rendered {
  // No fast path for an empty list: it gives the same '' below.
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const p of perf) {
    let f: string;
    try {
      f = formatPerf(p);
    } catch {
      continue; // a non-finite value is dropped rather than printed as NaN
    }
    const key = f.split('=')[0]!.replace(/'/g, '').slice(0, 19); // formatLabel leaves a quote only around a label
    if (seen.has(key)) continue; // labels must be unique in their first 19 characters
    seen.add(key);
    parts.push(f);
  }
  const perfText = parts.length ? ` | ${parts.join(' ')}` : '';
  const first = `${prefix} ${State[state]} - ${clean(summary)}`;
  let out = first + perfText + '\n';
  if (out.length > MAX_OUTPUT) out = first.slice(0, MAX_OUTPUT - 1) + '\n';
  const marker = '... (output truncated)\n';
  for (const raw of long) {
    const line = clean(raw) + '\n';
    if (Buffer.byteLength(out + line) > MAX_OUTPUT - marker.length) {
      out += marker;
      break;
    }
    out += line;
  }
  return { text: out, exitCode: state };
}
