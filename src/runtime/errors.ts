import { State } from './state';

/**
 * The error taxonomy: every error the project throws carries the state it means, and
 * classify() is the one place that turns an error into a state. A failure of the monitored
 * thing (host unreachable) is CRITICAL; our own (bad input, cannot spawn, cannot parse) UNKNOWN.
 */
export interface StatefulError extends Error {
  readonly state: State;
}

/** Errors the runtime turns into one UNKNOWN line (exit 3). */
export class PluginError extends Error implements StatefulError {
  override name = 'PluginError';
  readonly state: State = State.UNKNOWN;
}
/** Bad command-line input: UNKNOWN with the message, no stack. */
export class UsageError extends PluginError {
  override name = 'UsageError';
}
/** Text from a program or file that does not have the expected shape. */
export class ParseError extends PluginError {
  override name = 'ParseError';
  constructor(
    readonly what: string,
    message: string,
    readonly line?: number,
  ) {
    super(`cannot parse ${what}: ${message}${line !== undefined ? ` (line ${line})` : ''}`);
  }
}
/** The plugin's own deadline (-t) expired. */
export class TimeoutError extends PluginError {
  override name = 'TimeoutError';
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

function isStateful(e: unknown): e is StatefulError {
  return e instanceof Error && typeof (e as { state?: unknown }).state === 'number' && State[(e as StatefulError).state] !== undefined;
}

/** The one classification: an error's own state, else UNKNOWN "internal error". Stack only at -vvv. */
export function classify(e: unknown, verbose: number): { state: State; text: string; stack?: string } {
  const stack = verbose >= 3 && e instanceof Error ? e.stack : undefined;
  if (isStateful(e)) return { state: e.state, text: e.message, stack };
  return { state: State.UNKNOWN, text: `internal error: ${errorMessage(e)}`, stack };
}
