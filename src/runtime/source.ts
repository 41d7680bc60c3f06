/*
 * The Source contract lives at the bottom so that the runtime (GatherEnv, the plugin host)
 * needs nothing above it; the implementations are in src/sources/.
 */

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
  /** Its answer changes while a probe waits (polling a file's mtime): never memoised. */
  fresh?: boolean;
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
