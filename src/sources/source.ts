import type { StatefulError } from '../runtime/errors';
import { State } from '../runtime/state';

/** Where probes get their text: a program to run (argv, never a shell string) or a file to read. */
export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code, or null when the program was ended by a signal. */
  code: number | null;
  signal: string | null;
}

export interface RunOptions {
  /** Run through `sudo -n` when the source was configured with --sudo. */
  privileged?: boolean;
  /** Deadline for this one command, in ms (bounded by the plugin's -t). */
  timeoutMs?: number;
}

export interface Source {
  /** Host name for messages: `localhost` or the SSH target. */
  readonly host: string;
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  readFile(path: string): Promise<string>;
  /** Names in a directory (no `.`/`..`); [] when it does not exist. */
  listDir(path: string): Promise<string[]>;
  /**
   * A TCP stream to host:port as seen FROM the source's host (SSH: a direct-tcpip channel,
   * so `-H frontal1 -u http://127.0.0.1/` reaches frontal1's own loopback). Absent = connect
   * directly from here.
   */
  openTcp?(host: string, port: number): Promise<import('node:stream').Duplex>;
  close(): Promise<void>;
}

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
