import type { StatefulError } from '../runtime/errors';
import { State } from '../runtime/state';

export type { RunOptions, RunResult, Source } from '../runtime/source';
import type { RunResult } from '../runtime/source';

/** The program could not be started at all (not installed, not executable): a plugin failure. */
export class SpawnError extends Error implements StatefulError {
  override name = 'SpawnError';
  readonly state: State = State.UNKNOWN;
}
/** The host could not be reached (refused, timed out, DNS): a failure of the monitored thing. */
export class UnreachableError extends Error implements StatefulError {
  override name = 'UnreachableError';
  readonly state: State = State.CRITICAL;
}
/** SSH refused for a reason on our side: unknown/changed host key, key not accepted. */
export class SshAuthError extends Error implements StatefulError {
  override name = 'SshAuthError';
  readonly state: State = State.UNKNOWN;
}
/** One command ran past its deadline and was killed. */
export class CommandTimeoutError extends Error implements StatefulError {
  override name = 'CommandTimeoutError';
  readonly state: State = State.UNKNOWN;
}

/** A file that is not there (ENOENT) — probes often turn this into a state. */
export function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'ENOENT';
}

/** `program` exited non-zero: a short description for messages. */
export function describeExit(argv: readonly string[], r: RunResult): string {
  const why = r.code === null ? `killed by ${r.signal}` : `exit ${r.code}`;
  const err = r.stderr.trim().split('\n')[0] ?? '';
  return `${argv[0]} ${why}${err ? `: ${err}` : ''}`;
}
