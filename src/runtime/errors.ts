/** Errors the runtime turns into one UNKNOWN line (exit 3). */
export class PluginError extends Error {
  override name = 'PluginError';
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
