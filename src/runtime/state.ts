/** Plugin states as the monitoring-plugins guidelines number them. */
export enum State {
  OK = 0,
  WARNING = 1,
  CRITICAL = 2,
  UNKNOWN = 3,
}

/** Severity order used to combine sub-results: an outage confirmed by one probe
 * is not hidden by another probe's error, so CRITICAL outranks UNKNOWN. */
const severity: Record<State, number> = {
  [State.OK]: 0,
  [State.WARNING]: 1,
  [State.UNKNOWN]: 2,
  [State.CRITICAL]: 3,
};

export function worst(...states: State[]): State {
  let w = State.OK;
  for (const s of states) if (severity[s] > severity[w]) w = s;
  return w;
}

export function compareSeverity(a: State, b: State): number {
  return severity[a] - severity[b];
}
