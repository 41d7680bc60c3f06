import type { Source } from './source';
import { classify } from './errors';
import { Result } from './result';

/**
 * What a check's gather step is handed, by whichever face runs it (the plugin, the
 * exporter, doctor): sources, the deadline, a trace. The deployment is not here: what a check
 * needs of it is already in its typed config.
 */
export interface GatherEnv {
  /** Source for a host: undefined = the check's own host (the plugin's -H, else here). */
  source(host?: string): Source;
  /** Epoch ms by which the check must answer. */
  deadline: number;
  signal: AbortSignal;
  /** Adds a line to long output when the verbosity is at least `level`. */
  trace(level: number, msg: string): void;
}

/**
 * A check is a typed pair run in this order by every face:
 * gather(config, sources) → model (I/O, no decision), evaluate(model, config) → result (all the
 * policy: which state for what; pure). The plugin builds the config from argv, the exporter
 * and doctor build it in TypeScript: the verdict is the same because the path is the same.
 */
export interface Check<C, M> {
  /** Short name: vip, heartbeat, ipvs, sync, arp, sorry. */
  name: string;
  /** First word(s) of the output line: `LVS VIP`. */
  prefix: string;
  gather(config: C, env: GatherEnv): Promise<M>;
  evaluate(model: M, config: C): Result;
}

/** Milliseconds left before env's deadline (at least 1), for one probe's own timeout. */
export function remaining(env: Pick<GatherEnv, 'deadline'>, floor = 1): number {
  return Math.max(floor, env.deadline - Date.now());
}

/** The one path from config to verdict: gather, then evaluate; any error becomes a result by its state. */
export async function runCheck<C, M>(check: Check<C, M>, config: C, env: GatherEnv, verbose = 0): Promise<Result> {
  try {
    return check.evaluate(await check.gather(config, env), config);
  } catch (e) {
    const c = classify(e, verbose);
    return { state: c.state, summary: c.text, long: c.stack ? c.stack.split('\n') : [] };
  }
}
