import { Perf } from './perfdata';
import { Range, rangeAlerts } from './range';
import { State, compareSeverity, worst } from './state';

/** What a check's policy returns: one state, one summary, details and perfdata. */
export interface Result {
  state: State;
  summary: string;
  /** Long output: one line per item, shown after the first line. */
  long?: string[];
  perf?: Perf[];
}

/** One evaluated item inside a check (a real server, a link, a director). */
export interface Finding {
  state: State;
  text: string;
  /** The finding's own perfdata (a service's live count, a sync ratio): first, in finding order, then combine's `perf`. */
  perf?: Perf[];
}

/** Critical is evaluated first, then warning. */
export function evaluate(value: number, warn?: Range, crit?: Range): State {
  if (crit && rangeAlerts(crit, value)) return State.CRITICAL;
  if (warn && rangeAlerts(warn, value)) return State.WARNING;
  return State.OK;
}

/**
 * Combine findings into one result: the state is the worst; the summary names the
 * findings of that state (most severe first), or `okSummary` when all are OK.
 */
export function combine(findings: Finding[], okSummary: string, perf: Perf[] = [], long: string[] = []): Result {
  // The distinct states only: spreading one argument per finding overflows the stack on a huge table.
  const state = worst(...new Set(findings.map((f) => f.state)));
  const sorted = [...findings].sort((a, b) => compareSeverity(b.state, a.state));
  const bad = sorted.filter((f) => f.state !== State.OK);
  const summary = bad.length === 0 ? okSummary : bad.filter((f) => f.state === state).map((f) => f.text).concat(
    bad.filter((f) => f.state !== state).map((f) => f.text),
  ).join('; ');
  return {
    state,
    summary,
    long: [...sorted.map((f) => `${State[f.state]}: ${f.text}`), ...long],
    perf: findings.some((f) => f.perf) ? [...findings.flatMap((f) => f.perf ?? []), ...perf] : perf,
  };
}
