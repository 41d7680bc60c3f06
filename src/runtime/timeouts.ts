/**
 * Node's timers hold a signed 32-bit number of ms: a delay beyond 2^31 - 1 ms (~24.8 days)
 * fires at once (with a warning). Internal delays computed from user input are clamped here;
 * user timeouts themselves are refused beyond it (runtime/options.ts parseTimeout).
 */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/** A delay setTimeout honours: at least 1 ms, at most MAX_DELAY_MS. */
export function clampDelay(ms: number): number {
  if (Number.isNaN(ms)) return 1;
  return Math.min(MAX_DELAY_MS, Math.max(1, Math.ceil(ms)));
}

/**
 * A command run without any deadline (the exporter's base source, generate) still ends: no
 * program we run legitimately takes minutes, and a hung one must not live as long as we do.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
